/**
 * One better-sqlite3 connection inside a worker, and the requests it executes.
 * Runs only inside a worker thread.
 */
import { performance } from 'node:perf_hooks';
import { serializeError } from '../errors';
import {
  BOUNCED,
  Cell,
  type Request,
  type Response,
  RowMode,
  type StatementRequest,
  type WorkerConfig,
} from '../protocol';
import type { BindParameters, RunResult } from '../types';
import { BatchRunner } from './batch-runner';
import { openBetterSqlite3, runSetup } from './better-sqlite3';
import { decodeParams } from '../params';
import { InterruptGuard } from './interrupt-guard';
import { LocalState } from './local-state';
import { Cursors } from './cursors';
import { applyMode, protoRebuild, rowsPayload, setOwnProtoColumns } from './row-shape';
import { NativeObjects } from './native-objects';
import { type PostRows, sendRows, streamRows } from './row-stream';
import { deserializedImage, runOperation } from './operations';
import type { SqliteDatabase, SqliteStatement } from './sqlite-api';
import { type CachedStatement, StatementCache } from './statement-cache';

// Statements observed to take longer than this are "heavy": responses already
// computed are posted before one starts, so light results never wait behind it.
const HEAVY_MS = 1;

/** @internal */
export class Connection {
  readonly #db: SqliteDatabase;
  readonly #config: WorkerConfig;
  readonly #cache: StatementCache;
  readonly #natives: NativeObjects;
  readonly #cursors: Cursors;
  readonly #batches: BatchRunner;
  /** Lets the main thread interrupt exactly the request that runs (see interrupt-guard.ts). */
  readonly #guard: InterruptGuard;
  /** Why the native library did not load into this connection, if it did not. */
  readonly nativeError: string | undefined;
  /** The writer's TEMP objects and attached databases (see local-state.ts); none on readers. */
  readonly #local: LocalState | undefined;
  readonly #post: PostRows;

  private constructor(db: SqliteDatabase, config: WorkerConfig, natives: NativeObjects, guard: InterruptGuard, post: PostRows, nativeError?: string) {
    this.#db = db;
    this.#post = post;
    this.#config = config;
    this.#natives = natives;
    this.#cursors = new Cursors(natives);
    this.#guard = guard;
    this.nativeError = nativeError;
    this.#cache = new StatementCache(db, config.statementCacheSize, (stmt) => natives.release(stmt));
    // After `setup`: what it attached or created is on every connection.
    this.#local = config.role === 'writer' ? new LocalState(db) : undefined;
    this.#batches = new BatchRunner(db, this.#cache, guard, config.safeIntegers);
  }

  /**
   * Opens the connection, applies pragmas and runs the `setup` module. Throws
   * on failure. `post` sends chunks of a large result ahead of its answer.
   */
  static async open(config: WorkerConfig, cells: Int32Array, post: PostRows): Promise<Connection> {
    const db = openBetterSqlite3(config.deserialize === undefined ? config.file : deserializedImage(config.deserialize), {
      readonly: config.readonly || config.role === 'reader',
      fileMustExist: config.fileMustExist || config.role === 'reader',
      timeout: config.busyTimeout,
    });
    const natives = new NativeObjects(true);
    natives.adopt(db, { iterators: true });
    let attached: ReturnType<typeof InterruptGuard.attach>;
    try {
      if (config.role === 'writer' && config.wal && !config.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      for (const [name, value] of config.pragmas) db.pragma(`${name} = ${value}`);
      if (config.safeIntegers) db.defaultSafeIntegers(true);
      const probe = db.prepare('SELECT 1 AS __proto__');
      setOwnProtoColumns(Object.hasOwn(probe.get() as object, '__proto__'));
      natives.release(probe);
      // Lets a query that calls it stop when the pool cancels it (see docs/architecture.md).
      db.function('threadlite_interrupted', { varargs: false, deterministic: false }, () =>
        Atomics.load(cells, Cell.interrupt),
      );
      // Before `setup`: the user's statements are interruptible too.
      attached = InterruptGuard.attach(db, cells, config.native, (stmt) => natives.release(stmt));
      if (config.setup !== undefined) await runSetup(config.setup, db, config.role);
    } catch (err) {
      db.close();
      throw err;
    }
    return new Connection(db, config, natives, attached.guard, post, attached.error);
  }

  /** Whether the main thread can interrupt this connection's statements. */
  get interruptible(): boolean {
    return this.#guard.enabled;
  }

  /** Whether `request` should be answered before it starts, because it may take long. */
  isHeavy(request: Request): boolean {
    if (request.op !== 'all' && request.op !== 'iterate' && request.op !== 'get' && request.op !== 'run') {
      return request.op === 'exec' || request.op === 'batch';
    }
    return (this.#lastCost.get(request.sql) ?? HEAVY_MS) >= HEAVY_MS;
  }

  readonly #lastCost = new Map<string, number>();

  /** Executes one request; never throws. */
  execute(request: Request): Response {
    const start = performance.now();
    let readerSafe: boolean | undefined;
    // Whether the request could change the writer's connection-local state.
    let mayChange = false;
    const guard = this.#guard;
    try {
      let value: unknown;
      switch (request.op) {
        case 'next':
          guard.begin(request.id);
          value = this.#cursors.next(request.cursor, request.count);
          break;
        case 'close-cursor':
          this.#cursors.close(request.cursor);
          value = null;
          break;
        default: {
          this.#cursors.freeConnection();
          if (request.prelude !== undefined) this.#applyPrelude(request.prelude);
          mayChange = request.op !== 'close';
          switch (request.op) {
            case 'exec':
              guard.begin(request.id);
              this.#db.exec(request.sql);
              value = null;
              break;
            case 'batch':
              value = this.#batches.run(request);
              break;
            case 'close':
              this.#close();
              value = null;
              break;
            case 'operation':
              value = runOperation(this.#db, this.#natives, request.action);
              break;
            default: {
              const entry = this.#cache.get(request.sql, this.#config.safeIntegers);
              readerSafe = entry.readerSafe;
              mayChange = entry.mayChangeState;
              const bounce =
                this.#config.role === 'writer' ? readerSafe && !this.#db.inTransaction && this.#local?.holds !== true : !readerSafe;
              if (request.probe === true && bounce) {
                return { id: request.id, ok: true, value: BOUNCED, readerSafe, bounced: true, cost: 0, inTransaction: false };
              }
              guard.begin(request.id);
              value = this.#statement(entry, request);
            }
          }
        }
      }
      if (guard.end(request.id)) this.#lateInterrupt(request);
      const cost = performance.now() - start;
      if ('sql' in request) this.#lastCost.set(request.sql, cost);
      const response: Response = { id: request.id, ok: true, value, readerSafe, cost, inTransaction: this.#db.inTransaction };
      if (mayChange && this.#local !== undefined) response.local = this.#local.update();
      return response;
    } catch (err) {
      guard.end(request.id);
      const cost = performance.now() - start;
      const response: Response = {
        id: request.id,
        ok: false,
        error: serializeError(err),
        readerSafe,
        cost,
        inTransaction: this.#safeInTransaction(),
      };
      if (mayChange && this.#local !== undefined) response.local = this.#local.update();
      return response;
    }
  }

  /**
   * Applies connection settings made on the writer (see
   * engine/connection-state.ts). One this connection refuses is skipped: the
   * writer accepted it, and a read-only connection refuses only settings that
   * concern writes.
   */
  #applyPrelude(statements: readonly string[]): void {
    for (const statement of statements) {
      try {
        this.#db.exec(statement);
      } catch {
        // See above.
      }
    }
  }

  /**
   * An interrupt reached a request whose statement finished anyway. SQLite
   * clears the flag when the next statement starts, unless a statement is
   * still active: the request's own cursor, which would fail at its next
   * step. The call was cancelled, so close that cursor and say so now.
   */
  #lateInterrupt(request: Request): void {
    const cursor = request.op === 'iterate' ? request.id : request.op === 'next' ? request.cursor : undefined;
    if (cursor === undefined || !this.#cursors.isLive(cursor)) return;
    this.#cursors.close(cursor);
    throw Object.assign(new Error('interrupted'), { name: 'SqliteError', code: 'SQLITE_INTERRUPT' });
  }

  #safeInTransaction(): boolean {
    try {
      return this.#db.inTransaction;
    } catch {
      return false;
    }
  }

  #statement(entry: CachedStatement, request: StatementRequest): unknown {
    const { stmt } = entry;
    if (request.op === 'describe') {
      return { reader: stmt.reader, readonly: stmt.readonly, columns: stmt.reader ? stmt.columns() : null };
    }
    const safe = request.safeIntegers ?? this.#config.safeIntegers;
    if (entry.safeIntegers !== safe) {
      stmt.safeIntegers(safe);
      entry.safeIntegers = safe;
    }
    // A column named __proto__ would be lost by structured clone: send arrays
    // and let the main thread assign keys the way better-sqlite3 does.
    const rebuild = stmt.reader ? protoRebuild(entry, request.mode) : undefined;
    const mode = rebuild === undefined ? request.mode : RowMode.raw;
    if (entry.mode !== mode) {
      applyMode(entry, mode);
    }
    const params = decodeParams(request.params, request.opaque) as BindParameters | undefined;
    switch (request.op) {
      case 'run':
        // With interrupt, an interrupted statement leaves nothing, so no wrapping transaction is needed.
        if (request.atomic === true && !this.#guard.enabled && !stmt.readonly && !this.#db.inTransaction) return this.#atomicRun(stmt, params);
        return params === undefined ? stmt.run() : stmt.run(params);
      case 'get': {
        const row = params === undefined ? stmt.get() : stmt.get(params);
        return rowsPayload(row === undefined ? [] : [row], mode, rebuild);
      }
      case 'all': {
        if (request.stream === true) {
          const iterator = params === undefined ? stmt.iterate() : stmt.iterate(params);
          return streamRows(request.id, iterator, mode, rebuild, this.#post, this.#natives);
        }
        const rows = params === undefined ? stmt.all() : stmt.all(params);
        return sendRows(request.id, rows, mode, rebuild, this.#post);
      }
      case 'iterate': {
        const iterator = params === undefined ? stmt.iterate() : stmt.iterate(params);
        return this.#cursors.start(request.id, iterator, stmt, mode, rebuild, request.count ?? 0);
      }
    }
  }

  /**
   * A write that may be cancelled runs inside its own transaction: if the pool
   * terminates this worker while the statement runs, the COMMIT never happens
   * and SQLite rolls the write back as the connection closes. (Auto-commit
   * would commit the moment the statement ends, after the caller was told it
   * timed out.)
   */
  #atomicRun(stmt: SqliteStatement, params: BindParameters | undefined): RunResult {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = params === undefined ? stmt.run() : stmt.run(params);
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }


  #close(): void {
    this.#cursors.closeAll();
    this.#cache.clear();
    if (this.#config.role === 'writer' && !this.#config.readonly) {
      try {
        this.#db.pragma('optimize');
      } catch {
        // Optimizing is a courtesy; a busy or read-only file must not block closing.
      }
    }
    this.#db.close();
  }
}
