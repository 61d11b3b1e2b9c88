/**
 * The hard cap on a main-thread read: a tiny watchdog thread that interrupts
 * the inline connection (`sqlite3_interrupt`, through the native library) when
 * one read runs longer than `inlineCap` milliseconds. The inline reader then
 * re-runs that read on a worker. A read has no side effects, so the only cost
 * of a wrong cost guess becomes one capped stall instead of an unbounded one.
 *
 * Protocol (an Int32Array and a Float64Array over one SharedArrayBuffer):
 * - before each read the main thread writes the read's start time (epoch ms,
 *   `timeOrigin + now()`, which every thread reads alike) and then a fresh
 *   sequence number in {@link Cells.current}; after it compare-and-swaps the
 *   number back to 0. It notifies only when the watchdog says it is asleep
 *   ({@link Cells.asleep}), so a burst of reads costs a few atomic operations
 *   each and no wake-ups;
 * - the watchdog sleeps until the running read's deadline (start + cap),
 *   looks again, and if the same read still runs, calls the addon's
 *   `interrupt(slot, seq)`, whose compare-and-swap on the same cell
 *   (native/threadlite.c) interrupts only while that very read is still
 *   running: a late watchdog never hits the next read.
 *
 * A read is stopped for what it does, not for what the machine does to the
 * main thread: the cap bounds the main thread's CPU time in one read. On Linux
 * the watchdog reads that thread's CPU clock (`threadCpu`, exact) at each
 * look. Past a read's deadline it knows the CPU the read had since its first
 * look at it, and bounds what it had before (no more than the thread ran
 * since the look before, nor than the time since the read began). It
 * interrupts once the read has surely used the cap: the bound reaches it, and
 * either it is tight (the first look came within a quarter of the cap, or the
 * thread ran without a break since the look before and runs on since the
 * first: then it runs the read, and did before) or the read ran half the cap
 * since. The watchdog sleeps until a read's deadline, so it may first see the
 * next read late; with the thread preempted meanwhile, the bound is loose, and
 * a read stopped for good then runs 1.5 times the cap at most. Until sure, a
 * main thread that is runnable (`R` in /proc) is left alone: preempted, it is
 * not what holds the loop, and stopping a cheap read there would only throw it
 * away to run again on a worker (whose re-run, if preempted too, takes the SQL
 * off the inline path for a while). A thread that waits inside the read (disk
 * I/O, a lock) is interrupted at the deadline, as everywhere without the clock. Measured on 2 cores, 64 reads in
 * flight, one in ten a write: 13–24 interrupts in a fresh process's first
 * second before, nearly all of a main thread that was runnable and had not
 * run for the last 0.25 ms; 3–6 after. A read resumed after a long preemption
 * takes far more CPU than usual to finish (0.1–0.4 ms instead of a few µs, in
 * the test's child): a short probe of the clock would take it for a long read.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ENTRY_POINT, InterruptSlot, nativeStatus } from './native/interrupt';

/** Cells of the shared array. The first three are the native slot's (see `allocate` in native/threadlite.c). */
const enum Cells {
  /** Sequence number of the read running now, 0 when none (−seq while the addon interrupts it). */
  current = 0,
  /** The last sequence number the addon interrupted. */
  interrupted = 1,
  /** Set by the native library at process exit. */
  halt = 2,
  /** 1 while the watchdog sleeps until the next read. */
  asleep = 3,
  /** 1 once the watchdog must end. */
  stop = 4,
  /** Int32 cells before the Float64 start time (at byte 24: 8-byte aligned). */
  size = 5,
}

/** Index of the running read's start time in the Float64Array view (byte 24). */
const START = 3;

/**
 * The watchdog thread's code, run with `eval` so that no file has to be
 * found next to a bundled copy of threadlite. Self-contained: it sees only
 * `workerData`.
 */
const THREAD_SOURCE = `'use strict';
const { workerData, parentPort } = require('node:worker_threads');
const { buffer, slot, cap, addonPath } = workerData;
const cells = new Int32Array(buffer, 0, ${Cells.size});
const start = new Float64Array(buffer);
const addon = require(addonPath);
const { readFileSync } = require('node:fs');
const now = () => performance.timeOrigin + performance.now();
// The main thread's task: its id is the process id.
const STAT = '/proc/self/task/' + process.pid + '/stat';
// Whether the main thread is runnable (R: running, or waiting for a CPU), not
// waiting for the disk or anything else a read may wait on.
function runnable() {
  try {
    const stat = readFileSync(STAT, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] === 'R';
  } catch {
    return false;
  }
}
// The main thread's CPU time (ms; -1 without the clock) at the last look and
// when that was; for the read watchedSeq, the clock and the time at the first
// look, the most CPU it can have had before, and whether the thread ran
// without a break from the look before to that first one.
let lastCpu = -1;
let lastAt = 0;
let watchedSeq = 0;
let watchedCpu = 0;
let watchedAt = 0;
let before = 0;
let unbroken = false;
parentPort.postMessage('ready');
while (Atomics.load(cells, ${Cells.stop}) === 0) {
  const seq = Atomics.load(cells, ${Cells.current});
  if (seq <= 0) {
    // No read runs: announce sleep, look once more (the main thread stores
    // before it reads our flag, so one of us sees the other), then sleep.
    Atomics.store(cells, ${Cells.asleep}, 1);
    if (Atomics.load(cells, ${Cells.current}) === 0 && Atomics.load(cells, ${Cells.stop}) === 0) Atomics.wait(cells, ${Cells.current}, 0);
    Atomics.store(cells, ${Cells.asleep}, 0);
    continue;
  }
  // The start is written before the number: read with the number unchanged,
  // it is this read's start or a later one's (never earlier: no early interrupt).
  const began = start[${START}];
  if (Atomics.load(cells, ${Cells.current}) !== seq) continue;
  const cpu = addon.threadCpu(slot);
  const at = now();
  if (watchedSeq !== seq) {
    watchedSeq = seq;
    watchedCpu = cpu;
    watchedAt = at;
    // Before this first look it ran no longer than the thread did since the
    // last one, nor than it exists.
    const ran = lastCpu < 0 ? Infinity : cpu - lastCpu;
    before = Math.min(ran, at - began);
    unbroken = ran >= 0.9 * (at - lastAt);
  }
  lastCpu = cpu;
  lastAt = at;
  const left = began + cap - at;
  if (left > 0) {
    // Wakes at the deadline, or at once if the main thread notifies (stop).
    Atomics.wait(cells, ${Cells.current}, seq, left);
    continue;
  }
  if (cpu >= 0) {
    // The CPU the read had: exactly what the thread ran since the first look,
    // plus at most what it had before. Sure to have used the cap only if that
    // bound is tight (the first look came early; or the thread ran without a
    // break until it and has run at least half the time since, so it runs
    // the read and did before) or the read ran half the cap since.
    const since = cpu - watchedCpu;
    const spent = before + since;
    const watched = at - watchedAt;
    const tight = before <= cap / 4 || (unbroken && watched >= cap / 8 && since >= watched / 2);
    if (!(spent >= cap && (tight || since >= cap / 2)) && runnable()) {
      // Runnable, so preempted or running: look again once the read could be
      // sure to have used it (an eighth of the cap at least: a preempted
      // thread's clock may stand still for long; no more than that while an
      // unbroken run may show itself).
      const sure = tight || unbroken ? 0 : cap / 2 - since;
      Atomics.wait(cells, ${Cells.current}, seq, Math.max(cap / 8, cap - spent, sure));
      continue;
    }
  }
  addon.interrupt(slot, seq);
  // Let the interrupted read unwind before looking again.
  Atomics.wait(cells, ${Cells.current}, seq, cap);
}
`;

/** The main thread's half of the watchdog. @internal */
export class InlineWatchdog {
  readonly #cells: Int32Array;
  readonly #start: Float64Array;
  readonly #slot: InterruptSlot;
  readonly #worker: Worker;
  #sequence = 0;
  #ready = false;
  #closing: Promise<void> | undefined;

  private constructor(cells: Int32Array, slot: InterruptSlot, worker: Worker) {
    this.#cells = cells;
    this.#start = new Float64Array(cells.buffer);
    this.#slot = slot;
    this.#worker = worker;
  }

  /**
   * Starts a watchdog with a cap in milliseconds; undefined where the native
   * library is missing (inline reads then have no hard cap). The returned
   * promise settles once the thread watches, so no read runs uncapped.
   */
  static async start(capMs: number): Promise<InlineWatchdog | undefined> {
    const native = nativeStatus();
    if (!native.available) return undefined;
    const buffer = new SharedArrayBuffer((START + 1) * 8);
    const cells = new Int32Array(buffer, 0, Cells.size);
    const slot = InterruptSlot.allocate(cells, Cells.current);
    if (slot === undefined) return undefined;
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { buffer, slot: slot.slot, cap: capMs, addonPath: native.path },
      // Its heap holds a loop and a few numbers.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
    const watchdog = new InlineWatchdog(cells, slot, worker);
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the inline watchdog exited with code ${code}`)));
      });
    } catch {
      await watchdog.close();
      return undefined;
    }
    // A watchdog that dies later (it should not) leaves reads uncapped: stop inlining.
    worker.on('exit', () => {
      watchdog.#ready = false;
    });
    worker.on('error', () => {
      watchdog.#ready = false;
    });
    // Referenced while it starts (open() awaits it), then never what keeps a process
    // alive: a process whose code is done exits, and Node ends this thread.
    worker.unref();
    watchdog.#ready = true;
    return watchdog;
  }

  /** Whether the thread is watching: inline reads run only then. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The native slot the inline connection registers in. */
  get slot(): number {
    return this.#slot.slot;
  }

  /** The sequence number of the read running now (0 when none); for tests. */
  get current(): number {
    return Atomics.load(this.#cells, Cells.current);
  }

  /** Loads the native library into the main-thread connection and binds it to this watchdog's slot. */
  register(db: { loadExtension(path: string, entryPoint?: string): unknown; prepare(sql: string): { get(...params: unknown[]): unknown } }): void {
    const native = nativeStatus();
    if (!native.available) throw new Error('threadlite\'s native library is not loaded');
    db.loadExtension(native.path, ENTRY_POINT);
    db.prepare('SELECT threadlite_register(?)').get(this.#slot.slot);
  }

  /**
   * Marks a read as started at `now` (`performance.now()` of this thread);
   * returns its sequence number for {@link end}.
   */
  begin(now: number): number {
    const cells = this.#cells;
    this.#sequence = this.#sequence >= 0x7fffffff ? 1 : this.#sequence + 1;
    const seq = this.#sequence;
    this.#start[START] = performance.timeOrigin + now;
    Atomics.store(cells, Cells.current, seq);
    if (Atomics.load(cells, Cells.asleep) !== 0) Atomics.notify(cells, Cells.current);
    return seq;
  }

  /**
   * Marks read `seq` as finished: the watchdog can no longer interrupt it.
   * Returns whether it was interrupted (it then threw SQLITE_INTERRUPT, or
   * finished just as the interrupt came).
   */
  end(seq: number): boolean {
    const cells = this.#cells;
    const previous = Atomics.compareExchange(cells, Cells.current, seq, 0);
    if (previous === -seq) {
      // The watchdog is inside sqlite3_interrupt for this read (well under a
      // microsecond): wait until the addon hands the cell back.
      while (Atomics.load(cells, Cells.current) !== seq);
      Atomics.store(cells, Cells.current, 0);
    }
    // A plain load first: nearly every read was not interrupted, and a locked
    // compare-and-swap per read is a cost worth skipping.
    return Atomics.load(cells, Cells.interrupted) === seq && Atomics.compareExchange(cells, Cells.interrupted, seq, 0) === seq;
  }

  /** Stops the thread and frees the slot; the connection must be closed first or the slot stays unreachable anyway. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#ready = false;
      Atomics.store(this.#cells, Cells.stop, 1);
      Atomics.notify(this.#cells, Cells.current);
      await this.#worker.terminate();
      // Only now: a slot freed while the thread could still call interrupt() could
      // be reallocated to another connection whose read has the same number.
      this.#slot.release();
    })();
    return this.#closing;
  }
}
