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
export type { Callback } from './callbacks';
export type { PoolInfo } from './pool-registry';

export { Backup } from './backup';
export { NativeUnavailableError } from './change-events';

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

/** `SQLITE_OK`: Successful result. */
export const OK = RESULT_CODES.OK;
/** `SQLITE_ERROR`: Generic error. */
export const ERROR = RESULT_CODES.ERROR;
/** `SQLITE_INTERNAL`: Internal logic error in SQLite. */
export const INTERNAL = RESULT_CODES.INTERNAL;
/** `SQLITE_PERM`: Access permission denied. */
export const PERM = RESULT_CODES.PERM;
/** `SQLITE_ABORT`: Callback routine requested an abort. */
export const ABORT = RESULT_CODES.ABORT;
/** `SQLITE_BUSY`: The database file is locked. */
export const BUSY = RESULT_CODES.BUSY;
/** `SQLITE_LOCKED`: A table in the database is locked. */
export const LOCKED = RESULT_CODES.LOCKED;
/** `SQLITE_NOMEM`: A malloc() failed. */
export const NOMEM = RESULT_CODES.NOMEM;
/** `SQLITE_READONLY`: Attempt to write a readonly database. */
export const READONLY = RESULT_CODES.READONLY;
/** `SQLITE_INTERRUPT`: Operation terminated by interrupt(). */
export const INTERRUPT = RESULT_CODES.INTERRUPT;
/** `SQLITE_IOERR`: Some kind of disk I/O error occurred. */
export const IOERR = RESULT_CODES.IOERR;
/** `SQLITE_CORRUPT`: The database disk image is malformed. */
export const CORRUPT = RESULT_CODES.CORRUPT;
/** `SQLITE_NOTFOUND`: Unknown opcode or file control. */
export const NOTFOUND = RESULT_CODES.NOTFOUND;
/** `SQLITE_FULL`: Insertion failed because the database is full. */
export const FULL = RESULT_CODES.FULL;
/** `SQLITE_CANTOPEN`: Unable to open the database file. */
export const CANTOPEN = RESULT_CODES.CANTOPEN;
/** `SQLITE_PROTOCOL`: Database lock protocol error. */
export const PROTOCOL = RESULT_CODES.PROTOCOL;
/** `SQLITE_EMPTY`: Internal use only. */
export const EMPTY = RESULT_CODES.EMPTY;
/** `SQLITE_SCHEMA`: The database schema changed. */
export const SCHEMA = RESULT_CODES.SCHEMA;
/** `SQLITE_TOOBIG`: String or BLOB exceeds size limit. */
export const TOOBIG = RESULT_CODES.TOOBIG;
/** `SQLITE_CONSTRAINT`: Abort due to constraint violation. */
export const CONSTRAINT = RESULT_CODES.CONSTRAINT;
/** `SQLITE_MISMATCH`: Data type mismatch. */
export const MISMATCH = RESULT_CODES.MISMATCH;
/** `SQLITE_MISUSE`: Library used incorrectly. */
export const MISUSE = RESULT_CODES.MISUSE;
/** `SQLITE_NOLFS`: Uses OS features not supported on host. */
export const NOLFS = RESULT_CODES.NOLFS;
/** `SQLITE_AUTH`: Authorization denied. */
export const AUTH = RESULT_CODES.AUTH;
/** `SQLITE_FORMAT`: Not used. */
export const FORMAT = RESULT_CODES.FORMAT;
/** `SQLITE_RANGE`: Bind parameter or column index out of range. */
export const RANGE = RESULT_CODES.RANGE;
/** `SQLITE_NOTADB`: File opened that is not a database file. */
export const NOTADB = RESULT_CODES.NOTADB;
/** `SQLITE_LIMIT_LENGTH`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_LENGTH = LIMITS.LIMIT_LENGTH;
/** `SQLITE_LIMIT_SQL_LENGTH`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_SQL_LENGTH = LIMITS.LIMIT_SQL_LENGTH;
/** `SQLITE_LIMIT_COLUMN`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_COLUMN = LIMITS.LIMIT_COLUMN;
/** `SQLITE_LIMIT_EXPR_DEPTH`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_EXPR_DEPTH = LIMITS.LIMIT_EXPR_DEPTH;
/** `SQLITE_LIMIT_COMPOUND_SELECT`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_COMPOUND_SELECT = LIMITS.LIMIT_COMPOUND_SELECT;
/** `SQLITE_LIMIT_VDBE_OP`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_VDBE_OP = LIMITS.LIMIT_VDBE_OP;
/** `SQLITE_LIMIT_FUNCTION_ARG`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_FUNCTION_ARG = LIMITS.LIMIT_FUNCTION_ARG;
/** `SQLITE_LIMIT_ATTACHED`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_ATTACHED = LIMITS.LIMIT_ATTACHED;
/** `SQLITE_LIMIT_LIKE_PATTERN_LENGTH`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_LIKE_PATTERN_LENGTH = LIMITS.LIMIT_LIKE_PATTERN_LENGTH;
/** `SQLITE_LIMIT_VARIABLE_NUMBER`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_VARIABLE_NUMBER = LIMITS.LIMIT_VARIABLE_NUMBER;
/** `SQLITE_LIMIT_TRIGGER_DEPTH`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_TRIGGER_DEPTH = LIMITS.LIMIT_TRIGGER_DEPTH;
/** `SQLITE_LIMIT_WORKER_THREADS`: a limit id for `db.configure('limit', id, value)` (accepted, ignored). */
export const LIMIT_WORKER_THREADS = LIMITS.LIMIT_WORKER_THREADS;

/** The SQLite version the workers run (e.g. `'3.53.2'`): better-sqlite3's bundled library. */
export declare const VERSION: string;
/** SQLite's source id of that version. */
export declare const SOURCE_ID: string;
/** That version as a number (`3053002`). */
export declare const VERSION_NUMBER: number;
for (const key of ['VERSION', 'SOURCE_ID', 'VERSION_NUMBER'] as const) {
  Object.defineProperty(exports, key, { enumerable: true, get: () => sqliteVersion()[key] });
}

/** The shape of the module object (the default export): node-sqlite3's main members. */
export interface Sqlite3Module {
  /** {@link Database} */
  Database: typeof Database;
  /** {@link Statement} */
  Statement: typeof Statement;
  /** {@link cached} */
  cached: typeof cached;
  /** {@link verbose} */
  verbose: typeof verbose;
}

/** The module itself, for `import sqlite3 from 'threadlite/sqlite3'` (every named export is on it). */
const sqlite3 = exports as unknown as Sqlite3Module;
export default sqlite3;
