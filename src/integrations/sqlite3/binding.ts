/**
 * node-sqlite3's binding rules, turned into what better-sqlite3 accepts.
 *
 * node-sqlite3 binds by SQLite's parameter index: an array or a list of
 * arguments binds positions 1, 2, …; an object binds each key by its full
 * name (`{ $id: 1 }` for `$id`, prefix included) or, for an integer key, by
 * position. Unbound parameters are `NULL`; an unknown name or a position past
 * the last parameter is `SQLITE_RANGE`. Values: 32-bit integers and booleans
 * bind as INTEGER, other numbers and Dates as REAL, strings and RegExps as
 * TEXT, Buffers as BLOB, other objects as the text `'[object Object]'`;
 * `undefined` leaves the parameter unbound (`NULL`).
 *
 * better-sqlite3 binds differently (names without prefix, every number as
 * REAL, a missing name is an error), so the statement is rewritten with
 * numbered parameters (`?1`, `?2`, …) and bound with a complete object.
 */
import { sqliteError } from './errors';
import type { ParsedStatement } from '../../sql-text';

/** One value to bind: at a position (1-based) or under a parameter name. @internal */
export interface Field {
  at: number | string;
  value: unknown;
}

/**
 * What a call bound: `undefined` when it passed no parameters (node-sqlite3
 * then keeps the statement's previous bindings), else the fields.
 * @internal
 */
export type Fields = Field[] | undefined;

/** A value node-sqlite3 would leave unbound. */
const SKIP = Symbol('unbound');

/** The arguments of a node-sqlite3 call split into its parameters and its callback. @internal */
export interface ParsedArgs {
  fields: Fields;
  callback: ((...args: any[]) => unknown) | undefined;
}

/**
 * Reads `(param…, callback?)` or `([params], callback?)` or `({ $name: … }, callback?)`
 * as node-sqlite3 does. @internal
 */
export function parseArgs(args: readonly unknown[]): ParsedArgs {
  let last = args.length;
  let callback: ParsedArgs['callback'];
  if (last > 0 && typeof args[last - 1] === 'function') {
    callback = args[last - 1] as ParsedArgs['callback'];
    last--;
  }
  if (last === 0) return { fields: undefined, callback };
  const first = args[0];
  const fields: Field[] = [];
  if (Array.isArray(first)) {
    first.forEach((value, i) => fields.push({ at: i + 1, value: convert(value) }));
  } else if (!isObjectLike(first) || first instanceof RegExp || first instanceof Date || first instanceof Uint8Array) {
    for (let i = 0; i < last; i++) fields.push({ at: i + 1, value: convert(args[i]) });
  } else {
    for (const key in first as object) {
      const n = Number(key);
      fields.push({ at: Number.isInteger(n) && (n | 0) === n ? n : key, value: convert((first as Record<string, unknown>)[key]) });
    }
  }
  return { fields: fields.length === 0 ? undefined : fields, callback };
}

function isObjectLike(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** One value, converted as node-sqlite3's `BindParameter` converts it. */
function convert(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      // node-sqlite3 binds a 32-bit integer with sqlite3_bind_int; better-sqlite3
      // would bind every number as a double, so send it as a bigint.
      return (value | 0) === value && !Object.is(value, -0) ? BigInt(value) : value;
    case 'boolean':
      return value ? 1n : 0n;
    case 'bigint':
      return value; // node-sqlite3 leaves a bigint unbound (NULL); we bind it as an INTEGER (documented)
    case 'undefined':
    case 'symbol':
      return SKIP;
    default:
      if (value === null) return null;
      if (value instanceof RegExp) return String(value);
      if (value instanceof Uint8Array) return value;
      if (value instanceof Date) return value.getTime();
      return '[object Object]';
  }
}

/** The statement text and parameters to give better-sqlite3 for a statement bound with `fields`. @internal */
export interface Bound {
  sql: string;
  params: unknown[] | Record<string, unknown> | undefined;
}

const rewritten = new WeakMap<ParsedStatement, { sql: string; order: number[] }>();

/**
 * Binds `fields` to a parsed statement as node-sqlite3 would, and says what
 * to send to better-sqlite3. Throws node-sqlite3's `SQLITE_RANGE` error for a
 * name the statement does not have or a position past its last parameter.
 * @internal
 */
export function bind(parsed: ParsedStatement, fields: Fields): Bound {
  if (parsed.count === 0) {
    if (fields !== undefined && fields.some((f) => f.value !== SKIP)) throw sqliteError('RANGE', 'column index out of range');
    return { sql: parsed.sql, params: undefined };
  }
  const values: unknown[] = new Array(parsed.count).fill(null);
  for (const field of fields ?? []) {
    if (field.value === SKIP) continue;
    const pos = typeof field.at === 'number' ? field.at : (parsed.names.get(field.at) ?? 0);
    if (pos < 1 || pos > parsed.count) throw sqliteError('RANGE', 'column index out of range');
    values[pos - 1] = field.value;
  }
  if (parsed.anonymousOnly) return { sql: parsed.sql, params: values };
  let shape = rewritten.get(parsed);
  if (shape === undefined) {
    // Renumber the indices in use as ?1, ?2, … (gaps would be anonymous to better-sqlite3).
    const order = [...new Set(parsed.tokens.map((t) => t.index))].sort((a, b) => a - b);
    const compact = new Map(order.map((index, k) => [index, k + 1]));
    let sql = '';
    let at = 0;
    for (const token of parsed.tokens) {
      sql += `${parsed.sql.slice(at, token.start)}?${compact.get(token.index)}`;
      at = token.end;
    }
    sql += parsed.sql.slice(at);
    shape = { sql, order };
    rewritten.set(parsed, shape);
  }
  const params: Record<string, unknown> = {};
  shape.order.forEach((index, k) => {
    params[k + 1] = values[index - 1];
  });
  return { sql: shape.sql, params };
}
