/**
 * The pool engine's wiring: one writer and N reader workers behind named parts
 * (src/engine/: Supervisor, Router, Queues, Scheduler, CostModel, Deadlines,
 * Settlement, ConnectionState, …; see docs/architecture.md). This file ties them
 * together: submitting a call, leases, cancellation, and shutdown. The public
 * {@link Database} validates arguments and delegates here.
 */
import { PoolClosedError, QueueFullError, WorkerCrashedError } from './errors';
import { Cancellation, isInterruption } from './engine/cancellation';
import { ConnectionState } from './engine/connection-state';
import { changeSinkOf, ConnectionSettings } from './engine/connection-settings';
import { CostModel, HEAVY_MS } from './engine/cost-model';
import { Deadlines } from './engine/deadlines';
import { triage } from './engine/triage';
import { type Answer, type Job, type Lease, type LeaseWaiter, type QueueItem, RemoteError, type Target } from './engine/job';
import { Leases } from './engine/leases';
import { Queues } from './engine/queues';
import { probeThenRun, Router } from './engine/router';
import { Scheduler } from './engine/scheduler';
import { Settlement } from './engine/settlement';
import { Counters, type PoolStats } from './engine/stats';
import { Supervisor } from './engine/supervisor';
import { nativeStatusWarnOnce } from './native/interrupt';
import type { ResolvedOptions } from './options';
import { type NewRequest, type Request, type Response, STREAM_ALL_MS, type StatementRequest } from './protocol';
import { TUNING } from './tuning';
import type { CallOptions } from './types';
import type { ExitReport, WorkerHandle } from './worker-handle';

export { Lease, RemoteError, type Target } from './engine/job';
export type { PoolStats, WorkerStats } from './engine/stats';

/** After close's grace period, how long a thread may take to exit before close() stops waiting for it. */
const EXIT_GRACE_MS = 1000;

/** @internal */
export class Pool {
  readonly options: ResolvedOptions;
  readonly #counters = new Counters();
  readonly #queues = new Queues();
  readonly #costs = new CostModel();
  /** What keeps the pool one connection: TEMP state on the writer, replayed settings (see connection-state.ts). */
  readonly connectionState = new ConnectionState();
  readonly #workers: Supervisor;
  readonly #router: Router;
  readonly #scheduler: Scheduler;
  readonly #deadlines: Deadlines;
  readonly #cancellation: Cancellation;
  readonly #leases = new Leases();
  readonly #settled = new Settlement(this.#queues, this.#counters);
  /** Change tracking and limits, for every connection now and started later (see settings-protocol.ts). */
  readonly settings = new ConnectionSettings(() => this.#workers.all);
  #nextId = 1;
  /** Submission order of calls and lease requests. */
  #nextSeq = 1;
  /** Submission numbers of probes out on readers, by request (see {@link Queues.hold}). */
  readonly #probeSeq = new WeakMap<object, number>();
  #closed = false;
  #closing: Promise<void> | undefined;
  #idleWaiters: Array<() => void> = [];

  private constructor(options: ResolvedOptions) {
    this.options = options;
    this.#deadlines = new Deadlines(options.timeout);
    this.#workers = new Supervisor(
      options,
      { exited: (worker, report) => this.#onWorkerExit(worker, report), changed: () => this.#pump() },
      this.#counters,
      this.settings,
    );
    this.#workers.nextId = () => this.#nextId++;
    this.#router = new Router(this.#workers, this.#costs, this.connectionState);
    this.#scheduler = new Scheduler(this.#queues, this.#workers, this.#costs, {
      send: (job, worker) => this.#sendTo(job, worker),
      grant: (waiter, worker) => this.#grant(waiter, worker),
      fail: (item, err) => this.#settled.fail(item, err),
    });
    this.#cancellation = new Cancellation(this.#queues, {
      settle: (job, err) => this.#settled.settle(job, err),
      settleWaiter: (waiter, err) => this.#settled.settleWaiter(waiter, err),
      recycle: (worker) => this.recycle(worker),
      pump: () => this.#pump(),
    });
  }

  /** Starts the writer, then the readers; rejects (leaving nothing running) if one cannot open. */
  static async start(options: ResolvedOptions): Promise<Pool> {
    nativeStatusWarnOnce();
    const pool = new Pool(options);
    try {
      await pool.#workers.start();
    } catch (err) {
      pool.#closed = true;
      throw err;
    }
    return pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The reader a cheap read offloaded now would start on at once, if any (see {@link Scheduler.offloadTarget}). */
  offloadTarget(): WorkerHandle | undefined {
    return this.#scheduler.offloadTarget();
  }

  /** A statement's lightest worker-measured cost (ms, see {@link CostModel.lightest}) if any read connection may run it now, else undefined. */
  readCost(sql: string): number | undefined {
    return this.#router.readable(sql) ? this.#costs.lightest(sql) : undefined;
  }

  /**
   * Runs a statement where the router sends it: a known route directly, an
   * unknown one as a probe first (see {@link Router.plan}).
   */
  submitRouted(request: NewRequest & { sql: string }, options: CallOptions | undefined): Promise<Answer> {
    const { target, probe } = this.#router.plan(request.sql);
    if (!probe) return this.submit(request, target, options);
    const timeout = options?.timeout ?? this.options.timeout;
    return probeThenRun((r, t, o, continuation) => this.submit(r, t, o, { continuation }), request, target, options, timeout);
  }

  /** Runs one request and resolves with its value (and the worker that answered). */
  submit(
    request: NewRequest,
    target: Target,
    options: CallOptions | undefined,
    via: { lease?: Lease; pinned?: WorkerHandle; continuation?: boolean } = {},
  ): Promise<Answer> {
    const lease = via.lease;
    if (lease?.closedBy !== undefined) return Promise.reject(lease.closedBy);
    if (lease === undefined && via.pinned === undefined && via.continuation !== true) {
      const refused = this.#refusal();
      if (refused !== undefined) return Promise.reject(refused);
    }
    const sql = 'sql' in request ? (request.sql as string) : undefined;
    const known = sql === undefined ? 0 : this.#costs.costOf(sql);
    if (request.op === 'all' && (known ?? 0) >= STREAM_ALL_MS) (request as StatementRequest).stream = true; // a slow all() streams its rows
    // The second half of a bounced probe keeps the first half's place in the order of writes.
    const first = via.continuation === true ? this.#probeSeq.get(request) : undefined;
    if (first !== undefined) this.#queues.unhold(first);
    const seq = first ?? this.#nextSeq++;
    (request as Request).id = this.#nextId++;
    if (this.#nextId >= 2 ** 31) this.#nextId = 1;
    return new Promise((resolve, reject) => {
      const job: Job = {
        request: request as Request,
        seq,
        // A probe on a reader may yet be a write: later writes wait for its answer.
        holds: target === 'read' && (request as { probe?: boolean }).probe === true,
        sql,
        target,
        lease,
        pinned: via.pinned ?? lease?.worker,
        // A read never seen to finish may be heavy: until its cost is known it
        // waits for an idle reader rather than queue behind, or ahead of, light reads.
        heavy: TUNING.costAware && target === 'read' && (known === undefined || known >= HEAVY_MS),
        guessed: target === 'read' && known === undefined,
        estimate: known ?? 0,
        cancellable: false,
        worker: undefined,
        settled: false,
        cancelledBy: undefined,
        graceTimer: undefined,
        resolve,
        reject,
        disarm: undefined,
        changes: changeSinkOf(options),
        onResponse: (response, worker) => this.#onResponse(job, response, worker),
      };
      if (job.holds) {
        this.#queues.hold(seq);
        this.#probeSeq.set(request, seq);
      }
      if (!this.#arm(job, options, sql)) return;
      this.#settled.accepted();
      if (job.pinned !== undefined) {
        if (job.pinned.state === 'exited') {
          this.#settled.settle(job, new WorkerCrashedError(sql, 'The connection holding this cursor or transaction is gone'));
          return;
        }
        this.#sendTo(job, job.pinned);
        return;
      }
      this.#queues.push(job);
      this.#pump();
    });
  }

  /** Takes exclusive use of the writer (a transaction) or of one reader (a snapshot). */
  acquire(target: Target, options: CallOptions | undefined): Promise<Lease> {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    // A snapshot on the writer when readers cannot see what the writer holds (see connection-state.ts).
    if (target === 'read' && (this.#workers.readers.length === 0 || this.connectionState.writerOnly)) target = 'write';
    return new Promise((resolve, reject) => {
      const waiter: LeaseWaiter = { lease: true, seq: this.#nextSeq++, target, settled: false, resolve, reject, disarm: undefined };
      if (!this.#arm(waiter, options, undefined)) return;
      this.#settled.accepted();
      this.#queues.push(waiter);
      this.#pump();
    });
  }

  /** Gives a leased worker back to the pool. */
  release(lease: Lease, reason: Error): void {
    if (this.#leases.release(lease, reason)) this.#pump();
  }

  /** Terminates a worker and starts a fresh one in its slot (see {@link Supervisor.recycle}). */
  recycle(worker: WorkerHandle): void {
    this.#workers.recycle(worker);
  }

  /** Cancels each call in flight on `worker` with `err` (a lease holder past its transaction timeout, work past close's grace). */
  stopWork(worker: WorkerHandle, err: Error): void {
    this.#cancellation.stopWork(worker, err);
  }

  /** Snapshot of queue and worker state. */
  stats(): PoolStats {
    return this.#counters.snapshot(this.#workers.all, this.#queues.count, this.#workers.writerFailure !== undefined);
  }

  /**
   * Lets submitted work finish for up to `closeTimeout` ms, then stops what is left (queued calls reject with `PoolClosedError`,
   * running statements are interrupted, transactions roll back), and closes every connection, readers first. Always settles.
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
      this.#workers.shutdown();
      // Terminated workers may still be inside a native statement: wait for
      // them to end, so that no thread uses the file once close() resolves;
      // but not for ever (without the native library such a thread cannot be stopped).
      await this.#workers.waitForDying(EXIT_GRACE_MS);
      await this.#workers.closeAll(() => this.#nextId++);
      this.#settled.dispose();
    })();
    return this.#closing;
  }

  /** Why a new call or lease request is refused now, if it is. */
  #refusal(): Error | undefined {
    if (this.#closed) return new PoolClosedError();
    if (this.#queues.count >= this.options.maxQueue) {
      this.#counters.rejected++;
      return new QueueFullError(this.options.maxQueue);
    }
    return undefined;
  }

  /** close() ran out of patience: fail the queue, end leases, cancel running calls. */
  #stopEverything(err: Error): void {
    for (const item of this.#queues.drain()) this.#settled.fail(item, err);
    this.#leases.endAll(err);
    for (const worker of this.#workers.all) this.stopWork(worker, err);
    this.#pump();
  }

  /** Arms the call's deadline and signal; false (and rejected) if it may not even start. */
  #arm(item: QueueItem, options: CallOptions | undefined, sql: string | undefined): boolean {
    const refused = this.#deadlines.arm(item, options, sql, (err) => this.#cancellation.cancel(item, err));
    if (refused === undefined) return true;
    this.#counters.failure(refused);
    item.settled = true;
    item.reject(refused);
    return false;
  }

  #pump(): void {
    this.#scheduler.pump();
    this.#checkIdle();
  }

  #grant(waiter: LeaseWaiter, worker: WorkerHandle): void {
    if (!waiter.settled) this.#settled.settleWaiter(waiter, undefined, this.#leases.grant(worker));
  }

  #sendTo(job: Job, worker: WorkerHandle): void {
    job.worker = worker;
    const request = job.request;
    if (request.op !== 'next' && request.op !== 'close-cursor' && request.op !== 'close') {
      // Settings made on the writer that this connection has not applied yet.
      const prelude = this.connectionState.catchUp(worker);
      if (prelude !== undefined) request.prelude = prelude;
      else if (request.prelude !== undefined) delete request.prelude;
    }
    worker.load += job.estimate;
    if (job.heavy) worker.heavy++;
    if (job.cancellable) worker.cancellable++;
    worker.send(job);
  }

  #onResponse(job: Job, response: Response, worker: WorkerHandle): void {
    worker.load = Math.max(0, worker.load - job.estimate);
    if (job.heavy) worker.heavy--;
    if (job.cancellable) worker.cancellable--;
    if (job.sql !== undefined) this.#costs.observe(job.sql, job.request, response);
    if (worker.role === 'writer') {
      if (response.local !== undefined) this.connectionState.writerOnly = response.local;
      const request = job.request;
      // `db.pragma(source)` is a PRAGMA statement too.
      const sql = job.sql ?? (request.op === 'operation' && request.action.kind === 'pragma' ? `PRAGMA ${request.action.source}` : undefined);
      if (response.ok && sql !== undefined) this.connectionState.observe(sql, worker);
    }
    if (response.changes !== undefined) job.changes?.(response.changes);
    if (job.cancelledBy !== undefined && !response.ok && isInterruption(response.error.code)) {
      // Stopped by our interrupt (or skipped): the caller learns why it was cancelled.
      this.#settled.settle(job, job.cancelledBy);
    } else if (response.ok) this.#settled.settle(job, undefined, response.value, worker, response.cost);
    else this.#settled.settle(job, new RemoteError(response.error));
    this.#pump();
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || this.#queues.count > 0 || this.#leases.size > 0) return;
    if (this.#workers.all.some((w) => w.inflight > 0)) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** A worker is gone: what it had not begun runs elsewhere; what it was running fails. */
  #onWorkerExit(worker: WorkerHandle, report: ExitReport): void {
    const { requeue, failed } = triage(worker, report, this.#workers.shuttingDown);
    for (const [job, err] of failed) this.#settled.settle(job, err);
    this.#leases.breakFor(worker, report.cause);
    // A new writer starts without the old one's TEMP objects and attachments.
    if (worker.role === 'writer') this.connectionState.writerOnly = false;
    // Requeued jobs go back in front, in their original order.
    this.#queues.unshiftAll(requeue);
  }
}
