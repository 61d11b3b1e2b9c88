/**
 * The database-level operations a worker runs for {@link Database.backup},
 * `serialize()` and `pragma()`: the `action` of an `operation` request (see
 * `protocol.ts`). Shared by both threads; imports nothing.
 */

/**
 * Starts a backup on the connection: opens a read transaction (the snapshot
 * the copy is taken from) unless one is open, and SQLite's backup of `main`
 * into `temp`, a new file; copies no page yet. Answers {@link BackupProgress}.
 * @internal
 */
export interface BackupStartAction {
  kind: 'backup-start';
  /** The temporary file the pages go to (in the destination's directory). */
  temp: string;
}

/**
 * Copies up to `pages` pages (`sqlite3_backup_step`; a negative count copies
 * the rest), and more steps of as many while `budgetMs` lasts. When none remain, finishes: closes the copy, ends the snapshot,
 * fsyncs `temp`, renames it to `destination` and fsyncs the directory.
 * Answers {@link BackupProgress}. @internal
 */
export interface BackupStepAction {
  kind: 'backup-step';
  pages: number;
  /**
   * Milliseconds of further steps of `pages` the worker may run before it
   * answers: 0 for one step (a `progress` callback sees every step). Without a
   * callback, fewer round trips: each one waits for a turn of the main
   * thread's event loop, which a busy server keeps long.
   */
  budgetMs: number;
  destination: string;
}

/** Abandons the backup in progress, if any: closes it, ends the snapshot, removes the temporary file. @internal */
export interface BackupAbortAction {
  kind: 'backup-abort';
}

/** `sqlite3_serialize` of a schema, as better-sqlite3's `db.serialize()`. @internal */
export interface SerializeAction {
  kind: 'serialize';
  attached: string;
}

/** `PRAGMA source`, with better-sqlite3's `db.pragma()` result shapes. @internal */
export interface PragmaAction {
  kind: 'pragma';
  source: string;
  simple: boolean;
}

/** @internal */
export type OperationAction = BackupStartAction | BackupStepAction | BackupAbortAction | SerializeAction | PragmaAction;

/** What a backup step reports (better-sqlite3's progress object). @internal */
export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}
