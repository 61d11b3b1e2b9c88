/**
 * Dispatch: which waiting call goes to which worker, now. Writes go to the
 * writer in order. Reads go to readers, cost-aware: a read that may be heavy
 * waits for an idle reader (and heavy reads hold every reader only while an
 * idle writer can serve light reads), light reads go to the least loaded
 * reader, pipelined. An idle writer serves reads no reader can take, and
 * while writes are in the mix it takes the reads the inline path offloads
 * (see inline-hybrid.ts).
 */
import { availableParallelism } from 'node:os';
import { TUNING } from '../tuning';
import type { WorkerHandle } from '../worker-handle';
import { isOffloaded } from '../inline-hybrid';
import { HEAVY_MS, type CostModel } from './cost-model';
import { isLeaseWaiter, type Job, type LeaseWaiter, type QueueItem } from './job';
import type { Queues } from './queues';
import type { Supervisor } from './supervisor';

/** Requests sent ahead to one worker before it answers (pipelining depth). */
const PIPELINE_DEPTH = TUNING.pipelineDepth;
/** A read known to cost less than this (ms) may run on an idle writer when every reader is busy. */
const WRITER_READ_MS = 50;
/** Heavy reads past which one more only shares the CPU (see the heavy-read dispatch). */
const CORES = availableParallelism();
/** A reader with calls in flight that has not answered for this long takes no more light reads. */
const STALL_MS = 25;
/** Writes sent to the writer within this long (ms) make it take the hybrid split's reads (see {@link Scheduler.offloadTarget}). */
const WRITE_MIX_MS = TUNING.writerMix;

/** What dispatch does with its decisions. @internal */
export interface Dispatcher {
  send(job: Job, worker: WorkerHandle): void;
  grant(waiter: LeaseWaiter, worker: WorkerHandle): void;
  fail(item: QueueItem, err: Error): void;
}

/** @internal */
export class Scheduler {
  readonly #queues: Queues;
  readonly #workers: Supervisor;
  readonly #costs: CostModel;
  readonly #dispatch: Dispatcher;
  /** When a statement last went to the writer as a write (performance.now() ms). */
  #lastWrite = -Infinity;

  constructor(queues: Queues, workers: Supervisor, costs: CostModel, dispatch: Dispatcher) {
    this.#queues = queues;
    this.#workers = workers;
    this.#costs = costs;
    this.#dispatch = dispatch;
  }

  /** Sends every waiting call that may go now. */
  pump(): void {
    const readers = this.#workers.readers;
    // The last reader gave up starting: its waiting reads go to the writer.
    if (readers.length === 0 && this.#queues.count > this.#queues.write.length) this.#queues.readsToWriter();
    this.#pumpWriter();
    if (readers.length > 0) {
      this.#pumpReaders();
      // Reads left waiting: the pool may start another reader (see Supervisor.grow).
      if (this.#queues.light.length > 0 || this.#queues.heavy.length > 0) this.#workers.grow();
    }
  }

  /** Whether the writer could take a plain read now (it sees the same committed state). */
  writerCanServeRead(): boolean {
    return this.#writerOpenToReads() && this.#workers.writer.inflight === 0;
  }

  /** Whether a read may go to the writer at all: ready, not held by a transaction, no write waiting, not given up. */
  #writerOpenToReads(): boolean {
    const w = this.#workers.writer;
    return w.state === 'ready' && !w.leased && !w.inTransaction && this.#queues.write.length === 0 && this.#workers.writerFailure === undefined;
  }

  #pumpWriter(): void {
    const writer = this.#workers.writer;
    const queue = this.#queues.write;
    const failure = this.#workers.writerFailure;
    if (failure !== undefined) {
      while (queue.length > 0) this.#dispatch.fail(this.#queues.take(queue), failure);
      return;
    }
    while (queue.length > 0 && writer.state === 'ready' && !writer.leased) {
      const item = queue[0] as QueueItem;
      if (this.#queues.held(item.seq)) return;
      if (!accepts(writer, !isLeaseWaiter(item) && item.cancellable)) return;
      this.#queues.take(queue);
      if (isLeaseWaiter(item)) {
        this.#dispatch.grant(item, writer);
        return;
      }
      if (!(item.request as { probe?: boolean }).probe) this.#lastWrite = performance.now();
      this.#dispatch.send(item, writer);
    }
  }

  #pumpReaders(): void {
    const readers = this.#workers.readers;
    const { heavy, light } = this.#queues;
    // Heavy reads may hold at most all readers but one, so that light reads
    // always find a connection; each heavy read waits for an idle reader.
    const heavySlots = Math.max(1, readers.length - 1);
    if (this.#costs.learned && heavy.length > 0) {
      // Reads queued as guesses whose statement has run since: light ones
      // join the light reads, heavy ones wait with their estimate.
      for (let i = heavy.length - 1; i >= 0; i--) {
        const job = heavy[i] as Job;
        const cost = job.sql === undefined || !job.guessed ? undefined : this.#costs.costOf(job.sql);
        if (cost === undefined) continue;
        job.guessed = false;
        job.estimate = cost;
        if (cost < HEAVY_MS) {
          heavy.splice(i, 1);
          job.heavy = false;
          light.push(job);
        }
      }
    }
    this.#costs.learned = false;
    // Statements of unknown cost running now (built when first needed).
    let measuring: Set<string> | undefined;
    const unknown = (job: Job): boolean => job.guessed && !(measuring ??= this.#measuring()).has(job.sql as string);
    let busyHeavy = 0;
    while (heavy.length > 0) {
      busyHeavy = 0;
      let idle: WorkerHandle | undefined;
      for (const r of readers) {
        if (r.heavy > 0) busyHeavy++;
        // An idle reader without an open cursor first: a statement on a cursor's
        // connection must first read the rest of that cursor into memory.
        else if (r.state === 'ready' && !r.leased && r.inflight === 0 && (idle === undefined || (idle.cursors > 0 && r.cursors === 0))) idle = r;
      }
      if (idle === undefined) break;
      let index = 0;
      if (busyHeavy >= heavySlots && !(light.length === 0 && this.writerCanServeRead())) {
        // Every heavy slot is taken and the idle reader is the only connection
        // left for light reads: only a read of unknown cost may try it (most
        // are light; once one finishes, its twins queue as light).
        index = heavy.findIndex(unknown);
        if (index === -1) break;
      } else if (busyHeavy >= heavySlots && busyHeavy >= CORES) {
        // An idle writer serves light reads, so a heavy read may take the last
        // reader rather than wait for the longest read in flight, however long
        // that is, with a reader idle. But the heavy reads already fill the
        // cores: one more only shares them (measured: four 250 ms GROUP BYs on
        // 2 cores, three at a time, 5-10% less throughput than two at a time).
        // So only a read expected to end well before every running one (in
        // half their time left: estimates of one statement vary run to run).
        const shortest = this.#shortestRemaining(readers);
        index = heavy.findIndex((job) => (job.guessed ? unknown(job) : 2 * job.estimate < shortest));
        if (index === -1) break;
      } else if (busyHeavy >= heavySlots) {
        // The last reader, with cores to spare: not for the twin of a statement being measured.
        index = heavy.findIndex((job) => !job.guessed || unknown(job));
        if (index === -1) break;
      }
      const job = this.#queues.take(heavy, index) as Job;
      if (job.guessed) measuring?.add(job.sql as string);
      this.#dispatch.send(job, idle);
    }
    // No reader can take it (restarting, or every one held by a read snapshot
    // or transaction): an idle writer serves waiting reads, heavy or not,
    // rather than leave them to wait out the backoff or the snapshot.
    if (heavy.length > 0 && !readers.some((r) => r.state === 'ready' && !r.leased) && this.writerCanServeRead()) {
      this.#dispatch.send(this.#queues.take(heavy), this.#workers.writer);
    }
    // Every reader is busy: an idle writer serves a waiting read whose measured
    // cost is moderate, rather than let it wait for the longest read in flight
    // (each reader may be inside a report). Reads of unknown or long cost wait
    // for a reader, so that writes never queue behind a report.
    if (heavy.length > 0 && this.writerCanServeRead()) {
      const index = heavy.findIndex((job) => !job.guessed && job.estimate < WRITER_READ_MS);
      if (index !== -1) this.#dispatch.send(this.#queues.take(heavy, index), this.#workers.writer);
    }
    // While a heavy read waits for a free heavy slot, one reader is kept free
    // of new light work so that it drains. When every heavy slot is taken, no
    // reader is reserved: the rest are for light reads.
    const reserved = heavy.length > 0 && busyHeavy < heavySlots ? this.#leastLoaded(undefined, false) : undefined;
    while (light.length > 0) {
      const item = light[0] as QueueItem;
      const offloaded = !isLeaseWaiter(item) && isOffloaded(item.request);
      if (offloaded && this.#writerTakesOffload()) {
        this.#dispatch.send(this.#queues.take(light) as Job, this.#workers.writer);
        continue;
      }
      const reader = this.#leastLoaded(reserved, !isLeaseWaiter(item) && item.cancellable, offloaded);
      if (reader === undefined) {
        // Every reader is busy with heavy work or full: an idle writer serves
        // plain reads too, since it sees the same committed state.
        if (!isLeaseWaiter(item) && this.writerCanServeRead()) {
          this.#dispatch.send(this.#queues.take(light) as Job, this.#workers.writer);
          continue;
        }
        return;
      }
      this.#queues.take(light);
      if (isLeaseWaiter(item)) this.#dispatch.grant(item, reader);
      else this.#dispatch.send(item, reader);
    }
  }

  /**
   * The statements of unknown cost running now. The twin of one is not a
   * read of unknown cost for the last reader: it is likely as long as the
   * statement running, and is known once that ends. Why: at startup every
   * statement is unknown; four reports arriving just before a stream of point
   * reads took every reader, the third and fourth as "unknown", and the point
   * reads waited a second for one (HTTP light route: 8 reads at 1.1 s).
   */
  #measuring(): Set<string> {
    const running = new Set<string>();
    for (const worker of [...this.#workers.readers, this.#workers.writer]) {
      for (const d of worker.pending()) {
        const sql = (d as Job).sql;
        if ((d as Job).guessed && sql !== undefined && this.#costs.costOf(sql) === undefined) running.add(sql);
      }
    }
    return running;
  }

  /**
   * How long the running heavy reads have left at least (ms): each its
   * estimate less the time it has run; past its estimate, by as much as it
   * has overrun it (a read a little over its estimate is about to end, one at
   * twice its estimate may take as long again: its length is unknown then).
   */
  #shortestRemaining(readers: readonly WorkerHandle[]): number {
    const now = performance.now();
    let shortest = Infinity;
    for (const r of readers) {
      if (r.heavy === 0) continue;
      const ran = now - r.lastProgress;
      shortest = Math.min(shortest, Math.abs(r.load - ran));
    }
    return shortest;
  }

  /**
   * The reader a cheap read the inline path offloads now would start on at
   * once (see inline-hybrid.ts), or undefined: it would wait in a queue (behind
   * reads waiting already, or for a reader kept free for a heavy read) or go to
   * the writer, and had better run inline.
   */
  offloadTarget(): WorkerHandle | undefined {
    if (this.#queues.light.length > 0 || this.#queues.heavy.length > 0) return undefined;
    return this.#writerTakesOffload() ? this.#workers.writer : this.#leastLoaded(undefined, false, true);
  }

  /**
   * Whether the writer takes the split's reads now: while writes are in the
   * mix, it is awake for them anyway, and one busy thread on the second core
   * beats a writer and a reader waking each other (measured, 64 in flight, one
   * call in ten a write: x0.72 -> x0.91 of better-sqlite3 in the benchmark,
   * 65-80k -> 95-100k calls/s in a warm process). With reads alone they keep
   * going to a reader: the writer taking them always lost there (64 in
   * flight x1.03 -> x0.97). A probe counts as no write: it may be a read of
   * unknown route.
   */
  #writerTakesOffload(): boolean {
    const w = this.#workers.writer;
    return performance.now() - this.#lastWrite < WRITE_MIX_MS && this.#writerOpenToReads() && w.heavy === 0 && w.inflight < PIPELINE_DEPTH;
  }

  /** `first`: the first reader that can take it instead (a read the inline path offloaded: see inline-hybrid.ts). */
  #leastLoaded(exclude: WorkerHandle | undefined, cancellable: boolean, first = false): WorkerHandle | undefined {
    let best: WorkerHandle | undefined;
    // A reader that has not answered for a while is inside something long that
    // was estimated light (same SQL, other parameters): queue nothing behind it.
    const stalledBefore = performance.now() - STALL_MS;
    for (const r of this.#workers.readers) {
      if (r === exclude || r.state !== 'ready' || r.leased || r.heavy > 0 || !accepts(r, cancellable)) continue;
      if (r.inflight > 0 && r.lastProgress < stalledBefore) continue;
      if (first) return r;
      if (best === undefined || preferred(r, best)) best = r;
    }
    return best;
  }
}

/**
 * Whether a worker may take one more call now. On a worker that can
 * interrupt, calls pipeline freely: cancelling one stops exactly that one.
 * Without interrupt, a call that can be cancelled runs alone: cancelling it
 * means terminating its thread, which must not take other callers'
 * statements down with it (and no lease is granted behind it either).
 */
function accepts(worker: WorkerHandle, cancellable: boolean): boolean {
  if (worker.inflight === 0) return true;
  if (worker.interruptible) return worker.inflight < PIPELINE_DEPTH;
  return !cancellable && worker.cancellable === 0 && worker.inflight < PIPELINE_DEPTH;
}

/**
 * Which of two readers should take a light read: one without an open cursor
 * (a statement there would first read the cursor's remaining rows into
 * memory), then the least expected work, then the fewest calls in flight.
 */
function preferred(a: WorkerHandle, b: WorkerHandle): boolean {
  if ((a.cursors === 0) !== (b.cursors === 0)) return a.cursors === 0;
  return a.load < b.load || (a.load === b.load && a.inflight < b.inflight);
}
