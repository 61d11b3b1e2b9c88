/**
 * The main thread's side of one worker's request ring (see ring-protocol.ts):
 * writes small statements into slots, publishes them, reads their answers, and
 * waits for answers without keeping the process alive (the worker handle
 * does that while work is in flight).
 */
import type { Response, StatementRequest } from './protocol';
import { RING_BYTES, RING_SLOTS, RingCell, RingViews, readAnswer, writeRequest } from './ring-protocol';

/**
 * The longest the main thread waits for a notify before it looks at the ring
 * again: a safety net (a lost wake-up would cost this much, never a hang);
 * the timer does not keep the process alive.
 */
const WAIT_LIMIT_MS = 20;

/** SQL texts one ring names by id; past this, new texts go by port. */
const MAX_SQL_IDS = 4096;

/** @internal */
export class RequestRing {
  /** The shared memory, handed to the worker in its `workerData`. */
  readonly buffer = new SharedArrayBuffer(RING_BYTES);
  readonly #ring = new RingViews(this.buffer);
  /** Ring requests written (the next one's index). */
  #written = 0;
  /** Ring requests whose answers were taken. */
  #taken = 0;
  /** The SQL id of each slot's request. */
  readonly #slotSql = new Int32Array(RING_SLOTS);
  readonly #sqlIds = new Map<string, number>();
  /** Column names last sent per SQL id (mirrors the worker's). */
  readonly #names = new Map<number, string[]>();
  /** Set while armed: delivers the answers once (see {@link arm}). */
  #wake: (() => void) | undefined;

  /** Requests carried by this ring so far. */
  get carried(): number {
    return this.#written;
  }

  /**
   * Writes `request` (sequence number `seq` on this worker) into the next
   * slot; returns its ring index, or -1 when it must go by port (its shape,
   * or the ring is full). Not visible to the worker until {@link publish}.
   */
  write(request: StatementRequest, seq: number): number {
    const index = this.#written;
    if (index - this.#taken >= RING_SLOTS) return -1;
    let sqlId = this.#sqlIds.get(request.sql);
    const define = sqlId === undefined;
    if (sqlId === undefined) {
      if (this.#sqlIds.size >= MAX_SQL_IDS) return -1;
      sqlId = this.#sqlIds.size + 1;
    }
    if (!writeRequest(this.#ring, index, request, seq, sqlId, define)) return -1;
    // Known from now on: this request defines it for the worker, ahead of every later one.
    if (define) this.#sqlIds.set(request.sql, sqlId);
    this.#slotSql[index % RING_SLOTS] = sqlId;
    this.#written = index + 1;
    return index;
  }

  /** Makes the requests written so far visible to the worker, and wakes it if it waits. */
  publish(): void {
    const cells = this.#ring.cells;
    if (Atomics.load(cells, RingCell.published) === this.#written) return;
    Atomics.store(cells, RingCell.published, this.#written);
    // One wake-up per wait: the flag is cleared here, so later publishes do not notify again.
    if (Atomics.load(cells, RingCell.workerWaiting) === 1 && Atomics.compareExchange(cells, RingCell.workerWaiting, 1, 0) === 1) {
      Atomics.notify(cells, RingCell.published);
    }
  }

  /**
   * The answer to ring request `index`, when the worker has given it: a
   * response, or `'port'` when it comes by port; undefined while it runs.
   * Answers are taken in ring order ({@link take}).
   */
  answer(index: number): Response | 'port' | undefined {
    if (Atomics.load(this.#ring.cells, RingCell.answered) <= index) return undefined;
    return readAnswer(this.#ring, index, this.#names, this.#slotSql[index % RING_SLOTS] as number) ?? 'port';
  }

  /**
   * An armed ring whose answers are there already delivers them in a
   * microtask instead of at the loop's next check phase: a main thread busy
   * with inline reads takes a reader's answers between its own (see
   * inline-hybrid.ts). One atomic load when armed; nothing otherwise.
   */
  poll(): void {
    const wake = this.#wake;
    if (wake !== undefined && Atomics.load(this.#ring.cells, RingCell.answered) > this.#taken) queueMicrotask(wake);
  }

  /** Frees the oldest answered slot (its answer was delivered, from the ring or by port). */
  take(): void {
    this.#taken++;
  }

  /**
   * Calls `onAnswer` once, in a later task, when the answer to the oldest
   * ring request is there. First it looks again in the loop's next check
   * phase: a busy main thread finds answers there without being woken (a
   * wake-up costs the worker ~15 µs on a virtual machine, measured). Only if
   * the answer is still missing then does it wait with `Atomics.waitAsync`
   * and ask the worker to notify it. (The look is a referenced immediate: an
   * unreferenced one does not stop the loop from blocking in its poll phase.)
   * The wait itself does not keep the process alive.
   */
  arm(onAnswer: () => void): void {
    if (this.#wake !== undefined) return;
    const cells = this.#ring.cells;
    // Once: the look, the wait and a poll may each find the answers.
    const wake = () => {
      if (this.#wake !== wake) return;
      this.#wake = undefined;
      Atomics.store(cells, RingCell.mainWaiting, 0);
      onAnswer();
    };
    this.#wake = wake;
    setImmediate(() => {
      if (this.#wake !== wake) return; // a poll delivered them
      if (Atomics.load(cells, RingCell.answered) > this.#taken) return wake();
      Atomics.store(cells, RingCell.mainWaiting, 1);
      // Read after raising the flag: an answer given before it is seen here, one given after it notifies.
      const seen = Atomics.load(cells, RingCell.answered);
      if (seen > this.#taken) return wake();
      const result = Atomics.waitAsync(cells, RingCell.answered, seen, WAIT_LIMIT_MS);
      if (result.async) void result.value.then(wake);
      else wake();
    });
  }
}
