/**
 * SQLite's primary result codes (https://www.sqlite.org/rescode.html): the
 * numbers behind the names in error codes such as `SQLITE_CONSTRAINT_UNIQUE`.
 * threadlite/sqlite3 exports them as node-sqlite3 does (`sqlite3.CONSTRAINT === 19`);
 * threadlite/prisma reports them for errors Prisma has no kind for.
 */

/** Primary result codes by name, without the `SQLITE_` prefix (`OK` through `NOTADB`). */
export const PRIMARY_RESULT_CODES = {
  OK: 0,
  ERROR: 1,
  INTERNAL: 2,
  PERM: 3,
  ABORT: 4,
  BUSY: 5,
  LOCKED: 6,
  NOMEM: 7,
  READONLY: 8,
  INTERRUPT: 9,
  IOERR: 10,
  CORRUPT: 11,
  NOTFOUND: 12,
  FULL: 13,
  CANTOPEN: 14,
  PROTOCOL: 15,
  EMPTY: 16,
  SCHEMA: 17,
  TOOBIG: 18,
  CONSTRAINT: 19,
  MISMATCH: 20,
  MISUSE: 21,
  NOLFS: 22,
  AUTH: 23,
  FORMAT: 24,
  RANGE: 25,
  NOTADB: 26,
} as const;

/** A primary result code's name, e.g. `'CONSTRAINT'`. */
export type PrimaryResultCode = keyof typeof PRIMARY_RESULT_CODES;

/** The primary code of a result code name: `SQLITE_CONSTRAINT_UNIQUE` → `CONSTRAINT`; an unknown name → `ERROR`. */
export function primaryResultCode(code: string): PrimaryResultCode {
  const name = code.replace(/^SQLITE_/, '');
  for (const key of Object.keys(PRIMARY_RESULT_CODES) as PrimaryResultCode[]) {
    if (name === key || name.startsWith(`${key}_`)) return key;
  }
  return 'ERROR';
}
