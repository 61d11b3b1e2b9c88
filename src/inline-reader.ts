/**
 * The inline path (`inlineReads`): a read-only better-sqlite3 connection on
 * the main thread for reads so cheap that a thread hop would cost several
 * times the query. A read runs here only while its observed cost stays under
 * the budget (see {@link InlineAdmission}). Everything else goes to the pool.
 *
 * Two bounds keep it from stalling the event loop: a watchdog thread
 * ({@link InlineWatchdog}) interrupts any one read past `inlineCap`, and the
 * read is re-run on a worker; and the inline work of one event-loop turn is
 * capped ({@link InlineTurns}): past it reads wait for the next turn.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deserializeError, serializeError } from './errors';
import type { ResolvedOptions } from './options';
import { RowMode } from './protocol';
import type { BindParameters } from './types';
import { InlineAdmission } from './inline-admission';
import { InlineHybrid } from './inline-hybrid';
import { InlineTurns, type TurnPlacement } from './inline-turns';
import { InlineWatchdog } from './inline-watchdog';
import { openBetterSqlite3, runSetup } from './worker/better-sqlite3';
import { installedPackageRoot } from './worker-path';
import { NativeObjects } from './worker/native-objects';
import type { SqliteDatabase, SqliteStatement } from './worker/sqlite-api';
import type { WorkerHandle } from './worker-handle';

/**
 * The main thread's better-sqlite3 objects, kept for the life of the process
 * where finalizing them could abort it (see `NativeObjects`); never swept, as
 * a forced collection would stall the event loop. A reader holds at most its
 * connection, a few pragma statements and {@link CACHE_SIZE} statements.
 */
const mainThreadObjects = new NativeObjects(false);

/** Returned when a read may not run inline; the caller sends it to the pool. @internal */
export const NOT_INLINE: unique symbol = Symbol('not inline');

/**
 * Returned for a read the watchdog stopped at the cap: the caller re-runs it
 * on a worker and reports how long that took ({@link InlineReader.rerunTook}). @internal
 */
export const INTERRUPTED: unique symbol = Symbol('interrupted inline');

/** Statements kept prepared on the main-thread connection. */
const CACHE_SIZE = 128;

/** A read the inline path takes, and how (see {@link TurnPlacement}). @internal */
export interface InlineRoute {
  reader: InlineReader;
  placement: Exclude<TurnPlacement, 'pool'>;
  /**
   * When it was placed (`performance.now()`): a read placed on the main thread
   * runs at once, and this is its start for the watchdog and its cost (next
   * to a SQLite call a clock read costs ~0.2 µs, measured: a few % of a point read).
   */
  at: number;
  /** The workers' cost of the statement it was admitted with (ms; see {@link InlineAdmission.observe}). */
  cost: number;
}

/** What {@link Database.stats} reports about the inline path. */
export interface InlineStats {
  /** Budget in microseconds (`inlineReads`). */
  budget: number;
  /** Hard cap in milliseconds (`inlineCap`), or 0 where no watchdog runs (no native library, or `inlineCap: 0`). */
  cap: number;
  /** Reads answered on the main thread. */
  reads: number;
  /**
   * Reads the watchdog interrupted at the cap and that ran again on a worker.
   * Their SQL leaves the inline path for a while if the worker also took at least the cap.
   */
  interrupted: number;
  /** Reads that waited for a later event-loop turn because the current one had used up its inline time. */
  deferred: number;
  /**
   * Cheap reads sent to the readers because the main thread had more than it
   * could run inline (hybrid execution; `reads` does not count them).
   */
  offloaded: number;
  /** How many reads the hybrid split may have on the readers at once now (0 while the main thread keeps up). */
  offloadDepth: number;
  /** SQL texts off the inline path now (over budget or interrupted, for a while; not read-only, for good). */
  refused: number;
}

/**
 * Opens the main thread's read-only connection. A bundler that inlined
 * threadlite's main module (Next.js) may leave better-sqlite3 unresolvable
 * from it; the installed package, whose worker file the pool runs, resolves it.
 */
function openMainConnection(file: string): SqliteDatabase {
  // timeout 0: a busy database must not block the main thread; such a read goes to the pool.
  const options = { readonly: true, fileMustExist: true, timeout: 0 };
  try {
    return openBetterSqlite3(file, options);
  } catch (err) {
    const root = installedPackageRoot();
    if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND' || root === undefined) throw err;
    return openBetterSqlite3(file, options, join(root, 'dist', 'worker', 'main.js'));
  }
}

/** @internal */
export class InlineReader {
  readonly #db: SqliteDatabase;
  /** Budget in milliseconds. */
  readonly #budget: number;
  /** Prepared statements by SQL, with the row mode and integer mode last set on them (a toggle is a native call). */
  readonly #statements = new Map<string, { stmt: SqliteStatement; mode?: RowMode; safeIntegers?: boolean }>();
  readonly #admission: InlineAdmission;
  readonly #turns: InlineTurns;
  readonly #safeIntegers: boolean;
  /** The hard cap; undefined where it cannot run (then inline runs only if asked for, uncapped, as it used to). */
  readonly #watchdog: InlineWatchdog | undefined;
  readonly #counts = { reads: 0, interrupted: 0 };
  readonly #capMs: number;

  readonly #hybrid: InlineHybrid;

  private constructor(db: SqliteDatabase, options: ResolvedOptions, watchdog: InlineWatchdog | undefined, offloadTarget: () => WorkerHandle | undefined) {
    this.#db = db;
    this.#budget = options.inlineReads / 1000;
    this.#safeIntegers = options.safeIntegers;
    this.#watchdog = watchdog;
    this.#capMs = watchdog === undefined ? 0 : options.inlineCap;
    this.#admission = new InlineAdmission(this.#budget, this.#capMs);
    // One turn may spend what one read may: the same bound on the longest stall.
    this.#hybrid = new InlineHybrid(offloadTarget, options.readers);
    this.#turns = new InlineTurns(options.inlineCap, options.maxQueue, this.#hybrid);
  }

  /**
   * Opens the main thread's read-only connection with the pool's pragmas and
   * `setup`, registered with the watchdog `dog` (started by the caller while the
   * pool was starting; undefined: no hard cap). Closes the watchdog if it fails.
   * `offloadTarget`: the reader a read the hybrid split offloads would start on now ({@link InlineHybrid}).
   */
  static async open(options: ResolvedOptions, dog: InlineWatchdog | undefined, offloadTarget: () => WorkerHandle | undefined): Promise<InlineReader> {
    let db: SqliteDatabase | undefined;
    try {
      db = openMainConnection(options.file);
      mainThreadObjects.adopt(db, { iterators: false });
      dog?.register(db);
      for (const [name, value] of options.pragmas) {
        try {
          db.pragma(`${name} = ${value}`);
        } catch {
          // A pragma a read-only connection refuses (e.g. journal_mode) concerns writes only.
        }
      }
      // As on the workers, so the same SQL prepares here: the watchdog stops a statement itself, so never "asked to stop".
      db.function('threadlite_interrupted', { varargs: false, deterministic: false }, () => 0);
      if (options.setup !== undefined) await runSetup(options.setup, db, 'inline');
    } catch (err) {
      db?.close();
      await dog?.close();
      throw err;
    }
    return new InlineReader(db, options, dog, offloadTarget);
  }

  /**
   * Where a read of `sql`, known to be reader-safe with a worker-measured cost
   * of `cost` ms, goes now: the pool unless it is admitted as cheap
   * ({@link InlineAdmission}); then as this turn's inline time allows
   * ({@link InlineTurns.place}), which may send it to the readers instead
   * (hybrid execution). Undefined: the pool.
   */
  place(sql: string, cost: number | undefined): InlineRoute | undefined {
    if (!this.#admission.admits(sql, cost)) return undefined;
    if (this.#watchdog !== undefined && !this.#watchdog.ready) return undefined;
    this.#hybrid.harvest();
    const at = performance.now();
    const placement = this.#turns.place(at);
    return placement === 'pool' ? undefined : { reader: this, placement, at, cost: cost as number };
  }

  /** Resolves once the event loop has turned (a read {@link place} told to wait asks again then). */
  nextTurn(): Promise<void> {
    return this.#turns.nextTurn();
  }

  /** An offloaded read ({@link place} said `'offload'`) has settled. */
  landed(): void {
    this.#hybrid.landed();
  }

  /**
   * Runs a read here and returns better-sqlite3's own result (so exactly its
   * values and types), or {@link NOT_INLINE}. A SQLite error is rebuilt as the
   * pool would rebuild it, so callers see one error class either way. A read
   * the watchdog interrupted returns {@link INTERRUPTED}: the caller re-runs it
   * on a worker, which gives the answer (rows or error) the pool gives.
   * `route`: its placement, just before (its start and the workers' cost).
   */
  run(
    sql: string,
    op: 'all' | 'get',
    params: BindParameters | undefined,
    mode: RowMode,
    safeIntegers: boolean | undefined,
    route: Pick<InlineRoute, 'at' | 'cost'>,
  ): unknown {
    let entry = this.#statements.get(sql);
    let stmt: SqliteStatement;
    try {
      if (entry === undefined) {
        // Statements are never evicted: a full cache sends new SQL to the
        // workers instead (see `mainThreadObjects` for why none is let go).
        if (this.#statements.size >= CACHE_SIZE) return NOT_INLINE;
        stmt = this.#db.prepare(sql);
        // Modes unknown (`setup` may have changed the connection's default): the first call sets both.
        entry = { stmt };
        this.#statements.set(sql, entry);
        if (!stmt.reader || !stmt.readonly) {
          this.#admission.refuseForGood(sql);
          return NOT_INLINE;
        }
      }
      stmt = entry.stmt;
      // Toggles are per call (a handle's mode may differ from the last caller's), set only when they change.
      if (entry.mode !== mode) {
        if (mode === RowMode.raw) stmt.raw(true);
        else if (mode === RowMode.pluck) stmt.pluck(true);
        else if (mode === RowMode.expand) stmt.expand(true);
        else stmt.raw(false).pluck(false).expand(false);
        entry.mode = mode;
      }
      const integers = safeIntegers ?? this.#safeIntegers;
      if (entry.safeIntegers !== integers) {
        stmt.safeIntegers(integers);
        entry.safeIntegers = integers;
      }
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return NOT_INLINE;
      throw deserializeError(serializeError(err));
    }
    const watchdog = this.#watchdog;
    const seq = watchdog === undefined ? 0 : watchdog.begin(route.at);
    let result: unknown;
    let failure: unknown;
    let failed = false;
    try {
      result = op === 'all' ? (params === undefined ? stmt.all() : stmt.all(params)) : params === undefined ? stmt.get() : stmt.get(params);
    } catch (err) {
      failed = true;
      failure = err;
    }
    const interrupted = watchdog !== undefined && watchdog.end(seq);
    const end = performance.now();
    if (interrupted) {
      // Past the cap: whatever it returned or threw, the worker answers instead
      // (a read has no side effects), and says how long it took there (see `rerunTook`).
      this.#counts.interrupted++;
      return INTERRUPTED;
    }
    if (failed) {
      if ((failure as { code?: unknown }).code === 'SQLITE_BUSY') return NOT_INLINE;
      throw deserializeError(serializeError(failure));
    }
    this.#counts.reads++;
    this.#admission.observe(sql, route.at, end, route.cost);
    return result;
  }

  /** How long a worker took to re-run a read the watchdog stopped (see {@link InlineAdmission.rerunTook}). */
  rerunTook(sql: string, elapsed: number): void {
    this.#admission.rerunTook(sql, elapsed);
  }

  /** Counters for {@link Database.stats}. */
  stats(): InlineStats {
    return {
      budget: this.#budget * 1000,
      cap: this.#capMs,
      reads: this.#counts.reads,
      interrupted: this.#counts.interrupted,
      deferred: this.#turns.deferred,
      offloaded: this.#hybrid.offloaded,
      offloadDepth: this.#hybrid.depth,
      refused: this.#admission.offPath(),
    };
  }

  /** The watchdog, for tests that drive its protocol by hand. @internal */
  get watchdog(): InlineWatchdog | undefined {
    return this.#watchdog;
  }

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

  /**
   * Lets reads waiting for a turn run, closes the main thread's connection,
   * then stops the watchdog. The
   * connection's objects stay referenced (see `mainThreadObjects`); closing
   * finalized their SQLite statements, so what stays is small.
   */
  async close(): Promise<void> {
    await this.#turns.close();
    this.#db.close();
    await this.#watchdog?.close();
  }
}
