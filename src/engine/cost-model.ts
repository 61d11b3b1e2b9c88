/**
 * What the pool has learned per SQL text: whether better-sqlite3 called it
 * reader-safe (its route) and how long it takes on a worker (a running
 * estimate). Only real executions teach it: a bounced probe or a describe
 * (`columns()`, `info()`) only prepared the statement, and a run that was
 * interrupted or cancelled before it began says only that it costs at least
 * that much.
 */
import { CANCELLED_CODE, type Request, type Response } from '../protocol';

/** A statement whose observed cost reaches this many milliseconds counts as heavy. @internal */
export const HEAVY_MS = 5;
/** Weight of the newest observation in a statement's running cost estimate. */
const COST_SMOOTHING = 0.3;
/** Bound on the per-SQL maps (cleared when full). */
const MAX_TRACKED_SQL = 10_000;

/** @internal */
export class CostModel {
  readonly #routes = new Map<string, boolean>();
  readonly #costs = new Map<string, number>();
  /** Each statement's last observed cost (what {@link lightest} needs). */
  readonly #latest = new Map<string, number>();
  /** Set when a statement's cost became known: reads queued as guesses may now be known (see the scheduler). */
  learned = false;

  /** The running estimate of a statement's milliseconds on a worker, if it has run. */
  costOf(sql: string): number | undefined {
    return this.#costs.get(sql);
  }

  /**
   * The lower of the running estimate and the last observation: whether a
   * statement has shown that it can be cheap, even while the estimate still
   * carries its first runs (each with a cold page cache, the first with its
   * preparation) or a slow run for other parameters. What the inline path
   * admits a statement on; its own runs judge it after that.
   */
  lightest(sql: string): number | undefined {
    const estimate = this.#costs.get(sql);
    const latest = this.#latest.get(sql);
    return estimate === undefined || latest === undefined ? estimate : Math.min(estimate, latest);
  }

  /** Whether better-sqlite3 said the SQL may run on a reader; undefined until a worker prepared it. */
  readerSafe(sql: string): boolean | undefined {
    return this.#routes.get(sql);
  }

  /** Learns from a worker's answer to `request`. */
  observe(sql: string, request: Request, response: Response): void {
    if (request.op === 'next') return;
    if (!response.ok && response.error.code === CANCELLED_CODE) {
      // Never begun: nothing to learn about its cost.
    } else if (!response.ok && response.error.code === 'SQLITE_INTERRUPT') {
      // Cut short: its time is a lower bound of the statement's cost, not a run (and not its `lightest`).
      const old = this.#costs.get(sql);
      if (old === undefined || response.cost > old) this.#costs.set(sql, response.cost);
      if (old === undefined) this.learned = true;
    } else if (!(response.ok && response.bounced === true) && request.op !== 'describe') {
      if (this.#costs.size >= MAX_TRACKED_SQL) {
        this.#costs.clear();
        this.#latest.clear();
      }
      const old = this.#costs.get(sql);
      const cost = old === undefined ? response.cost : old + COST_SMOOTHING * (response.cost - old);
      this.#costs.set(sql, cost);
      this.#latest.set(sql, response.cost);
      if (old === undefined) this.learned = true;
    }
    if (response.readerSafe !== undefined) {
      if (this.#routes.size >= MAX_TRACKED_SQL) this.#routes.clear();
      this.#routes.set(sql, response.readerSafe);
    }
  }
}
