/**
 * Settling calls and lease requests: each settles exactly once, releases
 * what it held (its deadline, its grace timer, its place in the order of
 * writes) and is counted in the stats. While any accepted call or lease
 * request has not settled, the process stays alive.
 */
import { isBounced } from '../protocol';
import type { WorkerHandle } from '../worker-handle';
import { isLeaseWaiter, type Job, type Lease, type LeaseWaiter, type QueueItem } from './job';
import type { Queues } from './queues';
import type { Counters } from './stats';

/** @internal */
export class Settlement {
  readonly #queues: Queues;
  readonly #counters: Counters;
  /** Calls and lease requests accepted and not settled yet. */
  #pending = 0;
  /**
   * Referenced while {@link #pending} > 0: an awaited call always completes,
   * whatever its worker's handle does meanwhile (queued behind a worker being
   * replaced, between a crashed worker and its replacement: Node 22 was seen to
   * end a process there with a call pending). One timer, ref'd and unref'd.
   */
  #alive: NodeJS.Timeout | undefined;

  constructor(queues: Queues, counters: Counters) {
    this.#queues = queues;
    this.#counters = counters;
  }

  /** A call or lease request was accepted: it keeps the process alive until it settles. */
  accepted(): void {
    if (this.#pending++ > 0) return;
    this.#alive ??= setInterval(() => {}, 2 ** 31 - 1);
    this.#alive.ref();
  }

  #done(): void {
    if (--this.#pending === 0) this.#alive?.unref();
  }

  /** Stops the keep-alive timer (the pool is closed). */
  dispose(): void {
    if (this.#alive !== undefined) clearInterval(this.#alive);
    this.#alive = undefined;
  }

  /** Resolves a call with `value` (answered by `worker` in `cost` ms), or rejects it with `err`. */
  settle(job: Job, err: unknown, value?: unknown, worker?: WorkerHandle, cost?: number): void {
    if (job.settled) return;
    job.settled = true;
    this.#done();
    // A probe answered for good (run, failed or cancelled) holds nothing back;
    // one that bounced holds its place until its second half is submitted.
    if (job.holds && (err !== undefined || !isBounced(value))) this.#queues.unhold(job.seq);
    job.disarm?.();
    if (job.graceTimer !== undefined) clearTimeout(job.graceTimer);
    if (err === undefined) {
      // A bounced probe is half of one call: the call counts when its second half settles.
      if (!isBounced(value)) this.#counters.completed++;
      job.resolve({ value, worker: worker as WorkerHandle, cost });
    } else {
      this.#counters.failure(err);
      job.reject(err);
    }
  }

  /** Grants a lease request its lease, or rejects it with `err`. */
  settleWaiter(waiter: LeaseWaiter, err: Error | undefined, lease?: Lease): void {
    if (waiter.settled) return;
    waiter.settled = true;
    this.#done();
    waiter.disarm?.();
    if (err === undefined) waiter.resolve(lease as Lease);
    else {
      this.#counters.failure(err);
      waiter.reject(err);
    }
  }

  /** Rejects whatever waits in a queue. */
  fail(item: QueueItem, err: Error): void {
    if (isLeaseWaiter(item)) this.settleWaiter(item, err);
    else this.settle(item, err);
  }
}
