/**
 * node-sqlite3's `Statement`: a statement prepared on one facade connection,
 * with its own queue of calls (each waits for the one before it), its
 * bindings (kept between calls until new parameters are given), and a `get()`
 * that steps through the rows one call at a time until `reset()`.
 */
import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { bind, type Fields, parseArgs } from './binding';
import { type Callback, enumerableMethods, fail, invoke } from './callbacks';
import type { Connection, Outcome } from './connection';
import { sqliteError, toNodeError } from './errors';
import { Fifo } from './fifo';
import type { ChangeBatch } from '../../settings-protocol';
import { HOST, type StatementHost } from './statement-host';
import { type ParsedStatement, parseStatement } from '../../sql-text';

/** Pipelined `run` calls one statement may have in flight (the pool's per-worker pipeline depth). */
const PIPELINE = 64;

/** Where `get()` is in the statement's rows: not started, part-way, or past the last row. */
type Cursor = undefined | 'done' | { rows: unknown[]; pos: number; complete: boolean };

/**
 * A prepared statement, as node-sqlite3's `Statement`: made by
 * `db.prepare(sql, [params…], [callback])` (or `new Statement(db, sql, [callback])`).
 * Every method returns the statement (`finalize()` returns the database) and
 * reports to its callback, whose `this` is the statement; without a callback,
 * an error is emitted as `'error'` on the statement.
 *
 * ```js
 * const stmt = db.prepare('INSERT INTO t VALUES (?, ?)');
 * stmt.run(1, 'a').run(2, 'b', function (err) { console.log(this.lastID, this.changes); });
 * stmt.finalize();
 * ```
 */
export class Statement extends EventEmitter {
  /** The SQL text given to `prepare`. */
  declare readonly sql: string;
  /** After `run`: the rowid of the last row inserted on the connection. */
  lastID?: number;
  /** After `run`: rows changed by the statement. */
  changes?: number;
  readonly #db: object;
  readonly #host: StatementHost;
  readonly #parsed: ParsedStatement;
  readonly #queue = new Fifo<{ call: () => void; callback: Callback | undefined; pipelined?: boolean }>();
  /** Pipelined `run` calls sent and not yet answered (see {@link PIPELINE}). */
  #inflight = 0;
  /** Settles once the last started call has delivered its callback: callbacks keep call order. */
  #delivered: Promise<void> = Promise.resolve();
  #fields: Fields;
  #cursor: Cursor;
  #prepared = false;
  #locked = false;
  #finalized = false;
  #counted = false;
  /** Ends an exclusive one-shot statement's turn in the database queue once its call has finished. */
  #whenIdle: (() => void) | undefined;

  /** Prepares `sql` on `db`; `callback(err)` is told if it cannot be prepared. */
  constructor(db: object, sql: string, callback?: Callback, oneShot = false) {
    super();
    const host = (db as { [HOST]?: StatementHost } | null | undefined)?.[HOST];
    if (host === undefined) throw new TypeError('Database object expected');
    if (typeof sql !== 'string') throw new TypeError('SQL query expected');
    if (callback !== undefined && typeof callback !== 'function') throw new TypeError('Callback expected');
    Object.defineProperty(this, 'sql', { value: sql });
    this.#db = db;
    this.#host = host;
    this.#parsed = parseStatement(sql);
    // A one-shot BEGIN/COMMIT/ROLLBACK/SAVEPOINT… is exclusive, as db.exec() is: what was
    // queued before it runs before it, what comes after it runs after (inside the transaction).
    const exclusive = oneShot && this.#parsed.control !== undefined;
    host.scheduler.schedule({
      run: (done) => {
        if (oneShot) {
          // One-shot statements (db.run/get/all/each) skip the extra round trip:
          // a statement that cannot be prepared fails its one call instead.
          if (exclusive) {
            this.#whenIdle = done;
            this.#opened(callback, () => {});
          } else {
            this.#opened(callback, done);
          }
          return;
        }
        host
          .connection()
          .prepare(this.#parsed.sql)
          .then(
            () => this.#opened(callback, done),
            (err: unknown) => {
              fail(this, callback, toNodeError(err));
              this.#finalize();
              done();
            },
          );
      },
      fail: (err) => {
        host.refuse(callback, err);
        this.#queue.clear();
        this.#finalize();
      },
    }, exclusive);
  }

  #opened(callback: Callback | undefined, done: () => void): void {
    this.#prepared = true;
    // An empty statement has no SQLite handle (node-sqlite3 prepares it as NULL): it does not keep close() from closing.
    this.#counted = !this.#parsed.empty;
    if (this.#counted) this.#host.live(1);
    invoke(callback, this, [null]);
    this.#process();
    done();
  }

  /** Binds parameters for later calls: `bind(1, 'a')`, `bind([1, 'a'])`, `bind({ $id: 1 })`. */
  bind(...args: unknown[]): this {
    const { fields, callback } = parseArgs(args);
    this.#schedule(callback, async (scope) => {
      if (fields !== undefined) this.#rebind(fields);
      return () => invoke(callback, this, [null], scope);
    });
    return this;
  }

  /**
   * Runs the statement; the callback's `this` carries `lastID` and `changes`.
   * Consecutive `run` calls are sent without waiting for each other's answer
   * (they run in order on the writer; callbacks fire in order), as a bulk insert needs.
   */
  run(...args: unknown[]): this {
    const { fields, callback } = parseArgs(args);
    const pipelined = this.#parsed.control === undefined;
    this.#schedule(
      callback,
      async (scope, previous, collected) => {
        const outcome = await this.#execute('run', fields, collected);
        await previous;
        return () => {
          this.lastID = outcome.lastID;
          this.changes = outcome.changes;
          this.#host.emitChanges(collected);
          invoke(callback, this, [null], scope);
        };
      },
      pipelined,
    );
    return this;
  }

  /** Calls back with the next row (the first after new parameters or `reset()`), or no row past the last. */
  get(...args: unknown[]): this {
    const { fields, callback } = parseArgs(args);
    this.#schedule(callback, async (scope, _previous, collected) => {
      if (fields !== undefined) this.#rebind(fields);
      let cursor = this.#cursor;
      if (cursor === 'done') return () => invoke(callback, this, [null], scope);
      if (cursor === undefined) {
        cursor = { rows: (await this.#execute('get', undefined, collected)).rows, pos: 0, complete: false };
      } else if (cursor.pos >= cursor.rows.length && !cursor.complete) {
        // A second get() without reset: read the rest (node-sqlite3 steps the same cursor).
        cursor = { rows: (await this.#execute('all', undefined, collected)).rows, pos: cursor.pos, complete: true };
      }
      const row = cursor.rows[cursor.pos++];
      this.#cursor = row === undefined ? 'done' : cursor;
      return () => invoke(callback, this, row === undefined ? [null] : [null, row], scope);
    });
    return this;
  }

  /** Calls back with every row (an empty array for none). */
  all(...args: unknown[]): this {
    const { fields, callback } = parseArgs(args);
    this.#schedule(callback, async (scope, _previous, collected) => {
      const { rows } = await this.#execute('all', fields, collected);
      return () => invoke(callback, this, [null, rows], scope);
    });
    return this;
  }

  /** Calls `callback(err, row)` for each row, then `complete(err, count)`. */
  each(...args: unknown[]): this {
    let complete: Callback | undefined;
    const n = args.length;
    if (n >= 2 && typeof args[n - 1] === 'function' && typeof args[n - 2] === 'function') complete = args.pop() as Callback;
    const { fields, callback } = parseArgs(args);
    this.#schedule(callback, async (scope, _previous, collected) => {
      const count = await this.#execute('each', fields, collected, (row) => invoke(callback, this, [null, row], scope));
      return () => invoke(complete, this, [null, count], scope);
    });
    return this;
  }

  /** Calls back with the rows keyed by their first column: `{ key: row }`, or `{ key: value }` for two columns. */
  map(...args: unknown[]): this {
    const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as Callback) : undefined;
    return this.all(...args, (err: Error | null, rows: Record<string, unknown>[]) => {
      if (err) return invoke(callback, this, [err]);
      const result: Record<string, unknown> = {};
      const first = rows[0];
      if (first !== undefined) {
        const keys = Object.keys(first);
        const [key = '', value = ''] = keys;
        for (const row of rows) result[String(row[key])] = keys.length > 2 ? row : row[value];
      }
      invoke(callback, this, [err, result]);
    });
  }

  /** Ends a `get()` walk: the next `get()` starts from the first row. Bindings stay. */
  reset(callback?: Callback): this {
    this.#schedule(callback, async (scope) => {
      this.#cursor = undefined;
      return () => invoke(callback, this, [null], scope);
    });
    return this;
  }

  /** Frees the statement once its queued calls have run; later calls fail with `SQLITE_MISUSE`. Returns the database. */
  finalize(callback?: Callback): object {
    const run = () => {
      this.#finalize();
      invoke(callback, this, []);
    };
    if (this.#finalized) {
      this.#queue.push({ call: run, callback });
      this.#cleanQueue();
    } else if (!this.#prepared || this.#locked || this.#inflight > 0 || this.#queue.length > 0) {
      this.#queue.push({ call: run, callback });
    } else {
      run();
    }
    return this.#db;
  }

  #rebind(fields: Fields): void {
    this.#cursor = undefined;
    this.#fields = undefined;
    bind(this.#parsed, fields); // throws SQLITE_RANGE as node-sqlite3's bind would
    this.#fields = fields;
  }

  /** Runs the statement on the connection with new or current bindings, reporting trace/profile. */
  #execute(op: 'run' | 'all' | 'get', fields: Fields, collected: ChangeBatch[] | undefined): Promise<Outcome>;
  #execute(op: 'each', fields: Fields, collected: ChangeBatch[] | undefined, onRow: (row: unknown) => void): Promise<number>;
  async #execute(op: 'run' | 'all' | 'get' | 'each', fields: Fields, collected: ChangeBatch[] | undefined, onRow?: (row: unknown) => void): Promise<Outcome | number> {
    if (fields !== undefined) this.#rebind(fields);
    else if (op !== 'get') this.#cursor = undefined;
    const bound = bind(this.#parsed, this.#fields);
    // Nothing to run, as sqlite3_exec('').
    if (this.#parsed.empty) return op === 'each' ? 0 : { rows: [], lastID: 0, changes: 0 };
    const started = performance.now();
    this.#host.observe(this.#parsed.sql, undefined);
    const connection = this.#host.connection();
    const outcome =
      op === 'each'
        ? await connection.each(bound, this.#parsed.control, onRow as (row: unknown) => void, collected)
        : await connection.execute(op, bound, this.#parsed.control, collected);
    this.#host.observe(this.#parsed.sql, performance.now() - started);
    // Before the callback; `run` emits once the calls before it have called back (pipelined).
    if (op !== 'run') this.#host.emitChanges(collected);
    return outcome;
  }

  /**
   * Queues a call behind the statement's earlier calls (node-sqlite3's `Statement::Schedule`).
   * `body` resolves with the call's callback, run in one step with what is queued behind it (a
   * `finalize()`), as node-sqlite3 does: answers from a ring settle many calls in one task.
   */
  #schedule(
    callback: Callback | undefined,
    body: (scope: AsyncResource | undefined, previous: Promise<void>, collected: ChangeBatch[] | undefined) => Promise<(() => void) | void>,
    pipelined = false,
  ): void {
    // The caller's async context, for its callback (none to keep for a call without one: a bulk insert's rows).
    const scope = callback === undefined ? undefined : new AsyncResource('sqlite3.Statement');
    const call = () => {
      if (pipelined) this.#inflight++;
      else this.#locked = true;
      const end = this.#host.scheduler.track();
      const previous = this.#delivered;
      let delivered!: () => void;
      this.#delivered = new Promise((resolve) => (delivered = resolve));
      // When the call starts: a listener added later sees the calls made after it.
      const collected = this.#host.collectChanges();
      const failed = async (err: unknown) => {
        await previous;
        return () => {
          this.#host.emitChanges(collected); // a statement may change rows, then fail (node-sqlite3 emits those too)
          fail(this, callback, toNodeError(err), scope);
        };
      };
      void body(scope, previous, collected)
        .then(undefined, failed)
        .then((deliver) => {
          deliver?.();
          delivered();
          if (pipelined) this.#inflight--;
          else this.#locked = false;
          end();
          this.#process();
          const idle = this.#whenIdle;
          if (idle !== undefined && !this.#locked && this.#inflight === 0 && this.#queue.length === 0) {
            this.#whenIdle = undefined;
            idle();
          }
          this.#host.scheduler.process();
        });
    };
    this.#queue.push({ call, callback, pipelined });
    if (this.#finalized) this.#cleanQueue();
    else if (this.#prepared && !this.#locked) this.#process();
  }

  #process(): void {
    if (this.#finalized) return this.#cleanQueue();
    while (this.#prepared && !this.#locked) {
      const next = this.#queue.peek();
      if (next === undefined || (next.pipelined === true ? this.#inflight >= PIPELINE : this.#inflight > 0)) return;
      this.#queue.shift();
      next.call();
    }
  }

  #finalize(): void {
    if (this.#finalized) return;
    this.#finalized = true;
    if (this.#counted) this.#host.live(-1);
    this.#cleanQueue();
  }

  /** Fails the calls queued after finalize (silently if the statement never prepared, as node-sqlite3). */
  #cleanQueue(): void {
    const queued = this.#queue.clear();
    if (queued.length === 0 || !this.#prepared) return;
    const err = sqliteError('MISUSE', 'Statement is already finalized');
    let called = false;
    for (const { callback } of queued) {
      if (typeof callback !== 'function') continue;
      invoke(callback, this, [err]);
      called = true;
    }
    if (!called) fail(this, undefined, err);
  }
}
enumerableMethods(Statement.prototype);
