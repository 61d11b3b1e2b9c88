/**
 * A prepared statement handle: SQL text plus better-sqlite3's row-shape
 * toggles. It lives on the main thread; each worker prepares and caches the
 * SQL itself, so one handle can run on any connection.
 */
import type { Queryable } from './queryable';
import { checkParams, encodeParams, type Opaque } from './params';
import { RowIterator } from './row-iterator';
import { type NewRequest, RowMode, type RowsPayload } from './protocol';
import { joinRows } from './streamed-rows';
import { INTERRUPTED, type InlineRoute, NOT_INLINE } from './inline-reader';
import { markOffloaded } from './inline-hybrid';
import { type QueryTrace, queryChannel, traced, workerName } from './tracing';
import type { BindParameters, CallOptions, ColumnDefinition, IterateOptions, RunResult } from './types';

/** What {@link Statement.info} reports, as better-sqlite3's statement properties of the same names. */
export interface StatementInfo {
  /** Whether the statement returns data (a SELECT, or anything with RETURNING). */
  reader: boolean;
  /** Whether the statement leaves the database unchanged (SQLite's `sqlite3_stmt_readonly`). */
  readonly: boolean;
}

/**
 * A statement prepared with {@link Queryable.prepare}. Its toggles mirror
 * better-sqlite3's and, as there, change the handle and return it.
 *
 * ```ts
 * const names = db.prepare<string>('SELECT name FROM users ORDER BY name').pluck();
 * console.log(await names.all());
 * ```
 */
export class Statement<T = Record<string, unknown>> {
  /** The SQL text. */
  readonly source: string;
  readonly #owner: Queryable;
  #mode: RowMode = RowMode.object;
  #safeIntegers: boolean | undefined;
  #bound: { params: BindParameters } | undefined;

  /** @internal */
  constructor(owner: Queryable, source: string) {
    this.#owner = owner;
    this.source = source;
  }

  /** Rows as arrays of values instead of objects (`raw(false)` turns it off). */
  raw(on = true): this {
    return this.#toggle(RowMode.raw, on);
  }

  /** Rows as their first column's value only (`pluck(false)` turns it off). */
  pluck(on = true): this {
    return this.#toggle(RowMode.pluck, on);
  }

  /** Rows as `{ table: { column: value } }`, expressions under `$` (`expand(false)` turns it off). */
  expand(on = true): this {
    return this.#toggle(RowMode.expand, on);
  }

  /** Integers as `bigint` for this statement, overriding the pool's `safeIntegers`. */
  safeIntegers(on = true): this {
    this.#safeIntegers = Boolean(on);
    return this;
  }

  /**
   * Binds parameters once for every later call, as better-sqlite3's `bind()`;
   * passing parameters to a call afterwards is a `TypeError`.
   */
  bind(params: BindParameters): this {
    if (this.#bound !== undefined) throw new TypeError('The bind() method can only be invoked once per statement object');
    checkParams(params);
    this.#bound = { params };
    return this;
  }

  /**
   * Resolves with all rows.
   *
   * ```ts
   * const rows = await db.prepare('SELECT * FROM t WHERE a > ?').all([10]);
   * ```
   */
  async all(params?: BindParameters, options?: CallOptions): Promise<T[]> {
    return (await this.#read('all', params, options)) as T[];
  }

  /** Resolves with the first row, or `undefined`. */
  async get(params?: BindParameters, options?: CallOptions): Promise<T | undefined> {
    return (await this.#read('get', params, options))[0] as T | undefined;
  }

  /**
   * Runs `all` or `get` (as rows, at most one for `get`) inline or on a
   * worker. A read the inline path answers now is returned as it is, not as a
   * promise: the caller's own `await` is then the call's only hop (at sync
   * speed, a chain of async functions is a measurable part of the call).
   */
  #read(op: 'all' | 'get', params: BindParameters | undefined, options: CallOptions | undefined): unknown[] | Promise<unknown[]> {
    const bound = this.#rawParams(params);
    if (queryChannel.hasSubscribers) {
      return traced(op, this.source, this.#owner.databaseName, (trace) => this.#readLater(op, bound, options, this.#owner.inlineFor(this.source, options), trace));
    }
    const route = this.#owner.inlineFor(this.source, options);
    if (route?.placement !== 'main') return this.#readLater(op, bound, options, route, undefined);
    const inlined = this.#inline(op, bound, route);
    return Array.isArray(inlined) ? inlined : this.#readLater(op, bound, options, route, undefined, inlined);
  }

  /**
   * A read that waits for its turn, goes to a worker, or is traced (one async
   * function for all three: each layer is a promise per call). `tried`: the
   * inline path already ran it and it did not answer. A read the watchdog
   * stopped runs again on a worker; how long the worker spent in it tells the
   * inline reader whether the read is slow or the main thread merely stalled
   * (see `InlineAdmission.rerunTook`).
   */
  async #readLater(
    op: 'all' | 'get',
    bound: BindParameters | undefined,
    options: CallOptions | undefined,
    first: InlineRoute | undefined,
    trace: QueryTrace | undefined,
    tried?: typeof NOT_INLINE | typeof INTERRUPTED,
  ): Promise<unknown[]> {
    let route = first;
    let inlined = tried ?? NOT_INLINE;
    if (tried === undefined) {
      // This turn's inline time is spent: wait for the loop to turn, then ask again.
      while (route?.placement === 'wait') {
        await route.reader.nextTurn();
        route = this.#owner.inlineFor(this.source, options, true);
      }
      const rows = route?.placement === 'main' ? this.#inline(op, bound, route) : NOT_INLINE;
      if (Array.isArray(rows)) {
        if (trace !== undefined) {
          trace.worker = 'main';
          trace.rows = rows.length;
        }
        return rows;
      }
      inlined = rows;
    }
    let rerun: number | undefined;
    try {
      const request = this.#requestFor(op, bound);
      if (route?.placement === 'offload') markOffloaded(request);
      const { value, worker, cost } = await this.#owner.callWithWorker(request, 'routed', options);
      rerun = cost;
      const rows = joinRows(value as RowsPayload, this.#mode);
      if (trace !== undefined) {
        trace.worker = workerName(worker);
        trace.rows = rows.length;
      }
      return rows;
    } finally {
      // A re-run that failed says nothing about its cost: as slow as the cap, to be safe.
      if (inlined === INTERRUPTED) route?.reader.rerunTook(this.source, rerun ?? Infinity);
      if (route?.placement === 'offload') route.reader.landed();
    }
  }

  /**
   * Runs a read on the main thread's connection; its rows, or why it did not
   * answer. The inline path binds the caller's own values: better-sqlite3 sees
   * exactly what it would see.
   */
  #inline(op: 'all' | 'get', bound: BindParameters | undefined, route: InlineRoute): unknown[] | typeof NOT_INLINE | typeof INTERRUPTED {
    const inlined = route.reader.run(this.source, op, bound, this.#mode, this.#safeIntegers, route);
    if (inlined === NOT_INLINE || inlined === INTERRUPTED) return inlined;
    return op === 'all' ? (inlined as unknown[]) : inlined === undefined ? [] : [inlined];
  }

  /** Runs the statement on the writer and resolves with `{ changes, lastInsertRowid }`. */
  async run(params?: BindParameters, options?: CallOptions): Promise<RunResult> {
    const request: NewRequest & { atomic?: boolean } = this.#request('run', params);
    if (this.#owner.hasDeadline(options)) request.atomic = true;
    return traced('run', this.source, this.#owner.databaseName, async (trace) => {
      const { value, worker } = await this.#owner.callWithWorker(request, 'write', options);
      const result = value as RunResult;
      if (trace !== undefined) {
        trace.worker = workerName(worker);
        trace.changes = result.changes;
      }
      return result;
    });
  }

  /** Yields rows a chunk at a time; see {@link RowIterator}. */
  iterate(params?: BindParameters, options?: IterateOptions): RowIterator<T> {
    const request = this.#request('iterate', params);
    return new RowIterator<T>(this.#owner, request, this.#mode, options);
  }

  /** Resolves with the result columns (better-sqlite3's `columns()`); rejects for a statement that returns no data. */
  async columns(options?: CallOptions): Promise<ColumnDefinition[]> {
    const info = (await this.#owner.call(this.#request('describe', undefined), 'routed', options)) as {
      columns: ColumnDefinition[] | null;
    };
    if (info.columns === null) throw new TypeError('The columns() method is only for statements that return data');
    return info.columns;
  }

  /** Resolves with `{ reader, readonly }`: whether it returns data and whether it leaves the database unchanged. */
  async info(options?: CallOptions): Promise<StatementInfo> {
    const { reader, readonly } = (await this.#owner.call(this.#request('describe', undefined), 'routed', options)) as {
      reader: boolean;
      readonly: boolean;
    };
    return { reader, readonly };
  }

  #toggle(mode: RowMode, on: boolean): this {
    if (on) this.#mode = mode;
    else if (this.#mode === mode) this.#mode = RowMode.object;
    return this;
  }

  /** The parameters a call binds: its own, or those of `bind()`. */
  #rawParams(params: BindParameters | undefined): BindParameters | undefined {
    if (this.#bound === undefined) return params;
    if (params !== undefined) throw new TypeError('This statement already has bound parameters');
    return this.#bound.params;
  }

  #request(op: 'run' | 'iterate' | 'describe', raw: BindParameters | undefined) {
    return this.#requestFor(op, this.#rawParams(raw));
  }

  /** The request for a worker, with the parameters the call binds (see {@link #rawParams}). */
  #requestFor(op: 'all' | 'get' | 'run' | 'iterate' | 'describe', bound: BindParameters | undefined) {
    const { params, opaque } = encodeParams(bound);
    const request: {
      op: typeof op;
      sql: string;
      mode: RowMode;
      params?: BindParameters;
      opaque?: Opaque[];
      safeIntegers?: boolean;
    } = { op, sql: this.source, mode: this.#mode };
    if (params !== undefined) request.params = params;
    if (opaque !== undefined) request.opaque = opaque;
    if (this.#safeIntegers !== undefined) request.safeIntegers = this.#safeIntegers;
    return request;
  }
}
