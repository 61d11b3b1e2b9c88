/**
 * Error classes and their wire form. Shared by the main thread and the workers:
 * imports nothing else from `src/`.
 *
 * Errors do not survive `postMessage` intact (better-sqlite3 12's `SqliteError`
 * arrives without its message, a plain `Error` without its `code`), so a worker
 * sends a {@link SerializedError} and the main thread rebuilds the class here.
 */

/** Every `code` a threadlite error (other than {@link SqliteError}) can carry. */
export type ThreadliteErrorCode =
  | 'ABORT_ERR'
  | 'ERR_THREADLITE_TIMEOUT'
  | 'ERR_THREADLITE_QUEUE_FULL'
  | 'ERR_THREADLITE_POOL_CLOSED'
  | 'ERR_THREADLITE_WORKER_CRASHED'
  | 'ERR_THREADLITE_WORKER_STARTUP'
  | 'ERR_THREADLITE_TRANSACTION_CLOSED'
  | 'ERR_THREADLITE_NATIVE_UNAVAILABLE';

/**
 * An error reported by SQLite, with the same `message` and `code` that
 * better-sqlite3 gives on the main thread.
 *
 * ```ts
 * try { await db.run('INSERT INTO users(email) VALUES (?)', [email]); }
 * catch (err) {
 *   if (err instanceof SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE') { ... }
 * }
 * ```
 */
export class SqliteError extends Error {
  /** SQLite's extended result code as a string, e.g. `SQLITE_CONSTRAINT_UNIQUE`. */
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}
SqliteError.prototype.name = 'SqliteError';

/** Base class of the errors threadlite raises itself; `code` tells them apart. */
export class ThreadliteError extends Error {
  /** A stable, machine-readable code such as `ERR_THREADLITE_TIMEOUT`. */
  readonly code: ThreadliteErrorCode;
  constructor(message: string, code: ThreadliteErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
ThreadliteError.prototype.name = 'ThreadliteError';

/**
 * A call was cancelled by its `AbortSignal`. Follows Node's convention:
 * `name` is `AbortError`, `code` is `ABORT_ERR`, and `cause` is the signal's reason.
 * The `sql` property names the statement that was cancelled.
 */
export class AbortError extends ThreadliteError {
  /** The SQL text of the cancelled call, if it had one. */
  readonly sql: string | undefined;
  constructor(sql: string | undefined, reason?: unknown) {
    super(sql === undefined ? 'The operation was aborted' : `The operation was aborted: ${sql}`, 'ABORT_ERR', {
      cause: reason,
    });
    this.sql = sql;
  }
}
AbortError.prototype.name = 'AbortError';

/** A call did not finish within its `timeout`; `sql` names the statement. */
export class TimeoutError extends ThreadliteError {
  /** The SQL text of the call that timed out, if it had one. */
  readonly sql: string | undefined;
  /** The deadline that passed, in milliseconds. */
  readonly timeout: number;
  constructor(sql: string | undefined, timeout: number) {
    super(
      sql === undefined ? `Operation timed out after ${timeout} ms` : `Query timed out after ${timeout} ms: ${sql}`,
      'ERR_THREADLITE_TIMEOUT',
    );
    this.sql = sql;
    this.timeout = timeout;
  }
}
TimeoutError.prototype.name = 'TimeoutError';

/** The pool's queue already holds `maxQueue` calls; this one was refused at once. */
export class QueueFullError extends ThreadliteError {
  constructor(maxQueue: number) {
    super(`The queue is full (maxQueue = ${maxQueue}); try again later`, 'ERR_THREADLITE_QUEUE_FULL');
  }
}
QueueFullError.prototype.name = 'QueueFullError';

/** The pool was closed (or is closing) before this call could be accepted. */
export class PoolClosedError extends ThreadliteError {
  constructor(message = 'The database is closed') {
    super(message, 'ERR_THREADLITE_POOL_CLOSED');
  }
}
PoolClosedError.prototype.name = 'PoolClosedError';

/**
 * The worker running this call died (a native crash, `process.exit` in a user
 * function, out of memory). The worker is replaced; `sql` names the statement.
 */
export class WorkerCrashedError extends ThreadliteError {
  /** The SQL text of the call that was running or waiting on the dead worker. */
  readonly sql: string | undefined;
  constructor(sql: string | undefined, cause?: unknown) {
    super(
      sql === undefined ? 'The worker thread crashed' : `The worker thread crashed while running: ${sql}`,
      'ERR_THREADLITE_WORKER_CRASHED',
      { cause },
    );
    this.sql = sql;
  }
}
WorkerCrashedError.prototype.name = 'WorkerCrashedError';

/** A worker could not start (bad file, broken `setup` module, …); `cause` says why. */
export class WorkerStartupError extends ThreadliteError {
  constructor(message: string, cause?: unknown) {
    super(message, 'ERR_THREADLITE_WORKER_STARTUP', { cause });
  }
}
WorkerStartupError.prototype.name = 'WorkerStartupError';

/** A transaction or read snapshot was used after it committed, rolled back or timed out. */
export class TransactionClosedError extends ThreadliteError {
  constructor(message: string) {
    super(message, 'ERR_THREADLITE_TRANSACTION_CLOSED');
  }
}
TransactionClosedError.prototype.name = 'TransactionClosedError';

/** The form an error takes on the wire between a worker and the main thread. @internal */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** Turns anything thrown in a worker into its wire form. @internal */
export function serializeError(err: unknown): SerializedError {
  if (err !== null && typeof err === 'object') {
    const e = err as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown };
    const out: SerializedError = {
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: typeof e.message === 'string' ? e.message : String(err),
    };
    if (typeof e.code === 'string') out.code = e.code;
    if (typeof e.stack === 'string') out.stack = e.stack;
    return out;
  }
  return { name: 'Error', message: String(err) };
}

/**
 * Rebuilds the error class from its wire form. Called inside the awaiting
 * public method, so that V8's async stack trace ends at the caller's own line.
 * @internal
 */
export function deserializeError(wire: SerializedError): Error {
  let err: Error;
  switch (wire.name) {
    case 'SqliteError':
      err = new SqliteError(wire.message, wire.code ?? 'SQLITE_ERROR');
      break;
    case 'TypeError':
      err = new TypeError(wire.message);
      break;
    case 'RangeError':
      err = new RangeError(wire.message);
      break;
    default:
      err = new Error(wire.message);
      if (wire.name !== 'Error') err.name = wire.name;
  }
  if (wire.code !== undefined && !(err instanceof SqliteError)) (err as Error & { code: string }).code = wire.code;
  // Start the stack at our caller: inside an awaiting async method, V8 then
  // lists the user's own awaiting frames below it.
  captureCallerStack(err, deserializeError);
  if (wire.stack !== undefined) {
    // Keep the worker-side frames too (they say where inside SQLite or a user
    // function the error began), as the error's `cause`: appended to the
    // stack, they would come after the caller's own frames, which must end it.
    const workerFrames = wire.stack.split('\n').slice(1).join('\n');
    if (workerFrames && (err as { cause?: unknown }).cause === undefined) {
      const inWorker = new Error('in the worker thread');
      inWorker.stack = `Error: in the worker thread\n${workerFrames}`;
      Object.defineProperty(err, 'cause', { value: inWorker, writable: true, configurable: true, enumerable: false });
    }
  }
  return err;
}

/** threadlite's own directory (dist/ in the package): frames from files below it are ours. */
const OWN_DIR = __dirname;
/** How many of our own frames, at most, a stack may hold above the caller's. */
const OWN_FRAMES = 40;

/**
 * Captures the current (async) stack into `err.stack`, leaving out
 * threadlite's own frames. V8 keeps only `Error.stackTraceLimit` frames (10
 * by default), and the library's own awaiting methods would otherwise use
 * them up before the caller's line: so capture more, drop ours, and keep the
 * caller's frames up to the limit. Main thread only. @internal
 */
export function captureCallerStack(err: Error, skip: (...args: never[]) => unknown): void {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || !(limit > 0)) {
    Error.captureStackTrace(err, skip);
    return;
  }
  Error.stackTraceLimit = limit + OWN_FRAMES;
  try {
    Error.captureStackTrace(err, skip);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const stack = err.stack;
  if (typeof stack !== 'string') return;
  const lines = stack.split('\n');
  const first = lines.findIndex((line) => line.startsWith('    at '));
  if (first === -1) return;
  const frames = lines.slice(first).filter((line) => !isOwnFrame(line));
  err.stack = [...lines.slice(0, first), ...frames.slice(0, limit)].join('\n');
}

function isOwnFrame(line: string): boolean {
  const at = line.indexOf(OWN_DIR);
  if (at === -1) return false;
  // Our directory, and a file directly in it or below (not a sibling whose name starts the same).
  const next = line.charAt(at + OWN_DIR.length);
  return next === '/' || next === '\\';
}
