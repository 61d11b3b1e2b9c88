/**
 * `threadlite/sqlite3`: a drop-in for node-sqlite3 (the `sqlite3` package) on
 * threadlite's worker-thread pool. Change `require('sqlite3')` to
 * `require('threadlite/sqlite3')`; Knex, TypeORM 0.3 and Sequelize take it as
 * their driver module. See docs/sqlite3.md for what differs.
 *
 * ```js
 * const sqlite3 = require('threadlite/sqlite3');
 * const db = new sqlite3.Database('app.db', sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => {
 *   if (err) throw err;
 *   db.get('SELECT 1 AS one', (err, row) => console.log(row.one));
 * });
 * ```
 */
import { LIMITS, OPEN_FLAGS, RESULT_CODES, sqliteVersion } from './constants';
import { Database } from './database';
import { Statement } from './statement';
import { cached, verbose } from './verbose';

export { Database } from './database';
export { Statement } from './statement';
export { cached, verbose } from './verbose';
export { openPools, setOpenOptions } from './pool-registry';
export type { NodeSqliteError } from './errors';

/** Not available in threadlite/sqlite3 (node-sqlite3's online backup API); constructing one throws. */
export class Backup {
  constructor() {
    throw new Error('Backup is not available in threadlite/sqlite3: use VACUUM INTO (db.run("VACUUM INTO ?", path))');
  }
}

/** `OPEN_READONLY` flag: open read-only (writes fail with `SQLITE_READONLY`). */
export const OPEN_READONLY = OPEN_FLAGS.OPEN_READONLY;
/** `OPEN_READWRITE` flag. */
export const OPEN_READWRITE = OPEN_FLAGS.OPEN_READWRITE;
/** `OPEN_CREATE` flag: create the file if missing (else `SQLITE_CANTOPEN`). */
export const OPEN_CREATE = OPEN_FLAGS.OPEN_CREATE;
/** `OPEN_FULLMUTEX` flag (accepted; every connection is used by one thread at a time anyway). */
export const OPEN_FULLMUTEX = OPEN_FLAGS.OPEN_FULLMUTEX;
/** `OPEN_URI` flag (accepted; `file:` URIs are not interpreted). */
export const OPEN_URI = OPEN_FLAGS.OPEN_URI;
/** `OPEN_SHAREDCACHE` flag (accepted, no effect). */
export const OPEN_SHAREDCACHE = OPEN_FLAGS.OPEN_SHAREDCACHE;
/** `OPEN_PRIVATECACHE` flag (accepted, no effect). */
export const OPEN_PRIVATECACHE = OPEN_FLAGS.OPEN_PRIVATECACHE;

/** SQLite's primary result codes by name, as node-sqlite3 exports them (`sqlite3.CONSTRAINT === 19`). */
export const {
  OK, ERROR, INTERNAL, PERM, ABORT, BUSY, LOCKED, NOMEM, READONLY, INTERRUPT, IOERR, CORRUPT, NOTFOUND, FULL,
  CANTOPEN, PROTOCOL, EMPTY, SCHEMA, TOOBIG, CONSTRAINT, MISMATCH, MISUSE, NOLFS, AUTH, FORMAT, RANGE, NOTADB,
} = RESULT_CODES;

/** `LIMIT_*` ids for `db.configure('limit', id, value)`. */
export const {
  LIMIT_LENGTH, LIMIT_SQL_LENGTH, LIMIT_COLUMN, LIMIT_EXPR_DEPTH, LIMIT_COMPOUND_SELECT, LIMIT_VDBE_OP,
  LIMIT_FUNCTION_ARG, LIMIT_ATTACHED, LIMIT_LIKE_PATTERN_LENGTH, LIMIT_VARIABLE_NUMBER, LIMIT_TRIGGER_DEPTH,
  LIMIT_WORKER_THREADS,
} = LIMITS;

/** The SQLite version the workers run (e.g. `'3.53.2'`): better-sqlite3's bundled library. */
export declare const VERSION: string;
/** SQLite's source id of that version. */
export declare const SOURCE_ID: string;
/** That version as a number (`3053002`). */
export declare const VERSION_NUMBER: number;
for (const key of ['VERSION', 'SOURCE_ID', 'VERSION_NUMBER'] as const) {
  Object.defineProperty(exports, key, { enumerable: true, get: () => sqliteVersion()[key] });
}

/** The module itself, for `import sqlite3 from 'threadlite/sqlite3'`. */
const sqlite3 = exports as unknown as {
  Database: typeof Database;
  Statement: typeof Statement;
  cached: typeof cached;
  verbose: typeof verbose;
};
export default sqlite3;
