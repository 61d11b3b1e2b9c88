/**
 * What makes a facade `Database` its own connection on a shared pool: its
 * transaction. Outside a transaction a statement goes to the pool (reads to
 * readers, writes to the writer, in order). A `BEGIN` (or a `SAVEPOINT`
 * outside a transaction) takes a writer lease through {@link HeldTransaction},
 * exactly as threadlite/kysely and threadlite/prisma do: until `COMMIT` /
 * `ROLLBACK` this connection's statements run inside it, other facades' writes
 * wait for the writer, and other facades' reads keep running on readers and
 * see only committed data.
 */
import type { Database as Pool } from '../../database';
import type { Queryable } from '../../queryable';
import type { CallOptions, TransactionMode } from '../../types';
import type { ChangeBatch } from '../../settings-protocol';
import { HeldTransaction } from '../held-transaction';
import type { Bound } from './binding';
import { withChangeSink } from './change-events';
import { sqliteError } from './errors';
import { parseStatement, splitStatements, type TransactionControl, transactionControl } from '../../sql-text';

/** What one statement call produced. @internal */
export interface Outcome {
  rows: unknown[];
  /** node-sqlite3's `this.lastID` after `run`. */
  lastID: number;
  /** node-sqlite3's `this.changes` after `run`. */
  changes: number;
}

const NO_DATA = 'This statement does not return data. Use run() instead';
/** The abort reason of {@link Connection.interrupt}: an AbortError with it as cause becomes `SQLITE_INTERRUPT`. */
const INTERRUPTED = Symbol('threadlite.sqlite3.interrupt');

/** node-sqlite3's error for an interrupted statement, for a call that {@link Connection.interrupt} cancelled. */
function interrupted(err: unknown): unknown {
  const cause = (err as { code?: unknown; cause?: unknown } | null)?.cause;
  return (err as { code?: unknown } | null)?.code === 'ABORT_ERR' && cause === INTERRUPTED ? sqliteError('INTERRUPT', 'interrupted') : err;
}
/** SQL texts better-sqlite3 said return no rows, so `all`/`get` of them go straight to `run` (bounded). */
const nonReaders = new Set<string>();
const MAX_NON_READERS = 1000;

/** A facade connection's view of the pool. @internal */
export class Connection {
  readonly pool: Pool;
  #held: HeldTransaction | undefined;
  /** Savepoint names (upper-cased unless quoted) open inside the held transaction. */
  #savepoints: string[] = [];
  /** Whether the held transaction was started by a SAVEPOINT rather than BEGIN. */
  #implicit = false;
  #lastID = 0;
  #changes = 0;
  /**
   * Aborted by {@link interrupt}: every call carries its signal, so threadlite
   * interrupts the statements running for this connection (and drops its
   * queued ones). Only when the pool cancels by interrupt (its native
   * library loaded); without it a cancellable call would run alone on its worker.
   */
  #controller: AbortController | undefined;
  #options: { signal: AbortSignal } | undefined;

  constructor(pool: Pool) {
    this.pool = pool;
    if (pool.stats().cancellation === 'interrupt') this.#renew();
  }

  /** Interrupts this connection's running and queued statements (node-sqlite3's `interrupt()`); false if the pool cannot interrupt. */
  interrupt(): boolean {
    const controller = this.#controller;
    if (controller === undefined) return false;
    this.#renew();
    controller.abort(INTERRUPTED);
    return true;
  }

  #renew(): void {
    this.#controller = new AbortController();
    this.#options = { signal: this.#controller.signal };
  }

  /** Whether this connection holds an open transaction. */
  get inTransaction(): boolean {
    return this.#held !== undefined;
  }

  /** Where statements go now: the held transaction, or the pool. */
  get #target(): Queryable {
    return this.#held?.handle ?? this.pool;
  }

  /**
   * Runs one statement: `run` steps it for its side effects (`lastID`,
   * `changes`), `all`/`get` return its rows. A transaction-control statement
   * changes this connection's transaction instead of going to the pool.
   * `collected` (when someone listens to `change`) receives the rows the
   * statement changed.
   */
  async execute(op: 'run' | 'all' | 'get', bound: Bound, control: TransactionControl | undefined, collected?: ChangeBatch[]): Promise<Outcome> {
    if (control !== undefined) {
      await this.#control(control, bound.sql);
      return { rows: [], lastID: this.#lastID, changes: op === 'run' ? 0 : this.#changes };
    }
    const target = this.#target;
    const options = withChangeSink(this.#options, collected);
    try {
      if (op === 'run' || nonReaders.has(bound.sql)) return await this.#run(target, bound, options);
      if (op === 'get') {
        const row = await target.get(bound.sql, bound.params as never, options);
        return { rows: row === undefined ? [] : [row], lastID: this.#lastID, changes: this.#changes };
      }
      return { rows: await target.all(bound.sql, bound.params as never, options), lastID: this.#lastID, changes: this.#changes };
    } catch (err) {
      if (err instanceof TypeError && err.message === NO_DATA) return this.#nonReader(target, bound, options);
      throw await this.#checkHeld(err);
    }
  }

  /**
   * Runs a statement and calls `onRow` with each row as it arrives (rows come
   * a chunk at a time from a cursor on one connection), resolving with the count.
   */
  async each(bound: Bound, control: TransactionControl | undefined, onRow: (row: unknown) => void, collected?: ChangeBatch[]): Promise<number> {
    if (control !== undefined) {
      await this.#control(control, bound.sql);
      return 0;
    }
    const target = this.#target;
    const options = withChangeSink(this.#options, collected);
    let count = 0;
    try {
      if (nonReaders.has(bound.sql)) {
        await this.#run(target, bound, options);
        return 0;
      }
      for await (const row of target.iterate(bound.sql, bound.params as never, options)) {
        count++;
        onRow(row);
      }
      return count;
    } catch (err) {
      if (count === 0 && err instanceof TypeError && err.message === NO_DATA) {
        await this.#nonReader(target, bound, options);
        return 0;
      }
      throw await this.#checkHeld(err);
    }
  }

  async #run(target: Queryable, bound: Bound, options: CallOptions | undefined = this.#options): Promise<Outcome> {
    try {
      return this.#noted(await target.run(bound.sql, bound.params as never, options), []);
    } catch (err) {
      throw await this.#checkHeld(err);
    }
  }

  /** better-sqlite3 said the statement returns no rows: remember it, and run it. */
  #nonReader(target: Queryable, bound: Bound, options: CallOptions | undefined): Promise<Outcome> {
    if (nonReaders.size >= MAX_NON_READERS) nonReaders.clear();
    nonReaders.add(bound.sql);
    return this.#run(target, bound, options);
  }

  /** Checks that a statement prepares (`db.prepare(sql, callback)` reports errors there). */
  async prepare(sql: string): Promise<void> {
    const parsed = parseStatement(sql);
    if (parsed.control !== undefined || parsed.empty) return;
    try {
      await this.#target.prepare(sql).info(this.#options);
    } catch (err) {
      throw await this.#checkHeld(err);
    }
  }

  /**
   * Runs a script of statements, as `sqlite3_exec`: one message to the pool
   * when it holds no transaction-control statement, else statement by
   * statement so that its BEGIN and COMMIT take and give back the writer.
   */
  async exec(sql: string, collected?: ChangeBatch[]): Promise<void> {
    const statements = splitStatements(sql);
    const options = withChangeSink(this.#options, collected);
    if (!statements.some((s) => transactionControl(s) !== undefined)) {
      await this.#exec(sql, options);
      return;
    }
    let chunk = '';
    for (const statement of statements) {
      const control = transactionControl(statement);
      if (control === undefined) {
        chunk += `${statement}\n`;
        continue;
      }
      if (chunk !== '') await this.#exec(chunk, options);
      chunk = '';
      await this.#control(control, statement);
    }
    if (chunk !== '') await this.#exec(chunk, options);
  }

  /** Rolls back a transaction left open (on close). Never rejects. */
  async rollbackOpen(): Promise<void> {
    const held = this.#held;
    this.#held = undefined;
    await held?.end(false, true);
  }

  async #exec(sql: string, options: CallOptions | undefined = this.#options): Promise<void> {
    try {
      await this.#target.exec(sql, options);
    } catch (err) {
      throw await this.#checkHeld(err);
    }
  }

  #noted(result: { changes: number; lastInsertRowid: number | bigint }, rows: unknown[]): Outcome {
    this.#lastID = Number(result.lastInsertRowid);
    this.#changes = result.changes;
    return { rows, lastID: this.#lastID, changes: this.#changes };
  }

  /** After a failure inside a held transaction that has ended (timeout, crashed worker), forgets it. */
  async #checkHeld(err: unknown): Promise<unknown> {
    err = interrupted(err);
    const held = this.#held;
    if (held !== undefined && !held.handle.active) {
      this.#held = undefined;
      await held.end(false, true);
    }
    return err;
  }

  async #control(control: TransactionControl, sql: string): Promise<void> {
    const held = this.#held;
    switch (control.kind) {
      case 'begin':
        if (held !== undefined) return this.#exec(sql); // SQLite: "cannot start a transaction within a transaction"
        await this.#begin(control.mode, false);
        return;
      case 'commit':
      case 'rollback':
        if (held === undefined) return this.#exec(sql); // SQLite: "no transaction is active"
        this.#held = undefined;
        await held.end(control.kind === 'commit');
        return;
      case 'savepoint':
        if (held === undefined) await this.#begin('deferred', true);
        try {
          await this.#exec(sql);
        } catch (err) {
          if (held === undefined) await this.rollbackOpen();
          throw err;
        }
        this.#savepoints.push(control.name.toUpperCase());
        return;
      case 'release':
      case 'rollback-to': {
        if (held === undefined) return this.#exec(sql); // SQLite: "no such savepoint"
        await this.#exec(sql);
        const at = this.#savepoints.lastIndexOf(control.name.toUpperCase());
        if (at >= 0) this.#savepoints.length = control.kind === 'release' ? at : at + 1;
        if (control.kind === 'release' && this.#implicit && this.#savepoints.length === 0) {
          // The outermost savepoint was the transaction (SQLite commits on its RELEASE).
          this.#held = undefined;
          await held.end(true);
        }
        return;
      }
    }
  }

  async #begin(mode: TransactionMode, implicit: boolean): Promise<void> {
    this.#held = await HeldTransaction.begin(this.pool, mode);
    this.#savepoints = [];
    this.#implicit = implicit;
  }
}
