/**
 * The worker's side of its request ring (see src/ring-protocol.ts): reads
 * the requests the main thread published, in ring order, writes their
 * answers, and waits for more with `Atomics.waitAsync`, so the worker's event
 * loop (timers, the `setup` module's callbacks, port messages) keeps running
 * while it waits. Runs only inside a worker thread.
 */
import type { Response, StatementRequest } from '../protocol';
import { RingCell, RingViews, readRequest, requestSeq, writeAnswer } from '../ring-protocol';

/**
 * Answers given before the main thread is woken while more requests wait:
 * waking it costs this thread ~15 µs on a virtual machine (measured: a task
 * posted to a thread asleep on another vCPU), more than a point read, and a
 * main thread that is woken per answer spends a wake-up on each. The worker
 * also wakes it whenever it runs out of requests, so a lone request is
 * answered at once.
 */
const NOTIFY_EVERY = 8;

/** The longest the worker waits for a notify before it looks at the ring again (a safety net, as on the main thread). */
const WAIT_LIMIT_MS = 250;

/** A request read from the ring, and where its answer goes. @internal */
export interface RingRequest {
  request: StatementRequest;
  index: number;
  sqlId: number;
}

/** @internal */
export class WorkerRing {
  readonly #ring: RingViews;
  /** Ring requests read (the next one's index). */
  #read = 0;
  /** `published` as of the last look: waiting starts only if nothing came since. */
  #seen = 0;
  readonly #sql = new Map<number, string>();
  /** Column names last sent per SQL id (the main thread mirrors them). */
  readonly #names = new Map<number, readonly string[]>();
  #waiting = false;
  /** Answers given since the main thread was last notified. */
  #unnotified = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.#ring = new RingViews(buffer);
  }

  /** The sequence number of the next unread ring request, or -1 if none is published. */
  nextSeq(): number {
    const published = Atomics.load(this.#ring.cells, RingCell.published);
    this.#seen = published;
    return this.#read < published ? requestSeq(this.#ring, this.#read) : -1;
  }

  /** Reads the next ring request (after {@link nextSeq} said it is there). */
  take(): RingRequest {
    const index = this.#read++;
    let sqlId = 0;
    const request = readRequest(
      this.#ring,
      index,
      (id) => {
        sqlId = id;
        return this.#sql.get(id) as string;
      },
      (id, sql) => this.#sql.set(id, sql),
    );
    return { request, index, sqlId };
  }

  /**
   * Answers ring request `taken`: in its slot if it fits (returns true), else
   * marks the slot and returns false, and the caller sends it by port. Either
   * way the answer counts as given, and the main thread is woken if it waits.
   */
  answer(taken: RingRequest, response: Response): boolean {
    const fits = writeAnswer(this.#ring, taken.index, response, taken.request, this.#names, taken.sqlId);
    Atomics.store(this.#ring.cells, RingCell.answered, taken.index + 1);
    if (++this.#unnotified >= NOTIFY_EVERY) this.notify();
    return fits;
  }

  /** Wakes the main thread if it waits for answers given since it was last woken. */
  notify(): void {
    if (this.#unnotified === 0) return;
    this.#unnotified = 0;
    const cells = this.#ring.cells;
    // One wake-up per wait: the flag is cleared here, so a later notify does not wake it twice.
    if (Atomics.load(cells, RingCell.mainWaiting) === 1 && Atomics.compareExchange(cells, RingCell.mainWaiting, 1, 0) === 1) {
      Atomics.notify(cells, RingCell.answered);
    }
  }

  /** Calls `onRequest` once, in a later task, when the main thread publishes more requests. */
  wait(onRequest: () => void): void {
    if (this.#waiting) return;
    const cells = this.#ring.cells;
    Atomics.store(cells, RingCell.workerWaiting, 1);
    const published = Atomics.load(cells, RingCell.published);
    this.#waiting = true;
    const wake = () => {
      this.#waiting = false;
      Atomics.store(cells, RingCell.workerWaiting, 0);
      onRequest();
    };
    if (published !== this.#seen) {
      setImmediate(wake);
      return;
    }
    const result = Atomics.waitAsync(cells, RingCell.published, published, WAIT_LIMIT_MS);
    if (result.async) void result.value.then(wake);
    else setImmediate(wake);
  }
}
