/**
 * Leases: exclusive use of one worker by a transaction (the writer) or a read
 * snapshot (a reader). A leased worker takes no other work; the lease ends
 * when its holder releases it, when its worker dies, or when the pool closes.
 */
import { TransactionClosedError } from '../errors';
import type { WorkerHandle } from '../worker-handle';
import { Lease } from './job';

/** @internal */
export class Leases {
  readonly #held = new Set<Lease>();

  /** How many leases are held. */
  get size(): number {
    return this.#held.size;
  }

  /** Gives `worker` to a new lease. */
  grant(worker: WorkerHandle): Lease {
    worker.leased = true;
    const lease = new Lease(worker);
    this.#held.add(lease);
    return lease;
  }

  /** Ends a lease: its calls now reject with `reason`; false if it had already ended. */
  release(lease: Lease, reason: Error): boolean {
    if (lease.closedBy !== undefined) return false;
    lease.closedBy = reason;
    lease.worker.leased = false;
    this.#held.delete(lease);
    return true;
  }

  /** The leased worker died: its lease breaks, and its holder learns why. */
  breakFor(worker: WorkerHandle, cause: unknown): void {
    for (const lease of this.#held) {
      if (lease.worker !== worker) continue;
      this.#held.delete(lease);
      const err = new TransactionClosedError(`The connection was lost: ${cause instanceof Error ? cause.message : String(cause)}`);
      lease.closedBy = err;
      // Later, so that whoever terminated the worker can give the lease's own reason first.
      queueMicrotask(() => lease.onBroken?.(err));
    }
    worker.leased = false;
  }

  /** Ends every lease with `err` (close() past its grace period). */
  endAll(err: Error): void {
    for (const lease of [...this.#held]) {
      this.release(lease, err);
      queueMicrotask(() => lease.onBroken?.(err));
    }
  }
}
