/**
 * Database-level operations a worker runs for the main thread: backup steps
 * (see `backup.ts`), `serialize()` and `pragma()`, plus opening a serialized
 * image. One entry, {@link runOperation}, called by the connection's dispatch.
 */
import type { OperationAction } from '../operations-protocol';
import { abortBackup, startBackup, stepBackup } from './backup';
import type { NativeObjects } from './native-objects';
import type { SqliteDatabase } from './sqlite-api';

type Serializable = SqliteDatabase & { serialize(options?: { attached?: string }): Uint8Array };

/** Runs one operation on the connection and returns its value; throws what SQLite throws. @internal */
export function runOperation(db: SqliteDatabase, natives: NativeObjects, action: OperationAction): unknown {
  switch (action.kind) {
    case 'backup-start':
      return startBackup(db, natives, action.temp);
    case 'backup-step':
      return stepBackup(db, natives, action.pages, action.budgetMs, action.destination);
    case 'backup-abort':
      abortBackup(db, natives);
      return null;
    case 'serialize':
      return (db as Serializable).serialize({ attached: action.attached });
    case 'pragma':
      return pragma(db, natives, action.source, action.simple);
  }
}

/**
 * better-sqlite3's `db.pragma()`, with a statement this thread owns and
 * releases (better-sqlite3's own would stay held for ever by the Node 24
 * finalizer guard). Same shapes: its "pragma mode" statement returns data even
 * when SQLite gives no columns, which is what the `reader` branch reproduces.
 */
function pragma(db: SqliteDatabase, natives: NativeObjects, source: string, simple: boolean): unknown {
  const stmt = db.prepare(`PRAGMA ${source}`);
  try {
    if (!stmt.reader) {
      stmt.run();
      return simple ? undefined : [];
    }
    return simple ? stmt.pluck().get() : stmt.all();
  } finally {
    natives.release(stmt);
  }
}

/**
 * The image `open(buffer)` hands to better-sqlite3. `serialize()` of a WAL
 * database keeps the header's WAL marks (bytes 18-19 = 2), and SQLite cannot
 * open such an image in memory (`SQLITE_CANTOPEN`, better-sqlite3 alike); an
 * image holds every committed page and no WAL, so it is marked as a rollback
 * journal database (1, 1), which is what it is. @internal
 */
export function deserializedImage(bytes: Uint8Array): Buffer {
  const image = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (image.length >= 100 && image[18] === 2 && image[19] === 2) {
    image[18] = 1;
    image[19] = 1;
  }
  return image;
}
