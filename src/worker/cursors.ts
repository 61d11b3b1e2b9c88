/**
 * Cursors of one connection: `iterate()` statements handed out a chunk at a
 * time. better-sqlite3
 * lets one iterator step at a time here, so a statement that needs the
 * connection first reads the live cursor's remaining rows into memory.
 * Runs only inside a worker thread.
 */
import { serializeError } from '../errors';
import { RowMode, type RowsPayload } from '../protocol';
import type { NativeObjects } from './native-objects';
import { type Rebuild, rowsPayload } from './row-shape';
import type { SqliteStatement } from './sqlite-api';

/** A statement whose rows are handed out a chunk at a time. */
interface Cursor {
  /** Live SQLite iterator, or undefined once drained into `buffered`. */
  iterator: Iterator<unknown> | undefined;
  /**
   * The statement the iterator steps. better-sqlite3's iterator does not keep
   * it alive, and the cache may evict it meanwhile: this reference does.
   */
  stmt: SqliteStatement | undefined;
  /** Rows read ahead (a whole `all()` result, or the rest of a cursor when the connection was needed). */
  buffered: unknown[];
  /** Next row of `buffered` to hand out. */
  offset: number;
  /** The statement failed while being drained into `buffered`: delivered after those rows. */
  failure?: unknown;
  mode: RowMode;
  /** Set when rows must be rebuilt on the main thread (see RowsPayload.columns). */
  rebuild: Rebuild | undefined;
}

/** @internal */
export class Cursors {
  readonly #open = new Map<number, Cursor>();
  /** The one cursor whose SQLite iterator is open (see the module comment). */
  #live: number | undefined;
  readonly #natives: NativeObjects;

  constructor(natives: NativeObjects) {
    this.#natives = natives;
  }

  /** Whether `id` is the cursor whose statement is active on the connection. */
  isLive(id: number): boolean {
    return this.#live === id;
  }

  /** Opens a cursor over a running statement and hands out its first `count` rows. */
  start(id: number, iterator: Iterator<unknown>, stmt: SqliteStatement, mode: RowMode, rebuild: Rebuild | undefined, count: number): RowsPayload {
    this.#natives.hold(stmt);
    this.#open.set(id, { iterator, stmt, buffered: [], offset: 0, mode, rebuild });
    this.#live = id;
    return this.next(id, count);
  }

  /** Closes every cursor (the connection is closing). */
  closeAll(): void {
    for (const id of [...this.#open.keys()]) this.close(id);
  }

  next(id: number, count: number): RowsPayload {
    const cursor = this.#open.get(id);
    if (cursor === undefined) throw new Error(`Cursor ${id} is not open`);
    if (cursor.iterator !== undefined && this.#live !== id) {
      // Only one SQLite iterator may be open per connection.
      this.freeConnection();
    }
    const rows: unknown[] = [];
    let done = false;
    const { buffered } = cursor;
    while (rows.length < count && cursor.offset < buffered.length) rows.push(buffered[cursor.offset++]);
    if (cursor.iterator === undefined) {
      done = cursor.offset >= buffered.length;
      if (done && cursor.failure !== undefined) {
        this.#open.delete(id);
        if (rows.length === 0) throw cursor.failure;
        const payload = rowsPayload(rows, cursor.mode, cursor.rebuild);
        payload.done = true;
        payload.error = serializeError(cursor.failure);
        return payload;
      }
    } else {
      try {
        while (rows.length < count) {
          const step = cursor.iterator.next();
          if (step.done) {
            done = true;
            break;
          }
          rows.push(step.value);
        }
      } catch (err) {
        // The statement failed midway: deliver the rows read before the
        // failure, then the error, as better-sqlite3's iterator would.
        this.#open.delete(id);
        if (this.#live === id) this.#live = undefined;
        this.#endIteration(cursor);
        if (rows.length === 0) throw err;
        const payload = rowsPayload(rows, cursor.mode, cursor.rebuild);
        payload.done = true;
        payload.error = serializeError(err);
        return payload;
      }
    }
    if (done) {
      this.#open.delete(id);
      if (this.#live === id) this.#live = undefined;
      this.#endIteration(cursor);
    }
    const payload = rowsPayload(rows, cursor.mode, cursor.rebuild);
    if (done) payload.done = true;
    return payload;
  }

  close(id: number): void {
    const cursor = this.#open.get(id);
    if (cursor === undefined) return;
    this.#open.delete(id);
    cursor.iterator?.return?.();
    if (this.#live === id) this.#live = undefined;
    this.#endIteration(cursor);
  }

  /** The cursor's SQLite iterator is finished: let go of it and its statement. */
  #endIteration(cursor: Cursor): void {
    this.#natives.release(cursor.iterator as object | undefined);
    this.#natives.release(cursor.stmt);
    cursor.iterator = undefined;
    cursor.stmt = undefined;
  }

  /**
   * Another statement needs the connection while a cursor is open on it: read
   * the cursor's remaining rows into memory and close its SQLite iterator, so
   * the consumer keeps its rows and the connection is free. This is what keeps
   * `await db.run(…)` inside a `for await` loop from deadlocking.
   */
  freeConnection(): void {
    if (this.#live === undefined) return;
    const cursor = this.#open.get(this.#live);
    this.#live = undefined;
    if (cursor?.iterator === undefined) return;
    const iterator = cursor.iterator;
    try {
      for (let step = iterator.next(); !step.done; step = iterator.next()) cursor.buffered.push(step.value);
    } catch (err) {
      // The cursor's own consumer gets this, after its rows; the statement
      // that needed the connection goes on.
      cursor.failure = err;
    }
    this.#endIteration(cursor);
  }
}
