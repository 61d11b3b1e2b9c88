/**
 * An async iterator over a statement's rows, pulled from a worker a chunk at a
 * time: at most one chunk waits in memory and one is on its way, whatever the
 * size of the result.
 */
import { deserializeError } from './errors';
import { RowMode, type RowsPayload } from './protocol';
import type { NewRequest, Queryable } from './queryable';
import { decodeRows } from './rows';
import { traced, workerName } from './tracing';
import type { IterateOptions } from './types';
import type { WorkerHandle } from './worker-handle';

const DEFAULT_BATCH_SIZE = 256;

/**
 * Rows of one query, as an `AsyncIterableIterator`. The worker reads the next
 * chunk only when the previous one has been taken, so a slow consumer never
 * lets rows pile up. Leaving a `for await` loop early (`break`, `return`, a
 * throw) closes the statement on the worker at once; `options.signal` aborts
 * it. `options.timeout` applies to each chunk.
 *
 * ```ts
 * for await (const row of db.iterate<Event>('SELECT * FROM events ORDER BY id')) {
 *   if (row.id > 1000) break; // closes the cursor
 * }
 * ```
 */
export class RowIterator<T> implements AsyncIterableIterator<T> {
  readonly #owner: Queryable;
  readonly #request: NewRequest & { sql: string };
  readonly #mode: RowMode;
  readonly #options: IterateOptions | undefined;
  readonly #batchSize: number;
  #rows: unknown[] = [];
  #index = 0;
  #worker: WorkerHandle | undefined;
  #cursor: number | undefined;
  #ahead: Promise<RowsPayload> | undefined;
  #finished = false;
  #failure: Error | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  /** @internal */
  constructor(owner: Queryable, request: NewRequest & { sql: string }, mode: RowMode, options: IterateOptions | undefined) {
    const batchSize = options?.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('options.batchSize must be a positive integer');
    this.#owner = owner;
    this.#request = request;
    this.#mode = mode;
    this.#options = options;
    this.#batchSize = batchSize;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Resolves with the next row, fetching the next chunk when this one is used up. */
  next(): Promise<IteratorResult<T>> {
    // Calls are served one after another, even if a caller does not wait.
    const result = this.#chain.then(() => this.#next());
    this.#chain = result.catch(() => {});
    return result;
  }

  /** Stops early and closes the statement on its worker. */
  return(): Promise<IteratorResult<T>> {
    const result = this.#chain.then(() => this.#close());
    this.#chain = result.catch(() => {});
    return result;
  }

  /** Closes the statement, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  async #next(): Promise<IteratorResult<T>> {
    while (this.#index >= this.#rows.length) {
      if (this.#failure !== undefined) {
        // The statement failed after the rows already delivered.
        const err = this.#failure;
        this.#failure = undefined;
        throw err;
      }
      if (this.#finished) return { done: true, value: undefined };
      const payload = await this.#take();
      this.#rows = decodeRows(payload, this.#mode);
      this.#index = 0;
      if (payload.error !== undefined) this.#failure = deserializeError(payload.error);
    }
    const value = this.#rows[this.#index] as T;
    this.#rows[this.#index++] = undefined; // let the consumer's row be collected
    return { done: false, value };
  }

  /** The next chunk: the one fetched ahead if any, else a fresh request. */
  async #take(): Promise<RowsPayload> {
    let payload: RowsPayload;
    try {
      if (this.#ahead !== undefined) {
        const ahead = this.#ahead;
        this.#ahead = undefined;
        payload = await ahead;
      } else if (this.#cursor === undefined) {
        const request = { ...this.#request, count: this.#batchSize } as NewRequest & { id?: number };
        const { value, worker } = await traced('iterate', this.#request.sql, this.#owner.databaseName, async (trace) => {
          const answer = await this.#owner.callWithWorker(request, this.#owner.routeOf(this.#request.sql), this.#options);
          if (trace !== undefined) {
            trace.worker = workerName(answer.worker);
            trace.rows = (answer.value as RowsPayload).rows.length;
          }
          return answer;
        });
        payload = value as RowsPayload;
        this.#cursor = request.id;
        this.#worker = worker;
        if (!payload.done) worker.cursors++;
      } else {
        payload = await this.#step();
      }
    } catch (err) {
      this.#release();
      throw err;
    }
    if (payload.done) this.#release();
    else this.#ahead = this.#prefetch();
    return payload;
  }

  #step(): Promise<RowsPayload> {
    return this.#owner.call(
      { op: 'next', cursor: this.#cursor as number, count: this.#batchSize },
      'read',
      this.#options,
      this.#worker,
    ) as Promise<RowsPayload>;
  }

  #prefetch(): Promise<RowsPayload> {
    const ahead = this.#step();
    ahead.catch(() => {}); // surfaced when taken
    return ahead;
  }

  /** The cursor is finished on the worker: stop counting it there. */
  #release(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#worker !== undefined && this.#cursor !== undefined) this.#worker.cursors--;
  }

  async #close(): Promise<IteratorResult<T>> {
    this.#rows = [];
    this.#index = 0;
    if (!this.#finished && this.#cursor !== undefined && this.#worker !== undefined) {
      const ahead = this.#ahead;
      this.#ahead = undefined;
      this.#release();
      // Let a chunk already on its way land first; then close the cursor.
      const wasDone = ahead === undefined ? false : await ahead.then((p) => p.done === true, () => true);
      if (!wasDone && this.#worker.state === 'ready') {
        await this.#owner.call({ op: 'close-cursor', cursor: this.#cursor }, 'read', undefined, this.#worker);
      }
    }
    this.#finished = true;
    return { done: true, value: undefined };
  }
}
