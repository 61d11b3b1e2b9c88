/**
 * node-sqlite3's `change` event on a facade `Database`: `(type, database,
 * table, rowid)` for each row its statements insert, update or delete, from
 * SQLite's update hook on the pool's writer (see settings-protocol.ts).
 *
 * Listening turns recording on for the pool's writer (as node-sqlite3's
 * `configure('change')` installs the hook when a listener is added); the
 * last listener removed turns it off. Each call of a listening facade carries
 * a sink for the changes its own request made, so with several facades on one
 * pool each sees exactly the changes of its own statements, as each
 * node-sqlite3 `Database` is its own connection. The events of a call are
 * emitted in the order SQLite reported them, before the call's callback.
 */
import type { EventEmitter } from 'node:events';
import type { Database as Pool } from '../../database';
import { CHANGE_SINK, type ChangeSinkOptions } from '../../engine/connection-settings';
import { ThreadliteError } from '../../errors';
import { nativeStatus } from '../../native/interrupt';
import type { ChangeBatch } from '../../settings-protocol';
import { emit } from './callbacks';

/**
 * The `change` event (or `configure('limit')`) needs threadlite's native
 * library, which did not load (`stats().cancellation === 'terminate'`;
 * `THREADLITE_NATIVE` pointing elsewhere, `THREADLITE_TUNING=interrupt=0`, or
 * no binary for this platform). Thrown by `db.on('change', …)` and
 * `db.configure('limit', …)`; emitted as `'error'` when a pool that opened
 * later cannot record changes.
 *
 * ```js
 * try { db.on('change', onChange); }
 * catch (err) { if (err.code === 'ERR_THREADLITE_NATIVE_UNAVAILABLE') pollInstead(); }
 * ```
 */
export class NativeUnavailableError extends ThreadliteError {
  constructor(feature: string, reason: string) {
    super(`${feature} needs threadlite's native library, which is not available: ${reason}`, 'ERR_THREADLITE_NATIVE_UNAVAILABLE');
  }
}
NativeUnavailableError.prototype.name = 'NativeUnavailableError';

/** Throws {@link NativeUnavailableError} if this process could not load the native library. @internal */
export function requireNative(feature: string): void {
  const status = nativeStatus();
  if (!status.available) throw new NativeUnavailableError(feature, status.reason);
}

let overflowWarned = false;

/** One facade's `change` listeners and their registration with the pool. @internal */
export class ChangeEvents {
  readonly #db: EventEmitter;
  /** Whether the facade has `change` listeners. */
  #listening = false;
  /** The pool once open (until close). */
  #pool: Pool | undefined;
  /** Whether this facade counts among the pool's change watchers. */
  #registered = false;
  /** Set once the facade closes. */
  #detached = false;

  /** Follows `db`'s `change` listeners: the first one added turns recording on, removing the last one turns it off. */
  constructor(db: EventEmitter) {
    this.#db = db;
    db.on('newListener', (event: string) => {
      if (event !== 'change' || this.#listening || this.#detached) return;
      // Throws without the native library, from db.on(): the listener is not added.
      requireNative("The 'change' event");
      this.#listening = true;
      this.#sync();
    });
    db.on('removeListener', (event: string) => {
      if (event !== 'change' || db.listenerCount('change') > 0) return;
      this.#listening = false;
      this.#sync();
    });
  }

  /** The facade's pool opened. */
  attach(pool: Pool): void {
    this.#pool = pool;
    this.#sync();
  }

  /** The facade is closing: it stops counting among the pool's watchers. */
  detach(): void {
    this.#detached = true;
    this.#listening = false;
    this.#sync();
    this.#pool = undefined;
  }

  /** A new collector for one call's changes, or undefined when nobody listens (the call then carries no sink). */
  collector(): ChangeBatch[] | undefined {
    return this.#listening && this.#registered ? [] : undefined;
  }

  /** Emits the changes a call collected, in order: `change` per row, then `change-overflow` per table whose changes were not all recorded. */
  emit(collected: ChangeBatch[] | undefined): void {
    if (collected === undefined) return;
    for (const batch of collected.splice(0)) {
      for (const entry of batch.entries) emit(this.#db, 'change', ...entry);
      const dropped = batch.lost > 0 ? [...batch.dropped, ['', '', batch.lost] as const] : batch.dropped;
      for (const [database, table, count] of dropped) {
        if (this.#db.listenerCount('change-overflow') > 0) emit(this.#db, 'change-overflow', database, table, count);
        else if (!overflowWarned) {
          overflowWarned = true;
          process.emitWarning(
            `threadlite/sqlite3: a statement changed more rows than the 'change' event records per statement; ${count} changes to ${database}.${table} were not emitted (listen to 'change-overflow' to handle this)`,
            { code: 'THREADLITE_CHANGES_DROPPED' },
          );
        }
      }
    }
  }

  /** Registers with the pool or unregisters, to match whether the facade listens. */
  #sync(): void {
    const pool = this.#pool;
    if (pool === undefined || this.#listening === this.#registered) return;
    if (this.#listening && pool.stats().cancellation !== 'interrupt') {
      // The process loaded the library but this pool's writer did not: say so, once per listening.
      this.#listening = false;
      emit(this.#db, 'error', new NativeUnavailableError("The 'change' event", pool.stats().interruptUnavailable ?? 'the writer could not load it'));
      return;
    }
    this.#registered = this.#listening;
    pool.connectionSettings.watchChanges(this.#listening);
  }
}

/** Call options with a sink that appends the call's changes to `collected` (or `options` as they are, without one). @internal */
export function withChangeSink<T extends object | undefined>(options: T, collected: ChangeBatch[] | undefined): T | ChangeSinkOptions {
  if (collected === undefined) return options;
  return { ...options, [CHANGE_SINK]: (batch: ChangeBatch) => collected.push(batch) };
}
