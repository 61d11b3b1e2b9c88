/**
 * The main thread's side of one worker: starts it, batches requests into
 * messages, matches responses to requests, and reports how it died.
 */
import { Worker } from 'node:worker_threads';
import { deserializeError, serializeError } from './errors';
import { ENTRY_POINT, InterruptSlot, nativeStatus, warnNativeOnce } from './native/interrupt';
import { type CancelOutcome, CancelSet } from './cancel-set';
import { CELL_COUNT, Cell, type Request, type Response, type ResponseMessage, type RowsNotice, type StartupMessage, type WorkerConfig } from './protocol';
import { SETTINGS_CELLS } from './settings-protocol';
import { attachRows } from './streamed-rows';
import { RowsInbox } from './rows-inbox';
import { type Dispatch, InflightList } from './inflight';
import { Outbox } from './outbox';
import { RequestRing } from './request-ring';
import { TUNING } from './tuning';

/** How a worker's in-flight requests stood when it exited. @internal */
export interface ExitReport {
  /** Requests the worker had begun, oldest first; the last one may be the one that killed it. */
  begun: Dispatch[];
  /** Requests the worker never began: safe to run elsewhere. */
  notBegun: Dispatch[];
  /** Why it exited: the uncaught error or the exit code. */
  cause: unknown;
  /** True when the pool asked for the exit (terminate or close). */
  expected: boolean;
}

/** @internal */
export type WorkerState = 'starting' | 'ready' | 'exited';

/** @internal */
export class WorkerHandle {
  readonly role: 'writer' | 'reader';
  /** Position in the pool: 0 for the writer, 1..N for readers. */
  readonly slot: number;
  state: WorkerState = 'starting';
  /** Whether the connection ever opened (a worker that never did counts as a failed start). */
  wasReady = false;
  /** When the connection opened (`Date.now()`), or 0. */
  readyAt = 0;
  /** Resolves when the connection is open; rejects with the startup error. */
  readonly ready: Promise<void>;
  /** Called once, when the thread is gone. */
  onExit: ((report: ExitReport) => void) | undefined;

  /** Scheduler bookkeeping, owned by the pool: expected milliseconds of work in flight. */
  load = 0;
  /** Heavy statements in flight, owned by the pool. */
  heavy = 0;
  /** Open cursors on this worker, owned by the row iterators. */
  cursors = 0;
  /** Whether a transaction or snapshot holds this worker, owned by the pool. */
  leased = false;
  /** Whether the connection was inside a transaction after its last answered request. */
  inTransaction = false;
  /** `performance.now()` when this worker last answered, or took work while idle. */
  lastProgress = 0;
  /** Cancellable calls (with a signal or timeout) in flight, owned by the pool. */
  cancellable = 0;
  /** Resolves once the thread itself has ended (which may be long after {@link detach}). */
  readonly gone: Promise<void>;
  /** Whether cancelled statements on this worker are stopped with `sqlite3_interrupt` (else: terminate). */
  interruptible = false;
  /** Connection settings cells, after the protocol's (settings-protocol.ts). */
  readonly settingsCells: Int32Array;
  /** The worker's OS-independent thread id (`worker.threadId`). */
  readonly threadId: number;
  /** This connection's slot in the native library, if it loaded. */
  readonly #slot: InterruptSlot | undefined;
  /** Requests cancelled before the worker began them (see {@link cancel}). */
  readonly #cancelSet: CancelSet;

  readonly #worker: Worker;
  readonly #cells: Int32Array;
  /** Small statements travel through shared memory (see request-ring.ts). */
  readonly ring: RequestRing | undefined;
  readonly #inflight: InflightList;
  /** Chunks of large results, taken one per turn; answers wait behind them. */
  readonly #rows: RowsInbox;
  /** Requests sent to this worker so far: the next one's place in its order. */
  #seq = 0;
  readonly #outbox = new Outbox();
  #flushQueued = false;
  #expectedExit = false;
  #error: unknown;
  #refed = false;
  /** Set once `onExit` has been called (by the real exit, or earlier by `detach`). */
  #reported = false;

  constructor(role: 'writer' | 'reader', slot: number, config: Omit<WorkerConfig, 'role' | 'cells' | 'native' | 'rowsPort'>, path: string, resourceLimits?: object) {
    this.role = role;
    this.slot = slot;
    const cells = new SharedArrayBuffer((CELL_COUNT + SETTINGS_CELLS) * Int32Array.BYTES_PER_ELEMENT);
    this.#cells = new Int32Array(cells, 0, CELL_COUNT);
    this.settingsCells = new Int32Array(cells, CELL_COUNT * Int32Array.BYTES_PER_ELEMENT, SETTINGS_CELLS);
    this.#cancelSet = new CancelSet(this.#cells);
    this.ring = TUNING.ring && (role === 'reader' || TUNING.writerRing) ? new RequestRing() : undefined;
    this.#inflight = new InflightList(this.ring, (dispatch, response) => this.#deliver(dispatch, response));
    this.#rows = new RowsInbox(() => this.pending(), (responses) => this.#onResponses(responses));
    const native = nativeStatus();
    this.#slot = InterruptSlot.allocate(this.#cells, Cell.current);
    const workerData: WorkerConfig = {
      ...config,
      role,
      cells,
      native: native.available && this.#slot !== undefined ? { path: native.path, entryPoint: ENTRY_POINT, slot: this.#slot.slot } : undefined,
      rowsPort: this.#rows.workerPort,
    };
    if (this.ring !== undefined) workerData.ring = this.ring.buffer;
    // Referenced while it starts, so a process awaiting open() cannot exit
    // before open() settles; unreferenced once ready (an idle pool must not
    // keep the process alive) and referenced again while work is in flight.
    this.#worker = new Worker(path, { workerData, resourceLimits, stdout: false, stderr: false, transferList: [this.#rows.workerPort] });
    this.threadId = this.#worker.threadId;
    // The slot outlives the connection's close (its destructor unbinds it) and is freed with the thread.
    this.gone = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve())).then(() => this.#slot?.release());
    this.ready = new Promise<void>((resolve, reject) => {
      const onStartup = (message: StartupMessage) => {
        if (message.type === 'ready') {
          if (this.state !== 'starting') return; // detached meanwhile
          this.state = 'ready';
          this.wasReady = true;
          this.interruptible = message.interruptible && this.#slot !== undefined;
          if (message.nativeError !== undefined) warnNativeOnce(`the worker could not load threadlite's native library: ${message.nativeError}`);
          this.readyAt = Date.now();
          this.#worker.on('message', (m: ResponseMessage | RowsNotice) => (m.type === 'rows' ? this.#rows.notice() : this.#rows.answers(m.responses)));
          // After the listener: adding a 'message' listener refs the worker's port again.
          if (!this.#refed) this.#worker.unref();
          resolve();
        } else {
          this.#expectedExit = true;
          // Kept as the exit report's cause, so the pool's WorkerStartupError names it.
          this.#error = deserializeError(message.error);
          reject(this.#error);
          void this.#worker.terminate();
        }
      };
      this.#worker.once('message', onStartup);
      this.#worker.once('exit', (code) => {
        // A no-op if it was ready: a promise settles once.
        reject(this.#error ?? new Error(`Worker exited with code ${code} before it was ready`));
      });
    });
    // The pool reads the rejection through `ready`; this only keeps it from being unhandled.
    this.ready.catch(() => {});
    this.#worker.on('error', (err) => {
      this.#error = err;
    });
    this.#worker.once('exit', (code) => this.#onExit(code));
  }

  /** The requests sent and not yet answered, oldest first. */
  pending(): Dispatch[] {
    return this.#inflight.pending();
  }

  /** Requests sent and not yet answered. */
  get inflight(): number {
    return this.#inflight.size;
  }

  /** Queues a request; requests queued in the same tick travel in one message. */
  send(dispatch: Dispatch): void {
    if (this.inflight === 0) this.lastProgress = performance.now();
    // A request sent again (its first worker died) starts its rows afresh.
    dispatch.streamed = undefined;
    dispatch.unsent = undefined;
    this.#inflight.push(dispatch);
    const { request } = dispatch;
    const seq = this.#seq++;
    dispatch.ring = this.ring !== undefined && 'sql' in request && request.op !== 'exec' ? this.ring.write(request, seq) : -1;
    if (dispatch.ring < 0) {
      // Always (re)set: a request sent again after its worker died carries the old worker's number.
      request.seq = this.ring !== undefined ? seq : undefined;
      this.#outbox.push(request);
    }
    if (!this.#refed) {
      // Work in flight keeps the process alive; an idle pool does not.
      this.#worker.ref();
      this.#refed = true;
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    if (this.state === 'exited') return;
    // Port requests first: a ring request the worker reads may be due after one of them.
    if (this.#outbox.size > 0) {
      // A request that could not travel is answered with its error, in its turn.
      for (const { request, error } of this.#outbox.post(this.#worker) ?? []) {
        const dispatch = this.pending().find((d) => d.request === request);
        if (dispatch !== undefined) dispatch.unsent = error;
      }
    }
    this.ring?.publish();
    if (this.ring !== undefined) this.#armRing();
  };

  /** Waits for ring answers when the oldest request expects one. */
  #armRing(): void {
    if (this.#inflight.drainRing()) this.ring?.arm(this.#onRing);
    this.#unrefIfIdle();
  }

  readonly #onRing = (): void => {
    if (this.state === 'exited') return;
    const answered = this.#inflight.answered;
    this.#armRing();
    // Progress is an answer, not a wake-up: a wait that timed out must not hide a stalled worker.
    if (this.#inflight.answered !== answered) this.lastProgress = performance.now();
  };

  /** An idle worker does not keep the process alive. */
  #unrefIfIdle(): void {
    if (this.inflight === 0 && this.#refed && !this.#expectedExit) {
      this.#worker.unref();
      this.#refed = false;
    }
  }

  /** Asks user functions that call `threadlite_interrupted()` to stop. */
  interrupt(): void {
    Atomics.store(this.#cells, Cell.interrupt, 1);
  }

  /**
   * Cancels one in-flight request without stopping the worker (needs
   * {@link interruptible}). First it enters the request in the cancel set, so
   * that the worker skips it if it has not begun; then it interrupts SQLite
   * if the request is the statement running now. The worker checks the set
   * after publishing the request it begins, so one of the two always catches
   * a request that has not finished.
   */
  cancel(dispatch: Dispatch): CancelOutcome {
    const id = dispatch.request.id;
    const index = this.#inflight.indexOf(dispatch);
    if (index === -1 || this.#slot === undefined) return 'pending';
    const listed = this.#cancelSet.add(id);
    if (this.#slot.interrupt(id)) return 'interrupted';
    // Not running now: not begun (it will be skipped, since it was listed
    // first), or finished (its answer is on its way).
    const begun = Atomics.load(this.#cells, Cell.started) - this.#inflight.answered;
    return listed && begun <= index ? 'skipped' : 'pending';
  }

  /** Whether request `id` is the statement the worker is running right now. */
  isRunning(id: number): boolean {
    return Math.abs(Atomics.load(this.#cells, Cell.current)) === id;
  }

  /** Keeps the process alive until the thread has ended; resolves then. */
  keepAlive(): Promise<void> {
    this.#worker.ref();
    return this.gone;
  }

  /** Stops the thread now; in-flight requests are reported through `onExit`. */
  terminate(): Promise<number> {
    this.#expectedExit = true;
    // Referenced until it is gone: whoever awaits this must see the exit.
    this.#worker.ref();
    return this.#worker.terminate();
  }

  /**
   * Gives up on this worker at once: reports its in-flight requests through
   * `onExit` now and terminates the thread. A statement inside SQLite's native
   * code does not notice termination, so the thread may run on until that
   * statement ends (see {@link gone}); the pool must not wait for it to replace
   * the connection. The thread no longer keeps the process alive.
   */
  detach(cause: unknown): void {
    if (this.state === 'exited') return;
    this.#expectedExit = true;
    this.#error ??= cause;
    void this.#worker.terminate();
    this.#worker.unref();
    this.#refed = false;
    this.#onExit(-1);
  }

  /**
   * Closes the connection cleanly (the worker runs `PRAGMA optimize` and
   * `close()`), then resolves once the thread has exited. The thread keeps
   * the process alive until then, so a pending close is never cut short.
   */
  close(closeRequestId: number): Promise<void> {
    if (this.state === 'exited') return Promise.resolve();
    this.#expectedExit = true;
    // Referenced until it has exited, whatever its state: close() keeps the process alive until it settles.
    const exited = this.keepAlive();
    this.#refed = true;
    if (this.state !== 'ready') {
      void this.#worker.terminate();
      return exited;
    }
    this.send({ request: { id: closeRequestId, op: 'close' }, onResponse: () => {} });
    return exited;
  }

  #onResponses(responses: Response[]): void {
    // Answers a detached worker still sends belong to requests already reported.
    if (this.state === 'exited') return;
    this.lastProgress = performance.now();
    this.#inflight.onPortAnswers(responses);
    this.#armRing();
  }

  #deliver(dispatch: Dispatch, response: Response): void {
    if (dispatch.unsent !== undefined) response = { id: response.id, ok: false, error: serializeError(dispatch.unsent), cost: 0, inTransaction: response.inTransaction };
    if (this.#cancelSet.size > 0) this.#cancelSet.remove(response.id);
    this.inTransaction = response.inTransaction;
    attachRows(dispatch, response);
    dispatch.onResponse(response, this);
  }

  #onExit(code: number): void {
    if (this.#reported) return;
    this.#reported = true;
    const wasReady = this.state === 'ready';
    // Answers the worker gave (held behind chunks, or in its ring) before it went are its truth.
    if (wasReady) {
      this.#rows.drain();
      this.#inflight.drainRing();
    }
    this.#rows.close();
    this.state = 'exited';
    const answered = this.#inflight.answered;
    const pending = this.#inflight.clear();
    this.#outbox.clear();
    if (!wasReady && pending.length === 0 && this.onExit === undefined) return;
    // Requests in one message start in order, so the count the worker started
    // splits the in-flight list exactly.
    const started = Math.max(0, Atomics.load(this.#cells, Cell.started) - answered);
    this.onExit?.({
      begun: pending.slice(0, started),
      notBegun: pending.slice(started),
      cause: this.#error ?? new Error(`Worker exited with code ${code}`),
      expected: this.#expectedExit,
    });
  }
}
