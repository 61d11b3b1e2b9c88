/**
 * The worker's side of {@link Database.backup}: SQLite's online backup API
 * (`sqlite3_backup_*`, through better-sqlite3's own native backup object),
 * driven one step per request so the main thread paces it, and taken from one
 * read snapshot so writes on other connections never restart it.
 *
 * Why steps per request rather than better-sqlite3's `db.backup()`: that method
 * runs its steps on `setImmediate` and settles a promise, so its request would
 * stay pending inside the worker while other messages arrive, and its progress
 * callback (which paces the copy) would have to run in the worker. Here every
 * request is synchronous and answered at once; the main thread calls the
 * user's `progress` between steps and sends the page count it returns with the
 * next step. The native object and its `transfer(pages)` are exactly what
 * better-sqlite3's `db.backup()` drives.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BackupProgress } from '../operations-protocol';
import type { NativeObjects } from './native-objects';
import type { SqliteDatabase } from './sqlite-api';

/** better-sqlite3's native backup object (`src/objects/backup.cpp`). */
interface NativeBackup {
  transfer(pages: number): BackupProgress;
  close(): unknown;
}

/** better-sqlite3's native database, held by its `Database` under a private symbol. */
interface NativeDatabase {
  backup(database: object, attached: string, destination: string, unlinkOnFailure: boolean): NativeBackup;
}

interface Running {
  readonly handle: NativeBackup;
  readonly temp: string;
  /** Whether the backup opened the read transaction (and so ends it). */
  readonly ownsSnapshot: boolean;
}

/** The backup in progress on each connection (one at a time: the connection is leased to it). */
const running = new WeakMap<SqliteDatabase, Running>();

/**
 * Opens the snapshot and the backup into `temp`, then makes the first,
 * empty step (as better-sqlite3 does) to learn the page count. @internal
 */
export function startBackup(db: SqliteDatabase, natives: NativeObjects, temp: string): BackupProgress {
  abortBackup(db, natives); // a backup whose owner vanished (its lease broke) must not linger
  const native = nativeOf(db);
  // Without a read transaction each step would take a fresh snapshot, and any
  // commit by another connection would restart the copy from page 1: under a
  // steady write load it would never finish. One snapshot for the whole copy.
  const ownsSnapshot = !db.inTransaction;
  if (ownsSnapshot) db.exec('BEGIN DEFERRED; SELECT count(*) FROM sqlite_schema');
  let handle: NativeBackup;
  try {
    handle = native.backup(db, 'main', temp, true);
  } catch (err) {
    if (ownsSnapshot) endSnapshot(db);
    throw err;
  }
  natives.hold(handle);
  running.set(db, { handle, temp, ownsSnapshot });
  return stepBackup(db, natives, 0, 0, undefined);
}

/**
 * Copies up to `pages` pages, then more steps of as many while `budgetMs`
 * lasts; once none remain, ends the snapshot and puts the copy in place:
 * fsync, rename over `destination`, fsync of the directory. On any failure
 * the backup is abandoned and the temporary file removed. @internal
 */
export function stepBackup(
  db: SqliteDatabase,
  natives: NativeObjects,
  pages: number,
  budgetMs: number,
  destination: string | undefined,
): BackupProgress {
  const backup = running.get(db);
  if (backup === undefined) throw new Error('No backup is in progress on this connection');
  let progress: BackupProgress;
  try {
    const until = performance.now() + budgetMs;
    let result: BackupProgress;
    do result = backup.handle.transfer(pages);
    while (result.remainingPages > 0 && pages > 0 && performance.now() < until);
    progress = { totalPages: result.totalPages, remainingPages: result.remainingPages };
  } catch (err) {
    abortBackup(db, natives);
    throw err;
  }
  if (progress.remainingPages > 0 || destination === undefined) return progress;
  // Done: SQLite has committed (and synced) the copy and closes it now.
  running.delete(db);
  closeHandle(backup, natives);
  if (backup.ownsSnapshot) endSnapshot(db);
  try {
    syncFile(backup.temp, 'r+');
    renameSync(backup.temp, destination);
  } catch (err) {
    removeTemp(backup.temp);
    throw err;
  }
  try {
    syncFile(dirname(destination), 'r'); // makes the rename itself durable
  } catch {
    // Some platforms cannot fsync a directory; the file itself is synced.
  }
  return progress;
}

/** Abandons the backup in progress, if any, and removes its temporary file. Never throws. @internal */
export function abortBackup(db: SqliteDatabase, natives: NativeObjects): void {
  const backup = running.get(db);
  if (backup === undefined) return;
  running.delete(db);
  closeHandle(backup, natives);
  if (backup.ownsSnapshot) endSnapshot(db);
  removeTemp(backup.temp);
}

function closeHandle(backup: Running, natives: NativeObjects): void {
  try {
    backup.handle.close(); // rolls back an unfinished copy and (new file) unlinks it
  } catch {
    // The connection closed under it: SQLite finished the backup already.
  }
  natives.release(backup.handle);
}

function endSnapshot(db: SqliteDatabase): void {
  try {
    if (db.inTransaction) db.exec('COMMIT');
  } catch {
    // A read transaction cannot fail to end; nothing to undo if it did.
  }
}

function removeTemp(temp: string): void {
  for (const path of [temp, `${temp}-journal`]) {
    try {
      rmSync(path, { force: true });
    } catch {
      // Best effort: the main thread removes it again if it must.
    }
  }
}

function syncFile(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The addon object behind better-sqlite3's `Database` (the one its own `backup()` uses). */
function nativeOf(db: SqliteDatabase): NativeDatabase {
  for (const symbol of Object.getOwnPropertySymbols(db)) {
    const value = (db as unknown as Record<symbol, unknown>)[symbol];
    if (typeof value === 'object' && value !== null && typeof (value as NativeDatabase).backup === 'function') {
      return value as NativeDatabase;
    }
  }
  throw new Error('threadlite: this better-sqlite3 build exposes no native backup object (expected 12.x)');
}
