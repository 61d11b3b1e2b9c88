// The shared-memory layout of bench/hop.mjs's ring transports, and the row
// codec both sides use. An experiment, not the library's protocol: requests
// and answers have fixed-size slots, and a slot is reused only once its
// previous occupant has been consumed, which holds here because at most
// IN_FLIGHT_MAX requests are ever in flight (< SLOTS).
import { Buffer } from 'node:buffer';

/** Int32 control cells at the start of the buffer. */
export const Ctl = {
  /** Requests the main thread has published (a running count). */
  reqWritten: 0,
  /** Answers the worker has published (a running count). */
  resWritten: 1,
  /** 1 while the worker is about to sleep or sleeps in `Atomics.wait`: the main thread must notify. */
  workerSleeping: 2,
  /** 1 while the main thread waits for a doorbell message: the worker must post one. */
  mainArmed: 3,
  /** Requests the worker has begun (what crash triage needs, as in src/protocol.ts `Cell.started`). */
  started: 4,
  /** Set by the main thread to end the worker's loop. */
  stop: 5,
  /** Counted by the worker: times it slept and woke (Atomics.wait returned "ok"), or, on the postMessage variants, message events. */
  workerWakes: 6,
};
const CTL_BYTES = 64;

export const SLOTS = 256;
export const IN_FLIGHT_MAX = 128;
/** A request: id (int32), statement index (int32), one numeric parameter (float64). */
export const REQ_SLOT = 16;
/** An answer: id, status, column count, cost, then the encoded values. Larger rows would go by postMessage. */
export const RES_SLOT = 512;
const REQ_OFF = CTL_BYTES;
const RES_OFF = REQ_OFF + SLOTS * REQ_SLOT;
export const RING_BYTES = RES_OFF + SLOTS * RES_SLOT;

const T_NULL = 0;
const T_NUMBER = 1;
const T_TEXT = 2;
const T_BLOB = 3;
const T_BIGINT = 4;

/** Views over one ring buffer, as each side uses them. */
export function ringViews(sab) {
  return {
    ctl: new Int32Array(sab, 0, CTL_BYTES / 4),
    view: new DataView(sab),
    bytes: Buffer.from(sab),
  };
}

export function writeRequest({ view }, index, id, stmt, param) {
  const off = REQ_OFF + (index % SLOTS) * REQ_SLOT;
  view.setInt32(off, id, true);
  view.setInt32(off + 4, stmt, true);
  view.setFloat64(off + 8, param, true);
}

export function readRequest({ view }, index) {
  const off = REQ_OFF + (index % SLOTS) * REQ_SLOT;
  return [view.getInt32(off, true), view.getInt32(off + 4, true), view.getFloat64(off + 8, true)];
}

/**
 * Writes one answer: a row's values in column order (`values` undefined means
 * no row), or an error message when `ok` is false.
 */
export function writeAnswer({ view, bytes }, index, id, ok, cost, values) {
  const base = RES_OFF + (index % SLOTS) * RES_SLOT;
  const end = base + RES_SLOT;
  view.setInt32(base, id, true);
  view.setUint8(base + 4, ok ? 1 : 0);
  view.setFloat64(base + 8, cost, true);
  let off = base + 20;
  if (!ok) values = [String(values)];
  view.setInt32(base + 16, values === undefined ? -1 : values.length, true);
  if (values === undefined) return;
  for (const v of values) {
    if (v === null) view.setUint8(off++, T_NULL);
    else if (typeof v === 'number') {
      view.setUint8(off, T_NUMBER);
      view.setFloat64(off + 1, v, true);
      off += 9;
    } else if (typeof v === 'string') {
      // utf8Write stops at the slot's end; a row that does not fit is a protocol error here.
      if (off + 5 + v.length * 3 > end) throw new Error('row too large for a ring slot');
      view.setUint8(off, T_TEXT);
      const n = bytes.utf8Write(v, off + 5);
      view.setUint32(off + 1, n, true);
      off += 5 + n;
    } else if (typeof v === 'bigint') {
      view.setUint8(off, T_BIGINT);
      view.setBigInt64(off + 1, v, true);
      off += 9;
    } else {
      if (off + 5 + v.length > end) throw new Error('row too large for a ring slot');
      view.setUint8(off, T_BLOB);
      view.setUint32(off + 1, v.length, true);
      bytes.set(v, off + 5);
      off += 5 + v.length;
    }
  }
}

/**
 * Reads the answer at `index` into `{ id, ok, cost, row }`, building the row
 * object from `columns` by plain assignment (as better-sqlite3 does).
 */
export function readAnswer({ view, bytes }, index, columns) {
  const base = RES_OFF + (index % SLOTS) * RES_SLOT;
  const id = view.getInt32(base, true);
  const ok = view.getUint8(base + 4) === 1;
  const cost = view.getFloat64(base + 8, true);
  const count = view.getInt32(base + 16, true);
  if (count < 0) return { id, ok, cost, row: undefined };
  let off = base + 20;
  const values = [];
  for (let i = 0; i < count; i++) {
    const tag = view.getUint8(off);
    if (tag === T_NULL) {
      values.push(null);
      off += 1;
    } else if (tag === T_NUMBER) {
      values.push(view.getFloat64(off + 1, true));
      off += 9;
    } else if (tag === T_BIGINT) {
      values.push(view.getBigInt64(off + 1, true));
      off += 9;
    } else {
      const n = view.getUint32(off + 1, true);
      values.push(tag === T_TEXT ? bytes.utf8Slice(off + 5, off + 5 + n) : Buffer.from(bytes.subarray(off + 5, off + 5 + n)));
      off += 5 + n;
    }
  }
  if (!ok) return { id, ok, cost, row: values[0] };
  const row = {};
  for (let i = 0; i < count; i++) row[columns[i]] = values[i];
  return { id, ok, cost, row };
}
