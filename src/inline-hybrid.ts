/**
 * Hybrid execution: while more cheap reads come than the main thread can run
 * inline, some of them go to the readers, so that two cores serve them
 * instead of one. How many may be on the readers at once (the depth) is
 * found by feedback, from the reads still waiting when a turn's inline time
 * was spent and the turn ends (see `InlineTurns`):
 *
 * - with no split yet, 32 or more waiting start it (depth 1);
 * - once it runs, 8 or more deepen it by an eighth (at least one);
 * - fewer make it a quarter shallower (down to 0: no split).
 *
 * So one caller's loop (one read waiting at a time) and a few callers never
 * leave the main thread (measured: splitting for 4–16 callers lost, the
 * reader idling and waking between reads), and a flood settles where the
 * main thread is just busy: past that, a deeper split only makes the
 * offloaded reads wait in the reader's queue.
 * An offloaded read costs the main thread a fraction of an inline one (it
 * writes the request into the reader's ring and reads the answer back), and
 * the main thread takes the readers' answers between its own reads ({@link
 * harvest}), so a reader never idles waiting for the event loop's next turn.
 *
 * A read goes to the readers only while one of them can take it at once (ready,
 * not held by a transaction or snapshot, no heavy read in flight or waiting,
 * pipeline not full; the scheduler decides: `Scheduler.offloadTarget`): a cheap
 * read never queues behind a report. While writes are in the mix the writer
 * takes them instead, on the same terms: it is awake for the writes anyway.
 * And a read goes to the first such reader, not the least loaded ({@link
 * isOffloaded}): one reader kept busy with a deep queue instead of all of
 * them half busy, each waking and sleeping and, past the machine's cores,
 * preempting the others with reads in its queue (measured, 64 in flight on 2
 * cores: p99 1.9 ms with the split on one reader, 3.6 ms spread over three, at
 * the same throughput).
 * `THREADLITE_TUNING=hybrid=0` switches the split off (the benchmark's ablation).
 */
import { TUNING } from './tuning';
import type { WorkerHandle } from './worker-handle';

/** Reads waiting at a turn's end that keep a split growing once it began. */
const KEEP = 8;

/** Requests of offloaded reads (see {@link isOffloaded}). */
const offloadedRequests = new WeakSet<object>();

/** Marks the request of a read the split sends to the readers. @internal */
export function markOffloaded(request: object): void {
  offloadedRequests.add(request);
}

/** Whether a request is an offloaded read: the scheduler packs these onto the first reader that can take them. @internal */
export function isOffloaded(request: object): boolean {
  return offloadedRequests.has(request);
}

/** @internal */
export class InlineHybrid {
  /** Reads that may be on the readers at once now. */
  #depth = 0;
  /** Offloaded reads not settled yet. */
  #inFlight = 0;
  /** Reads offloaded so far. */
  offloaded = 0;
  /** Readers that took offloaded reads since none was out (their answers are looked for). */
  readonly #targets = new Set<WorkerHandle>();
  readonly #target: () => WorkerHandle | undefined;
  readonly #threshold: number;
  readonly #maxDepth: number;

  /**
   * `target`: the reader an offloaded read would start on at once, if any;
   * `readers`: how many readers the pool may have (each takes a pipeline's worth).
   */
  constructor(target: () => WorkerHandle | undefined, readers: number, threshold = TUNING.hybrid) {
    this.#target = target;
    this.#maxDepth = readers * TUNING.pipelineDepth;
    this.#threshold = threshold;
  }

  /** A turn ended with `waiting` reads waiting for the next one (its inline time was spent). */
  turnEnded(waiting: number): void {
    if (this.#threshold === 0) return;
    if (waiting >= (this.#depth === 0 ? this.#threshold : KEEP)) {
      this.#depth = Math.min(this.#maxDepth, this.#depth + Math.max(1, this.#depth >> 3));
    } else {
      this.#depth = (this.#depth * 3) >> 2;
    }
  }

  /** Whether this read goes to the readers; if so, {@link landed} must follow once it settles. */
  take(): boolean {
    if (this.#inFlight >= this.#depth) return false;
    const reader = this.#target();
    if (reader === undefined) return false;
    this.#targets.add(reader);
    this.#inFlight++;
    this.offloaded++;
    return true;
  }

  /** An offloaded read has settled. */
  landed(): void {
    if (--this.#inFlight === 0) this.#targets.clear();
  }

  /**
   * Takes the answers the readers have given meanwhile (delivered in a
   * microtask): called before each inline read while reads are out, so
   * that their callers go on without waiting for the loop's next turn.
   */
  harvest(): void {
    if (this.#inFlight === 0) return;
    for (const reader of this.#targets) reader.ring?.poll();
  }

  /** The current depth, for stats. */
  get depth(): number {
    return this.#depth;
  }
}
