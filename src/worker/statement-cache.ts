/**
 * A bounded cache of prepared statements, keyed by SQL text, least recently
 * used out first. Preparing costs a parse and a plan; a server repeats a small
 * set of statements, so nearly every call should hit.
 */
import { mayChangeLocalState } from './local-state';
import type { SqliteDatabase, SqliteStatement } from './sqlite-api';

/** A prepared statement and what the worker learned about it once. @internal */
export interface CachedStatement {
  readonly stmt: SqliteStatement;
  /** May this statement run on a read-only reader connection? See `isReaderSafe`. */
  readonly readerSafe: boolean;
  /** Could running it create or drop TEMP objects or attach a database? See `LocalState`. */
  readonly mayChangeState: boolean;
  /** The row-shape toggles last applied, so unchanged calls skip three native calls. */
  mode: number;
  safeIntegers: boolean;
  /**
   * Result column names and tables (`$` for expressions), read once when rows
   * might have to be rebuilt on the main thread because of a `__proto__` name
   * (see `RowsPayload.columns`); unset until asked.
   */
  resultShape?: ResultShape;
}

/** What a statement's result columns are called, for rows rebuilt on the main thread. @internal */
export interface ResultShape {
  readonly names: string[];
  /** Table of each column as `expand()` groups it: the table name, or `$` for an expression. */
  readonly tables: string[];
  /** A column is named `__proto__`: object rows must be rebuilt. */
  readonly protoName: boolean;
  /** A column or a table is named `__proto__`: expanded rows must be rebuilt. */
  readonly protoExpanded: boolean;
}

/** @internal */
export class StatementCache {
  readonly #db: SqliteDatabase;
  readonly #capacity: number;
  readonly #entries = new Map<string, CachedStatement>();
  /** Called with each statement the cache lets go of (see `NativeObjects`). */
  readonly #release: (stmt: SqliteStatement) => void;

  constructor(db: SqliteDatabase, capacity: number, release: (stmt: SqliteStatement) => void) {
    this.#db = db;
    this.#capacity = capacity;
    this.#release = release;
  }

  /** Returns the cached statement for `sql`, preparing it on a miss (throws what `prepare` throws). */
  get(sql: string, defaultSafeIntegers: boolean): CachedStatement {
    const hit = this.#entries.get(sql);
    if (hit !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.#entries.delete(sql);
      this.#entries.set(sql, hit);
      return hit;
    }
    const stmt = this.#db.prepare(sql);
    const entry: CachedStatement = {
      stmt,
      readerSafe: isReaderSafe(stmt, sql),
      mayChangeState: mayChangeLocalState(sql),
      mode: 0,
      safeIntegers: defaultSafeIntegers,
    };
    if (this.#capacity > 0) {
      if (this.#entries.size >= this.#capacity) {
        const [oldest, evicted] = this.#entries.entries().next().value as [string, CachedStatement];
        this.#entries.delete(oldest);
        this.#release(evicted.stmt);
      }
      this.#entries.set(sql, entry);
    } else {
      // Uncached: the request that asked uses it now; nothing owns it after.
      this.#release(stmt);
    }
    return entry;
  }

  /** Drops every statement (on close). */
  clear(): void {
    for (const entry of this.#entries.values()) this.#release(entry.stmt);
    this.#entries.clear();
  }
}

// SQL that reads state private to one connection: its last rowid and change
// counts, and PRAGMA functions (the database list, which shows TEMP once the
// connection used it; the table list). Such a read must run on the writer,
// whose state it is, as the PRAGMA statements do. (The TEMP
// schema needs no such rule: while the writer has TEMP objects everything runs
// there, and while it has none every connection's TEMP schema is alike.)
const CONNECTION_LOCAL = /\b(?:last_insert_rowid|changes|total_changes|pragma_\w+)\b/i;
const LEADING_PRAGMA = /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*pragma\b/i;

/**
 * Routing is exact: only what better-sqlite3 itself calls a read-only statement
 * that returns rows goes to a reader (so `BEGIN`, which SQLite calls read-only,
 * does not), minus PRAGMAs and reads of connection-local state.
 * @internal
 */
export function isReaderSafe(stmt: SqliteStatement, sql: string): boolean {
  return stmt.reader && stmt.readonly && !LEADING_PRAGMA.test(sql) && !CONNECTION_LOCAL.test(sql);
}
