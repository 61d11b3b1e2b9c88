/**
 * Connection settings the pool applies to every connection it has, and to
 * every one it starts later (a respawned writer, a replaced reader): change
 * tracking (threadlite/sqlite3's `change` event, SQLite's update hook) and
 * SQLite limits (`sqlite3_limit`). Shared by both threads; imports nothing.
 *
 * They live in Int32 cells that follow the protocol's cells in the
 * `SharedArrayBuffer` each worker shares with the main thread (see
 * `Cell` in protocol.ts). The main thread writes a setting, then bumps
 * {@link SettingsCell.version}; before each request a worker compares the
 * version with the one it applied and, if it changed, applies the settings
 * through the native library, on its own thread and between statements. So a
 * setting holds for every request a worker begins after the setting was made,
 * with no message and no queue (a writer held by a transaction sees it too).
 */

/** Indexes into the settings cells (a view that starts after the protocol's cells). @internal */
export const SettingsCell = {
  /** Bumped by the main thread after it changed a setting. */
  version: 0,
  /** 1 while the writer should record changes (someone listens to `change`). */
  changes: 1,
  /** First of {@link LIMIT_IDS} cells: 0 = not set, n + 1 = `sqlite3_limit(db, id, n)`. */
  limits: 2,
} as const;

/** SQLite's limit ids, `SQLITE_LIMIT_LENGTH` (0) … `SQLITE_LIMIT_WORKER_THREADS` (11). @internal */
export const LIMIT_IDS = 12;

/** How many settings cells follow the protocol's cells. @internal */
export const SETTINGS_CELLS = SettingsCell.limits + LIMIT_IDS;

/**
 * Changes one request may record (one `run`, one `exec` script, one batch).
 * Past it the native library records nothing more but counts, per table, the
 * changes it did not record ({@link ChangeBatch.dropped}): a 100k-row
 * `INSERT … SELECT` costs at most this many entries of memory (16 bytes each
 * in the library) and of messages. @internal
 */
export const CHANGE_CAP = 10_000;

/** One change as SQLite's update hook reports it: `[type, database, table, rowid]`. */
export type ChangeEntry = [type: 'insert' | 'update' | 'delete', database: string, table: string, rowid: number];

/**
 * The changes one request made on the writer, in the order the update hook
 * reported them; carried by its response (`changes`). @internal
 */
export interface ChangeBatch {
  entries: ChangeEntry[];
  /** Per table, changes past {@link CHANGE_CAP} that were not recorded. */
  dropped: Array<[database: string, table: string, count: number]>;
  /** Changes not recorded because the library could not allocate memory (not attributed to a table). */
  lost: number;
}
