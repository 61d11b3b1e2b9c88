/**
 * node-sqlite3's per-connection work queue, which decides when a call starts:
 * in parallel mode a call starts at once unless an exclusive call (`exec`,
 * `close`, `wait`, a transaction boundary) is running or waiting; in
 * `serialize()` mode each call waits until everything before it has
 * finished. A statement's own later calls (`stmt.run()` after `prepare`)
 * bypass this queue but count as pending while they run, as in node-sqlite3.
 */

import { Fifo } from './fifo';

/** A unit of work: `run` calls `done()` once, when it has finished; `fail` tells its caller it never will run. @internal */
export interface Work {
  run(done: () => void): void;
  fail(err: Error): void;
}

/** One facade connection's queue (node-sqlite3's `Database::Schedule`/`Process`). @internal */
export class Scheduler {
  /** Whether `serialize()` mode is on. */
  serialize = false;
  #open = false;
  #closedWith: Error | undefined;
  #locked = false;
  #pending = 0;
  readonly #queue = new Fifo<{ work: Work; exclusive: boolean }>();

  /** Whether the connection has opened and not yet closed. */
  get open(): boolean {
    return this.#open;
  }

  /** Calls that have started and not finished. */
  get pending(): number {
    return this.#pending;
  }

  /** Starts or queues `work`; `exclusive` work waits for everything before it and holds back everything after it. */
  schedule(work: Work, exclusive = false): void {
    if (this.#closedWith !== undefined) {
      work.fail(this.#closedWith);
      return;
    }
    if (!this.#open || ((this.#locked || exclusive || this.serialize) && this.#pending > 0)) {
      this.#queue.push({ work, exclusive: exclusive || this.serialize });
      return;
    }
    this.#start(work, exclusive);
  }

  /** Counts a statement's own call as pending while it runs; returns the function that ends it. */
  track(): () => void {
    this.#pending++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#pending--;
    };
  }

  /** Marks the connection open; calls made from now on may start at once (queued ones wait for {@link process}). */
  setOpen(): void {
    this.#open = true;
  }

  /**
   * Marks the connection closed for good (closed, or failed to open): work
   * scheduled from now on fails with `later`. Returns the work still queued,
   * for the caller to fail once it has reported the close.
   */
  shutdown(later: Error): Work[] {
    this.#open = false;
    this.#closedWith = later;
    return this.#queue.clear().map((q) => q.work);
  }

  /** Starts queued work in order while the rules allow (node-sqlite3's `Database::Process`). */
  process(): void {
    while (this.#open && (!this.#locked || this.#pending === 0) && this.#queue.length > 0) {
      const next = this.#queue.peek() as { work: Work; exclusive: boolean };
      if (next.exclusive && this.#pending > 0) break;
      this.#queue.shift();
      this.#start(next.work, next.exclusive);
      if (this.#locked) break;
    }
  }

  #start(work: Work, exclusive: boolean): void {
    this.#locked = exclusive;
    this.#pending++;
    let ended = false;
    work.run(() => {
      if (ended) return;
      ended = true;
      this.#pending--;
      if (exclusive) this.#locked = false;
      this.process();
    });
  }
}
