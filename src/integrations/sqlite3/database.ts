/**
 * node-sqlite3's `Database`: one facade connection. It opens (or shares) the
 * threadlite pool for its file, queues calls with node-sqlite3's scheduling
 * rules (parallel by default, `serialize()` for strict order, `exec`/`close`/
 * `wait` and transaction boundaries exclusive), and keeps its own transaction
 * (see {@link Connection}).
 */
import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { Backup } from './backup';
import { type Callback, emit, enumerableMethods, errorsOnly, fail, invoke } from './callbacks';
import { ChangeEvents, requireNative } from './change-events';
import { Connection } from './connection';
import { DEFAULT_MODE, RESULT_CODES } from './constants';
import { sqliteError, toNodeError } from './errors';
import { acquirePool, type PoolShare } from './pool-registry';
import { Scheduler } from './scheduler';
import { Statement } from './statement';
import { HOST, type StatementHost } from './statement-host';

// One-shot calls use the statement methods as defined here, not as verbose()
// or a user may have patched them later: node-sqlite3's db.run() reaches its
// native Statement methods directly.
const { run, get, all, each, map } = Statement.prototype;

/** Events that cost something to produce, turned on by listening (node-sqlite3's `configure(event, true)`). */
const OBSERVED = new Set(['trace', 'profile', 'change']);

/**
 * A connection, as node-sqlite3's `Database`: `new Database(filename, [mode], [callback])`.
 * `mode` is a sum of `OPEN_*` flags (default `OPEN_READWRITE | OPEN_CREATE |
 * OPEN_FULLMUTEX`); `callback(err)` is called once open (or not), else
 * `'open'` or `'error'` is emitted. Facades on the same file share one
 * threadlite pool, closed with the last of them; `:memory:` and `''` get their own.
 *
 * ```js
 * const sqlite3 = require('threadlite/sqlite3');
 * const db = new sqlite3.Database('app.db');
 * db.serialize(() => {
 *   db.run('CREATE TABLE IF NOT EXISTS t(x)');
 *   db.run('INSERT INTO t VALUES (?)', 42, function (err) { console.log(this.lastID); });
 *   db.all('SELECT * FROM t', (err, rows) => console.log(rows));
 * });
 * db.close();
 * ```
 */
export class Database extends EventEmitter {
  /** The file name as given. */
  declare readonly filename: string;
  /** The `OPEN_*` flags it was opened with. */
  declare readonly mode: number;
  readonly #scheduler = new Scheduler();
  readonly #share: PoolShare;
  #connection: Connection | undefined;
  #closed = false;
  #live = 0;
  /** Events turned on by listening, and off when the last listener goes (node-sqlite3's `configure(event, bool)`). */
  readonly #observed = new Set<string>();
  /** The `change` event: recording on the pool's writer while this facade listens. */
  readonly #changes = new ChangeEvents(this);

  /** Opens `filename` (a path, `:memory:` or `''`); see the class description. */
  constructor(filename: string, mode?: number | Callback, callback?: Callback) {
    super();
    if (typeof filename !== 'string') throw new TypeError('String expected');
    if (typeof mode === 'function') {
      callback = mode;
      mode = undefined;
    }
    const flags = typeof mode === 'number' && Number.isInteger(mode) ? mode : DEFAULT_MODE;
    Object.defineProperty(this, 'filename', { value: filename });
    Object.defineProperty(this, 'mode', { value: flags });
    const cb = typeof callback === 'function' ? callback : undefined;
    this.on('newListener', (event: string) => {
      if (OBSERVED.has(event)) this.#observed.add(event);
    });
    this.on('removeListener', (event: string) => {
      if (OBSERVED.has(event) && this.listenerCount(event) === 0) this.#observed.delete(event);
    });
    this.#share = acquirePool(filename, flags);
    this.#share.pool.then(
      (pool) => {
        this.#connection = new Connection(pool);
        this.#changes.attach(pool);
        this.#scheduler.setOpen(); // as node-sqlite3: open before the callback, queued calls start after 'open'
        invoke(cb, this, [null]);
        emit(this, 'open');
        this.#scheduler.process();
      },
      (err: unknown) => {
        this.#closed = true;
        void this.#share.release();
        fail(this, cb, openError(err));
        const closed = sqliteError('MISUSE', 'Database is closed');
        for (const work of this.#scheduler.shutdown(closed)) work.fail(closed);
      },
    );
  }

  /** Whether the database is open (false before the open callback and after `close`). */
  get open(): boolean {
    return this.#scheduler.open;
  }

  /** @internal */
  get [HOST](): StatementHost {
    return {
      scheduler: this.#scheduler,
      connection: () => this.#connection as Connection,
      observe: (sql, ms) => {
        if (ms === undefined) {
          if (this.#observed.has('trace')) emit(this, 'trace', sql);
        } else if (this.#observed.has('profile')) emit(this, 'profile', sql, ms);
      },
      collectChanges: () => this.#changes.collector(),
      emitChanges: (collected) => this.#changes.emit(collected),
      refuse: (callback, err) => fail(this, callback, err),
      live: (delta) => {
        this.#live += delta;
      },
    };
  }

  /** Prepares a statement, optionally binding parameters; `callback(err)` once prepared. */
  prepare(sql: string, ...args: unknown[]): Statement {
    const statement = this.#statement(sql, args, false);
    return args.length > 0 ? statement.bind(...args) : statement;
  }

  /** Runs a statement; the callback's `this` carries `lastID` and `changes`. Returns the database. */
  run(sql: string, ...args: unknown[]): this {
    run.apply(this.#statement(sql, args, true), args).finalize();
    return this;
  }

  /** Calls back with the first row, or no row. */
  get(sql: string, ...args: unknown[]): this {
    get.apply(this.#statement(sql, args, true), args).finalize();
    return this;
  }

  /** Calls back with every row. */
  all(sql: string, ...args: unknown[]): this {
    all.apply(this.#statement(sql, args, true), args).finalize();
    return this;
  }

  /** Calls `callback(err, row)` for each row, then `complete(err, count)`. */
  each(sql: string, ...args: unknown[]): this {
    const n = args.length;
    const [onRow, complete] = [args[n - 2], args[n - 1]];
    if (n >= 2 && typeof onRow === 'function' && typeof complete === 'function') {
      // A statement that fails before its first row reports to `complete`, as
      // node-sqlite3's failed prepare does (here preparing and stepping are one round trip).
      let rows = 0;
      args[n - 2] = function (this: unknown, err: Error | null, row: unknown) {
        if (err && rows === 0) return complete.call(this, err);
        rows++;
        return onRow.call(this, err, row);
      };
    }
    each.apply(this.#statement(sql, args, true), args).finalize();
    return this;
  }

  /** Calls back with the rows keyed by their first column. */
  map(sql: string, ...args: unknown[]): this {
    map.apply(this.#statement(sql, args, true), args).finalize();
    return this;
  }

  /**
   * Backs the database up into a file: `backup(filename, [callback])`, or
   * `backup(filename, sourceName, destName, filenameIsDest, [callback])`. See {@link Backup}.
   */
  backup(filename: string, ...args: unknown[]): Backup {
    const backup =
      args.length <= 1
        ? new Backup(this, filename, 'main', 'main', true, args[0] as Callback | undefined)
        : new Backup(this, filename, args[0] as string, args[1] as string, args[2] as boolean, args[3] as Callback | undefined);
    backup.retryErrors = [RESULT_CODES.BUSY, RESULT_CODES.LOCKED];
    return backup;
  }

  /** Runs a script of `;`-separated statements, after everything queued before it and before anything after. */
  exec(sql: string, callback?: Callback): this {
    if (typeof sql !== 'string') throw new TypeError('Argument 0 must be a string');
    this.#exclusive(callback, (done) => {
      const collected = this.#changes.collector();
      (this.#connection as Connection).exec(sql, collected).then(
        () => {
          this.#changes.emit(collected);
          done(null);
        },
        (err: unknown) => {
          this.#changes.emit(collected);
          done(toNodeError(err));
        },
      );
    });
    return this;
  }

  /** Calls back once everything queued before it has finished. */
  wait(callback?: Callback): this {
    this.#exclusive(callback, (done) => done(null));
    return this;
  }

  /** Runs `callback` (if given) with calls queued in strict order, then restores the previous mode; without one, stays serialized. */
  serialize(callback?: () => void): this {
    return this.#mode(true, callback);
  }

  /** The opposite of {@link serialize}: calls start as soon as they are made. */
  parallelize(callback?: () => void): this {
    return this.#mode(false, callback);
  }

  /**
   * node-sqlite3's `configure(option, value)`. `'busyTimeout'` is accepted and
   * ignored (the pool's `busyTimeout` option applies). `configure('limit', id,
   * value)` is `sqlite3_limit` on every connection of this facade's pool (the
   * writer and every reader, those started later included), for statements
   * that begin from now on; it needs the native library and throws
   * `NativeUnavailableError` without it. `'trace'`, `'profile'` and `'change'`
   * are turned on by listening to the event.
   */
  configure(option: string, value?: unknown, extra?: unknown): this {
    if (arguments.length < 2) throw new TypeError('Wrong number of arguments');
    if (option === 'busyTimeout') {
      if (typeof value !== 'number') throw new TypeError('Value must be an integer');
    } else if (option === 'limit') {
      if (arguments.length < 3) throw new TypeError('Wrong number of arguments');
      if (typeof value !== 'number') throw new TypeError('limit id must be an integer');
      if (typeof extra !== 'number') throw new TypeError('limit value must be an integer');
      requireNative("configure('limit')");
      // In the database's queue, as node-sqlite3 schedules it: after what was called before it.
      const set = () => (this.#connection as Connection).pool.connectionSettings.setLimit(Math.trunc(value), Math.trunc(extra));
      this.#scheduler.schedule({ run: (done) => { set(); done(); }, fail: () => {} });
    } else if (!OBSERVED.has(option)) {
      throw new TypeError(`${String(option)} is not a valid configuration option`);
    }
    return this;
  }

  /** Not available: extensions load in every worker through the pool's `setup` module. Reports `SQLITE_ERROR`. */
  loadExtension(filename: string, callback?: Callback): this {
    if (typeof filename !== 'string') throw new TypeError('Argument 0 must be a string');
    this.#exclusive(callback, (done) =>
      done(sqliteError('ERROR', 'loadExtension is not available in threadlite/sqlite3: load extensions with the pool\'s setup module (setOpenOptions({ setup }))')),
    );
    return this;
  }

  /**
   * Interrupts this connection's running statements, which fail with
   * `SQLITE_INTERRUPT: interrupted` (its queued ones fail the same way); other
   * facades on the pool are not affected. Does nothing when the pool cannot
   * interrupt (`stats().cancellation === 'terminate'`: its native library did not load).
   * Throws if the database is not open or is closing.
   */
  interrupt(): this {
    if (!this.open) throw new Error('Database is not open');
    if (this.#closed) throw new Error('Database is closing');
    this.#connection?.interrupt();
    return this;
  }

  /**
   * Closes the connection after everything queued before it: rolls back a
   * transaction it left open and gives back its share of the pool. Fails with
   * `SQLITE_BUSY` while statements from `prepare()` are not finalized.
   */
  close(callback?: Callback): this {
    this.#exclusive(callback, (done) => {
      if (this.#live > 0) return done(sqliteError('BUSY', 'unable to close due to unfinalized statements or unfinished backups'));
      this.#closed = true;
      this.#changes.detach();
      const connection = this.#connection as Connection;
      connection
        .rollbackOpen()
        .then(() => this.#share.release())
        .then(
          () => {
            const queued = this.#scheduler.shutdown(sqliteError('MISUSE', 'Database is closed'));
            done(null);
            emit(this, 'close');
            for (const work of queued) work.fail(sqliteError('MISUSE', 'Database handle is closed'));
          },
          (err: unknown) => done(toNodeError(err)),
        );
    });
    return this;
  }

  #statement(sql: string, args: unknown[], oneShot: boolean): Statement {
    const last = args[args.length - 1];
    const errBack = typeof last === 'function' ? errorsOnly(last as Callback) : undefined;
    return new Statement(this, sql, errBack, oneShot);
  }

  /** Schedules exclusive work whose result goes to `callback` (this = the database) or to `'error'`. */
  #exclusive(callback: Callback | undefined, body: (done: (err: Error | null) => void) => void): void {
    const cb = typeof callback === 'function' ? callback : undefined;
    const scope = new AsyncResource('sqlite3.Database');
    this.#scheduler.schedule(
      {
        run: (finished) => {
          body((err) => {
            finished();
            if (err !== null) fail(this, cb, err, scope);
            else invoke(cb, this, [null], scope);
          });
        },
        fail: (err) => fail(this, cb, err, scope),
      },
      true,
    );
  }

  #mode(serialize: boolean, callback?: () => void): this {
    const before = this.#scheduler.serialize;
    this.#scheduler.serialize = serialize;
    if (typeof callback === 'function') {
      try {
        callback.call(this);
      } finally {
        this.#scheduler.serialize = before;
      }
    }
    this.#scheduler.process();
    return this;
  }
}
enumerableMethods(Database.prototype);

/** node-sqlite3's error for a database that cannot open: better-sqlite3's "directory does not exist" is `SQLITE_CANTOPEN` too. */
function openError(err: unknown): Error {
  if (err instanceof TypeError && /^Cannot open database/.test(err.message)) {
    return sqliteError('CANTOPEN', 'unable to open database file');
  }
  return toNodeError(err);
}
