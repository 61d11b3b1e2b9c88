/**
 * The values a request ring carries (see ring-protocol.ts): null, numbers,
 * bigints within int64 and well-formed strings, each a one-byte tag and its
 * bytes. Anything else (BLOBs, a string with a lone surrogate, a bigint out
 * of range) does not fit, and its request or answer goes by port.
 */

/** What the codec needs of a ring: its bytes, as a DataView and a Buffer. @internal */
export interface RingValues {
  readonly view: DataView;
  readonly bytes: Buffer;
}

const T_NULL = 0;
const T_NUMBER = 1;
const T_BIGINT = 2;
const T_TEXT = 3;

/** Writes one value at `off` if it fits before `end`; returns the offset after it, or -1. @internal */
export function writeValue(ring: RingValues, off: number, end: number, value: unknown): number {
  const { view } = ring;
  if (value === null) {
    if (off + 1 > end) return -1;
    view.setUint8(off, T_NULL);
    return off + 1;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (off + 9 > end) return -1;
    if (typeof value === 'number') {
      view.setUint8(off, T_NUMBER);
      view.setFloat64(off + 1, value, true);
    } else {
      // A bigint outside int64 is refused by better-sqlite3: let the port path say so.
      if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) return -1;
      view.setUint8(off, T_BIGINT);
      view.setBigInt64(off + 1, value, true);
    }
    return off + 9;
  }
  if (typeof value === 'string') {
    // A lone surrogate becomes U+FFFD here but three bytes in better-sqlite3 (which binds WTF-8): by port.
    if (!value.isWellFormed()) return -1;
    // Three bytes per UTF-16 unit is the most UTF-8 can need; only long strings are measured.
    const room = end - off - 5;
    if (value.length * 3 > room && Buffer.byteLength(value) > room) return -1;
    const n = ring.bytes.write(value, off + 5, 'utf8');
    view.setUint8(off, T_TEXT);
    view.setUint32(off + 1, n, true);
    return off + 5 + n;
  }
  return -1; // BLOBs and everything else go by port
}

/** Reads the value at `off` into `out[at]`; returns the offset after it. @internal */
export function readValue(ring: RingValues, off: number, out: unknown[], at: number): number {
  const { view } = ring;
  const tag = view.getUint8(off);
  if (tag === T_NULL) {
    out[at] = null;
    return off + 1;
  }
  if (tag === T_NUMBER) {
    out[at] = view.getFloat64(off + 1, true);
    return off + 9;
  }
  if (tag === T_BIGINT) {
    out[at] = view.getBigInt64(off + 1, true);
    return off + 9;
  }
  const n = view.getUint32(off + 1, true);
  out[at] = ring.bytes.toString('utf8', off + 5, off + 5 + n);
  return off + 5 + n;
}
