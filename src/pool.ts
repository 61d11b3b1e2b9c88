/**
 * The pool engine: one writer and N reader workers, the queues in front of
 * them, routing, cost-aware scheduling, leases for transactions and snapshots,
 * cancellation, crash recovery and shutdown. The public {@link Database}
 * validates arguments and delegates here.
 */
import {
  AbortError,
  PoolClosedError,
  QueueFullError,
  type SerializedError,
  TimeoutError,
  TransactionClosedError,
  WorkerCrashedError,
  WorkerStartupError,
} from './errors';
import { nativeStatusWarnOnce } from './native/interrupt';
import { callTimeout, type ResolvedOptions } from './options';
import { TUNING } from './tuning';
import { CANCELLED_CODE, isBounced, type NewRequest, type Request, type Response } from './protocol';
import type { CallOptions } from './types';
import { type Dispatch, type ExitReport, WorkerHandle } from './worker-handle';

/** Requests sent ahead to one worker before it answers (pipelining depth). */
const PIPELINE_DEPTH = TUNING.pipelineDepth;
/** A statement whose observed cost reaches this many milliseconds counts as heavy. */
const HEAVY_MS = 5;
/** Weight of the newest observation in a statement's running cost estimate. */
const COST_SMOOTHING = 0.3;
/** Startup attempts of one worker slot before the pool gives up on it. */
const MAX_START_ATTEMPTS = 5;
/** Bound on the per-SQL route and cost maps (cleared when full). */
const MAX_TRACKED_SQL = 10_000;
/** A reader with calls in flight that has not answered for this long takes no more light reads. */
const STALL_MS = 25;
/** A worker that dies sooner than this after opening, unasked, is respawned with a growing delay. */
const RAPID_CRASH_MS = 1000;
/**
 * How long an interrupted statement may take to stop before its worker is
 * terminated: SQLite stops within milliseconds, but a user function running
 * JavaScript never returns to SQLite to notice the interrupt.
 */
const INTERRUPT_GRACE_MS = 1000;
/** After close's grace period, how long a thread may take to exit before close() stops waiting for it. */
const EXIT_GRACE_MS = 1000;

/** A failure reported by a worker, rebuilt into an error class by the awaiting caller. @internal */
export class RemoteError {
  constructor(readonly wire: SerializedError) {}
}

/** Where a job may run. @internal */
export type Target = 'read' | 'write';

/** Exclusive use of one worker by a transaction or a read snapshot. @internal */
export class Lease {
  /** Set when the lease can no longer be used, with the error its calls get. */
  closedBy: Error | undefined;
  /** Called once if the leased worker dies (closedBy is set by then). */
  onBroken: ((err: Error) => void) | undefined;
  constructor(readonly worker: WorkerHandle) {}
}

interface Job extends Dispatch {
  readonly request: Request;
  readonly sql: string | undefined;
  readonly target: Target;
  readonly lease: Lease | undefined;
  /** Cursor steps must go to the worker that holds the cursor. */
  readonly pinned: WorkerHandle | undefined;
  /** Waits for an idle reader (cleared if its statement turns out light while it waits). */
  heavy: boolean;
  /** Heavy only because its cost is not known yet. */
  readonly guessed: boolean;
  readonly estimate: number;
  /** Has a signal or timeout: never shares a worker with other calls (see #accepts). */
  cancellable: boolean;
  worker: WorkerHandle | undefined;
  settled: boolean;
  /** Set when the call was cancelled while on a worker that can interrupt: its answer decides the outcome. */
  cancelledBy: Error | undefined;
  /** Terminates the worker if the interrupted statement does not stop (see INTERRUPT_GRACE_MS). */
  graceTimer: NodeJS.Timeout | undefined;
  readonly resolve: (response: { value: unknown; worker: WorkerHandle }) => void;
  readonly reject: (err: unknown) => void;
  disarm: (() => void) | undefined;
}

interface LeaseWaiter {
  readonly lease: true;
  readonly target: Target;
  settled: boolean;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (err: unknown) => void;
  disarm: (() => void) | undefined;
}

type QueueItem = Job | LeaseWaiter;

/** One connection's state in {@link PoolStats}. */
export interface WorkerStats {
  /** `writer` or `reader`. */
  role: 'writer' | 'reader';
  /** The worker thread's `threadId` (changes when the worker is replaced). */
  threadId: number;
  /** Whether a cancelled statement on this connection is stopped inside SQLite (`sqlite3_interrupt`) rather than by terminating the worker. */
  interruptible: boolean;
  /** `starting`, `ready`, `exited` (being replaced) or `failed` (gave up starting). */
  state: 'starting' | 'ready' | 'exited' | 'failed';
  /** Calls sent to this worker and not yet answered. */
  inflight: number;
  /** Whether a transaction or read snapshot holds it. */
  leased: boolean;
}

/** Counters and per-worker state for health endpoints; see {@link Database.stats}. */
export interface PoolStats {
  /** Calls waiting for a connection. */
  queued: number;
  /** Calls sent to a worker and not yet answered. */
  running: number;
  /** Calls that succeeded. */
  completed: number;
  /** Calls that failed for any reason (SQL errors, timeouts, aborts, crashes). */
  failed: number;
  /** Calls that failed with `TimeoutError`. */
  timedOut: number;
  /** Calls that failed with `AbortError`. */
  aborted: number;
  /** Calls refused with `QueueFullError`. */
  rejected: number;
  /** Workers started to replace one that died or was terminated. */
  respawns: number;
  /**
   * How cancelled statements stop: `interrupt` (inside SQLite, the worker
   * stays) or `terminate` (threadlite's native library is not available:
   * the worker is replaced; see {@link PoolStats.interruptUnavailable}).
   */
  cancellation: 'interrupt' | 'terminate';
  /** Why cancellation falls back to `terminate`, when it does. */
  interruptUnavailable?: string;
  /** One entry per connection: the writer first, then the readers. */
  workers: WorkerStats[];
}

/** @internal */
export class Pool {
  readonly options: ResolvedOptions;
  #writer: WorkerHandle;
  readonly #readers: WorkerHandle[] = [];
  readonly #writeQueue: QueueItem[] = [];
  readonly #lightQueue: QueueItem[] = [];
  readonly #heavyQueue: Job[] = [];
  #queued = 0;
  #nextId = 1;
  readonly #routes = new Map<string, boolean>();
  readonly #costs = new Map<string, number>();
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Set once close() has drained the queues and is closing the connections. */
  #shutdown = false;
  /** Recycled workers whose threads have not ended yet (a native statement runs on). */
  readonly #dying = new Set<WorkerHandle>();
  /** The one abort listener per signal and the calls it cancels (see #watch). */
  readonly #watches = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();
  /** Set when a statement's first cost was light: queued guesses may be light too. */
  #learnedLight = false;
  /** Unasked deaths soon after opening, in a row, per slot. */
  readonly #rapidCrashes = new Map<number, number>();
  #idleWaiters: Array<() => void> = [];
  /** Startup failures in a row, per slot; reset when a worker becomes ready. */
  readonly #startFailures = new Map<number, number>();
  /** Set when the writer slot gave up starting: every write fails with it. */
  #writerFailure: Error | undefined;
  readonly #leases = new Set<Lease>();
  /** Pending respawns with a backoff delay; cleared when the pool shuts down. */
  readonly #respawnTimers = new Set<NodeJS.Timeout>();
  readonly #stats = { completed: 0, failed: 0, timedOut: 0, aborted: 0, rejected: 0, respawns: 0 };

  private constructor(options: ResolvedOptions) {
    this.options = options;
    this.#writer = this.#spawn('writer', 0);
  }

  /** Starts the writer, then the readers (which need the file the writer creates). */
  static async start(options: ResolvedOptions): Promise<Pool> {
    nativeStatusWarnOnce();
    const pool = new Pool(options);
    try {
      await pool.#writer.ready;
      for (let slot = 1; slot <= options.readers; slot++) pool.#readers.push(pool.#spawn('reader', slot));
      await Promise.all(pool.#readers.map((r) => r.ready));
    } catch (err) {
      // Nothing may outlive a failed open(): no respawn, no retry timer, no thread.
      pool.#closed = true;
      pool.#shutdown = true;
      for (const timer of pool.#respawnTimers) clearTimeout(timer);
      pool.#respawnTimers.clear();
      await Promise.all([pool.#writer, ...pool.#readers].map((w) => w.terminate()));
      throw err;
    }
    return pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Throws `PoolClosedError` once `close()` has begun. */
  checkOpen(): void {
    if (this.#closed) throw new PoolClosedError();
  }

  /** The running estimate of a statement's milliseconds on a worker, if it has run. */
  costOf(sql: string): number | undefined {
    return this.#costs.get(sql);
  }

  /**
   * Where a statement runs. Reads go to readers only once the writer has
   * prepared the SQL and better-sqlite3 called it read-only; until then, and
   * whenever the writer's connection holds state readers cannot see (an open
   * transaction), everything goes to the writer, in order.
   */
  route(sql: string): Target {
    const writer = this.#writer;
    // A transaction the user opened with exec('BEGIN') (not a lease) holds state readers cannot see.
    if (this.#readers.length === 0 || (writer.inTransaction && !writer.leased)) return 'write';
    return this.#routes.get(sql) === true ? 'read' : 'write';
  }

  /**
   * Where to probe a statement whose route is not known yet (see
   * `StatementRequest.probe`), or undefined if it needs no probe. The writer
   * decides in order with the writes before it and bounces what a reader may
   * run; a reader runs what it may and bounces the rest to the writer.
   */
  probeTarget(sql: string): Target | undefined {
    if (this.route(sql) !== 'write' || this.#readers.length === 0 || this.#routes.has(sql)) return undefined;
    // While a transaction holds the writer, ask a reader instead: a read must
    // not wait for someone else's transaction to end.
    // Likewise once the writer slot gave up starting: reads must still work.
    return this.#writer.leased || this.#writerFailure !== undefined ? 'read' : 'write';
  }

  /** Runs one request and resolves with its value (and the worker that answered). */
  submit(
    request: NewRequest,
    target: Target,
    options: CallOptions | undefined,
    via: { lease?: Lease; pinned?: WorkerHandle; continuation?: boolean } = {},
  ): Promise<{ value: unknown; worker: WorkerHandle }> {
    const lease = via.lease;
    if (lease?.closedBy !== undefined) return Promise.reject(lease.closedBy);
    if (lease === undefined && via.pinned === undefined && via.continuation !== true) {
      if (this.#closed) return Promise.reject(new PoolClosedError());
      if (this.#queued >= this.options.maxQueue) {
        this.#stats.rejected++;
        return Promise.reject(new QueueFullError(this.options.maxQueue));
      }
    }
    const sql = 'sql' in request ? (request.sql as string) : undefined;
    const known = sql === undefined ? 0 : this.#costs.get(sql);
    const estimate = known ?? 0;
    (request as Request).id = this.#nextId++;
    if (this.#nextId >= 2 ** 31) this.#nextId = 1;
    return new Promise((resolve, reject) => {
      const job: Job = {
        request: request as Request,
        sql,
        target,
        lease,
        pinned: via.pinned ?? lease?.worker,
        // A read never seen to finish may be heavy: until its cost is known it
        // waits for an idle reader rather than queue behind, or ahead of, light reads.
        heavy: TUNING.costAware && target === 'read' && (known === undefined || known >= HEAVY_MS),
        guessed: target === 'read' && known === undefined,
        estimate,
        cancellable: false,
        worker: undefined,
        settled: false,
        cancelledBy: undefined,
        graceTimer: undefined,
        resolve,
        reject,
        disarm: undefined,
        onResponse: (response, worker) => this.#onResponse(job, response, worker),
      };
      if (!this.#arm(job, options, sql)) return;
      if (job.pinned !== undefined) {
        if (job.pinned.state === 'exited') {
          this.#settle(job, new WorkerCrashedError(sql, 'The connection holding this cursor or transaction is gone'));
          return;
        }
        this.#sendTo(job, job.pinned);
        return;
      }
      this.#enqueue(job);
      this.#pump();
    });
  }

  /** Takes exclusive use of the writer (a transaction) or of one reader (a snapshot). */
  acquire(target: Target, options: CallOptions | undefined): Promise<Lease> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    if (this.#queued >= this.options.maxQueue) {
      this.#stats.rejected++;
      return Promise.reject(new QueueFullError(this.options.maxQueue));
    }
    if (target === 'read' && this.#readers.length === 0) target = 'write';
    return new Promise((resolve, reject) => {
      const waiter: LeaseWaiter = { lease: true, target, settled: false, resolve, reject, disarm: undefined };
      if (!this.#arm(waiter, options, undefined)) return;
      this.#enqueue(waiter);
      this.#pump();
    });
  }

  /** Gives a leased worker back to the pool. */
  release(lease: Lease, reason: Error): void {
    if (lease.closedBy !== undefined) return;
    lease.closedBy = reason;
    lease.worker.leased = false;
    this.#leases.delete(lease);
    this.#pump();
  }

  /**
   * Terminates a worker whose current call was cancelled and starts a fresh one
   * in its slot: better-sqlite3 cannot interrupt a running statement, and the
   * pool must not lose the connection's capacity while it runs on.
   */
  recycle(worker: WorkerHandle): void {
    if (worker.state === 'exited') return;
    worker.interrupt();
    // Detach at once: the replacement starts now, whatever the old thread does.
    this.#dying.add(worker);
    void worker.gone.then(() => this.#dying.delete(worker));
    worker.detach(new Error(`The ${worker.role} worker was terminated: a call running on it was cancelled`));
  }

  /** Snapshot of queue and worker state. */
  stats(): PoolStats {
    const workers = [this.#writer, ...this.#readers].map((w) => ({
      role: w.role,
      threadId: w.threadId,
      interruptible: w.interruptible,
      state: (w.role === 'writer' && this.#writerFailure !== undefined ? 'failed' : w.state) as PoolStats['workers'][number]['state'],
      inflight: w.inflight,
      leased: w.leased,
    }));
    const native = nativeStatusWarnOnce();
    const interruptible = workers.every((w) => w.interruptible || w.state !== 'ready');
    const stats: PoolStats = {
      queued: this.#queued,
      running: workers.reduce((sum, w) => sum + w.inflight, 0),
      ...this.#stats,
      cancellation: native.available && interruptible ? 'interrupt' : 'terminate',
      workers,
    };
    if (!native.available) stats.interruptUnavailable = native.reason;
    else if (!interruptible) stats.interruptUnavailable = 'a worker could not load the native library';
    return stats;
  }

  /**
   * Lets submitted work finish for up to `closeTimeout` ms, then stops what
   * is left (queued calls reject with `PoolClosedError`, running statements
   * are interrupted, transactions roll back), and closes every connection
   * (readers first, the writer last). Always settles.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      const idle = new Promise<void>((resolve) => {
        this.#idleWaiters.push(resolve);
        this.#checkIdle();
      });
      const grace = this.options.closeTimeout;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), grace);
      });
      if ((await Promise.race([idle, expired])) === 'expired') {
        this.#stopEverything(new PoolClosedError(`The database was closed: the call was still running or waiting after closeTimeout (${grace} ms)`));
        await idle;
      }
      clearTimeout(timer);
      this.#shutdown = true;
      for (const respawn of this.#respawnTimers) clearTimeout(respawn);
      this.#respawnTimers.clear();
      const closeOne = (worker: WorkerHandle) => worker.close(this.#nextId++);
      // Terminated workers may still be inside a native statement: wait for
      // them to end, so that no thread uses the file once close() resolves;
      // but not for ever (without the native library such a thread cannot be stopped).
      await Promise.race([Promise.all([...this.#dying].map((w) => w.keepAlive())), delay(EXIT_GRACE_MS)]);
      await Promise.all(this.#readers.map(closeOne));
      // The writer closes last: the last connection checkpoints and removes the WAL.
      await closeOne(this.#writer);
    })();
    return this.#closing;
  }

  /** close() ran out of patience: fail the queue, end leases, cancel running calls. */
  #stopEverything(err: Error): void {
    for (const queue of [this.#writeQueue, this.#lightQueue, this.#heavyQueue] as QueueItem[][]) {
      for (const item of queue.splice(0)) {
        this.#queued--;
        this.#fail(item, err);
      }
    }
    for (const lease of [...this.#leases]) {
      this.release(lease, err);
      queueMicrotask(() => lease.onBroken?.(err));
    }
    for (const worker of [this.#writer, ...this.#readers]) this.stopWork(worker, err);
  }

  // ---- queueing --------------------------------------------------------

  #enqueue(item: QueueItem): void {
    this.#queued++;
    if (item.target === 'write') this.#writeQueue.push(item);
    else if ('request' in item && item.heavy) this.#heavyQueue.push(item);
    else this.#lightQueue.push(item);
  }

  #dequeue(item: QueueItem): boolean {
    // Reads may have moved to the writer's queue (see #pump), so look in all three.
    for (const queue of [this.#writeQueue, this.#lightQueue, this.#heavyQueue] as QueueItem[][]) {
      const index = queue.indexOf(item);
      if (index !== -1) {
        queue.splice(index, 1);
        this.#queued--;
        return true;
      }
    }
    return false;
  }

  /** Sets up the call's timeout and abort listener; false if the signal had already fired. */
  #arm(item: Job | LeaseWaiter, options: CallOptions | undefined, sql: string | undefined): boolean {
    const signal = options?.signal;
    let timeout: number;
    try {
      timeout = callTimeout(options?.timeout, this.options.timeout);
    } catch (err) {
      item.reject(err);
      return false;
    }
    if (signal?.aborted) {
      this.#stats.aborted++;
      this.#stats.failed++;
      item.reject(new AbortError(sql, signal.reason));
      return false;
    }
    if (timeout === 0 && signal === undefined) return true;
    if ('request' in item) item.cancellable = true;
    const timer = timeout > 0 ? setTimeout(() => this.#cancel(item, new TimeoutError(sql, timeout)), timeout) : undefined;
    const unwatch = signal === undefined ? undefined : this.#watch(signal, () => this.#cancel(item, new AbortError(sql, signal.reason)));
    item.disarm = () => {
      if (timer !== undefined) clearTimeout(timer);
      unwatch?.();
    };
    return true;
  }

  /**
   * Calls `onAbort` when `signal` fires; returns the function that stops
   * watching. One listener per signal serves all its calls: a request-scoped
   * signal shared by thousands of calls would otherwise make each removal
   * O(listeners) and trip Node's MaxListenersExceededWarning at 11 calls.
   */
  #watch(signal: AbortSignal, onAbort: () => void): () => void {
    let watch = this.#watches.get(signal);
    if (watch === undefined) {
      const callbacks = new Set<() => void>();
      const listener = () => {
        this.#watches.delete(signal);
        for (const callback of [...callbacks]) callback();
      };
      watch = { callbacks, listener };
      this.#watches.set(signal, watch);
      signal.addEventListener('abort', listener, { once: true });
    }
    const { callbacks, listener } = watch;
    callbacks.add(onAbort);
    return () => {
      callbacks.delete(onAbort);
      if (callbacks.size === 0 && this.#watches.get(signal) === watch) {
        this.#watches.delete(signal);
        signal.removeEventListener('abort', listener);
      }
    };
  }

  /**
   * A call's deadline passed or its signal fired. Queued: it leaves the queue
   * and rejects. On a worker that can interrupt: the worker skips it if it
   * has not begun, else SQLite is interrupted, and the worker's answer
   * decides (a statement that finished anyway resolves: it did run). On a
   * worker that cannot: it rejects now and the worker is replaced.
   */
  #cancel(item: QueueItem, err: Error): void {
    if (item.settled) return;
    const queued = this.#dequeue(item);
    if ('lease' in item && item.lease === true) {
      this.#settleWaiter(item, err);
      // What waited behind it may go now.
      this.#pump();
      return;
    }
    const job = item as Job;
    const worker = job.worker;
    if (queued || worker === undefined || job.request.op === 'close-cursor' || job.cancelledBy !== undefined) {
      this.#settle(job, err);
    } else if (worker.interruptible) {
      job.cancelledBy = err;
      if (worker.cancel(job) === 'skipped') this.#settle(job, err);
      else {
        job.graceTimer = setTimeout(() => this.#graceExpired(job, worker), INTERRUPT_GRACE_MS);
      }
    } else {
      this.#settle(job, err);
      // Running (or sent and waiting behind others on that worker): without
      // interrupt, the only way to stop it is to stop the thread.
      this.recycle(worker);
    }
    this.#pump();
  }

  /**
   * An interrupted statement did not stop within the grace period: it is
   * inside a user function running JavaScript. Terminate the worker, unless
   * the statement has finished meanwhile (its answer is on its way).
   */
  #graceExpired(job: Job, worker: WorkerHandle): void {
    job.graceTimer = undefined;
    if (job.settled || job.worker !== worker) return;
    if (!worker.isRunning(job.request.id)) {
      job.graceTimer = setTimeout(() => this.#graceExpired(job, worker), INTERRUPT_GRACE_MS);
      return;
    }
    this.#settle(job, job.cancelledBy);
    this.recycle(worker);
  }

  /**
   * Stops whatever runs on `worker` (a lease holder's statement past the
   * transaction timeout, or work past close's grace period): each in-flight
   * call is cancelled with `err`.
   */
  stopWork(worker: WorkerHandle, err: Error): void {
    if (!worker.interruptible) {
      if (worker.inflight > 0) this.recycle(worker);
      return;
    }
    for (const dispatch of worker.pending()) this.#cancel(dispatch as Job, err);
  }

  #settle(job: Job, err: unknown, value?: unknown, worker?: WorkerHandle): void {
    if (job.settled) return;
    job.settled = true;
    job.disarm?.();
    if (job.graceTimer !== undefined) clearTimeout(job.graceTimer);
    if (err instanceof TimeoutError) this.#stats.timedOut++;
    else if (err instanceof AbortError) this.#stats.aborted++;
    if (err === undefined) {
      // A bounced probe is half of one call: the call counts when its second half settles.
      if (!isBounced(value)) this.#stats.completed++;
      job.resolve({ value, worker: worker as WorkerHandle });
    } else {
      this.#stats.failed++;
      job.reject(err);
    }
  }

  #settleWaiter(waiter: LeaseWaiter, err: Error | undefined, lease?: Lease): void {
    if (waiter.settled) return;
    waiter.settled = true;
    waiter.disarm?.();
    if (err === undefined) waiter.resolve(lease as Lease);
    else {
      if (err instanceof TimeoutError) this.#stats.timedOut++;
      else if (err instanceof AbortError) this.#stats.aborted++;
      this.#stats.failed++;
      waiter.reject(err);
    }
  }

  // ---- dispatch --------------------------------------------------------

  #pump(): void {
    if (this.#readers.length === 0 && this.#queued > this.#writeQueue.length) {
      // The last reader gave up starting: its waiting reads go to the writer.
      this.#writeQueue.push(...this.#lightQueue.splice(0), ...this.#heavyQueue.splice(0));
    }
    this.#pumpWriter();
    if (this.#readers.length > 0) this.#pumpReaders();
    this.#checkIdle();
  }

  #pumpWriter(): void {
    const writer = this.#writer;
    if (this.#writerFailure !== undefined) {
      for (const item of this.#writeQueue.splice(0)) {
        this.#queued--;
        this.#fail(item, this.#writerFailure);
      }
      return;
    }
    while (this.#writeQueue.length > 0 && writer.state === 'ready' && !writer.leased) {
      const item = this.#writeQueue[0] as QueueItem;
      if (!this.#accepts(writer, 'request' in item && item.cancellable)) return;
      if ('lease' in item && item.lease === true) {
        this.#writeQueue.shift();
        this.#queued--;
        this.#grant(item, writer);
        return;
      }
      this.#writeQueue.shift();
      this.#queued--;
      this.#sendTo(item as Job, writer);
    }
  }

  #pumpReaders(): void {
    // Heavy reads may hold at most all readers but one, so that light reads
    // always find a connection; each heavy read waits for an idle reader.
    const heavySlots = Math.max(1, this.#readers.length - 1);
    if (this.#learnedLight && this.#heavyQueue.length > 0) {
      // Reads queued as possibly heavy whose statement has since run fast: light after all.
      for (let i = this.#heavyQueue.length - 1; i >= 0; i--) {
        const job = this.#heavyQueue[i] as Job;
        const cost = job.sql === undefined ? undefined : this.#costs.get(job.sql);
        if (job.guessed && cost !== undefined && cost < HEAVY_MS) {
          this.#heavyQueue.splice(i, 1);
          job.heavy = false;
          this.#lightQueue.push(job);
        }
      }
    }
    this.#learnedLight = false;
    let busyHeavy = 0;
    while (this.#heavyQueue.length > 0) {
      busyHeavy = 0;
      let idle: WorkerHandle | undefined;
      for (const r of this.#readers) {
        if (r.heavy > 0) busyHeavy++;
        // An idle reader without an open cursor first: a statement on a cursor's
        // connection must first read the rest of that cursor into memory.
        else if (r.state === 'ready' && !r.leased && r.inflight === 0 && (idle === undefined || (idle.cursors > 0 && r.cursors === 0))) idle = r;
      }
      if (idle === undefined) break;
      let index = 0;
      if (busyHeavy >= heavySlots) {
        // Every heavy slot is taken: only a read of unknown cost may try the
        // idle reader (most are light; once one finishes, its twins queue as light).
        index = this.#heavyQueue.findIndex((job) => job.guessed);
        if (index === -1) break;
      }
      this.#queued--;
      this.#sendTo(this.#heavyQueue.splice(index, 1)[0] as Job, idle);
    }
    // No reader can take it (restarting, or every one held by a read snapshot
    // or transaction): an idle writer serves waiting reads, heavy or not,
    // rather than leave them to wait out the backoff or the snapshot.
    if (this.#heavyQueue.length > 0 && !this.#readers.some((r) => r.state === 'ready' && !r.leased) && this.#writerCanServeRead()) {
      this.#queued--;
      this.#sendTo(this.#heavyQueue.shift() as Job, this.#writer);
    }
    // While a heavy read waits for a free heavy slot, one reader is kept free
    // of new light work so that it drains. When every heavy slot is taken, no
    // reader is reserved: the rest are for light reads.
    const reserved =
      this.#heavyQueue.length > 0 && busyHeavy < heavySlots ? this.#leastLoaded(undefined, false) : undefined;
    while (this.#lightQueue.length > 0) {
      const item = this.#lightQueue[0] as QueueItem;
      const reader = this.#leastLoaded(reserved, 'request' in item && item.cancellable);
      if (reader === undefined) {
        // Every reader is busy with heavy work or full: an idle writer serves
        // plain reads too, since it sees the same committed state.
        if ('request' in item && this.#writerCanServeRead()) {
          this.#lightQueue.shift();
          this.#queued--;
          this.#sendTo(item, this.#writer);
          continue;
        }
        return;
      }
      this.#lightQueue.shift();
      this.#queued--;
      if ('lease' in item && item.lease === true) this.#grant(item, reader);
      else this.#sendTo(item as Job, reader);
    }
  }

  /**
   * Whether a worker may take one more call now. A call that can be cancelled
   * runs alone: cancelling a running statement means terminating its thread,
   * which must not take other callers' statements down with it. (A lease is
   * not granted behind such a call either.)
   */
  #accepts(worker: WorkerHandle, cancellable: boolean): boolean {
    if (worker.inflight === 0) return true;
    // A worker that can interrupt stops exactly the cancelled call: pipeline freely.
    if (worker.interruptible) return worker.inflight < PIPELINE_DEPTH;
    return !cancellable && worker.cancellable === 0 && worker.inflight < PIPELINE_DEPTH;
  }

  #leastLoaded(exclude: WorkerHandle | undefined, cancellable: boolean): WorkerHandle | undefined {
    let best: WorkerHandle | undefined;
    // A reader that has not answered for a while is inside something long that
    // was estimated light (same SQL, other parameters): queue nothing behind it.
    const stalledBefore = performance.now() - STALL_MS;
    for (const r of this.#readers) {
      if (r === exclude || r.state !== 'ready' || r.leased || r.heavy > 0 || !this.#accepts(r, cancellable)) continue;
      if (r.inflight > 0 && r.lastProgress < stalledBefore) continue;
      if (best === undefined || preferred(r, best)) best = r;
    }
    return best;
  }

  #writerCanServeRead(): boolean {
    const w = this.#writer;
    return (
      w.state === 'ready' && !w.leased && !w.inTransaction && w.inflight === 0 && this.#writeQueue.length === 0 && this.#writerFailure === undefined
    );
  }

  #grant(waiter: LeaseWaiter, worker: WorkerHandle): void {
    if (waiter.settled) return;
    worker.leased = true;
    const lease = new Lease(worker);
    this.#leases.add(lease);
    this.#settleWaiter(waiter, undefined, lease);
  }

  #sendTo(job: Job, worker: WorkerHandle): void {
    job.worker = worker;
    worker.load += job.estimate;
    if (job.heavy) worker.heavy++;
    if (job.cancellable) worker.cancellable++;
    worker.send(job);
  }

  #onResponse(job: Job, response: Response, worker: WorkerHandle): void {
    worker.load = Math.max(0, worker.load - job.estimate);
    if (job.heavy) worker.heavy--;
    if (job.cancellable) worker.cancellable--;
    const sql = job.sql;
    if (sql !== undefined && job.request.op !== 'next') {
      // A bounced probe did not run, and a describe (columns(), info()) only
      // prepared: their cost says nothing about the statement's executions.
      if (!(response.ok && response.bounced === true) && job.request.op !== 'describe') {
        if (this.#costs.size >= MAX_TRACKED_SQL) this.#costs.clear();
        const old = this.#costs.get(sql);
        const cost = old === undefined ? response.cost : old + COST_SMOOTHING * (response.cost - old);
        this.#costs.set(sql, cost);
        if (old === undefined && cost < HEAVY_MS) this.#learnedLight = true;
      }
      if (response.readerSafe !== undefined) {
        if (this.#routes.size >= MAX_TRACKED_SQL) this.#routes.clear();
        this.#routes.set(sql, response.readerSafe);
      }
    }
    if (job.cancelledBy !== undefined && !response.ok && isInterruption(response.error.code)) {
      // Stopped by our interrupt (or skipped): the caller learns why it was cancelled.
      this.#settle(job, job.cancelledBy);
    } else if (response.ok) this.#settle(job, undefined, response.value, worker);
    else this.#settle(job, new RemoteError(response.error));
    this.#pump();
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || this.#queued > 0 || this.#leases.size > 0) return;
    if (this.#writer.inflight > 0 || this.#readers.some((r) => r.inflight > 0)) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ---- worker lifecycle ------------------------------------------------

  #spawn(role: 'writer' | 'reader', slot: number): WorkerHandle {
    const o = this.options;
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
        deserialize: o.deserialize,
      },
      o.workerPath,
      o.resourceLimits,
    );
    handle.onExit = (report) => this.#onWorkerExit(handle, report);
    handle.ready.then(
      () => {
        this.#startFailures.delete(slot);
        this.#pump();
      },
      () => {},
    );
    return handle;
  }

  #onWorkerExit(worker: WorkerHandle, report: ExitReport): void {
    const requeue: Job[] = [];
    const crashed = report.begun.at(-1) as Job | undefined;
    for (const dispatch of [...report.begun, ...report.notBegun]) {
      const job = dispatch as Job;
      if (job.settled) continue;
      job.worker = undefined;
      const movable = job.lease === undefined && job.pinned === undefined && job.request.op !== 'close';
      const neverRan = report.notBegun.includes(job);
      // A read that finished but whose answer was lost can run again; a write
      // cannot, since it may have committed.
      if (movable && job.cancelledBy === undefined && job !== crashed && (neverRan || job.target === 'read')) requeue.push(job);
      else this.#settle(job, job.cancelledBy ?? new WorkerCrashedError(job.sql, report.cause));
    }
    for (const lease of this.#leases) {
      if (lease.worker !== worker) continue;
      this.#leases.delete(lease);
      const err = new TransactionClosedError(`The connection was lost: ${describe(report.cause)}`);
      lease.closedBy = err;
      // Later, so that whoever terminated the worker can give the lease's own reason first.
      queueMicrotask(() => lease.onBroken?.(err));
    }
    worker.leased = false;
    worker.load = 0;
    worker.heavy = 0;
    worker.cancellable = 0;
    if (this.#shutdown) {
      // Closing, and the queues were already empty: nothing can run any more.
      for (const job of requeue) this.#settle(job, new WorkerCrashedError(job.sql, report.cause));
      return;
    }
    // Requeued jobs go back in front, in their original order.
    for (const job of requeue.reverse()) {
      this.#queued++;
      if (job.target === 'write') this.#writeQueue.unshift(job);
      else if (job.heavy) this.#heavyQueue.unshift(job);
      else this.#lightQueue.unshift(job);
    }
    this.#replace(worker, report.cause, report.expected);
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
      if (dead.role === 'writer') this.#writerFailure = err;
      else this.#readers.splice(this.#readers.indexOf(dead), 1);
      this.#pump();
      return;
    }
    const delay = Math.min(2000, failures > 0 ? 50 * 2 ** failures : rapid > 1 ? 25 * 2 ** rapid : 0);
    const start = () => {
      if (this.#shutdown) return;
      this.#stats.respawns++;
      const fresh = this.#spawn(dead.role, dead.slot);
      if (dead.role === 'writer') this.#writer = fresh;
      else this.#readers[this.#readers.indexOf(dead)] = fresh;
      this.#pump();
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

  #fail(item: QueueItem, err: Error): void {
    if ('lease' in item && item.lease === true) this.#settleWaiter(item, err);
    else this.#settle(item as Job, err);
  }
}

/** Whether an error code says a statement was stopped by the pool's own cancellation. */
function isInterruption(code: string | undefined): boolean {
  return code === 'SQLITE_INTERRUPT' || code === CANCELLED_CODE;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
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
