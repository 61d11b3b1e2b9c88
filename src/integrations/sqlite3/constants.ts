/**
 * node-sqlite3's constants: open flags, result codes and limit ids, with
 * node-sqlite3's names and values (they are SQLite's own numbers).
 */
import { PRIMARY_RESULT_CODES } from '../../sqlite-codes';

/** `OPEN_*` flags for the `mode` argument of {@link Database}. */
export const OPEN_FLAGS = {
  OPEN_READONLY: 0x00000001,
  OPEN_READWRITE: 0x00000002,
  OPEN_CREATE: 0x00000004,
  OPEN_URI: 0x00000040,
  OPEN_FULLMUTEX: 0x00010000,
  OPEN_SHAREDCACHE: 0x00020000,
  OPEN_PRIVATECACHE: 0x00040000,
} as const;

/** SQLite's primary result codes, as node-sqlite3 exports them (`sqlite3.CONSTRAINT === 19`). */
export const RESULT_CODES = PRIMARY_RESULT_CODES;

/** `LIMIT_*` ids for `db.configure('limit', id, value)`. */
export const LIMITS = {
  LIMIT_LENGTH: 0,
  LIMIT_SQL_LENGTH: 1,
  LIMIT_COLUMN: 2,
  LIMIT_EXPR_DEPTH: 3,
  LIMIT_COMPOUND_SELECT: 4,
  LIMIT_VDBE_OP: 5,
  LIMIT_FUNCTION_ARG: 6,
  LIMIT_ATTACHED: 7,
  LIMIT_LIKE_PATTERN_LENGTH: 8,
  LIMIT_VARIABLE_NUMBER: 9,
  LIMIT_TRIGGER_DEPTH: 10,
  LIMIT_WORKER_THREADS: 11,
} as const;

/** node-sqlite3's default `mode`: read-write, create, full mutex. */
export const DEFAULT_MODE = OPEN_FLAGS.OPEN_READWRITE | OPEN_FLAGS.OPEN_CREATE | OPEN_FLAGS.OPEN_FULLMUTEX;

/** The SQLite library threadlite's workers run: `{ VERSION, SOURCE_ID, VERSION_NUMBER }`, read once. @internal */
export function sqliteVersion(): { VERSION: string; SOURCE_ID: string; VERSION_NUMBER: number } {
  if (version === undefined) {
    // An in-memory connection on the main thread, kept referenced for the
    // process's lifetime (see the README's note on Node 24 finalizers).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const BetterSqlite3 = require('better-sqlite3') as typeof import('better-sqlite3');
    const connection = new BetterSqlite3(':memory:');
    const statement = connection.prepare('SELECT sqlite_version() AS v, sqlite_source_id() AS s');
    versionObjects.push(connection, statement);
    const row = statement.get() as { v: string; s: string };
    const [major = 0, minor = 0, patch = 0] = row.v.split('.').map(Number);
    version = { VERSION: row.v, SOURCE_ID: row.s, VERSION_NUMBER: major * 1_000_000 + minor * 1000 + patch };
  }
  return version;
}
let version: { VERSION: string; SOURCE_ID: string; VERSION_NUMBER: number } | undefined;
/** The connection and statement sqliteVersion() made, never released (Node 24: see above). */
const versionObjects: unknown[] = [];
