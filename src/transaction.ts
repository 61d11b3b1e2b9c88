/**
 * Interactive transactions pinned to the writer, savepoints, and read
 * snapshots pinned to one reader.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SqliteError, TransactionClosedError } from './errors';
import type { Lease, Pool } from './pool';
import { type Destination, localize, type NewRequest, Queryable } from './queryable';
import type { CallOptions, TransactionMode } from './types';
import type { WorkerHandle } from './worker-handle';

/**
 * The transaction whose callback is running, so that a `db.run()` written by
 * mistake inside `db.transaction(async (tx) => …)` joins the transaction
 * instead of queueing behind it forever. @internal
 */
export const currentTransaction = new AsyncLocalStorage<Transaction>();

/** The transaction whose savepoint callback is running (nested savepoints do not queue). */
const insideSavepoint = new AsyncLocalStorage<Transaction>();

const MODES: ReadonlySet<string> = new Set(['deferred', 'immediate', 'exclusive']);
/** Extra attempts at `BEGIN` when another process holds the lock past `busy_timeout`. */
const BEGIN_RETRIES = 3;

/** Options of {@link Database.transaction}. */
export interface TransactionOptions extends CallOptions {
  /** How the transaction begins. Default `'immediate'`: it takes the write lock at once, so it cannot fail later with `SQLITE_BUSY`. */
  mode?: TransactionMode;
}

/**
 * An open transaction on the writer connection, handed to the callback of
 * {@link Database.transaction}. Its query methods run inside the transaction;
 * once the callback settles, the handle is closed and every call rejects
 * with `TransactionClosedError`.
 *
 * ```ts
 * const orderId = await db.transaction(async (tx) => {
 *   const { lastInsertRowid } = await tx.run('INSERT INTO orders(user) VALUES (?)', [userId]);
 *   await tx.run('UPDATE stock SET n = n - 1 WHERE item = ?', [item]);
 *   return lastInsertRowid;
 * });
 * ```
 */
export class Transaction extends Queryable {
  readonly #pool: Pool;
  readonly #lease: Lease;
  #closedBy: Error | undefined;
  #savepoints = 0;
  /** Settles when the savepoint started last has ended (see {@link transaction}). */
  #savepointTurn: Promise<void> = Promise.resolve();

  /** @internal */
  constructor(pool: Pool, lease: Lease) {
    super();
    this.#pool = pool;
    this.#lease = lease;
  }

  /** Whether the transaction can still be used. */
  get active(): boolean {
    return this.#closedBy === undefined && this.#lease.closedBy === undefined;
  }

  /** @internal */
  belongsTo(pool: Pool): boolean {
    return this.#pool === pool;
  }

  /** Why the transaction can no longer be used (once it is not {@link active}). @internal */
  get closedReason(): Error {
    return this.#closedBy ?? this.#lease.closedBy ?? new TransactionClosedError('The transaction has already ended');
  }

  /**
   * Runs `fn` inside a SAVEPOINT: if it throws, only its own changes are
   * rolled back and the error propagates; the outer transaction goes on.
   *
   * ```ts
   * await tx.transaction(async (inner) => { await inner.run('DELETE FROM cart'); throw new Error('undo'); })
   *   .catch(() => {}); // the cart is intact, the outer transaction continues
   * ```
   */
  async transaction<R>(fn: (tx: Transaction) => Promise<R> | R): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError('Expected a function');
    // Savepoints started side by side run one after another: interleaved, one
    // savepoint's ROLLBACK TO would undo the other's work. A savepoint opened
    // inside another one's callback nests at once.
    if (insideSavepoint.getStore() === this) return this.#savepoint(fn);
    const turn = this.#savepointTurn.then(() => this.#savepoint(fn));
    this.#savepointTurn = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async #savepoint<R>(fn: (tx: Transaction) => Promise<R> | R): Promise<R> {
    const name = `threadlite_sp${++this.#savepoints}`;
    await this.exec(`SAVEPOINT ${name}`);
    let result: R;
    try {
      result = await insideSavepoint.run(this, () => fn(this));
    } catch (err) {
      if (this.active) await this.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    }
    await this.exec(`RELEASE ${name}`);
    return result;
  }

  /** @internal */
  protected submit(request: NewRequest, _target: Destination, options: CallOptions | undefined, pinned?: WorkerHandle) {
    if (this.#closedBy !== undefined) return Promise.reject(this.#closedBy);
    return this.#pool.submit(request, 'write', options, { lease: this.#lease, pinned });
  }

  /** @internal */
  get databaseName(): string {
    return this.#pool.options.file;
  }


  /** A call made on the database inside this transaction's callback. @internal */
  submitFromOutside(request: NewRequest, options: CallOptions | undefined) {
    return this.submit(request, 'write', options);
  }

  /**
   * Begins, runs `fn` with this handle as the current transaction, and
   * commits, or rolls back if `fn` throws, times out or loses its worker.
   * Always gives the writer back. @internal
   */
  async use<R>(fn: (tx: Transaction) => Promise<R> | R, mode: TransactionMode, timeout: number): Promise<R> {
    let deadline: LeaseDeadline | undefined;
    try {
      await this.#begin(mode);
      deadline = watchLease(this.#pool, this.#lease, timeout, () => {
        this.#closedBy = new TransactionClosedError(`The transaction was rolled back: it stayed open longer than ${timeout} ms`);
        return this.#closedBy;
      });
      let result: R;
      try {
        result = await Promise.race([currentTransaction.run(this, () => fn(this)), deadline.ended]);
      } catch (err) {
        this.#closedBy ??= new TransactionClosedError('The transaction was rolled back');
        await this.#rollback();
        throw err;
      }
      try {
        await this.#end('COMMIT');
      } catch (err) {
        await this.#rollback();
        throw err;
      }
      return result;
    } finally {
      deadline?.stop();
      this.#closedBy ??= new TransactionClosedError('The transaction has already ended');
      this.#pool.release(this.#lease, this.#closedBy);
    }
  }

  async #begin(mode: TransactionMode): Promise<void> {
    if (!MODES.has(mode)) throw new TypeError(`Unknown transaction mode "${mode}" (use deferred, immediate or exclusive)`);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.exec(`BEGIN ${mode.toUpperCase()}`);
        return;
      } catch (err) {
        // busy_timeout already waited; another process still holds the lock.
        // Try a few more times with a short random pause, then give up.
        if (!(err instanceof SqliteError && err.code.startsWith('SQLITE_BUSY')) || attempt >= BEGIN_RETRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * (attempt + 1)));
      }
    }
  }

  async #end(sql: 'COMMIT'): Promise<void> {
    await this.exec(sql);
    this.#closedBy = new TransactionClosedError('The transaction has already committed');
  }

  /** Rolls back if the connection is still inside the transaction; never throws. */
  async #rollback(): Promise<void> {
    if (this.#lease.closedBy !== undefined || this.#lease.worker.state !== 'ready') return; // the worker died: SQLite rolled back
    try {
      await this.#pool.submit({ op: 'exec', sql: 'ROLLBACK' }, 'write', undefined, { lease: this.#lease });
    } catch {
      // "no transaction is active": SQLite already rolled back (e.g. after SQLITE_FULL).
    }
  }
}

/**
 * One consistent view of the database on one reader, handed to the callback
 * of {@link Database.read}: every query in it sees the same committed state,
 * whatever commits meanwhile. Writes through it fail with `SQLITE_READONLY`.
 *
 * ```ts
 * const [orders, total] = await db.read(async (r) => [
 *   await r.all('SELECT * FROM orders'),
 *   await r.get('SELECT sum(amount) AS total FROM orders'),
 * ]);
 * ```
 */
export class ReadSnapshot extends Queryable {
  readonly #pool: Pool;
  readonly #lease: Lease;
  #closedBy: Error | undefined;

  /** @internal */
  constructor(pool: Pool, lease: Lease) {
    super();
    this.#pool = pool;
    this.#lease = lease;
  }

  /** Whether the snapshot can still be used. */
  get active(): boolean {
    return this.#closedBy === undefined && this.#lease.closedBy === undefined;
  }

  /** @internal */
  protected submit(request: NewRequest, _target: Destination, options: CallOptions | undefined, pinned?: WorkerHandle) {
    if (this.#closedBy !== undefined) return Promise.reject(this.#closedBy);
    return this.#pool.submit(request, 'read', options, { lease: this.#lease, pinned });
  }

  /** @internal */
  get databaseName(): string {
    return this.#pool.options.file;
  }


  /** Opens the snapshot, runs `fn`, and always ends the snapshot and frees the reader. @internal */
  async use<R>(fn: (snapshot: ReadSnapshot) => Promise<R> | R, timeout: number): Promise<R> {
    // On a single-connection pool the "reader" is the writer: query_only
    // makes writes fail there as they would on a read-only reader.
    const onWriter = this.#lease.worker.role === 'writer';
    let deadline: LeaseDeadline | undefined;
    let began = false;
    try {
      if (onWriter) await this.#raw('PRAGMA query_only = ON');
      await this.#raw('BEGIN DEFERRED');
      began = true;
      await this.#raw('SELECT count(*) FROM sqlite_schema');
      deadline = watchLease(this.#pool, this.#lease, timeout, () => {
        this.#closedBy = new TransactionClosedError(`The read snapshot was closed: it stayed open longer than ${timeout} ms`);
        return this.#closedBy;
      });
      return await Promise.race([Promise.resolve().then(() => fn(this)), deadline.ended]);
    } finally {
      deadline?.stop();
      this.#closedBy ??= new TransactionClosedError('The read snapshot has already ended');
      if (this.#lease.closedBy === undefined && this.#lease.worker.state === 'ready') {
        // Only the transaction this snapshot began: a failed BEGIN must not end someone else's.
        if (began) await this.#raw('COMMIT').catch(() => {});
        if (onWriter) await this.#raw('PRAGMA query_only = OFF').catch(() => {});
      }
      this.#pool.release(this.#lease, this.#closedBy);
    }
  }

  async #raw(sql: string): Promise<void> {
    try {
      await this.#pool.submit({ op: 'exec', sql }, 'read', undefined, { lease: this.#lease });
    } catch (err) {
      throw localize(err);
    }
  }
}

/** What {@link watchLease} returns. */
interface LeaseDeadline {
  /** Rejects when the leased worker dies or the lease outlives its timeout. */
  ended: Promise<never>;
  /** Cancels the timeout once the holder is done. */
  stop(): void;
}

/**
 * Ends a lease holder's callback when its worker dies, or when the lease stays
 * open longer than `timeout` ms (`expire` gives the error). A statement still
 * running on the worker at that moment is interrupted (or, without the native
 * library, stopped with its thread, which rolls back what the lease had open);
 * the holder then rolls back.
 */
function watchLease(pool: Pool, lease: Lease, timeout: number, expire: () => Error): LeaseDeadline {
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<never>((_, reject) => {
    // Let the callback's own failure (the WorkerCrashedError of the call that
    // was running) arrive first; this only ends a callback that waits elsewhere.
    lease.onBroken = (err) => setImmediate(() => reject(err));
    if (timeout > 0) {
      timer = setTimeout(() => {
        const err = expire();
        // Stop the statement running in the transaction (interrupt, or terminate without the native library).
        pool.stopWork(lease.worker, err);
        reject(err);
      }, timeout);
    }
  });
  ended.catch(() => {}); // observed through Promise.race by the holder
  return { ended, stop: () => clearTimeout(timer) };
}
