/**
 * The query methods shared by {@link Database}, {@link Transaction} and
 * {@link ReadSnapshot}: each subclass says only where a request goes.
 */
import { Readable } from 'node:stream';
import { captureCallerStack, deserializeError, ThreadliteError } from './errors';
import type { Answer } from './engine/job';
import type { InlineRoute } from './inline-reader';
import { traced, workerName } from './tracing';
import { type BatchResult, type BatchStatement, decodeBatch, runBatch, summarize } from './batch';
import { RemoteError, type Target } from './pool';
import type { NewRequest } from './protocol';
import { RowIterator } from './row-iterator';
import { Statement } from './statement';
import type { BindParameters, CallOptions, IterateOptions, RunResult, SqlQuery } from './types';
import type { WorkerHandle } from './worker-handle';

export type { BatchResult, BatchStatement };

export type { NewRequest };

/**
 * Where a request goes: a side, or `'routed'` — wherever the pool's router
 * sends its SQL (probing first when the route is unknown). @internal
 */
export type Destination = Target | 'routed';

/** Base class of everything that runs SQL. Not constructed directly. */
export abstract class Queryable {
  /** Sends a request where this object's requests go. @internal */
  protected abstract submit(
    request: NewRequest,
    target: Destination,
    options: CallOptions | undefined,
    pinned?: WorkerHandle,
  ): Promise<Answer>;

  /** The database file name, for traces. @internal */
  abstract get databaseName(): string;

  /** The timeout that applies to a call with these options, in ms (0 = none). @internal */
  timeoutOf(options: CallOptions | undefined): number {
    return options?.timeout ?? 0;
  }

  /** Whether a call with these options may be cancelled (a signal, or a timeout). @internal */
  hasDeadline(options: CallOptions | undefined): boolean {
    return options?.signal !== undefined || this.timeoutOf(options) > 0;
  }

  /**
   * Whether and how the main-thread connection takes this read (see
   * `OpenOptions.inlineReads`); undefined: the pool. `waited`: the read was
   * told to wait for this turn. @internal
   */
  inlineFor(_sql: string, _options: CallOptions | undefined, _waited?: boolean): InlineRoute | undefined {
    return undefined;
  }

  /**
   * Runs a query and resolves with all its rows, as better-sqlite3's `stmt.all()`.
   *
   * ```ts
   * const adults = await db.all<User>('SELECT * FROM users WHERE age >= ?', [18]);
   * ```
   */
  all<T = Record<string, unknown>>(sql: string, params?: BindParameters, options?: CallOptions): Promise<T[]>;
  all<T = Record<string, unknown>>(query: SqlQuery, options?: CallOptions): Promise<T[]>;
  async all<T>(sql: string | SqlQuery, params?: unknown, options?: CallOptions): Promise<T[]> {
    const q = normalize(sql, params, options);
    return this.prepare<T>(q.sql).all(q.params, q.options);
  }

  /**
   * Runs a query and resolves with its first row, or `undefined` if there is none.
   *
   * ```ts
   * const user = await db.get<User>('SELECT * FROM users WHERE id = :id', { id: 1 });
   * ```
   */
  get<T = Record<string, unknown>>(sql: string, params?: BindParameters, options?: CallOptions): Promise<T | undefined>;
  get<T = Record<string, unknown>>(query: SqlQuery, options?: CallOptions): Promise<T | undefined>;
  async get<T>(sql: string | SqlQuery, params?: unknown, options?: CallOptions): Promise<T | undefined> {
    const q = normalize(sql, params, options);
    return this.prepare<T>(q.sql).get(q.params, q.options);
  }

  /**
   * Runs a statement on the writer and resolves with `{ changes, lastInsertRowid }`.
   *
   * ```ts
   * const { lastInsertRowid } = await db.run('INSERT INTO users(name) VALUES (?)', ['ann']);
   * ```
   */
  run(sql: string, params?: BindParameters, options?: CallOptions): Promise<RunResult>;
  run(query: SqlQuery, options?: CallOptions): Promise<RunResult>;
  async run(sql: string | SqlQuery, params?: unknown, options?: CallOptions): Promise<RunResult> {
    const q = normalize(sql, params, options);
    return this.prepare(q.sql).run(q.params, q.options);
  }

  /**
   * Runs a query and yields its rows as they arrive, a chunk at a time (see
   * {@link RowIterator}). Breaking out of the loop closes the statement.
   *
   * ```ts
   * for await (const row of db.iterate('SELECT * FROM events', [], { batchSize: 500 })) send(row);
   * ```
   */
  iterate<T = Record<string, unknown>>(sql: string, params?: BindParameters, options?: IterateOptions): RowIterator<T>;
  iterate<T = Record<string, unknown>>(query: SqlQuery, options?: IterateOptions): RowIterator<T>;
  iterate<T>(sql: string | SqlQuery, params?: unknown, options?: IterateOptions): RowIterator<T> {
    const q = normalize(sql, params, options);
    return this.prepare<T>(q.sql).iterate(q.params, q.options as IterateOptions | undefined);
  }

  /**
   * The rows of a query as a Node `Readable` in object mode, for `pipeline()`:
   * built on {@link iterate}, so it reads a chunk from the worker only when
   * the stream's buffer has room, and destroying the stream closes the cursor.
   *
   * ```ts
   * await pipeline(db.stream('SELECT * FROM events'), toNdjson, res);
   * ```
   */
  stream<T = Record<string, unknown>>(sql: string, params?: BindParameters, options?: IterateOptions): Readable;
  stream<T = Record<string, unknown>>(query: SqlQuery, options?: IterateOptions): Readable;
  stream(sql: string | SqlQuery, params?: unknown, options?: IterateOptions): Readable {
    const q = normalize(sql, params, options);
    const rows = this.prepare(q.sql).iterate(q.params, q.options as IterateOptions | undefined);
    const batchSize = (q.options as IterateOptions | undefined)?.batchSize ?? 256;
    return Readable.from(rows, { objectMode: true, highWaterMark: batchSize });
  }

  /**
   * Runs one or more `;`-separated statements with no parameters and no result,
   * on the writer (as better-sqlite3's `db.exec()`).
   *
   * ```ts
   * await db.exec('CREATE TABLE t(a); CREATE INDEX t_a ON t(a)');
   * ```
   */
  async exec(sql: string, options?: CallOptions): Promise<void> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    await traced('exec', sql, this.databaseName, async (trace) => {
      const { worker } = await this.callWithWorker({ op: 'exec', sql }, 'write', options);
      if (trace !== undefined) trace.worker = workerName(worker);
    });
  }

  /**
   * Runs statements in order in one message and one transaction: all commit
   * or none does. The fast path for bulk inserts.
   *
   * ```ts
   * await db.batch([['INSERT INTO t VALUES (?)', [1]], ['INSERT INTO t VALUES (?)', [2]]]);
   * ```
   */
  async batch(statements: readonly BatchStatement[], options?: CallOptions): Promise<BatchResult[]> {
    if (!Array.isArray(statements)) throw new TypeError('Expected an array of statements');
    const answers = await traced('batch', summarize(statements), this.databaseName, async (trace) => {
      let answeredBy: WorkerHandle | undefined;
      const groups = await runBatch(statements, async (request) => {
        const { value, worker } = await this.callWithWorker(request, 'write', options);
        answeredBy = worker;
        return value;
      });
      if (trace !== undefined && answeredBy !== undefined) trace.worker = workerName(answeredBy);
      return groups;
    });
    return decodeBatch(answers);
  }

  /**
   * Prepares a statement handle. Preparing is lazy: the SQL is compiled by each
   * worker the first time it runs there (and cached), so a syntax error
   * surfaces on the first call, as a rejected promise.
   *
   * ```ts
   * const byId = db.prepare<User>('SELECT * FROM users WHERE id = ?');
   * const ann = await byId.get([1]);
   * ```
   */
  prepare<T = Record<string, unknown>>(sql: string): Statement<T> {
    if (typeof sql !== 'string') throw new TypeError('Expected first argument to be a string');
    return new Statement<T>(this, sql);
  }

  /**
   * Sends a request and resolves with its value. Worker errors are rebuilt
   * here, inside the caller's async chain, so their stack ends at the
   * caller's own line. @internal
   */
  async call(request: NewRequest, target: Destination, options: CallOptions | undefined, pinned?: WorkerHandle): Promise<unknown> {
    return (await this.callWithWorker(request, target, options, pinned)).value;
  }

  /** As {@link call}, also saying which worker answered (cursors stay on it). @internal */
  async callWithWorker(
    request: NewRequest,
    target: Destination,
    options: CallOptions | undefined,
    pinned?: WorkerHandle,
  ): Promise<Answer> {
    try {
      return await this.submit(request, target, options, pinned);
    } catch (err) {
      throw localize(err);
    }
  }
}

/** Gives an error from the pool or a worker a stack that ends in the caller's code. @internal */
export function localize(err: unknown): unknown {
  if (err instanceof RemoteError) return deserializeError(err.wire);
  if (err instanceof ThreadliteError) {
    // Created in a timer or an exit handler: take this async chain's stack instead.
    captureCallerStack(err, localize);
  }
  return err;
}

/** Splits the `(query, options)` form into the `(sql, params, options)` form. */
function normalize(
  sql: string | SqlQuery,
  params: unknown,
  options: CallOptions | undefined,
): { sql: string; params: BindParameters | undefined; options: CallOptions | undefined } {
  if (sql !== null && typeof sql === 'object' && typeof (sql as SqlQuery).sql === 'string') {
    const query = sql as SqlQuery;
    return { sql: query.sql, params: query.params as BindParameters, options: params as CallOptions | undefined };
  }
  return { sql: sql as string, params: params as BindParameters | undefined, options };
}
