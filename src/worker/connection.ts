/**
 * One better-sqlite3 connection inside a worker, and the requests it executes.
 * Runs only inside a worker thread.
 */
import { performance } from 'node:perf_hooks';
import { serializeError } from '../errors';
import {
  BOUNCED,
  type BatchGroupResult,
  type BatchRequest,
  Cell,
  type Request,
  type Response,
  RowMode,
  type RowsPayload,
  type StatementRequest,
  type WorkerConfig,
} from '../protocol';
import type { ExpandedRowsPayload } from '../rows';
import { TUNING } from '../tuning';
import type { BindParameters, RunResult } from '../types';
import { openBetterSqlite3, runSetup } from './better-sqlite3';
import { decodeParams } from '../params';
import { InterruptGuard } from './interrupt-guard';
import { NativeObjects } from './native-objects';
import { deserializedImage, runOperation } from './operations';
import type { SqliteDatabase, SqliteStatement } from './sqlite-api';
import { type CachedStatement, StatementCache } from './statement-cache';

/** A statement whose rows are handed out a chunk at a time. */
interface Cursor {
  /** Live SQLite iterator, or undefined once drained into `buffered`. */
  iterator: Iterator<unknown> | undefined;
  /**
   * The statement the iterator steps. better-sqlite3's iterator does not keep
   * it alive, and the cache may evict it meanwhile: this reference does.
   */
  stmt: SqliteStatement | undefined;
  /** Rows read ahead (a whole `all()` result, or the rest of a cursor when the connection was needed). */
  buffered: unknown[];
  /** Next row of `buffered` to hand out. */
  offset: number;
  /** The statement failed while being drained into `buffered`: delivered after those rows. */
  failure?: unknown;
  mode: RowMode;
  /** Set when rows must be rebuilt on the main thread (see RowsPayload.columns). */
  rebuild: Rebuild | undefined;
}

/** Column names (and, for `expand()`, tables) of rows sent as arrays to be rebuilt on the main thread. */
interface Rebuild {
  columns: string[];
  tables?: string[];
}

// Statements observed to take longer than this are "heavy": responses already
// computed are posted before one starts, so light results never wait behind it.
const HEAVY_MS = 1;

/** @internal */
export class Connection {
  readonly #db: SqliteDatabase;
  readonly #config: WorkerConfig;
  readonly #cache: StatementCache;
  readonly #natives: NativeObjects;
  readonly #cursors = new Map<number, Cursor>();
  /** The one cursor whose SQLite iterator is open (better-sqlite3 allows one at a time). */
  #liveCursor: number | undefined;
  /** Lets the main thread interrupt exactly the request that runs (see interrupt-guard.ts). */
  readonly #guard: InterruptGuard;
  /** Why the native library did not load into this connection, if it did not. */
  readonly nativeError: string | undefined;

  private constructor(db: SqliteDatabase, config: WorkerConfig, natives: NativeObjects, guard: InterruptGuard, nativeError?: string) {
    this.#db = db;
    this.#config = config;
    this.#natives = natives;
    this.#guard = guard;
    this.nativeError = nativeError;
    this.#cache = new StatementCache(db, config.statementCacheSize, (stmt) => natives.release(stmt));
  }

  /** Opens the connection, applies pragmas and runs the `setup` module. Throws on failure. */
  static async open(config: WorkerConfig, cells: Int32Array): Promise<Connection> {
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
      ownProtoColumns = Object.hasOwn(probe.get() as object, '__proto__');
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
    return new Connection(db, config, natives, attached.guard, attached.error);
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
    const guard = this.#guard;
    try {
      let value: unknown;
      switch (request.op) {
        case 'next':
          guard.begin(request.id);
          value = this.#next(request.cursor, request.count);
          break;
        case 'close-cursor':
          this.#closeCursor(request.cursor);
          value = null;
          break;
        default: {
          this.#freeConnection();
          switch (request.op) {
            case 'exec':
              guard.begin(request.id);
              this.#db.exec(request.sql);
              value = null;
              break;
            case 'batch':
              value = this.#batch(request);
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
              const bounce = this.#config.role === 'writer' ? readerSafe && !this.#db.inTransaction : !readerSafe;
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
      return { id: request.id, ok: true, value, readerSafe, cost, inTransaction: this.#db.inTransaction };
    } catch (err) {
      guard.end(request.id);
      const cost = performance.now() - start;
      return {
        id: request.id,
        ok: false,
        error: serializeError(err),
        readerSafe,
        cost,
        inTransaction: this.#safeInTransaction(),
      };
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
    if (cursor === undefined || this.#liveCursor !== cursor) return;
    this.#closeCursor(cursor);
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
        return this.#rowsPayload(row === undefined ? [] : [row], mode, rebuild);
      }
      case 'all': {
        const rows = params === undefined ? stmt.all() : stmt.all(params);
        return this.#firstChunk(request.id, rows, mode, rebuild);
      }
      case 'iterate': {
        const iterator = params === undefined ? stmt.iterate() : stmt.iterate(params);
        this.#natives.hold(stmt);
        this.#cursors.set(request.id, { iterator, stmt, buffered: [], offset: 0, mode, rebuild });
        this.#liveCursor = request.id;
        return this.#next(request.id, request.count ?? 0);
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

  #rowsPayload(rows: unknown[], mode: RowMode, rebuild: Rebuild | undefined): RowsPayload {
    const payload: ExpandedRowsPayload = { rows };
    if (rebuild !== undefined) {
      payload.columns = rebuild.columns;
      if (rebuild.tables !== undefined) payload.tables = rebuild.tables;
    }
    const blobRows = findBlobRows(rows, mode);
    if (blobRows !== undefined) payload.blobRows = blobRows;
    return payload;
  }

  /**
   * A large `all()` result leaves in chunks of about CHUNK_BYTES: the main
   * thread deserializes each message in one task, so one 100k-row message
   * would stall it for ~100 ms. The rest waits here as a drained cursor.
   */
  #firstChunk(id: number, rows: unknown[], mode: RowMode, rebuild: Rebuild | undefined): RowsPayload {
    const limit = chunkRows(rows, mode);
    if (rows.length <= limit) return this.#rowsPayload(rows, mode, rebuild);
    this.#cursors.set(id, { iterator: undefined, stmt: undefined, buffered: rows, offset: limit, mode, rebuild });
    const payload = this.#rowsPayload(rows.slice(0, limit), mode, rebuild);
    payload.done = false;
    return payload;
  }

  #next(id: number, count: number): RowsPayload {
    const cursor = this.#cursors.get(id);
    if (cursor === undefined) throw new Error(`Cursor ${id} is not open`);
    if (cursor.iterator !== undefined && this.#liveCursor !== id) {
      // Only one SQLite iterator may be open per connection.
      this.#freeConnection();
    }
    const rows: unknown[] = [];
    let done = false;
    const { buffered } = cursor;
    while (rows.length < count && cursor.offset < buffered.length) rows.push(buffered[cursor.offset++]);
    if (cursor.iterator === undefined) {
      done = cursor.offset >= buffered.length;
      if (done && cursor.failure !== undefined) {
        this.#cursors.delete(id);
        if (rows.length === 0) throw cursor.failure;
        const payload = this.#rowsPayload(rows, cursor.mode, cursor.rebuild);
        payload.done = true;
        payload.error = serializeError(cursor.failure);
        return payload;
      }
    } else {
      try {
        while (rows.length < count) {
          const step = cursor.iterator.next();
          if (step.done) {
            done = true;
            break;
          }
          rows.push(step.value);
        }
      } catch (err) {
        // The statement failed midway: deliver the rows read before the
        // failure, then the error, as better-sqlite3's iterator would.
        this.#cursors.delete(id);
        if (this.#liveCursor === id) this.#liveCursor = undefined;
        this.#endIteration(cursor);
        if (rows.length === 0) throw err;
        const payload = this.#rowsPayload(rows, cursor.mode, cursor.rebuild);
        payload.done = true;
        payload.error = serializeError(err);
        return payload;
      }
    }
    if (done) {
      this.#cursors.delete(id);
      if (this.#liveCursor === id) this.#liveCursor = undefined;
      this.#endIteration(cursor);
    }
    const payload = this.#rowsPayload(rows, cursor.mode, cursor.rebuild);
    if (done) payload.done = true;
    return payload;
  }

  #closeCursor(id: number): void {
    const cursor = this.#cursors.get(id);
    if (cursor === undefined) return;
    this.#cursors.delete(id);
    cursor.iterator?.return?.();
    if (this.#liveCursor === id) this.#liveCursor = undefined;
    this.#endIteration(cursor);
  }

  /** The cursor's SQLite iterator is finished: let go of it and its statement. */
  #endIteration(cursor: Cursor): void {
    this.#natives.release(cursor.iterator as object | undefined);
    this.#natives.release(cursor.stmt);
    cursor.iterator = undefined;
    cursor.stmt = undefined;
  }

  /**
   * Another statement needs the connection while a cursor is open on it: read
   * the cursor's remaining rows into memory and close its SQLite iterator, so
   * the consumer keeps its rows and the connection is free. This is what keeps
   * `await db.run(…)` inside a `for await` loop from deadlocking.
   */
  #freeConnection(): void {
    if (this.#liveCursor === undefined) return;
    const cursor = this.#cursors.get(this.#liveCursor);
    this.#liveCursor = undefined;
    if (cursor?.iterator === undefined) return;
    const iterator = cursor.iterator;
    try {
      for (let step = iterator.next(); !step.done; step = iterator.next()) cursor.buffered.push(step.value);
    } catch (err) {
      // The cursor's own consumer gets this, after its rows; the statement
      // that needed the connection goes on.
      cursor.failure = err;
    }
    this.#endIteration(cursor);
  }

  #batch(request: BatchRequest): unknown[] {
    const nested = this.#db.inTransaction;
    // Inside an interactive transaction, a savepoint keeps the batch atomic
    // without ending the outer transaction.
    this.#db.exec(nested ? 'SAVEPOINT threadlite_batch' : 'BEGIN IMMEDIATE');
    try {
      // Interruptible up to and including its COMMIT: an interrupted batch leaves nothing.
      this.#guard.begin(request.id);
      const results = request.groups.map(({ sql, params, opaque }) => {
        let sets: ReadonlyArray<unknown> = params;
        if (opaque !== undefined) {
          const copy = [...params] as unknown[];
          for (const [index, stand] of opaque) copy[index] = decodeParams(params[index] as BindParameters, stand);
          sets = copy;
        }
        return this.#batchGroup(sql, sets as ReadonlyArray<BindParameters | null>);
      });
      this.#db.exec(nested ? 'RELEASE threadlite_batch' : 'COMMIT');
      return results;
    } catch (err) {
      // The rollback itself must not be interrupted.
      this.#guard.end(request.id);
      if (this.#db.inTransaction) {
        this.#db.exec(nested ? 'ROLLBACK TO threadlite_batch; RELEASE threadlite_batch' : 'ROLLBACK');
      }
      throw err;
    }
  }

  #batchGroup(sql: string, paramSets: ReadonlyArray<BindParameters | null>): BatchGroupResult {
    const entry = this.#cache.get(sql, this.#config.safeIntegers);
    const { stmt } = entry;
    if (entry.safeIntegers !== this.#config.safeIntegers) {
      stmt.safeIntegers(this.#config.safeIntegers);
      entry.safeIntegers = this.#config.safeIntegers;
    }
    if (!stmt.reader) {
      const changes: number[] = [];
      const lastInsertRowid: Array<number | bigint> = [];
      for (const params of paramSets) {
        const result = params === null ? stmt.run() : stmt.run(params);
        changes.push(result.changes);
        lastInsertRowid.push(result.lastInsertRowid);
      }
      return { changes, lastInsertRowid };
    }
    const rebuild = protoRebuild(entry, RowMode.object);
    const mode = rebuild === undefined ? RowMode.object : RowMode.raw;
    if (entry.mode !== mode) applyMode(entry, mode);
    return {
      rows: paramSets.map((params) => this.#rowsPayload(params === null ? stmt.all() : stmt.all(params), mode, rebuild)),
    };
  }

  #close(): void {
    for (const id of [...this.#cursors.keys()]) this.#closeCursor(id);
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

function applyMode(entry: CachedStatement, mode: RowMode): void {
  const { stmt } = entry;
  // better-sqlite3 keeps one mode: turning one toggle on replaces the others,
  // and turning one off only acts if it is the current one.
  if (mode === RowMode.raw) stmt.raw(true);
  else if (mode === RowMode.pluck) stmt.pluck(true);
  else if (mode === RowMode.expand) stmt.expand(true);
  else if (entry.mode === RowMode.raw) stmt.raw(false);
  else if (entry.mode === RowMode.pluck) stmt.pluck(false);
  else if (entry.mode === RowMode.expand) stmt.expand(false);
  entry.mode = mode;
}

/**
 * How rows of `mode` must be rebuilt on the main thread, or undefined if they
 * survive structured clone as they are: a column named `__proto__` (or, for
 * `expand()`, a table named so) gives better-sqlite3's row or sub-object a
 * prototype, which a clone would drop.
 */
/**
 * Whether this better-sqlite3 build gives a flat row a column named
 * `__proto__` as an own property (builds for Node >= 22) rather than setting
 * the row's prototype by assignment (Node 20). Probed once per worker.
 */
let ownProtoColumns = false;

function protoRebuild(entry: CachedStatement, mode: RowMode): Rebuild | undefined {
  if (mode !== RowMode.object && mode !== RowMode.expand) return undefined;
  let shape = entry.resultShape;
  if (shape === undefined) {
    const defs = entry.stmt.columns();
    const names = defs.map((c) => c.name);
    const tables = defs.map((c) => c.table ?? '$');
    const protoName = names.includes('__proto__');
    shape = { names, tables, protoName, protoExpanded: protoName || tables.includes('__proto__') };
    entry.resultShape = shape;
  }
  // Where better-sqlite3 makes `__proto__` an own property (its builds for
  // Node >= 22), structured clone keeps the row as it is.
  if (mode === RowMode.object) return shape.protoName && !ownProtoColumns ? { columns: shape.names } : undefined;
  return shape.protoExpanded ? { columns: shape.names, tables: shape.tables } : undefined;
}

/** Target size of one chunk of rows on the wire; deserializing it takes ~1–3 ms on the main thread. */
const CHUNK_BYTES = TUNING.chunkBytes;

/** How many rows make one chunk, estimated from the first row's size. @internal */
export function chunkRows(rows: unknown[], mode: RowMode): number {
  if (rows.length === 0 || CHUNK_BYTES === 0) return rows.length;
  const perRow = Math.max(16, estimateBytes(rows[0], mode === RowMode.expand ? 2 : 1));
  return Math.min(16_384, Math.max(64, Math.floor(CHUNK_BYTES / perRow)));
}

function estimateBytes(value: unknown, depth: number): number {
  if (typeof value === 'string') return 8 + value.length;
  if (value instanceof Uint8Array) return 8 + value.byteLength;
  if (value === null || typeof value !== 'object') return 10;
  let total = 8;
  if (Array.isArray(value)) {
    for (const v of value) total += estimateBytes(v, 0);
    return total;
  }
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    total += key.length + (depth > 1 ? estimateBytes(v, depth - 1) : estimateBytes(v, 0));
  }
  return total;
}

/** Indexes of rows that hold a BLOB (structured clone turns Buffers into plain Uint8Arrays). */
function findBlobRows(rows: unknown[], mode: RowMode): number[] | undefined {
  let found: number[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    if (hasBlob(rows[i], mode)) (found ??= []).push(i);
  }
  return found;
}

function hasBlob(row: unknown, mode: RowMode): boolean {
  if (mode === RowMode.pluck) return row instanceof Uint8Array;
  if (mode === RowMode.raw) {
    for (const v of row as unknown[]) if (v instanceof Uint8Array) return true;
    return false;
  }
  for (const key in row as object) {
    const v = (row as Record<string, unknown>)[key];
    if (v instanceof Uint8Array) return true;
    if (mode === RowMode.expand && v !== null && typeof v === 'object' && hasBlob(v, RowMode.object)) return true;
  }
  return false;
}
