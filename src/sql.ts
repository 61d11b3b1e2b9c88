/**
 * The `sql` tagged template: SQL text with its values kept apart as `?`
 * parameters, so a value can never change the statement's meaning.
 */
import type { SqlQuery } from './types';

/**
 * A piece of SQL built by {@link sql}: text with `?` placeholders plus the
 * values bound to them, in order. Every query method accepts one in place
 * of `(sql, params)`; interpolated into another `sql` template, a fragment
 * is spliced in with its parameters kept in place.
 *
 * Fragments are immutable. Build them only with {@link sql} and its helpers.
 *
 * ```ts
 * const byAge = sql`age >= ${18}`;
 * const rows = await db.all(sql`SELECT * FROM users WHERE ${byAge} AND name = ${name}`);
 * ```
 */
export class SqlFragment implements SqlQuery {
  /** The SQL text, with one `?` per parameter. */
  readonly sql: string;
  /** The values bound to the placeholders, in order. */
  readonly params: readonly unknown[];

  /** @internal Use {@link sql}. */
  constructor(text: string, params: readonly unknown[]) {
    this.sql = text;
    this.params = Object.freeze(params.slice());
    Object.freeze(this);
  }
}

/** The `sql` tag with its helpers; see {@link sql}. */
export interface SqlTag {
  /**
   * Builds a fragment: the template's text is kept verbatim; each
   * interpolated value becomes one `?` parameter, and each interpolated
   * fragment is spliced in with its parameters.
   */
  (strings: TemplateStringsArray, ...values: unknown[]): SqlFragment;

  /**
   * A quoted identifier (table, column, index name): `"` inside it is
   * doubled; several names are joined with `.` (`sql.id('main', 'users')` →
   * `"main"."users"`). Rejects empty names and names containing NUL.
   *
   * ```ts
   * await db.all(sql`SELECT ${sql.id(column)} FROM ${sql.id(table)}`);
   * ```
   */
  id(...names: string[]): SqlFragment;

  /**
   * A parenthesised list of parameters, `(?, ?, ?)`, for `IN (…)` and
   * `VALUES (…)`. Elements that are fragments are spliced in. An empty list
   * is a `RangeError` (`IN ()` is not valid SQL, and silently matching
   * nothing hides bugs).
   *
   * ```ts
   * await db.all(sql`SELECT * FROM users WHERE id IN ${sql.list([1, 2, 3])}`);
   * ```
   */
  list(values: readonly unknown[]): SqlFragment;

  /**
   * Trusted SQL text inserted verbatim, with no parameters. **Never** pass it
   * text that came from a user: that is exactly the injection the tag
   * prevents. Its text must not contain `?` placeholders (they would take
   * the parameters of the fragments around it).
   *
   * ```ts
   * const order = descending ? sql.raw('DESC') : sql.raw('ASC');
   * await db.all(sql`SELECT * FROM events ORDER BY at ${order}`);
   * ```
   */
  raw(text: string): SqlFragment;

  /**
   * Joins fragments (or plain values, which become parameters) with a
   * separator: trusted text, `', '` by default, or a fragment. An empty
   * array gives an empty fragment.
   *
   * ```ts
   * const conditions = [sql`a = ${1}`, sql`b = ${2}`];
   * await db.all(sql`SELECT * FROM t WHERE ${sql.join(conditions, ' AND ')}`);
   * ```
   */
  join(items: readonly unknown[], separator?: string | SqlFragment): SqlFragment;
}

/** Appends `value` to the text and parameters being built: a fragment is spliced, anything else is one `?`. */
function append(value: unknown, out: { text: string; params: unknown[] }, where: string): void {
  if (value instanceof SqlFragment) {
    out.text += value.sql;
    for (const p of value.params) out.params.push(p);
    return;
  }
  if (Array.isArray(value)) {
    throw new TypeError(`${where}: an array cannot be bound as one value; use sql.list(values) for (?, ?, …) or sql.join()`);
  }
  out.text += '?';
  out.params.push(value);
}

function tag(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  if (!Array.isArray(strings) || !Array.isArray((strings as TemplateStringsArray).raw)) {
    throw new TypeError('sql must be used as a tagged template (sql`SELECT …`); use sql.raw(text) for trusted text');
  }
  const out = { text: strings[0] ?? '', params: [] as unknown[] };
  for (let i = 0; i < values.length; i++) {
    append(values[i], out, `sql\`…\` value #${i + 1}`);
    out.text += strings[i + 1] ?? '';
  }
  return new SqlFragment(out.text, out.params);
}

function id(...names: string[]): SqlFragment {
  if (names.length === 0) throw new TypeError('sql.id() needs at least one name');
  const quoted = names.map((name) => {
    if (typeof name !== 'string') throw new TypeError(`sql.id(): expected a string, got ${typeof name}`);
    if (name.length === 0) throw new RangeError('sql.id(): an identifier cannot be empty');
    if (name.includes('\0')) throw new RangeError('sql.id(): an identifier cannot contain a NUL character');
    return `"${name.replace(/"/g, '""')}"`;
  });
  return new SqlFragment(quoted.join('.'), []);
}

function list(values: readonly unknown[]): SqlFragment {
  if (!Array.isArray(values)) throw new TypeError('sql.list() expects an array of values');
  if (values.length === 0) {
    throw new RangeError('sql.list() was given an empty array: `IN ()` is not valid SQL; handle the empty case before building the query');
  }
  const out = { text: '(', params: [] as unknown[] };
  values.forEach((value, i) => {
    if (i > 0) out.text += ', ';
    append(value, out, `sql.list() element #${i + 1}`);
  });
  out.text += ')';
  return new SqlFragment(out.text, out.params);
}

function raw(text: string): SqlFragment {
  if (typeof text !== 'string') throw new TypeError('sql.raw() expects a string');
  return new SqlFragment(text, []);
}

function join(items: readonly unknown[], separator: string | SqlFragment = ', '): SqlFragment {
  if (!Array.isArray(items)) throw new TypeError('sql.join() expects an array');
  const sep = typeof separator === 'string' ? raw(separator) : separator;
  if (!(sep instanceof SqlFragment)) throw new TypeError('sql.join(): the separator must be a string or a fragment');
  const out = { text: '', params: [] as unknown[] };
  items.forEach((item, i) => {
    if (i > 0) append(sep, out, 'sql.join()');
    append(item, out, `sql.join() element #${i + 1}`);
  });
  return new SqlFragment(out.text, out.params);
}

/**
 * Builds a parameterised query from a template literal. The result has `sql`
 * (text with `?` placeholders) and `params` and can be passed to any query
 * method in place of `(sql, params)`. Values are never spliced into the
 * text; identifiers go through {@link SqlTag.id}, lists through
 * {@link SqlTag.list}, trusted text through {@link SqlTag.raw}.
 *
 * ```ts
 * import { open, sql } from 'threadlite';
 * const db = await open('app.db');
 * const name = "Robert'); DROP TABLE students;--";
 * await db.run(sql`INSERT INTO students(name) VALUES (${name})`);
 * const found = await db.get(sql`SELECT * FROM students WHERE name = ${name}`);
 * ```
 */
export const sql: SqlTag = Object.assign(tag, { id, list, raw, join });
