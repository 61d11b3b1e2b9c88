/**
 * The messages exchanged by the main thread and a worker. Shared by both sides:
 * imports nothing from `src/` but the shared `errors` and `types` modules.
 *
 * Requests travel in arrays (one `postMessage` may carry many: pipelining), and
 * a worker answers each array with one array of responses, in request order.
 */
import type { SerializedError } from './errors';
import type { OperationAction } from './operations-protocol';
import type { Opaque } from './params';
import type { ChangeBatch } from './settings-protocol';
import type { MessagePort } from 'node:worker_threads';
import type { BindParameters } from './types';

/** Row shape a statement returns; mirrors better-sqlite3's raw/pluck/expand toggles. */
export const RowMode = {
  object: 0,
  raw: 1,
  pluck: 2,
  expand: 3,
} as const;
/** @internal */
export type RowMode = (typeof RowMode)[keyof typeof RowMode];

/** Everything a worker needs to open its connection; sent as `workerData`. @internal */
export interface WorkerConfig {
  file: string;
  role: 'writer' | 'reader';
  readonly: boolean;
  fileMustExist: boolean;
  busyTimeout: number;
  wal: boolean;
  pragmas: ReadonlyArray<readonly [string, string]>;
  safeIntegers: boolean;
  statementCacheSize: number;
  setup: string | undefined;
  /** Linux nice value for this thread (readers; see `OpenOptions.readerNice`). */
  nice: number;
  /** A serialized database the writer opens in memory instead of `file` (`open(buffer)`). */
  deserialize?: Uint8Array;
  /** Int32 cells shared with the main thread; see {@link Cell}. */
  cells: SharedArrayBuffer;
  /**
   * threadlite's native library and this connection's slot in it, when the
   * main thread could load it: the worker loads it into its connection so
   * that cancelled statements can be interrupted (see src/native/interrupt.ts).
   */
  native: { path: string; entryPoint: string; slot: number } | undefined;
  /** A reader's request ring (src/ring-protocol.ts), when small reads travel through shared memory. */
  ring?: SharedArrayBuffer;
  /** Where chunks of large results go ({@link RowsMessage}); the main thread takes them one per turn. */
  rowsPort: MessagePort;
}

/** Indexes into the worker's shared Int32 cells. @internal */
export const Cell = {
  /**
   * How many requests the worker has started. With the main thread's count of
   * answered requests, it tells which in-flight requests a dead worker had
   * finished, was running, or never began.
   */
  started: 0,
  /** Set to 1 by the main thread to ask user functions to stop (see `threadlite_interrupted()`). */
  interrupt: 1,
  /**
   * The id of the request whose statement is running, 0 between statements;
   * -id for the instant the main thread interrupts it (native/threadlite.c).
   */
  current: 2,
  /** The last request the main thread interrupted (written by the native library). */
  interrupted: 3,
  /** Set to 1 by the native library when the process exits: begin no more statements. */
  halt: 4,
  /** How many entries of the cancel set are in use; 0 lets the worker skip the scan. */
  cancelCount: 5,
  /**
   * First of {@link CANCEL_SLOTS} cells holding ids of requests cancelled
   * before they began (0 = free): the worker answers them without running them.
   */
  cancelSet: 6,
} as const;
/** Size of the cancel set: more than a worker has in flight at once (pipelining depth). @internal */
export const CANCEL_SLOTS = 128;
/** @internal */
export const CELL_COUNT = Cell.cancelSet + CANCEL_SLOTS;

/** `code` of the error a worker answers for a request cancelled before it began. @internal */
export const CANCELLED_CODE = 'THREADLITE_CANCELLED';

/** An `all()` measured to take at least this many ms streams its rows (see {@link StatementRequest.stream}). @internal */
export const STREAM_ALL_MS = 2;

/** A statement execution: `all`, `get`, `run`, `iterate` (opens a cursor) or `describe`. @internal */
export interface StatementRequest {
  id: number;
  op: 'all' | 'get' | 'run' | 'iterate' | 'describe';
  sql: string;
  params?: BindParameters;
  /** Stand-ins for values better-sqlite3 refuses (see src/params.ts). */
  opaque?: Opaque[];
  mode: RowMode;
  /** `undefined` = the connection's default. */
  safeIntegers?: boolean;
  /** For `iterate`: rows in the first chunk. */
  count?: number;
  /**
   * For `all`: step the statement with an iterator and post each chunk as
   * soon as it is full (see src/worker/row-stream.ts). Set by the pool when
   * the statement was seen to take at least {@link STREAM_ALL_MS}; a quicker
   * one runs as one `all()`, cheaper for a few rows.
   */
  stream?: boolean;
  /** For `run`: the call may be cancelled, so run a write in its own transaction (see the worker's `#atomicRun`). */
  atomic?: boolean;
  /**
   * Set the first time a SQL text is seen. On the writer: if the statement may
   * run on a reader (and the writer is not inside a transaction), answer
   * {@link BOUNCED} without running it, so the caller sends it to a reader.
   * On a reader: answer {@link BOUNCED} if it may not run there.
   */
  probe?: boolean;
  /** Connection settings (statements) to apply before this request (see engine/connection-state.ts). */
  prelude?: readonly string[];
}

/** Runs one or more statements with no parameters and no result (`db.exec`). @internal */
export interface ExecRequest {
  id: number;
  op: 'exec';
  sql: string;
  /** Connection settings (statements) to apply before this request (see engine/connection-state.ts). */
  prelude?: readonly string[];
}

/** Pulls up to `count` more rows from an open cursor. @internal */
export interface NextRequest {
  id: number;
  op: 'next';
  cursor: number;
  count: number;
}

/** Closes a cursor early (the consumer broke out of its loop). @internal */
export interface CloseCursorRequest {
  id: number;
  op: 'close-cursor';
  cursor: number;
}

/** Statements run in order inside one transaction (`db.batch`). @internal */
export interface BatchRequest {
  id: number;
  op: 'batch';
  /**
   * Runs of consecutive statements with the same SQL text and parameter
   * shape: the text crosses once per run, not once per statement (100k
   * inserts are one run).
   */
  groups: ReadonlyArray<BatchGroup>;
  /**
   * A large batch: `parts` more {@link BatchPart}s follow on `port` while the
   * writer runs these groups, inside the same transaction; the main thread
   * adds 1 to `posted[0]` after each (see src/batch.ts).
   */
  more?: { port: MessagePort; posted: SharedArrayBuffer; parts: number };
  /** Connection settings (statements) to apply before this request (see engine/connection-state.ts). */
  prelude?: readonly string[];
}

/**
 * One run of a batch. `flat`: `count` statements whose positional parameters
 * (`arity` each, no stand-ins) lie one after another in `values` — one array
 * of primitives clones far faster than `count` small arrays. `sets`: one
 * parameter set per statement (`null` = none), for named parameters and
 * values that need stand-ins.
 * @internal
 */
export type BatchGroup =
  | { sql: string; kind: 'flat'; arity: number; count: number; values: unknown[] }
  | {
      sql: string;
      kind: 'sets';
      params: Array<BindParameters | null>;
      /** Stand-ins per parameter set, by index (see src/params.ts). */
      opaque?: Array<readonly [index: number, opaque: Opaque[]]>;
    };

/** What a message of requests moves to the worker instead of copying: the channels of large batches. @internal */
export function transferList(requests: readonly Request[]): MessagePort[] {
  const ports: MessagePort[] = [];
  for (const request of requests) if (request.op === 'batch' && request.more !== undefined) ports.push(request.more.port);
  return ports;
}

/** A further part of a large batch (see {@link BatchRequest.more}); `abort`: the main thread could not encode it, roll back. @internal */
export type BatchPart = { groups: BatchGroup[] } | { abort: true };

/**
 * The answer to one batch group: for a statement that returns no data, the
 * `changes` and `lastInsertRowid` of each run, side by side (cheaper to send
 * than one object per statement); for one that returns data, its rows.
 * @internal
 */
export type BatchGroupResult =
  | { changes: number[]; lastInsertRowid: Array<number | bigint> }
  | { rows: RowsPayload[] };

/** Closes the connection cleanly (`PRAGMA optimize` first on the writer). @internal */
export interface CloseRequest {
  id: number;
  op: 'close';
  prelude?: undefined;
}

/** A database-level operation (a backup step, serialize, pragma); see `operations-protocol.ts`. @internal */
export interface OperationRequest {
  id: number;
  op: 'operation';
  action: OperationAction;
  /** Connection settings (statements) to apply before this request (see engine/connection-state.ts). */
  prelude?: readonly string[];
}

/**
 * Any request. `seq`: its place in the order the main thread sent requests to
 * one worker, set on port requests when the worker also has a request ring
 * (src/ring-protocol.ts): the worker runs both kinds in that order.
 * @internal
 */
export type Request = (StatementRequest | ExecRequest | NextRequest | CloseCursorRequest | BatchRequest | CloseRequest | OperationRequest) & { seq?: number };

/** A request before the pool gives it an id. @internal */
export type NewRequest = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** A result of one chunk of rows (from `all` or a cursor). @internal */
export interface RowsPayload {
  rows: unknown[];
  /**
   * Set when rows were sent as arrays because object rows would not survive a
   * structured clone (a column named `__proto__`): the main thread rebuilds
   * each object with plain assignment, exactly as better-sqlite3 does.
   */
  columns?: string[];
  /** Indexes of rows holding a BLOB; those arrive as Uint8Array and become Buffers. */
  blobRows?: number[];
  /** For cursors: no more rows; the cursor is closed on the worker. */
  done?: boolean;
  /** For cursors: the statement failed after producing `rows`; the cursor is closed. */
  error?: SerializedError;
  /** Set on the main thread: the chunks that came before this one as {@link RowsMessage}s, in order. */
  before?: RowsPayload[];
}

/** @internal */
export interface OkResponse {
  id: number;
  ok: true;
  value: unknown;
  /** Statement requests: whether the statement may run on a reader (see `isReaderSafe`). */
  readerSafe?: boolean;
  /** Milliseconds the worker spent on the request; feeds cost-aware scheduling. */
  cost: number;
  /** Whether the connection is inside a transaction after this request. */
  inTransaction: boolean;
  /** Set when a probed request was not run (see {@link StatementRequest.probe}). */
  bounced?: boolean;
  /** The writer, after a request that could change it: whether it holds TEMP objects or attached databases (see `LocalState`). */
  local?: boolean;
  /** The rows the request changed, when the writer records changes (see settings-protocol.ts). */
  changes?: ChangeBatch;
}

/** The value of a bounced request. @internal */
export const BOUNCED = Object.freeze({ bounced: true as const });

/** Whether a response value is {@link BOUNCED} (a copy of it: values cross threads by structured clone). @internal */
export function isBounced(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { bounced?: unknown }).bounced === true;
}

/** @internal */
export interface ErrorResponse {
  id: number;
  ok: false;
  error: SerializedError;
  /** As in {@link OkResponse}, when the statement could be prepared. */
  readerSafe?: boolean;
  cost: number;
  inTransaction: boolean;
  /** As in {@link OkResponse}. */
  local?: boolean;
  /** As in {@link OkResponse}: a failed statement may have changed rows before it failed. */
  changes?: ChangeBatch;
}

/** @internal */
export type Response = OkResponse | ErrorResponse;

/** First message from a worker: its connection is open, or it failed to open. @internal */
export type StartupMessage =
  | { type: 'ready'; /** Whether the connection loaded the native library (cancellation by interrupt). */ interruptible: boolean; nativeError?: string }
  | { type: 'startup-error'; error: SerializedError };

/** Message from a worker after startup. @internal */
export interface ResponseMessage {
  type: 'responses';
  responses: Response[];
}

/**
 * A chunk of a large `all()` result, posted by the worker ahead of the
 * request's answer (see src/worker/row-stream.ts) on its chunk port
 * ({@link WorkerConfig.rowsPort}), with a {@link RowsNotice} on its own port
 * right after. The main thread keeps the chunks with the request and hands
 * them over with the answer ({@link RowsPayload.before}), or drops them if
 * the request fails.
 * @internal
 */
export interface RowsMessage {
  id: number;
  payload: RowsPayload;
}

/** Tells the main thread that one more chunk waits on the chunk port (see src/rows-inbox.ts). @internal */
export interface RowsNotice {
  type: 'rows';
}
