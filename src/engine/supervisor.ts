/**
 * The pool's workers: starting them (the writer first, then `minReaders`
 * readers), growing the readers while reads wait and retiring idle ones
 * (between `minReaders` and `readers`), replacing one that dies (at once, or
 * with a growing delay when it keeps failing to start or dying right after
 * it opened), giving a slot up after repeated startup failures, and stopping
 * them all.
 */
import { WorkerStartupError } from '../errors';
import type { ResolvedOptions } from '../options';
import { type ExitReport, WorkerHandle } from '../worker-handle';
import type { ConnectionSettings } from './connection-settings';
import type { Counters } from './stats';

/** Startup attempts of one worker slot before the pool gives up on it. */
const MAX_START_ATTEMPTS = 5;
/** A worker that dies sooner than this after opening, unasked, is respawned with a growing delay. */
const RAPID_CRASH_MS = 1000;

/** What the supervisor tells the pool. @internal */
export interface SupervisorHooks {
  /** A worker is gone: settle or requeue what it had in flight (before it is replaced). */
  exited(worker: WorkerHandle, report: ExitReport): void;
  /** Workers changed (one became ready, was replaced or given up): dispatch again. */
  changed(): void;
}

/** @internal */
export class Supervisor {
  #writer: WorkerHandle;
  readonly readers: WorkerHandle[] = [];
  /** Set when the writer slot gave up starting: every write fails with it. */
  writerFailure: Error | undefined;
  /** Set once the pool is shutting down: nothing is respawned any more. */
  #shutdown = false;
  readonly #options: ResolvedOptions;
  readonly #hooks: SupervisorHooks;
  readonly #counters: Counters;
  /** What every connection gets, including the ones started later. */
  readonly #settings: ConnectionSettings;
  /** Startup failures in a row, per slot; reset when a worker becomes ready. */
  readonly #startFailures = new Map<number, number>();
  /** Unasked deaths soon after opening, in a row, per slot. */
  readonly #rapidCrashes = new Map<number, number>();
  /** Pending respawns with a backoff delay. */
  readonly #respawnTimers = new Set<NodeJS.Timeout>();
  /** Recycled workers whose threads have not ended yet (a native statement runs on). */
  readonly #dying = new Set<WorkerHandle>();
  /** Readers closing because they were idle: not replaced when they exit. */
  readonly #retired = new WeakSet<WorkerHandle>();
  /** Looks for idle readers above `minReaders` (unreferenced: never keeps the process alive). */
  #retireTimer: NodeJS.Timeout | undefined;
  /** Allocates request ids for close requests (the pool's counter). */
  nextId: () => number = () => 0;

  constructor(options: ResolvedOptions, hooks: SupervisorHooks, counters: Counters, settings: ConnectionSettings) {
    this.#options = options;
    this.#hooks = hooks;
    this.#counters = counters;
    this.#settings = settings;
    this.#writer = this.#spawn('writer', 0);
  }

  get writer(): WorkerHandle {
    return this.#writer;
  }

  /** Every worker, the writer first. */
  get all(): WorkerHandle[] {
    return [this.#writer, ...this.readers];
  }

  get shuttingDown(): boolean {
    return this.#shutdown;
  }

  /** Starts the writer, then the readers (which need the file the writer creates); on failure stops everything and throws. */
  async start(): Promise<void> {
    try {
      await this.#writer.ready;
      for (let slot = 1; slot <= this.#options.minReaders; slot++) this.readers.push(this.#spawn('reader', slot));
      await Promise.all(this.readers.map((r) => r.ready));
    } catch (err) {
      // Nothing may outlive a failed open(): no respawn, no retry timer, no thread.
      this.shutdown();
      await Promise.all(this.all.map((w) => w.terminate()));
      throw err;
    }
  }

  /**
   * Reads are waiting that no reader can take now: starts one more reader if
   * the pool may grow and none is starting already (one at a time, so a burst
   * does not start every reader at once; each start takes some milliseconds).
   */
  grow(): void {
    if (this.#shutdown || this.readers.length >= this.#options.readers || this.readers.length === 0) return;
    if (this.readers.some((r) => r.state === 'starting')) return;
    let slot = 1;
    while (this.readers.some((r) => r.slot === slot)) slot++;
    this.#counters.grown++;
    this.readers.push(this.#spawn('reader', slot));
    this.#retireTimer ??= setInterval(() => this.#retireIdle(), Math.max(10, Math.ceil(this.#options.readerIdleTimeout / 4)));
    this.#retireTimer.unref();
  }

  /** Closes readers above `minReaders` that have been idle for `readerIdleTimeout`. */
  #retireIdle(): void {
    const idleSince = performance.now() - this.#options.readerIdleTimeout;
    for (const r of [...this.readers].reverse()) {
      if (this.readers.length <= this.#options.minReaders) break;
      if (r.state !== 'ready' || r.inflight > 0 || r.leased || r.cursors > 0 || r.lastProgress > idleSince) continue;
      if (Date.now() - r.readyAt < this.#options.readerIdleTimeout) continue;
      this.#retired.add(r);
      this.readers.splice(this.readers.indexOf(r), 1);
      this.#counters.retired++;
      void r.close(this.nextId()).catch(() => undefined);
    }
    if (this.readers.length <= this.#options.minReaders && this.#retireTimer !== undefined) {
      clearInterval(this.#retireTimer);
      this.#retireTimer = undefined;
    }
  }

  /** From now on nothing is respawned. */
  shutdown(): void {
    this.#shutdown = true;
    if (this.#retireTimer !== undefined) clearInterval(this.#retireTimer);
    this.#retireTimer = undefined;
    for (const timer of this.#respawnTimers) clearTimeout(timer);
    this.#respawnTimers.clear();
  }

  /**
   * Gives up on a worker at once and starts a fresh one in its slot (a
   * cancelled statement that could not be stopped otherwise).
   */
  recycle(worker: WorkerHandle): void {
    if (worker.state === 'exited') return;
    worker.interrupt();
    // Detach at once: the replacement starts now, whatever the old thread does.
    this.#dying.add(worker);
    void worker.gone.then(() => this.#dying.delete(worker));
    worker.detach(new Error(`The ${worker.role} worker was terminated: a call running on it was cancelled`));
  }

  /** Waits for recycled threads to end, but at most `ms` (without interrupt, one may never end). */
  async waitForDying(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    await Promise.race([Promise.all([...this.#dying].map((w) => w.keepAlive())), limit]);
    clearTimeout(timer);
  }

  /** Closes every connection cleanly: the readers, then the writer (the last connection checkpoints the WAL). */
  async closeAll(nextId: () => number): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close(nextId())));
    await this.#writer.close(nextId());
  }

  #spawn(role: 'writer' | 'reader', slot: number): WorkerHandle {
    const o = this.#options;
    const handle = new WorkerHandle(
      role,
      slot,
      {
        file: o.file,
        readonly: o.readonly,
        fileMustExist: o.fileMustExist,
        busyTimeout: o.busyTimeout,
        wal: o.wal && !o.inMemory,
        pragmas: o.pragmas,
        safeIntegers: o.safeIntegers,
        statementCacheSize: o.statementCacheSize,
        setup: o.setup,
        nice: role === 'reader' ? o.readerNice : 0,
        deserialize: o.deserialize,
      },
      o.workerPath,
      o.resourceLimits,
    );
    // Before any request reaches it: a respawned writer keeps recording changes, a new reader gets the limits.
    this.#settings.writeTo(handle.settingsCells);
    handle.onExit = (report) => {
      this.#hooks.exited(handle, report);
      if (!this.#retired.has(handle)) this.#replace(handle, report.cause, report.expected);
    };
    handle.ready.then(
      () => {
        this.#startFailures.delete(slot);
        this.#hooks.changed();
      },
      () => {},
    );
    return handle;
  }

  #replace(dead: WorkerHandle, cause: unknown, expected: boolean): void {
    if (this.#shutdown) return;
    const failures = dead.wasReady ? 0 : (this.#startFailures.get(dead.slot) ?? 0) + 1;
    this.#startFailures.set(dead.slot, failures);
    // A worker that opens and then dies at once, unasked, again and again
    // (a setup module that breaks later, a crash on every call) is respawned
    // with a growing delay rather than in a hot loop.
    const rapid =
      dead.wasReady && !expected && Date.now() - dead.readyAt < RAPID_CRASH_MS ? (this.#rapidCrashes.get(dead.slot) ?? 0) + 1 : 0;
    this.#rapidCrashes.set(dead.slot, rapid);
    if (failures >= MAX_START_ATTEMPTS) {
      const err = new WorkerStartupError(`The ${dead.role} worker failed to start ${failures} times`, cause);
      if (dead.role === 'writer') this.writerFailure = err;
      else this.readers.splice(this.readers.indexOf(dead), 1);
      this.#hooks.changed();
      return;
    }
    const delay = Math.min(2000, failures > 0 ? 50 * 2 ** failures : rapid > 1 ? 25 * 2 ** rapid : 0);
    const start = () => {
      if (this.#shutdown) return;
      this.#counters.respawns++;
      const fresh = this.#spawn(dead.role, dead.slot);
      if (dead.role === 'writer') this.#writer = fresh;
      else this.readers[this.readers.indexOf(dead)] = fresh;
      this.#hooks.changed();
    };
    if (delay === 0) start();
    else {
      // Referenced: calls waiting for this slot must keep the process alive.
      const timer = setTimeout(() => {
        this.#respawnTimers.delete(timer);
        start();
      }, delay);
      this.#respawnTimers.add(timer);
    }
  }
}
