/**
 * The writer's connection-local state: TEMP objects and databases attached
 * after `setup`. Readers cannot see either, so while the writer holds any, the
 * pool runs every statement on the writer (see engine/connection-state.ts).
 * Counted exactly, from SQLite's own TEMP schema and database list, after
 * each statement that could change them.
 */
import { leadingKeyword } from '../sql-text';
import type { SqliteDatabase, SqliteStatement } from './sqlite-api';

/**
 * Statements that begin with these keywords change rows only: they cannot
 * create or drop a TEMP object or attach a database (a trigger body cannot
 * either), so the writer skips the count after them.
 */
const ROWS_ONLY = new Set(['INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'SELECT', 'VALUES', 'WITH']);

/** Whether a statement could change the connection-local state (see {@link LocalState}). @internal */
export function mayChangeLocalState(sql: string): boolean {
  return !ROWS_ONLY.has(leadingKeyword(sql) ?? '');
}

/** @internal */
export class LocalState {
  readonly #db: SqliteDatabase;
  /** Attached databases, and whether the TEMP database is open (SQLite lists it only once something used it). */
  readonly #list: SqliteStatement;
  /** TEMP objects; prepared once the TEMP database is open, since preparing it would open it. */
  #temp: SqliteStatement | undefined;
  /** What `setup` left, which every connection has. */
  readonly #baseline: string;
  #holds = false;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#list = db.prepare("SELECT count(*) - 1 - max(name = 'temp') AS attached, max(name = 'temp') AS temp FROM pragma_database_list");
    this.#baseline = this.#measure();
  }

  /** Whether the connection holds state readers cannot see (as of the last {@link update}). */
  get holds(): boolean {
    return this.#holds;
  }

  /**
   * Counts again after a statement that could have changed the state ran (or
   * failed: a failed script may have done part of its work); returns the state.
   */
  update(): boolean {
    try {
      this.#holds = this.#measure() !== this.#baseline;
    } catch {
      // The count itself failed (e.g. interrupted): keep the last answer.
    }
    return this.#holds;
  }

  #measure(): string {
    const { attached, temp } = this.#list.get() as { attached: number; temp: number };
    let objects = 0;
    if (temp === 1) {
      this.#temp ??= this.#db.prepare('SELECT count(*) FROM temp.sqlite_schema').pluck();
      objects = this.#temp.get() as number;
    }
    return `${attached}/${objects}`;
  }
}
