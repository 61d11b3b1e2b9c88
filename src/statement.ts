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
import { INTERRUPTED, NOT_INLINE } from './inline-reader';
import { traced, workerName } from './tracing';
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

  /** Runs `all` or `get` (as rows, at most one for `get`) inline or on a worker. */
  #read(op: 'all' | 'get', params: BindParameters | undefined, options: CallOptions | undefined): Promise<unknown[]> {
    const request = this.#request(op, params);
    return traced(op, this.source, this.#owner.databaseName, async (trace) => {
      let rows: unknown[];
      let answeredBy: string;
      let route = this.#owner.inlineFor(this.source, options);
      // This turn's inline time is spent: wait for the loop to turn, then ask again.
      while (route?.placement === 'wait') {
        await route.reader.nextTurn();
        route = this.#owner.inlineFor(this.source, options, true);
      }
      const inline = route?.reader;
      // The inline path binds the caller's own values: better-sqlite3 sees exactly what it would see.
      const inlined =
        route?.placement === 'main' ? route.reader.run(this.source, op, this.#rawParams(params), this.#mode, this.#safeIntegers) : NOT_INLINE;
      if (inlined !== NOT_INLINE && inlined !== INTERRUPTED) {
        rows = op === 'all' ? (inlined as unknown[]) : inlined === undefined ? [] : [inlined];
        answeredBy = 'main';
      } else {
        // A read the watchdog stopped runs again here; how long the worker spent in it tells the
        // inline reader whether the read is slow or the main thread merely stalled (see
        // `InlineAdmission.rerunTook`).
        let rerun: number | undefined;
        try {
          const { value, worker, cost } = await this.#owner.callWithWorker(request, 'routed', options);
          rerun = cost;
          rows = joinRows(value as RowsPayload, this.#mode);
          answeredBy = workerName(worker);
        } finally {
          // A re-run that failed says nothing about its cost: as slow as the cap, to be safe.
          if (inlined === INTERRUPTED) inline?.rerunTook(this.source, rerun ?? Infinity);
          if (route?.placement === 'offload') route.reader.landed();
        }
      }
      if (trace !== undefined) {
        trace.worker = answeredBy;
        trace.rows = rows.length;
      }
      return rows;
    });
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

  #request(op: 'all' | 'get' | 'run' | 'iterate' | 'describe', raw: BindParameters | undefined) {
    const { params, opaque } = encodeParams(this.#rawParams(raw));
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
