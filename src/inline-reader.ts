/**
 * The opt-in inline path (`inlineReads`): a read-only better-sqlite3
 * connection on the main thread for reads so cheap that a thread hop would
 * cost several times the query. A read runs here only while its observed cost
 * stays under the budget; the first run over it sends that SQL back to the
 * workers for good. Everything else goes to the pool.
 */
import { performance } from 'node:perf_hooks';
import { deserializeError, serializeError } from './errors';
import type { ResolvedOptions } from './options';
import { RowMode } from './protocol';
import type { BindParameters } from './types';
import { openBetterSqlite3, runSetup } from './worker/better-sqlite3';
import { NativeObjects } from './worker/native-objects';
import type { SqliteDatabase, SqliteStatement } from './worker/sqlite-api';

/**
 * The main thread's better-sqlite3 objects, kept for the life of the process
 * where finalizing them could abort it (see `NativeObjects`); never swept, as
 * a forced collection would stall the event loop. A reader holds at most its
 * connection, a few pragma statements and {@link CACHE_SIZE} statements.
 */
const mainThreadObjects = new NativeObjects(false);

/** Returned when a read may not run inline; the caller sends it to the pool. @internal */
export const NOT_INLINE: unique symbol = Symbol('not inline');

/** Statements kept prepared on the main-thread connection. */
const CACHE_SIZE = 128;
/** Inline runs per accounting window (see `#observe`). */
const WINDOW = 32;

/** @internal */
export class InlineReader {
  readonly #db: SqliteDatabase;
  /** Budget in milliseconds. */
  readonly #budget: number;
  readonly #statements = new Map<string, SqliteStatement>();
  /** SQL texts that ran over budget (or cannot run here): never inline again. */
  readonly #refused = new Set<string>();

  readonly #safeIntegers: boolean;

  private constructor(db: SqliteDatabase, budgetMicroseconds: number, safeIntegers: boolean) {
    this.#db = db;
    this.#budget = budgetMicroseconds / 1000;
    this.#safeIntegers = safeIntegers;
  }

  /** Opens the main thread's read-only connection with the pool's pragmas and `setup`. */
  static async open(options: ResolvedOptions): Promise<InlineReader> {
    // timeout 0: a busy database must not block the main thread; such a read goes to the pool.
    const db = openBetterSqlite3(options.file, { readonly: true, fileMustExist: true, timeout: 0 });
    mainThreadObjects.adopt(db, { iterators: false });
    try {
      for (const [name, value] of options.pragmas) {
        try {
          db.pragma(`${name} = ${value}`);
        } catch {
          // A pragma a read-only connection refuses (e.g. journal_mode) concerns writes only.
        }
      }
      if (options.setup !== undefined) await runSetup(options.setup, db, 'inline');
    } catch (err) {
      db.close();
      throw err;
    }
    return new InlineReader(db, options.inlineReads, options.safeIntegers);
  }

  /**
   * Whether `sql`, known to be reader-safe with a worker-measured cost of
   * `cost` ms, may run here.
   */
  accepts(sql: string, cost: number | undefined): boolean {
    return cost !== undefined && cost < this.#budget && !this.#refused.has(sql);
  }

  /**
   * Runs a read here and returns better-sqlite3's own result (so exactly its
   * values and types), or {@link NOT_INLINE}. A SQLite error is rebuilt as the
   * pool would rebuild it, so callers see one error class either way.
   */
  run(
    sql: string,
    op: 'all' | 'get',
    params: BindParameters | undefined,
    mode: RowMode,
    safeIntegers: boolean | undefined,
  ): unknown {
    let stmt = this.#statements.get(sql);
    try {
      if (stmt === undefined) {
        // Statements are never evicted: a full cache sends new SQL to the
        // workers instead (see `mainThreadObjects` for why none is let go).
        if (this.#statements.size >= CACHE_SIZE) return NOT_INLINE;
        stmt = this.#db.prepare(sql);
        this.#statements.set(sql, stmt);
        if (!stmt.reader || !stmt.readonly) {
          this.#refuse(sql);
          return NOT_INLINE;
        }
      }
      // Toggles are per call: a handle's mode may differ from the last caller's.
      if (mode === RowMode.raw) stmt.raw(true);
      else if (mode === RowMode.pluck) stmt.pluck(true);
      else if (mode === RowMode.expand) stmt.expand(true);
      else stmt.raw(false).pluck(false).expand(false);
      stmt.safeIntegers(safeIntegers ?? this.#safeIntegers);
      const start = performance.now();
      const result =
        op === 'all' ? (params === undefined ? stmt.all() : stmt.all(params)) : params === undefined ? stmt.get() : stmt.get(params);
      this.#observe(sql, performance.now() - start);
      return result;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return NOT_INLINE;
      throw deserializeError(serializeError(err));
    }
  }

  /**
   * Counts each statement's inline runs over the budget, per window of 32
   * runs. A statement goes back to the workers for good when a quarter of a
   * window ran over budget (it is not cheap), or when one run takes 100 times
   * the budget (its cost depends on its parameters). Single outliers (a page
   * cache miss, a GC pause during the call) do not count against it.
   */
  #observe(sql: string, elapsed: number): void {
    if (elapsed >= 100 * this.#budget) {
      this.#refuse(sql);
      return;
    }
    let window = this.#windows.get(sql);
    if (window === undefined) {
      if (this.#windows.size >= CACHE_SIZE) this.#windows.clear();
      window = { runs: 0, over: 0 };
      this.#windows.set(sql, window);
    }
    window.runs++;
    if (elapsed >= this.#budget) window.over++;
    if (window.over * 4 > WINDOW) this.#refuse(sql);
    else if (window.runs >= WINDOW) {
      window.runs = 0;
      window.over = 0;
    }
  }

  #refuse(sql: string): void {
    this.#refused.add(sql);
    this.#windows.delete(sql);
  }

  readonly #windows = new Map<string, { runs: number; over: number }>();

  /**
   * Closes the main thread's connection. Its objects stay referenced (see
   * `mainThreadObjects`); closing finalized their SQLite statements, so what
   * stays is small.
   */
  /** Applies connection settings made on the writer; one a read-only connection refuses concerns writes only. */
  apply(statements: readonly string[]): void {
    for (const statement of statements) {
      try {
        this.#db.exec(statement);
      } catch {
        // See above.
      }
    }
  }

  close(): void {
    this.#db.close();
  }
}
