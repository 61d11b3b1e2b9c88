/**
 * Parameters on their way to a worker: the one place that decides what
 * crosses the thread boundary. Shared by the main thread (encode) and the
 * workers (decode); imports nothing from `src/` but types.
 *
 * better-sqlite3 reads parameters in a way structured clone does not keep: a
 * class instance is refused as named parameters ("Named parameters can only
 * be passed within plain objects") but arrives in a worker as a plain object;
 * a Proxy, a function or a symbol cannot be cloned at all (`DataCloneError`).
 * So the main thread copies what better-sqlite3 would read (array elements,
 * a plain object's own properties) and puts an *opaque stand-in* wherever
 * better-sqlite3 would refuse the value; the worker puts a value of the same
 * kind back, and better-sqlite3 throws exactly what it throws on the main
 * thread, at the same point. Nothing is guessed about error messages here.
 */
import { isProxy } from 'node:util/types';
import type { BindParameters } from './types';

/** Where a stand-in goes (`[]` = the parameters themselves) and what it stands for. @internal */
export type Opaque = readonly [path: ReadonlyArray<number | string>, kind: 'object' | 'function' | 'symbol'];

/** Parameters ready to be posted, and the stand-ins to restore. @internal */
export interface WireParams {
  params: BindParameters | undefined;
  opaque: Opaque[] | undefined;
}

// better-sqlite3 treats any object it cannot bind alike (it only checks the
// type), so one stand-in class serves for all of them in the worker.
class OpaqueValue {}

/** How better-sqlite3 sees an object: a Proxy's prototype reads as null to it, so a Proxy is "plain". */
function isPlain(value: object): boolean {
  if (isProxy(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A value better-sqlite3 binds, or the stand-in it would refuse alike; undefined if cloned as it is. */
function standIn(value: unknown): Opaque[1] | undefined {
  const t = typeof value;
  if (t === 'function') return 'function';
  if (t === 'symbol') return 'symbol';
  if (t !== 'object' || value === null || ArrayBuffer.isView(value)) return undefined;
  return 'object';
}

/**
 * Encodes a call's parameters for the worker (main thread). Cheap when
 * nothing needs replacing: an array of primitives is sent as it is.
 * Throws only what reading the user's own object throws (a Proxy trap, a getter).
 * @internal
 */
export function encodeParams(params: unknown): WireParams {
  if (params === undefined) return { params: undefined, opaque: undefined };
  const opaque: Opaque[] = [];
  let out: unknown = params;
  if (Array.isArray(params) && !isProxy(params)) {
    // Elements are values: better-sqlite3 refuses every object but a buffer, and every function or symbol.
    let copy: unknown[] | undefined;
    for (let i = 0; i < params.length; i++) {
      const kind = standIn(params[i]);
      if (kind === undefined) continue;
      copy ??= [...params];
      copy[i] = null;
      opaque.push([[i], kind]);
    }
    if (copy !== undefined) out = copy;
  } else if (typeof params === 'object' && params !== null && !ArrayBuffer.isView(params)) {
    if (isPlain(params)) {
      // Named parameters: better-sqlite3 reads own properties (enumerable or not).
      const copy: Record<string, unknown> = {};
      for (const key of Object.getOwnPropertyNames(params)) {
        const value = (params as Record<string, unknown>)[key];
        const kind = standIn(value);
        if (kind === undefined) copy[key] = value;
        else {
          copy[key] = null;
          opaque.push([[key], kind]);
        }
      }
      out = copy;
    } else {
      out = null;
      opaque.push([[], 'object']);
    }
  } else {
    const kind = standIn(params);
    if (kind !== undefined) {
      out = null;
      opaque.push([[], kind]);
    }
  }
  return { params: out as BindParameters, opaque: opaque.length === 0 ? undefined : opaque };
}

/**
 * Appends the elements of a positional parameter array to `out` when
 * {@link encodeParams} would send the array unchanged (not a Proxy, no
 * element that needs a stand-in), and says whether it did; on false, `out`
 * is as it was. Lets `batch()` send many parameter sets as one flat array:
 * one array of primitives clones in about half the time of as many small
 * arrays (docs/benchmark.md, "Bulk paths"). @internal
 */
export function pushFlat(params: unknown, out: unknown[]): boolean {
  if (!Array.isArray(params) || isProxy(params)) return false;
  const start = out.length;
  for (let i = 0; i < params.length; i++) {
    const value: unknown = params[i];
    if (standIn(value) !== undefined) {
      out.length = start;
      return false;
    }
    out.push(value);
  }
  return true;
}

/** Puts the stand-ins back (worker): values that better-sqlite3 refuses exactly as it refused the originals. @internal */
export function decodeParams(params: BindParameters | undefined, opaque: ReadonlyArray<Opaque> | undefined): unknown {
  if (opaque === undefined) return params;
  let out: unknown = params;
  for (const [path, kind] of opaque) {
    const value = kind === 'function' ? () => undefined : kind === 'symbol' ? Symbol('threadlite') : new OpaqueValue();
    if (path.length === 0) out = value;
    else (out as Record<string | number, unknown>)[path[0] as string | number] = value;
  }
  return out;
}

const BIND_ERROR = 'SQLite3 can only bind numbers, strings, bigints, buffers, and null';

/**
 * `Statement.bind()`'s early check: refuses at once the values better-sqlite3
 * would refuse with this message at bind time whatever the statement
 * (functions, symbols). Everything else is checked by better-sqlite3 itself
 * when the statement runs. @internal
 */
export function checkParams(params: unknown): void {
  if (params === undefined || params === null) return;
  const kind = typeof params;
  if (kind === 'function' || kind === 'symbol') throw new TypeError(BIND_ERROR);
  if (kind !== 'object') return;
  const values = Array.isArray(params) ? params : Object.values(params as object);
  for (const value of values) {
    const t = typeof value;
    if (t === 'function' || t === 'symbol') throw new TypeError(BIND_ERROR);
  }
}
