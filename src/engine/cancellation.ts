/**
 * What happens to a call whose deadline passes or whose signal fires, and to
 * the work on a worker that must stop (a transaction past its timeout, close
 * past its grace). With the native library the statement is interrupted
 * inside SQLite and the worker's answer decides the outcome; without it, the
 * call rejects at once and its worker is replaced.
 */
import { performance } from 'node:perf_hooks';
import { CANCELLED_CODE } from '../protocol';
import type { WorkerHandle } from '../worker-handle';
import { isLeaseWaiter, type Job, type LeaseWaiter, type QueueItem } from './job';
import type { Queues } from './queues';

/**
 * How long an interrupted statement may take to stop before its worker is
 * terminated: SQLite stops within milliseconds, but a user function running
 * JavaScript never returns to SQLite to notice the interrupt.
 */
const INTERRUPT_GRACE_MS = 1000;

/**
 * How often a cancelled statement that still runs is interrupted again.
 * SQLite drops an interrupt that lands while none of the connection's
 * statements is active: one that arrives after the worker marked the request
 * as running but before SQLite began stepping it (binding its parameters, or
 * a preempted thread) is forgotten, and the statement would run to its end.
 */
const REINTERRUPT_MS = 10;

/** What cancelling needs of the pool. @internal */
export interface CancelHost {
  settle(job: Job, err: Error): void;
  settleWaiter(waiter: LeaseWaiter, err: Error): void;
  /** Terminates a worker and starts another in its slot. */
  recycle(worker: WorkerHandle): void;
  /** Dispatches again (a cancelled call may have freed room). */
  pump(): void;
}

/** Whether an error code says a statement was stopped by the pool's own cancellation. @internal */
export function isInterruption(code: string | undefined): boolean {
  return code === 'SQLITE_INTERRUPT' || code === CANCELLED_CODE;
}

/** @internal */
export class Cancellation {
  readonly #queues: Queues;
  readonly #host: CancelHost;

  constructor(queues: Queues, host: CancelHost) {
    this.#queues = queues;
    this.#host = host;
  }

  /**
   * Cancels one call with `err`. Queued: it leaves the queue and rejects. On
   * a worker that can interrupt: the worker skips it if it has not begun,
   * else SQLite is interrupted, and the worker's answer decides (a statement
   * that finished anyway resolves: it did run). On a worker that cannot: it
   * rejects now and the worker is replaced.
   */
  cancel(item: QueueItem, err: Error): void {
    if (item.settled) return;
    const queued = this.#queues.remove(item);
    if (isLeaseWaiter(item)) {
      this.#host.settleWaiter(item, err);
      // What waited behind it may go now.
      this.#host.pump();
      return;
    }
    const worker = item.worker;
    if (queued || worker === undefined || item.request.op === 'close-cursor' || item.cancelledBy !== undefined) {
      this.#host.settle(item, err);
    } else if (worker.interruptible) {
      item.cancelledBy = err;
      if (worker.cancel(item) === 'skipped') this.#host.settle(item, err);
      else this.#watch(item, worker, performance.now());
    } else {
      this.#host.settle(item, err);
      // Running (or sent and waiting behind others on that worker): without
      // interrupt, the only way to stop it is to stop the thread.
      this.#host.recycle(worker);
    }
    this.#host.pump();
  }

  /** Stops whatever runs on `worker`: each in-flight call is cancelled with `err`. */
  stopWork(worker: WorkerHandle, err: Error): void {
    if (!worker.interruptible) {
      if (worker.inflight > 0) this.#host.recycle(worker);
      return;
    }
    for (const dispatch of worker.pending()) this.cancel(dispatch as Job, err);
  }

  /** Looks at a cancelled call again in {@link REINTERRUPT_MS}: see {@link check}. */
  #watch(job: Job, worker: WorkerHandle, since: number): void {
    job.graceTimer = setTimeout(() => this.#check(job, worker, since), REINTERRUPT_MS);
  }

  /**
   * A cancelled call has no answer yet. If its statement runs, it is
   * interrupted again (the first interrupt may have come before SQLite
   * began it); once it has run for the grace period since it was cancelled
   * (or since it began, if it was waiting behind another), it is inside a
   * user function running JavaScript: its worker is terminated. A call that
   * is not running is waiting its turn (the worker skips it) or finished
   * (its answer is on its way).
   */
  #check(job: Job, worker: WorkerHandle, since: number): void {
    job.graceTimer = undefined;
    if (job.settled || job.worker !== worker) return;
    const now = performance.now();
    if (!worker.isRunning(job.request.id)) return this.#watch(job, worker, now);
    if (now - since < INTERRUPT_GRACE_MS) {
      worker.cancel(job);
      return this.#watch(job, worker, since);
    }
    this.#host.settle(job, job.cancelledBy as Error);
    this.#host.recycle(worker);
  }
}
