/**
 * node-sqlite3's error objects: a plain `Error` whose message starts with the
 * primary result code (`"SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a"`),
 * with `errno` (the primary code's number) and `code` (its name).
 */
import { SqliteError } from '../../errors';
import { primaryResultCode } from '../../sqlite-codes';
import { RESULT_CODES } from './constants';

/** An error as node-sqlite3 reports it. */
export interface NodeSqliteError extends Error {
  /** The primary result code's number, e.g. `19` for `SQLITE_CONSTRAINT`. */
  errno: number;
  /** The primary result code's name, e.g. `'SQLITE_CONSTRAINT'`. */
  code: string;
}

/** Builds node-sqlite3's error for a primary result code name (`'MISUSE'`) and SQLite's message. @internal */
export function sqliteError(code: keyof typeof RESULT_CODES, message: string): NodeSqliteError {
  const err = new Error(`SQLITE_${code}: ${message}`) as NodeSqliteError;
  err.errno = RESULT_CODES[code];
  err.code = `SQLITE_${code}`;
  return err;
}

/**
 * Turns what threadlite rejected with into node-sqlite3's error: a
 * `SqliteError` (`SQLITE_CONSTRAINT_UNIQUE`) becomes `SQLITE_CONSTRAINT`, with
 * the extended code kept as `extendedCode` and the original as `cause`.
 * better-sqlite3's binding errors (`RangeError`, `TypeError`) become
 * `SQLITE_RANGE` / `SQLITE_MISMATCH`. threadlite's own errors (timeouts,
 * closed pool, crashed worker) pass through unchanged: their `code` says what happened.
 * @internal
 */
export function toNodeError(err: unknown): Error {
  if (err instanceof SqliteError) {
    const primary = primaryResultCode(err.code);
    const out = sqliteError(primary, err.message);
    (out as NodeSqliteError & { extendedCode?: string }).extendedCode = err.code;
    Object.defineProperty(out, 'cause', { value: err, enumerable: false, configurable: true, writable: true });
    return out;
  }
  // A bound value over SQLITE_LIMIT_LENGTH: better-sqlite3 says so with a RangeError, node-sqlite3 with sqlite3_bind's code.
  if (err instanceof RangeError && err.message === 'The bound string, buffer, or bigint is too big') return sqliteError('TOOBIG', 'string or blob too big');
  if (err instanceof RangeError) return sqliteError('RANGE', err.message);
  if (err instanceof Error) return err;
  return new Error(String(err));
}
