/**
 * The inline path's share of each event-loop turn. Once `inlineCap`
 * milliseconds have passed since a turn's first inline read (the same bound
 * on the longest stall as one read's), reads wait for the next turn so the
 * loop does its I/O first, then run inline. Wall time, not time in SQLite:
 * the caller's code between reads and the calls' own overhead block the loop
 * too (measured: a point read's call costs 2–4 times its time in SQLite).
 *
 * How many reads waited at a turn's end tells the hybrid split
 * ({@link InlineHybrid}) whether the main thread is the bottleneck.
 */
import type { InlineHybrid } from './inline-hybrid';

/** Inline milliseconds per event-loop turn when `inlineCap` is 0 (no watchdog). */
const DEFAULT_TURN_BUDGET = 2;

/**
 * Where a read goes now (`InlineReader.place`): run on the main thread; wait
 * for the next event-loop turn and ask again; to the pool like any read (not
 * an inline read, or `maxQueue` reads wait for a turn already); or to the
 * readers as part of the hybrid split, reported with `InlineReader.landed`. @internal
 */
export type TurnPlacement = 'main' | 'wait' | 'offload' | 'pool';

/** @internal */
export class InlineTurns {
  /** Inline milliseconds one event-loop turn may spend. */
  readonly #budget: number;
  /** When the current turn's first inline read began (performance.now() ms); cleared in the turn's check phase. */
  #since: number | undefined;
  #reset: NodeJS.Immediate | undefined;
  /** Reads waiting for the next turn ({@link nextTurn}), and the promise they wait on. */
  #waiters = 0;
  #nextTurn: Promise<void> | undefined;
  readonly #hybrid: InlineHybrid;
  /** Reads that waited for a later turn. */
  deferred = 0;

  /** Reads that may wait for a turn at once (`maxQueue`): past it, the pool and its own limit take them. */
  readonly #maxWaiting: number;

  constructor(capMs: number, maxWaiting: number, hybrid: InlineHybrid) {
    this.#budget = capMs > 0 ? capMs : DEFAULT_TURN_BUDGET;
    this.#maxWaiting = maxWaiting;
    this.#hybrid = hybrid;
  }

  /**
   * Where a cheap read goes now: to the readers when the hybrid split takes
   * it; else the main thread while this turn has inline time left; else it
   * waits for the next turn; once `maxQueue` reads wait, to the pool, whose
   * queue has the same limit. `now`: `performance.now()`, taken by the caller
   * (a read that runs inline starts its clock there: one clock read fewer).
   */
  place(now: number): TurnPlacement {
    if (this.#since === undefined) {
      this.#since = now;
      // The check phase comes after the poll phase: once this runs, the loop has done its I/O.
      this.#reset = setImmediate(() => {
        this.#reset = undefined;
        this.#since = undefined;
        // Before the reads that waited resume (their immediate was queued later).
        this.#hybrid.turnEnded(this.#waiters);
      });
      this.#reset.unref();
    } else if (now - this.#since >= this.#budget) {
      if (this.#hybrid.take()) return 'offload';
      // Waiting reads are waiting calls: a flood of them is bounded as the pool's queue is.
      if (this.#waiters >= this.#maxWaiting) return 'pool';
      this.deferred++;
      return 'wait';
    }
    return this.#hybrid.take() ? 'offload' : 'main';
  }

  /**
   * Resolves in the loop's next check phase, after its poll for I/O and after
   * the turn's budget was reset (that immediate was queued first, with the
   * turn's first inline read). Every read that waits in
   * one turn shares one immediate; it is referenced, so a waiting read keeps
   * the process alive like any accepted call.
   */
  nextTurn(): Promise<void> {
    this.#waiters++;
    this.#nextTurn ??= new Promise((resolve) =>
      setImmediate(() => {
        this.#nextTurn = undefined;
        this.#waiters = 0;
        resolve();
      }),
    );
    return this.#nextTurn;
  }

  /**
   * Resolves once no read waits for a turn: the pool is closing, and reads
   * that waited were submitted before it (they run inline when they resume,
   * see `Database.inlineFor`). Then stops resetting the budget.
   */
  async close(): Promise<void> {
    // Reads that waited register before this await, so they run first.
    while (this.#nextTurn !== undefined) await this.#nextTurn;
    if (this.#reset !== undefined) clearImmediate(this.#reset);
  }
}
