/**
 * The public face of a pool: {@link open} and {@link Database}.
 */
import { performance } from 'node:perf_hooks';
import { type BackupOptions, type BackupResult, runBackup } from './backup';
import type { ConnectionSettings } from './engine/connection-settings';
import { InlineReader, type InlineRoute, type InlineStats } from './inline-reader';
import { InlineWatchdog } from './inline-watchdog';
import { nativeStatus } from './native/interrupt';
import {
  type CheckpointMode,
  type CheckpointResult,
  type PragmaOptions,
  runCheckpoint,
  runPragma,
  runSerialize,
  type SerializeOptions,
} from './operations';
import { Pool, type PoolStats } from './pool';
import { type OpenOptions, type ResolvedOptions, resolveOptions } from './options';
import { type Destination, localize, type NewRequest, Queryable } from './queryable';
import { currentTransaction, ReadSnapshot, Transaction, type TransactionOptions } from './transaction';
import type { CallOptions } from './types';
import type { WorkerHandle } from './worker-handle';

/**
 * Opens a database and starts its pool: one writer connection and
 * `options.readers` read-only reader connections, each in its own worker
 * thread. Rejects with the `SqliteError` (e.g. `SQLITE_CANTOPEN`) or the
 * error the `setup` module threw, if a connection cannot open.
 *
 * Given a `Buffer` (or `Uint8Array`) made by {@link Database.serialize}, it
 * opens an in-memory copy of that database, as better-sqlite3's
 * `new Database(buffer)` does (one connection, no readers; `readonly` is honoured).
 *
 * ```ts
 * import { open } from 'threadlite';
 * const db = await open('app.db', { readers: 4 });
 * const copy = await open(await db.serialize());
 * ```
 */
export async function open(file: string | Uint8Array, options?: OpenOptions): Promise<Database> {
  const image = file instanceof Uint8Array ? file : undefined;
  const resolved = resolveOptions(image === undefined ? file : ':memory:', options, image);
  let pool: Pool | undefined;
  // The watchdog thread starts while the workers do, so it costs open() no time of its own.
  const watchdog = resolved.inlineReads > 0 && resolved.inlineCap > 0 ? InlineWatchdog.start(resolved.inlineCap).catch(() => undefined) : undefined;
  try {
    pool = await Pool.start(resolved);
    // After the pool: the writer has created the file the inline connection reads.
    const inline = resolved.inlineReads > 0 ? await openInline(resolved, watchdog, pool) : undefined;
    return new Database(pool, inline);
  } catch (err) {
    await (await watchdog)?.close();
    await pool?.close();
    throw localize(err);
  }
}

/**
 * The inline reader, or undefined where it must not or cannot run: the
 * watchdog was asked for and the native library loaded, but its thread did not
 * start (an uncapped inline path is never the default); or the main thread
 * cannot load better-sqlite3 at all (a bundle without it). The pool works
 * without it either way, and `stats().inline` says it is off.
 */
async function openInline(options: ResolvedOptions, watchdog: Promise<InlineWatchdog | undefined> | undefined, pool: Pool): Promise<InlineReader | undefined> {
  const dog = await watchdog;
  if (watchdog !== undefined && dog === undefined && nativeStatus().available) return undefined;
  try {
    return await InlineReader.open(options, dog, () => pool.offloadTarget());
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND' && /better-sqlite3/.test(String((err as Error).message))) return undefined;
    throw err;
  }
}

/** {@link PoolStats} plus the inline path's counters. */
export interface DatabaseStats extends PoolStats {
  /** The main-thread inline path's counters, or `null` where it is off (see `OpenOptions.inlineReads`). */
  inline: InlineStats | null;
}

/** Key of the test hook that exposes the inline watchdog. @internal */
const INLINE_WATCHDOG = Symbol.for('threadlite.inlineWatchdog');

/**
 * An open database: a pool of better-sqlite3 connections in worker threads.
 * Every query method returns a promise and takes an optional last
 * {@link CallOptions} argument (`signal`, `timeout`).
 *
 * Statements that better-sqlite3 calls read-only run on readers; everything
 * else runs on the writer, in the order it was called. Inside the callback of
 * {@link Database.transaction}, calls on the database itself join the
 * transaction (see the README's rules).
 *
 * ```ts
 * await using db = await open('app.db');
 * await db.run('INSERT INTO users(name) VALUES (?)', ['ann']);
 * console.log(await db.all('SELECT * FROM users'));
 * ```
 */
export class Database extends Queryable {
  readonly #pool: Pool;
  readonly #inline: InlineReader | undefined;

  /** @internal Use {@link open}. */
  constructor(pool: Pool, inline?: InlineReader) {
    super();
    this.#pool = pool;
    this.#inline = inline;
  }

  /** The file name as given to the connections (absolute), or `:memory:` / `''`. */
  get name(): string {
    return this.#pool.options.file;
  }

  /** @internal */
  get databaseName(): string {
    return this.#pool.options.file;
  }

  /** Whether this is an in-memory or temporary database (a single connection). */
  get memory(): boolean {
    return this.#pool.options.inMemory;
  }

  /** Whether the database was opened read-only. */
  get readonly(): boolean {
    return this.#pool.options.readonly;
  }

  /** False once `close()` has been called. */
  get open(): boolean {
    return !this.#pool.closed;
  }

  /**
   * Runs `fn` in a transaction on the writer: commits when its promise
   * resolves, rolls back when it rejects (and rethrows). Other writes wait;
   * reads on readers keep going and see only committed data. Called inside
   * another transaction's callback, it becomes a SAVEPOINT of that one.
   *
   * The transaction is rolled back if it stays open longer than
   * `transactionTimeout`; `options.signal`/`options.timeout` bound the wait for the writer.
   *
   * ```ts
   * await db.transaction(async (tx) => {
   *   const { n } = await tx.get<{ n: number }>('SELECT n FROM counter');
   *   await tx.run('UPDATE counter SET n = ?', [n + 1]);
   * });
   * ```
   */
  async transaction<R>(fn: (tx: Transaction) => Promise<R> | R, options?: TransactionOptions): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError('Expected first argument to be a function');
    const outer = currentTransaction.getStore();
    if (outer !== undefined && outer.belongsTo(this.#pool)) {
      // Inside a transaction's callback: a savepoint of it, or, once it has ended, nothing at all.
      if (outer.active) return outer.transaction(fn);
      throw outer.closedReason;
    }
    const mode = options?.mode ?? 'immediate';
    let lease: Awaited<ReturnType<Pool['acquire']>>;
    try {
      lease = await this.#pool.acquire('write', options);
    } catch (err) {
      throw localize(err);
    }
    return new Transaction(this.#pool, lease).use(fn, mode, this.#pool.options.transactionTimeout);
  }

  /**
   * Runs `fn` with a read snapshot pinned to one reader: every query in it
   * sees the same committed state. The reader is freed when `fn` settles.
   *
   * ```ts
   * const report = await db.read(async (r) => [await r.all('SELECT * FROM a'), await r.all('SELECT * FROM b')]);
   * ```
   */
  async read<R>(fn: (snapshot: ReadSnapshot) => Promise<R> | R, options?: CallOptions): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError('Expected first argument to be a function');
    let lease: Awaited<ReturnType<Pool['acquire']>>;
    try {
      lease = await this.#pool.acquire('read', options);
    } catch (err) {
      throw localize(err);
    }
    return new ReadSnapshot(this.#pool, lease).use(fn, this.#pool.options.transactionTimeout);
  }

  /**
   * Copies the database into `destination` with SQLite's online backup, from
   * one snapshot on a reader: writes go on meanwhile, and none committed after
   * the backup began is in the copy. The pages go to a temporary file in the
   * destination's directory, which is fsynced and renamed over `destination`
   * only once complete: a failed or cancelled backup leaves no partial file.
   * See {@link BackupOptions} for pacing (`progress`, `pagesPerStep`) and
   * cancellation (`signal`). On a pool without readers it runs on the writer,
   * and writes wait for it.
   *
   * ```ts
   * const { totalPages } = await db.backup(`backups/app-${Date.now()}.db`, {
   *   progress: ({ totalPages, remainingPages }) => console.log(`${totalPages - remainingPages}/${totalPages}`),
   *   signal: AbortSignal.timeout(60_000),
   * });
   * ```
   */
  backup(destination: string, options?: BackupOptions): Promise<BackupResult> {
    return runBackup(this.#pool, destination, options);
  }

  /**
   * The database as a `Buffer` (`sqlite3_serialize`), as better-sqlite3's
   * `db.serialize()`: the committed state, read on a reader. Open it again
   * with `open(buffer)`.
   *
   * ```ts
   * const image = await db.serialize();
   * const copy = await open(image);
   * ```
   */
  serialize(options?: SerializeOptions): Promise<Buffer> {
    return runSerialize(this, this.#pool, options);
  }

  /**
   * Runs `PRAGMA source` on the writer, in order with the writes, and returns
   * what better-sqlite3's `db.pragma()` returns: all rows, or with `simple` the
   * first column of the first row. It changes the writer's connection only:
   * give settings every connection needs in the `pragmas` option.
   *
   * ```ts
   * const version = await db.pragma('user_version', { simple: true });
   * const columns = await db.pragma('table_info(users)');
   * ```
   */
  pragma(source: string, options?: PragmaOptions): Promise<unknown> {
    return runPragma(this, source, options);
  }

  /**
   * Checkpoints the WAL (`PRAGMA wal_checkpoint(mode)`, default `PASSIVE`) on
   * the writer and returns SQLite's counts. `TRUNCATE` also empties the WAL
   * file; FULL, RESTART and TRUNCATE wait up to `busyTimeout` for readers,
   * and report `busy: 1` if one (a backup, a `read()` snapshot, Litestream)
   * still holds an older snapshot.
   *
   * ```ts
   * const { busy, log, checkpointed } = await db.checkpoint('TRUNCATE');
   * ```
   */
  checkpoint(mode?: CheckpointMode, options?: CallOptions): Promise<CheckpointResult> {
    return runCheckpoint(this, mode, options);
  }

  /**
   * Queue and worker counters for a health endpoint.
   *
   * ```ts
   * app.get('/health', () => db.stats());
   * ```
   */
  stats(): DatabaseStats {
    return { ...this.#pool.stats(), inline: this.#inline?.stats() ?? null };
  }

  /** The inline path's watchdog, for tests that drive its protocol by hand. @internal */
  get [INLINE_WATCHDOG](): unknown {
    return this.#inline?.watchdog;
  }

  /**
   * Lets work already submitted finish, then closes every connection (the
   * writer last, which checkpoints the WAL) and ends the workers. Later calls
   * reject with `PoolClosedError`. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.#inline === undefined) return this.#pool.close();
    // Once, so that every call returns the same promise, as the pool's own close() does.
    this.#closing ??= Promise.all([this.#inline.close(), this.#pool.close()]).then(() => undefined);
    return this.#closing;
  }

  #closing: Promise<void> | undefined;

  /** Closes the database, for `await using db = await open(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Change tracking and limits for every connection of the pool (threadlite/sqlite3 uses them). @internal */
  get connectionSettings(): ConnectionSettings {
    return this.#pool.settings;
  }

  /** @internal */
  protected submit(request: NewRequest, target: Destination, options: CallOptions | undefined, pinned?: WorkerHandle) {
    const tx = currentTransaction.getStore();
    if (tx !== undefined && tx.belongsTo(this.#pool) && pinned === undefined) {
      // db.run() inside db.transaction(): join the transaction rather than
      // wait behind it for ever. Once that transaction has ended (committed,
      // rolled back, timed out), a call still made from its callback must not
      // run on its own, outside any transaction.
      return tx.submitFromOutside(request, options);
    }
    if (target === 'routed') return this.#pool.submitRouted(request as NewRequest & { sql: string }, options);
    return this.#pool.submit(request, target, options, { pinned });
  }

  /** @internal */
  override timeoutOf(options: CallOptions | undefined): number {
    return options?.timeout ?? this.#pool.options.timeout;
  }

  /** @internal */
  override inlineFor(sql: string, options: CallOptions | undefined, waited = false): InlineRoute | undefined {
    const inline = this.#inline;
    if (inline === undefined || options?.signal !== undefined || options?.timeout !== undefined) return undefined;
    // A read that waited for this turn was submitted before close(): it is answered, like queued calls.
    if (waited && this.#pool.closed) return { reader: inline, placement: 'main', at: performance.now(), cost: 0 };
    // Limits hold on the workers' connections only (see settings-protocol.ts): reads go there.
    if (this.#pool.settings.limited) return undefined;
    if (this.#pool.closed || this.#pool.options.timeout > 0) return undefined;
    if (currentTransaction.getStore()?.active === true) return undefined;
    const route = inline.place(sql, this.#pool.readCost(sql));
    if (route?.placement === 'main') {
      // Connection settings made on the writer since this connection last ran (see connection-state.ts).
      const prelude = this.#pool.connectionState.catchUp(inline);
      if (prelude !== undefined) inline.apply(prelude);
    }
    return route;
  }
}
