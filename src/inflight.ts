/**
 * The requests in flight on one worker, oldest first, and the matching of
 * answers to them. A worker answers in the order it was sent requests; the
 * answers to requests that went through its request ring (src/request-ring.ts)
 * come from the ring (or by port, when they did not fit), the rest by port.
 * This list merges the two back into that one order.
 */
import type { Request, Response, RowsPayload } from './protocol';
import type { RequestRing } from './request-ring';
import type { WorkerHandle } from './worker-handle';

/** A request on its way to a worker, and who is waiting for its answer. @internal */
export interface Dispatch {
  readonly request: Request;
  onResponse(response: Response, worker: WorkerHandle): void;
  /** Chunks of rows the worker posted ahead of the answer (see `RowsMessage` in protocol.ts). */
  streamed?: RowsPayload[];
  /** Set when the request could not be posted: its answer is this error (see outbox.ts). */
  unsent?: unknown;
  /** Its index in the worker's request ring, or -1 when it went by port (set by {@link WorkerHandle.send}). */
  ring?: number;
}

/** @internal */
export class InflightList {
  readonly #list: Dispatch[] = [];
  #head = 0;
  /** Bumped by {@link clear}: a delivery that ended the worker stops the loop delivering. */
  #epoch = 0;
  /** Requests answered since the worker started: with its `started` count, what it began. */
  answered = 0;
  readonly #ring: RequestRing | undefined;
  readonly #deliver: (dispatch: Dispatch, response: Response) => void;

  /** `deliver` hands each answer to its request, in order. */
  constructor(ring: RequestRing | undefined, deliver: (dispatch: Dispatch, response: Response) => void) {
    this.#ring = ring;
    this.#deliver = deliver;
  }

  /** Requests sent and not yet answered. */
  get size(): number {
    return this.#list.length - this.#head;
  }

  /** The requests sent and not yet answered, oldest first. */
  pending(): Dispatch[] {
    return this.#list.slice(this.#head);
  }

  push(dispatch: Dispatch): void {
    this.#list.push(dispatch);
  }

  /** Position of `dispatch` among the unanswered requests (0 = oldest), or -1. */
  indexOf(dispatch: Dispatch): number {
    const index = this.#list.indexOf(dispatch, this.#head);
    return index === -1 ? -1 : index - this.#head;
  }

  /** Empties the list (the worker is gone); returns what was unanswered. */
  clear(): Dispatch[] {
    const pending = this.pending();
    this.#epoch++;
    this.#list.length = 0;
    this.#head = 0;
    return pending;
  }

  /** Answers that came by port, in order; ring answers due before each are delivered first. */
  onPortAnswers(responses: readonly Response[]): void {
    const epoch = this.#epoch;
    for (const response of responses) {
      this.drainRing();
      if (this.#epoch !== epoch) return;
      const dispatch = this.#list[this.#head];
      if (dispatch === undefined || dispatch.request.id !== response.id) {
        throw new Error(`threadlite: response ${response.id} out of order (internal error)`);
      }
      // A ring request answered by port frees its slot too.
      if ((dispatch.ring ?? -1) >= 0) this.#ring?.take();
      this.#next(dispatch, response);
    }
    this.drainRing();
  }

  /**
   * Delivers the ring answers that are due: those of the oldest requests, up
   * to one that still runs or whose answer comes by port. Returns true when
   * the oldest request waits for its answer in the ring (the caller arms it).
   */
  drainRing(): boolean {
    const ring = this.#ring;
    if (ring === undefined) return false;
    const epoch = this.#epoch;
    while (this.#epoch === epoch) {
      const dispatch = this.#list[this.#head];
      const index = dispatch?.ring ?? -1;
      if (index < 0) return false;
      const answer = ring.answer(index);
      if (answer === undefined) return true;
      if (answer === 'port') return false;
      if (answer.id !== (dispatch as Dispatch).request.id) throw new Error(`threadlite: ring answer ${answer.id} out of order (internal error)`);
      ring.take();
      this.#next(dispatch as Dispatch, answer);
    }
    return false;
  }

  #next(dispatch: Dispatch, response: Response): void {
    this.#list[this.#head++] = undefined as unknown as Dispatch;
    this.answered++;
    if (this.#head > 1024 && this.#head * 2 > this.#list.length) {
      this.#list.splice(0, this.#head);
      this.#head = 0;
    }
    this.#deliver(dispatch, response);
  }
}
