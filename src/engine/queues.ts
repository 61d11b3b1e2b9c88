/**
 * The pool's three queues: writes (and everything in call order on the
 * writer), light reads, and reads that may be heavy. One counter of what waits.
 */
import { isLeaseWaiter, type Job, type QueueItem } from './job';

/** @internal */
export class Queues {
  readonly write: QueueItem[] = [];
  readonly light: QueueItem[] = [];
  readonly heavy: Job[] = [];
  /** Items waiting in all three. */
  #count = 0;
  /** Submission numbers of probes out on readers that may yet turn out to be writes. */
  readonly #holds = new Set<number>();

  get count(): number {
    return this.#count;
  }

  /** Queues an item at the back of the queue its target and weight say. */
  push(item: QueueItem): void {
    this.#count++;
    if (item.target === 'write') {
      // In submission order: a bounced probe comes back with its original number.
      let at = this.write.length;
      while (at > 0 && (this.write[at - 1] as QueueItem).seq > item.seq) at--;
      this.write.splice(at, 0, item);
    }
    else if (!isLeaseWaiter(item) && item.heavy) this.heavy.push(item);
    else this.light.push(item);
  }

  /** Puts jobs back in front (a dead worker's), in their original order. */
  unshiftAll(jobs: Job[]): void {
    for (const job of [...jobs].reverse()) {
      this.#count++;
      if (job.target === 'write') this.write.unshift(job);
      else if (job.heavy) this.heavy.unshift(job);
      else this.light.unshift(job);
    }
  }

  /**
   * A statement submitted as number `seq` is out on a reader to learn whether
   * it is a read. Until it is answered, no write submitted after it may reach
   * the writer: if it turns out to be a write (`INSERT … RETURNING`), it comes
   * back and takes its place in order.
   */
  hold(seq: number): void {
    this.#holds.add(seq);
  }

  /** The probe numbered `seq` was answered, or came back as a write. */
  unhold(seq: number): void {
    this.#holds.delete(seq);
  }

  /** Whether a write numbered `seq` must wait for a probe submitted before it. */
  held(seq: number): boolean {
    for (const hold of this.#holds) if (hold < seq) return true;
    return false;
  }

  /** Removes an item wherever it waits; false if it was not queued. */
  remove(item: QueueItem): boolean {
    // Reads may have moved to the writer's queue, so look in all three.
    for (const queue of [this.write, this.light, this.heavy] as QueueItem[][]) {
      const index = queue.indexOf(item);
      if (index !== -1) {
        queue.splice(index, 1);
        this.#count--;
        return true;
      }
    }
    return false;
  }

  /** Takes the first item of `queue` (one of the three), or the one at `index`. */
  take<T extends QueueItem>(queue: T[], index = 0): T {
    this.#count--;
    return queue.splice(index, 1)[0] as T;
  }

  /** Empties every queue and returns what waited, writes first. */
  drain(): QueueItem[] {
    const all = [...this.write.splice(0), ...this.light.splice(0), ...this.heavy.splice(0)];
    this.#count = 0;
    return all;
  }

  /** Moves every waiting read to the writer's queue (no reader is left). */
  readsToWriter(): void {
    this.write.push(...this.light.splice(0), ...this.heavy.splice(0));
  }
}
