/**
 * The worker's half of interrupting a statement (the main thread's half is
 * src/native/interrupt.ts, the native half native/threadlite.c). Runs only
 * inside a worker thread.
 *
 * Around each statement the worker publishes the id of the request it runs
 * in {@link Cell.current}; the main thread may interrupt SQLite only while
 * that cell holds the id it cancels. A request cancelled before it began is
 * found in the cancel set and answered without running.
 */
import { CANCEL_SLOTS, CANCELLED_CODE, Cell } from '../protocol';
import type { SqliteDatabase } from './sqlite-api';

/** Thrown for a request the main thread cancelled before it began. @internal */
export class CancelledError extends Error {
  readonly code = CANCELLED_CODE;
  constructor() {
    super('The call was cancelled before it began');
  }
}

/** @internal */
export class InterruptGuard {
  /** Whether the connection registered with the native library. */
  readonly enabled: boolean;
  readonly #cells: Int32Array;

  private constructor(cells: Int32Array, enabled: boolean) {
    this.#cells = cells;
    this.enabled = enabled;
  }

  /**
   * Loads the native library into `db` and binds the connection to its slot.
   * Never throws: without the library the guard is disabled (and says why).
   */
  static attach(
    db: SqliteDatabase,
    cells: Int32Array,
    native: { path: string; entryPoint: string; slot: number } | undefined,
    release: (stmt: object) => void,
  ): { guard: InterruptGuard; error?: string } {
    if (native === undefined) return { guard: new InterruptGuard(cells, false) };
    try {
      db.loadExtension(native.path, native.entryPoint);
      const stmt = db.prepare('SELECT threadlite_register(?)');
      stmt.get(native.slot);
      release(stmt);
      return { guard: new InterruptGuard(cells, true) };
    } catch (err) {
      return { guard: new InterruptGuard(cells, false), error: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Marks request `id` as the running statement: from here on the main
   * thread may interrupt it. Throws {@link CancelledError} (and unmarks) if
   * it was cancelled before it began. The check comes after the mark, so a
   * cancellation is either seen here or lands as an interrupt: never lost.
   */
  begin(id: number): void {
    if (!this.enabled) return;
    const cells = this.#cells;
    Atomics.store(cells, Cell.current, id);
    if (Atomics.load(cells, Cell.halt) !== 0) {
      // The process is exiting: start nothing that could outlive it.
      this.end(id);
      throw new CancelledError();
    }
    if (Atomics.load(cells, Cell.cancelCount) === 0) return;
    for (let i = Cell.cancelSet; i < Cell.cancelSet + CANCEL_SLOTS; i++) {
      if (Atomics.load(cells, i) === id) {
        this.end(id);
        throw new CancelledError();
      }
    }
  }

  /**
   * Whether the main thread interrupted request `id` while it runs, or the
   * process is exiting. A request that runs many statements checks this
   * between them: SQLite drops an interrupt that lands while no statement
   * is active.
   */
  interrupted(id: number): boolean {
    if (!this.enabled) return false;
    return Atomics.load(this.#cells, Cell.interrupted) === id || Atomics.load(this.#cells, Cell.halt) !== 0;
  }

  /**
   * Ends request `id`'s statement: the main thread can no longer interrupt
   * it. Returns whether an interrupt reached it (which matters only if the
   * statement finished anyway: a cursor left open would see the flag).
   * Idempotent.
   */
  end(id: number): boolean {
    if (!this.enabled) return false;
    const cells = this.#cells;
    const previous = Atomics.compareExchange(cells, Cell.current, id, 0);
    if (previous === -id) {
      // The main thread is inside sqlite3_interrupt for this request (a few
      // hundred nanoseconds): wait until it hands the cell back.
      while (Atomics.load(cells, Cell.current) !== id);
      Atomics.store(cells, Cell.current, 0);
    } else if (previous !== id) {
      return false;
    }
    return Atomics.compareExchange(cells, Cell.interrupted, id, 0) === id;
  }
}
