/**
 * An async iterator over a statement's rows, pulled from a worker a chunk at a
 * time: at most one chunk waits in memory and one is on its way, whatever the
 * size of the result.
 */
import { AbortError, deserializeError } from './errors';
import { RowMode, type RowsPayload } from './protocol';
import type { NewRequest, Queryable } from './queryable';
import { decodeRows } from './rows';
import { traced, workerName } from './tracing';
import type { IterateOptions } from './types';
import type { WorkerHandle } from './worker-handle';

const DEFAULT_BATCH_SIZE = 256;

/**
 * Iterators dropped with their cursor open (no `break`, no `return()`): once
 * the garbage collector takes one, its cursor is closed on the worker, so the
 * connection is free and no later statement must first read the rest of it
 * into memory (an endless query's rest never ends).
 */
const abandoned = new FinalizationRegistry<{ owner: Queryable; worker: WorkerHandle; cursor: number }>(({ owner, worker, cursor }) => {
  worker.cursors--;
  if (worker.state === 'ready') owner.call({ op: 'close-cursor', cursor }, 'read', undefined, worker).catch(() => undefined);
});
/** How long closing waits for a chunk already requested before cancelling it. */
const CLOSE_GRACE_MS = 100;

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
  /**
   * Steps after the first carry this signal, not the caller's: an abort while
   * the consumer is busy with rows must close the cursor, not terminate the
   * worker because a prefetch happened to be in flight. It fires only when
   * the consumer is waiting on a step, or a step outlives the grace period.
   */
  readonly #stepAbort = new AbortController();
  #waiting = false;
  readonly #onAbort = () => {
    if (this.#waiting) this.#stepAbort.abort(this.#options?.signal?.reason);
  };

  /** @internal */
  constructor(owner: Queryable, request: NewRequest & { sql: string }, mode: RowMode, options: IterateOptions | undefined) {
    const batchSize = options?.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('options.batchSize must be a positive integer');
    this.#owner = owner;
    this.#request = request;
    this.#mode = mode;
    this.#options = options;
    this.#batchSize = batchSize;
    options?.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The iterator itself, so it can be used in `for await`. */
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
    const signal = this.#options?.signal;
    if (signal?.aborted && !this.#finished) {
      // Aborted between chunks: stop now, not after the rows already here,
      // and close the cursor so its connection is free.
      await this.#close();
      throw new AbortError(this.#request.sql, signal.reason);
    }
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
        this.#waiting = true;
        try {
          payload = await ahead;
        } finally {
          this.#waiting = false;
        }
      } else if (this.#cursor === undefined) {
        const request = { ...this.#request, count: this.#batchSize } as NewRequest & { id?: number };
        const { value, worker } = await traced('iterate', this.#request.sql, this.#owner.databaseName, async (trace) => {
          const answer = await this.#owner.callWithWorker(request, 'routed', this.#options);
          if (trace !== undefined) {
            trace.worker = workerName(answer.worker);
            trace.rows = (answer.value as RowsPayload).rows.length;
          }
          return answer;
        });
        payload = value as RowsPayload;
        this.#cursor = request.id;
        this.#worker = worker;
        if (!payload.done) {
          worker.cursors++;
          // Dropped without return(): its cursor is closed when the iterator is collected.
          abandoned.register(this, { owner: this.#owner, worker, cursor: request.id as number }, this);
        }
      } else {
        payload = await this.#step();
      }
    } catch (err) {
      // A failed step (aborted, timed out, or the statement failed) may leave
      // the cursor open on a live worker: close it there.
      const worker = this.#worker;
      const cursor = this.#cursor;
      const open = !this.#finished;
      this.#release();
      if (open && worker?.state === 'ready' && cursor !== undefined) {
        this.#owner.call({ op: 'close-cursor', cursor }, 'read', undefined, worker).catch(() => undefined);
      }
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
      { timeout: this.#options?.timeout, signal: this.#stepAbort.signal },
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
    abandoned.unregister(this);
    this.#options?.signal?.removeEventListener('abort', this.#onAbort);
    if (this.#worker !== undefined && this.#cursor !== undefined) this.#worker.cursors--;
  }

  async #close(): Promise<IteratorResult<T>> {
    this.#rows = [];
    this.#index = 0;
    if (!this.#finished && this.#cursor !== undefined && this.#worker !== undefined) {
      const ahead = this.#ahead;
      this.#ahead = undefined;
      this.#release();
      // Let a chunk already on its way land first (a step that outlives the
      // grace period is a runaway: cancel it, which replaces the worker);
      // then close the cursor.
      let wasDone = false;
      if (ahead !== undefined) {
        const landed = ahead.then((p) => p.done === true, () => true);
        const grace = setTimeout(() => this.#stepAbort.abort(this.#options?.signal?.reason), CLOSE_GRACE_MS);
        wasDone = await landed;
        clearTimeout(grace);
      }
      if (!wasDone && this.#worker.state === 'ready') {
        await this.#owner.call({ op: 'close-cursor', cursor: this.#cursor }, 'read', undefined, this.#worker);
      }
    }
    // Closed before its first chunk, too: no listener stays on the caller's signal.
    this.#release();
    return { done: true, value: undefined };
  }
}
