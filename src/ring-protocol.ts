/**
 * The request ring: a `SharedArrayBuffer` between the main thread and one
 * worker that carries small statements (reads, and writes on the writer) and
 * their answers without `postMessage` (no structured clone of request and
 * response objects, no message dispatch per answer; see docs/benchmark.md,
 * "A cheaper hop"). Shared by both sides: imports nothing from `src/` but
 * `protocol` types and the value codec (ring-values.ts).
 *
 * Everything else travels by port as before. Both kinds of request share one
 * order: each carries the sequence number the main thread gave it, and the
 * worker runs them in that order, whichever way they came. A ring request
 * whose answer does not fit its slot is answered by port, and its slot says so.
 *
 * Layout: a few Int32 control cells, then {@link RING_SLOTS} slots, each a
 * request area and an answer area. Slot `i % RING_SLOTS` serves the `i`-th
 * ring request; the main thread reuses it only after it has read its answer.
 */
import type { RowsPayload, StatementRequest, Response } from './protocol';
import { RowMode } from './protocol';
import { readValue, writeValue } from './ring-values';

/** Int32 control cells at the start of the ring. @internal */
export const RingCell = {
  /** Ring requests the main thread has published (a running count). */
  published: 0,
  /** Ring requests the worker has answered, in the ring or by port (a running count). */
  answered: 1,
  /** 1 while the worker waits for requests: the main thread must notify it. */
  workerWaiting: 2,
  /** 1 while the main thread waits for answers: the worker must notify it. */
  mainWaiting: 3,
} as const;
const CONTROL_BYTES = 64;

/** Slots in one ring: the most ring requests in flight on one worker (more go by port). @internal */
export const RING_SLOTS = 64;
const REQUEST_BYTES = 256;
const ANSWER_BYTES = 1024;
const SLOT_BYTES = REQUEST_BYTES + ANSWER_BYTES;
/** Size of one ring's buffer. @internal */
export const RING_BYTES = CONTROL_BYTES + RING_SLOTS * SLOT_BYTES;

// Request header: id i32 @0, seq i32 @4, sqlId i32 @8, op u8 @12, mode u8 @13,
// safeIntegers u8 @14, parameter shape u8 @15, SQL bytes u16 @16 (0 = the id
// is known), parameter count u16 @18; then the SQL text, then the values.
const REQUEST_HEADER = 20;
// Answer header: status u8 @0, readerSafe u8 @1, inTransaction u8 @2, row
// shape u8 @3, id i32 @4, cost f64 @8, rows u32 @16, columns u16 @20, names
// included u8 @22; then the column names, then the values row by row.
const ANSWER_HEADER = 24;

const OP_GET = 0;
const OP_ALL = 1;
/** A write (`run`); `_ATOMIC`: the call may be cancelled (see `StatementRequest.atomic`). */
const OP_RUN = 2;
const OP_RUN_ATOMIC = 3;
/** The answer's row shape byte for a `run` result: `changes`, then `lastInsertRowid`. */
const RUN_RESULT = 0xff;
const PARAMS_NONE = 0;
const PARAMS_ONE = 1;
const PARAMS_LIST = 2;
/** Answer status: the answer is in the slot, or it went by port. */
const IN_SLOT = 1;
const BY_PORT = 2;

/** The views over one ring that both sides use. @internal */
export class RingViews {
  readonly cells: Int32Array;
  readonly view: DataView;
  readonly bytes: Buffer;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.view = new DataView(buffer);
    this.bytes = Buffer.from(buffer);
  }
}

function requestOffset(index: number): number {
  return CONTROL_BYTES + (index % RING_SLOTS) * SLOT_BYTES;
}

function answerOffset(index: number): number {
  return requestOffset(index) + REQUEST_BYTES;
}

/**
 * Writes a statement request into the slot of ring request `index` if it can
 * travel there: `get`, `all` or `run`, no connection settings, no probe, no
 * streaming, parameters that are absent, one value or a list of values
 * (numbers, strings, bigints, null). `sqlId` names the SQL text; `defineSql`
 * also writes the text, the first time this worker meets the id. Returns
 * false (and leaves the ring as it was) when it cannot.
 * @internal
 */
export function writeRequest(ring: RingViews, index: number, request: StatementRequest, seq: number, sqlId: number, defineSql: boolean): boolean {
  if ((request.op !== 'get' && request.op !== 'all' && request.op !== 'run') || request.probe === true || request.stream === true) return false;
  if (request.prelude !== undefined || request.opaque !== undefined) return false;
  const { view } = ring;
  const base = requestOffset(index);
  const end = base + REQUEST_BYTES;
  let off = base + REQUEST_HEADER;
  let sqlBytes = 0;
  if (defineSql) {
    if (!request.sql.isWellFormed()) return false;
    if (request.sql.length * 3 > REQUEST_BYTES - REQUEST_HEADER && Buffer.byteLength(request.sql) > REQUEST_BYTES - REQUEST_HEADER) return false;
    sqlBytes = ring.bytes.write(request.sql, off, 'utf8');
    if (sqlBytes === 0 || sqlBytes > 0xffff) return false;
    off += sqlBytes;
  }
  const params: unknown = request.params;
  let shape = PARAMS_NONE;
  let count = 0;
  if (Array.isArray(params)) {
    shape = PARAMS_LIST;
    count = params.length;
    if (count > 0xffff) return false;
    for (let i = 0; i < count && off >= 0; i++) off = writeValue(ring, off, end, params[i]);
  } else if (params !== undefined) {
    shape = PARAMS_ONE;
    count = 1;
    off = writeValue(ring, off, end, params);
  }
  if (off < 0) return false;
  view.setInt32(base, request.id, true);
  view.setInt32(base + 4, seq, true);
  view.setInt32(base + 8, sqlId, true);
  view.setUint8(base + 12, request.op === 'get' ? OP_GET : request.op === 'all' ? OP_ALL : request.atomic === true ? OP_RUN_ATOMIC : OP_RUN);
  view.setUint8(base + 13, request.mode);
  view.setUint8(base + 14, request.safeIntegers === undefined ? 0 : request.safeIntegers ? 2 : 1);
  view.setUint8(base + 15, shape);
  view.setUint16(base + 16, sqlBytes, true);
  view.setUint16(base + 18, count, true);
  return true;
}

/** The sequence number of ring request `index` (read before deciding to run it). @internal */
export function requestSeq(ring: RingViews, index: number): number {
  return ring.view.getInt32(requestOffset(index) + 4, true);
}

/**
 * Reads ring request `index` back into the request object the worker runs.
 * `sqlOf` turns the SQL id into its text; `define` records a text sent with it.
 * @internal
 */
export function readRequest(ring: RingViews, index: number, sqlOf: (id: number) => string, define: (id: number, sql: string) => void): StatementRequest {
  const { view } = ring;
  const base = requestOffset(index);
  const sqlId = view.getInt32(base + 8, true);
  const sqlBytes = view.getUint16(base + 16, true);
  let off = base + REQUEST_HEADER;
  if (sqlBytes > 0) {
    define(sqlId, ring.bytes.toString('utf8', off, off + sqlBytes));
    off += sqlBytes;
  }
  const shape = view.getUint8(base + 15);
  const count = view.getUint16(base + 18, true);
  let params: unknown[] | undefined;
  if (shape !== PARAMS_NONE) {
    params = new Array<unknown>(count);
    for (let i = 0; i < count; i++) off = readValue(ring, off, params, i);
  }
  const safe = view.getUint8(base + 14);
  const op = view.getUint8(base + 12);
  const request: StatementRequest = {
    id: view.getInt32(base, true),
    op: op === OP_GET ? 'get' : op === OP_ALL ? 'all' : 'run',
    sql: sqlOf(sqlId),
    mode: view.getUint8(base + 13) as RowMode,
    safeIntegers: safe === 0 ? undefined : safe === 2,
  };
  if (params !== undefined) request.params = (shape === PARAMS_ONE ? params[0] : params) as StatementRequest['params'];
  if (op === OP_RUN_ATOMIC) request.atomic = true;
  return request;
}

/**
 * Writes the answer to ring request `index` into its slot if it fits: a
 * successful `run`, or `get`/`all` whose rows are plain (no BLOB, no row to
 * rebuild, no column named `__proto__`); never an answer that carries tracked
 * changes, the writer's local state or a bounce. Column names of object rows are written only
 * when they differ from the last ones written for this SQL id (`known`, which
 * the main thread mirrors). Returns false, and marks the slot, when the
 * answer must go by port instead.
 * @internal
 */
export function writeAnswer(ring: RingViews, index: number, response: Response, request: StatementRequest, known: Map<number, readonly string[]>, sqlId: number): boolean {
  const plain = response.ok && response.changes === undefined && response.local === undefined && response.bounced !== true;
  const fits = plain && (request.op === 'run' ? encodeRun(ring, index, response) : encodeRows(ring, index, response, request.mode, known, sqlId));
  if (!fits) ring.view.setUint8(answerOffset(index), BY_PORT);
  return fits;
}

/** A write's `{ changes, lastInsertRowid }` (a number, or a bigint with safe integers). */
function encodeRun(ring: RingViews, index: number, response: Response & { ok: true }): boolean {
  const { changes, lastInsertRowid } = response.value as { changes: unknown; lastInsertRowid: unknown };
  const base = answerOffset(index);
  const end = base + ANSWER_BYTES;
  let off = writeValue(ring, base + ANSWER_HEADER, end, changes);
  if (off >= 0) off = writeValue(ring, off, end, lastInsertRowid);
  if (off < 0) return false;
  writeHeader(ring, base, response, RUN_RESULT, 0, 0, false);
  return true;
}

function encodeRows(ring: RingViews, index: number, response: Response & { ok: true }, mode: RowMode, known: Map<number, readonly string[]>, sqlId: number): boolean {
  const payload = response.value as RowsPayload;
  if (mode === RowMode.expand || payload.columns !== undefined || payload.blobRows !== undefined) return false;
  const { view } = ring;
  const { rows } = payload;
  const base = answerOffset(index);
  const end = base + ANSWER_BYTES;
  let off = base + ANSWER_HEADER;
  let columns = 1;
  let names: readonly string[] | undefined;
  let sendNames = false;
  if (mode === RowMode.object && rows.length > 0) {
    const keys = Object.keys(rows[0] as object);
    names = known.get(sqlId);
    columns = keys.length;
    if (names === undefined || !sameNames(names, keys)) {
      sendNames = true;
      for (const key of keys) {
        if (key === '__proto__') return false;
        off = writeValue(ring, off, end, key);
        if (off < 0) return false;
      }
      names = keys;
    }
  } else if (mode === RowMode.raw && rows.length > 0) {
    columns = (rows[0] as unknown[]).length;
  }
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (mode === RowMode.pluck) off = writeValue(ring, off, end, row);
    else if (mode === RowMode.raw) {
      const values = row as unknown[];
      if (values.length !== columns) return false;
      for (let c = 0; c < columns && off >= 0; c++) off = writeValue(ring, off, end, values[c]);
    } else {
      const record = row as Record<string, unknown>;
      for (let c = 0; c < columns && off >= 0; c++) off = writeValue(ring, off, end, record[(names as readonly string[])[c] as string]);
    }
    if (off < 0) return false;
  }
  if (sendNames) known.set(sqlId, names as readonly string[]);
  writeHeader(ring, base, response, mode, rows.length, columns, sendNames);
  return true;
}

function writeHeader(ring: RingViews, base: number, response: Response, shape: number, rows: number, columns: number, sendNames: boolean): void {
  const { view } = ring;
  view.setUint8(base, IN_SLOT);
  view.setUint8(base + 1, response.readerSafe === undefined ? 0 : response.readerSafe ? 2 : 1);
  view.setUint8(base + 2, response.inTransaction ? 1 : 0);
  view.setUint8(base + 3, shape);
  view.setInt32(base + 4, response.id, true);
  view.setFloat64(base + 8, response.cost, true);
  view.setUint32(base + 16, rows, true);
  view.setUint16(base + 20, columns, true);
  view.setUint8(base + 22, sendNames ? 1 : 0);
}

function sameNames(names: readonly string[], keys: readonly string[]): boolean {
  if (names.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (names[i] !== keys[i]) return false;
  return true;
}

/**
 * Reads the answer to ring request `index`: undefined when it went by port.
 * `known` holds the column names last sent for each SQL id (object rows).
 * Rows are built as better-sqlite3 builds them: plain objects filled by
 * assignment in column order, arrays for `raw()`, the value for `pluck()`.
 * @internal
 */
export function readAnswer(ring: RingViews, index: number, known: Map<number, string[]>, sqlId: number): Response | undefined {
  const { view } = ring;
  const base = answerOffset(index);
  if (view.getUint8(base) !== IN_SLOT) return undefined;
  const safe = view.getUint8(base + 1);
  const mode = view.getUint8(base + 3) as RowMode;
  let value: unknown;
  if ((mode as number) === RUN_RESULT) {
    const result: unknown[] = [];
    readValue(ring, readValue(ring, base + ANSWER_HEADER, result, 0), result, 1);
    value = { changes: result[0], lastInsertRowid: result[1] };
  } else value = readRows(ring, base, mode, known, sqlId);
  const response: Response = {
    id: view.getInt32(base + 4, true),
    ok: true,
    value,
    cost: view.getFloat64(base + 8, true),
    inTransaction: view.getUint8(base + 2) === 1,
  };
  if (safe !== 0) response.readerSafe = safe === 2;
  return response;
}

function readRows(ring: RingViews, base: number, mode: RowMode, known: Map<number, string[]>, sqlId: number): RowsPayload {
  const { view } = ring;
  const count = view.getUint32(base + 16, true);
  const columns = view.getUint16(base + 20, true);
  let off = base + ANSWER_HEADER;
  let names = known.get(sqlId);
  if (view.getUint8(base + 22) === 1) {
    names = new Array<string>(columns);
    for (let c = 0; c < columns; c++) off = readValue(ring, off, names, c);
    known.set(sqlId, names);
  }
  const rows = new Array<unknown>(count);
  for (let r = 0; r < count; r++) {
    if (mode === RowMode.pluck) off = readValue(ring, off, rows, r);
    else {
      const values = new Array<unknown>(columns);
      for (let c = 0; c < columns; c++) off = readValue(ring, off, values, c);
      if (mode === RowMode.raw) rows[r] = values;
      else {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < columns; c++) row[(names as string[])[c] as string] = values[c];
        rows[r] = row;
      }
    }
  }
  return { rows };
}
