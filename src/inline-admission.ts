/**
 * Which SQL texts may run on the main-thread connection (`inlineReads`): those
 * whose measured cost stays under the budget. Runs over it, and reads the
 * watchdog stopped whose re-run on a worker was slow too, take a text off the
 * inline path for a while; a clean window of runs forgives it.
 */
import { performance } from 'node:perf_hooks';

/** Inline runs per accounting window (see {@link InlineAdmission.observe}). */
const WINDOW = 32;
/** Windows kept; past this many SQL texts, the counts start over (they are only a guard). */
const MAX_WINDOWS = 128;
/**
 * A window mostly over the budget spares its text if its runs took less than
 * this share of the main thread's time (they come few and far between, and
 * hold nothing up) and averaged under {@link SPARED_RUN} budgets.
 */
const BUSY_SHARE = 1 / 4;
/** Budgets an average run of a spared window stays under: past it, a read is not cheap, however rare. */
const SPARED_RUN = 10;

/** One SQL text's current accounting window: inline runs, runs over budget, their time (ms), and when it began (performance.now() ms). */
interface Window {
  runs: number;
  over: number;
  time: number;
  since: number;
}

/**
 * How long a refused SQL text stays off the inline path: 100 ms after its
 * first refusal, doubling with each refusal after it was let back, up to a
 * minute; a full window of clean runs forgets its refusals. Not for good: on a
 * busy machine a cheap read is refused now and then (preempted in the middle,
 * a GC pause, and its re-run on a reader preempted too), and the watchdog
 * bounds what letting a slow one back costs: one stall of the cap per
 * re-admission. Not 1 s, as it was: a fresh process's first reads (threads
 * starting, code being compiled) tripped the cap and a slow re-run often
 * enough that a hot point read spent its first second on the workers
 * (measured: ×0.2–0.5 of its inline throughput for that second).
 */
const REFUSAL_MS = { first: 100, max: 60_000 };

/** @internal */
export class InlineAdmission {
  /** Budget in milliseconds. */
  readonly #budget: number;
  /** The watchdog's cap in milliseconds (0: none). */
  readonly #capMs: number;
  /** SQL texts off the inline path until `until` (performance.now() ms), and their refusals since a clean window. */
  readonly #refused = new Map<string, { until: number; strikes: number }>();
  /** Per SQL text that ran here: its current window. */
  readonly #windows = new Map<string, Window>();

  constructor(budgetMs: number, capMs: number) {
    this.#budget = budgetMs;
    this.#capMs = capMs;
  }

  /**
   * Whether `sql`, with a worker-measured cost of `cost` ms (undefined: not
   * known to be a read), may run inline now. The workers' estimate admits a
   * text the first time; once it runs here, its own runs judge it
   * ({@link observe}). Not the workers' estimate then: a re-run of a read the
   * watchdog stopped, or a read sent to a worker while a turn was full, lands
   * on a worker whose page cache the inline path kept cold, and its cost there
   * (a page read per row, ×5–50 the inline cost) would send every read of that
   * text to the workers until their estimate decayed.
   */
  admits(sql: string, cost: number | undefined): boolean {
    if (cost === undefined) return false;
    if (cost >= this.#budget && !this.#windows.has(sql)) return false;
    const refusal = this.#refused.get(sql);
    return refusal === undefined || performance.now() >= refusal.until;
  }

  /**
   * Counts a statement's inline runs over the budget, per window of 32 runs.
   * A statement goes back to the workers (for a while) when more than half of
   * a window ran over budget (its typical run is not cheap), or, without a watchdog, when
   * one run takes 100 times the budget (its cost depends on its parameters;
   * with a watchdog such a run is stopped at the cap and judged by its re-run,
   * and one that finished unstopped that slow was a preempted main thread).
   * Single outliers (a page cache miss, a GC pause during the call) do not
   * count against it, nor does a main thread preempted during many of its
   * reads: on a machine whose cores are all busy, a quarter of a 5 µs read's
   * runs passed 50 µs of wall time (an HTTP server with four reports on two
   * cores), and sending such reads to the workers made each cost a round trip
   * there (median 3.4 ms against 0.12 ms inline, same run). Nor does a run
   * under 4 budgets of a statement the workers ran under budget (`cost`, ms):
   * that is this connection's cold page cache, which only inline runs warm.
   * In a fresh process, 64 point reads in flight over 1M rows ran over the
   * budget inline for their first window (a page read or two per call), the
   * text was refused, its reads took round trips to a reader, and throughput
   * stayed at 7–9k reads/s for 300 ms (80k+ once the cache was warm).
   * And a window mostly over the budget refuses its text only if its runs took
   * a quarter or more of the main thread's time since the window began
   * (`start`, `end`: performance.now() ms around this run) or 10 budgets each
   * on average: cheap reads that come few and far between hold nothing up.
   * In an HTTP server with two reports on two cores, a point read requested
   * 200 times a second took 0.1–0.25 ms inline (better-sqlite3's own call on
   * the main thread: 0.06–0.15 ms there), a quarter of its windows ran mostly
   * past 4 budgets, and each refusal sent its reads to a reader sharing the
   * cores with the reports: 3–10 ms each.
   */
  observe(sql: string, start: number, end: number, cost: number): void {
    const elapsed = end - start;
    if (this.#capMs === 0 && elapsed >= 100 * this.#budget) {
      this.#refuse(sql);
      return;
    }
    let window = this.#windows.get(sql);
    if (window === undefined) {
      if (this.#windows.size >= MAX_WINDOWS) this.#windows.clear();
      window = { runs: 0, over: 0, time: 0, since: start };
      this.#windows.set(sql, window);
    }
    window.runs++;
    window.time += elapsed;
    if (elapsed >= this.#budget && (cost >= this.#budget || elapsed >= 4 * this.#budget)) window.over++;
    if (window.over * 2 > WINDOW) {
      if (window.time >= (end - window.since) * BUSY_SHARE || window.time >= window.runs * SPARED_RUN * this.#budget) {
        this.#refuse(sql);
        return;
      }
      // Mostly over the budget, but the reads came few and far between: they
      // stay, and the window starts over without forgiving past refusals.
      this.#restart(window, end);
    } else if (window.runs >= WINDOW) {
      // A clean window: whatever refusals this SQL had are forgiven.
      this.#refused.delete(sql);
      this.#restart(window, end);
    }
  }

  #restart(window: Window, now: number): void {
    window.runs = 0;
    window.over = 0;
    window.time = 0;
    window.since = now;
  }

  /**
   * How long a worker spent re-running a read the watchdog stopped. As long
   * as the cap or longer: the read is slow (for these parameters at least),
   * so its SQL leaves the inline path for a while. Shorter: the read was
   * cheap and the main thread had stalled during it (preempted on a busy
   * machine, or a garbage collection inside the call), so the SQL stays.
   * Other reads of it run inline meanwhile, not held back until the verdict
   * (on a loaded machine that sent every caller's reads to the workers after
   * each preemption): each is still stopped at the cap, and the first one
   * stopped spends its turn's inline time, so the others wait for later turns.
   */
  rerunTook(sql: string, cost: number): void {
    if (cost < this.#capMs) return;
    // Concurrent re-runs of one slow text are one refusal, not several.
    const refusal = this.#refused.get(sql);
    if (refusal === undefined || performance.now() >= refusal.until) this.#refuse(sql);
  }

  /** `sql` can never run inline (it writes, or returns no rows). */
  refuseForGood(sql: string): void {
    this.#refuse(sql, Infinity);
  }

  /** How many SQL texts are off the inline path now. */
  offPath(): number {
    const now = performance.now();
    let n = 0;
    for (const { until } of this.#refused.values()) if (now < until) n++;
    return n;
  }

  /** Takes `sql` off the inline path for `ms`; by default 100 ms, doubling per refusal since its last clean window. */
  #refuse(sql: string, ms?: number): void {
    const strikes = (this.#refused.get(sql)?.strikes ?? 0) + 1;
    const span = ms ?? Math.min(REFUSAL_MS.first * 2 ** (strikes - 1), REFUSAL_MS.max);
    this.#refused.set(sql, { until: performance.now() + span, strikes });
    this.#windows.delete(sql);
  }
}
