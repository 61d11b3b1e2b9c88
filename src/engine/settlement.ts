/**
 * Settling calls and lease requests: each settles exactly once, releases
 * what it held (its deadline, its grace timer, its place in the order of
 * writes) and is counted in the stats.
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

  constructor(queues: Queues, counters: Counters) {
    this.#queues = queues;
    this.#counters = counters;
  }

  /** Resolves a call with `value` (answered by `worker`), or rejects it with `err`. */
  settle(job: Job, err: unknown, value?: unknown, worker?: WorkerHandle): void {
    if (job.settled) return;
    job.settled = true;
    // A probe answered for good (run, failed or cancelled) holds nothing back;
    // one that bounced holds its place until its second half is submitted.
    if (job.holds && (err !== undefined || !isBounced(value))) this.#queues.unhold(job.seq);
    job.disarm?.();
    if (job.graceTimer !== undefined) clearTimeout(job.graceTimer);
    if (err === undefined) {
      // A bounced probe is half of one call: the call counts when its second half settles.
      if (!isBounced(value)) this.#counters.completed++;
      job.resolve({ value, worker: worker as WorkerHandle });
    } else {
      this.#counters.failure(err);
      job.reject(err);
    }
  }

  /** Grants a lease request its lease, or rejects it with `err`. */
  settleWaiter(waiter: LeaseWaiter, err: Error | undefined, lease?: Lease): void {
    if (waiter.settled) return;
    waiter.settled = true;
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
