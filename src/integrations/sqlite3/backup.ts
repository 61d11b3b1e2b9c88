/**
 * node-sqlite3's `Backup` (`db.backup(filename)`), emulated with SQLite's
 * `VACUUM INTO`: threadlite's workers expose no `sqlite3_backup_*` handle. The
 * page counting is node-sqlite3's (`step(n)` lowers `remaining` by n pages,
 * `step(-1)` finishes), but the copy itself is made in one go, by the step
 * that brings `remaining` to 0, so it holds the source as of that step.
 */
import { EventEmitter } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { AsyncResource } from 'node:async_hooks';
import { type Callback, enumerableMethods, fail, invoke } from './callbacks';
import { RESULT_CODES } from './constants';
import { sqliteError, toNodeError } from './errors';
import { HOST, type StatementHost } from './statement-host';

/**
 * A backup of a database into a file, as node-sqlite3's `Backup`: made by
 * `db.backup(filename, [callback])` or `db.backup(filename, sourceName, destName,
 * filenameIsDest, [callback])`. Only `filenameIsDest === true` with
 * `destName === 'main'` is available (`sourceName` may be `main` or `temp`).
 * A finished backup (by `finish()`, or by itself once complete, see
 * `retryErrors`) no longer keeps `db.close()` from closing.
 *
 * ```js
 * const backup = db.backup('copy.db');
 * backup.step(-1, function (err) { if (!err) console.log(this.completed); backup.finish(); });
 * ```
 */
export class Backup extends EventEmitter {
  /** The destination file. */
  declare readonly filename: string;
  /** The database copied (`main` or `temp`). */
  declare readonly sourceName: string;
  /** The database written in the file (`main`). */
  declare readonly destName: string;
  /** Whether the file is the destination (always, here). */
  declare readonly filenameIsDest: boolean;
  /** Whether no step is running. */
  idle = true;
  /** Whether the copy has been made. */
  completed = false;
  /** Whether a step failed with an error not in `retryErrors`. */
  failed = false;
  /** Pages left to copy (`-1` before the first step). */
  remaining = -1;
  /** Pages in the source (`-1` before the first step). */
  pageCount = -1;
  /** Result codes after which the backup stays open for another step; any other ends it. Empty: never ends by itself. */
  retryErrors: number[] = [RESULT_CODES.BUSY, RESULT_CODES.LOCKED];
  readonly #host: StatementHost;
  #ready = false;
  #finished = false;
  /** `finish()` was called: later steps are `SQLITE_MISUSE`. */
  #closedByFinish = false;
  /** Calls queued or running. */
  #outstanding = 0;
  /** The backup's calls, one after another, after its setup. */
  #chain: Promise<void>;

  /** Starts a backup of `db`'s `sourceName` into `filename`; `callback(err)` once it is set up. */
  constructor(db: object, filename: string, sourceName: string, destName: string, filenameIsDest: boolean, callback?: Callback) {
    super();
    const host = (db as { [HOST]?: StatementHost } | null | undefined)?.[HOST];
    if (host === undefined) throw new TypeError('Database object expected');
    if (typeof filename !== 'string') throw new TypeError('Filename expected');
    if (typeof sourceName !== 'string') throw new TypeError('Source database name expected');
    if (typeof destName !== 'string') throw new TypeError('Destination database name expected');
    if (typeof filenameIsDest !== 'boolean') throw new TypeError('Boolean expected');
    if (callback !== undefined && typeof callback !== 'function') throw new TypeError('Callback expected');
    for (const [k, v] of Object.entries({ filename, sourceName, destName, filenameIsDest })) Object.defineProperty(this, k, { value: v });
    this.#host = host;
    let initialized!: () => void;
    this.#chain = new Promise((resolve) => (initialized = resolve));
    const scope = new AsyncResource('sqlite3.Backup');
    host.scheduler.schedule({
      // Asynchronous, as node-sqlite3's (the callback may use the object db.backup() returns).
      run: (done) =>
        process.nextTick(() => {
          if (!filenameIsDest || destName !== 'main') {
            const message = 'threadlite/sqlite3 backs up only into the main database of a file (filenameIsDest true, destName "main")';
            fail(this, callback, sqliteError('ERROR', message), scope);
          } else {
            this.#ready = true;
            host.live(1);
            invoke(callback, this, [null], scope);
          }
          initialized();
          // Calls made before the setup run now, within its turn (node-sqlite3 starts them
          // before the setup's own pending count drops): close() cannot slip in between.
          void this.#chain.then(done);
        }),
      fail: (err) => {
        initialized();
        fail(this, callback, err, scope);
      },
    });
  }

  /** Copies `pages` more pages (`-1`: all); `callback(err, completed)`, `this` being the backup. */
  step(pages: number, callback?: Callback): this {
    if (typeof pages !== 'number') throw new TypeError('Integer expected');
    this.#queue(callback, async () => {
      if (this.#closedByFinish || !this.#ready) throw sqliteError('MISUSE', 'Backup is already finished');
      if (this.completed) return true; // a step after the copy, as node-sqlite3's after SQLITE_DONE
      const connection = this.#host.connection();
      const source = `"${this.sourceName.replace(/"/g, '""')}"`;
      if (this.pageCount < 0) {
        const { rows } = await connection.execute('get', { sql: `PRAGMA ${source}.page_count`, params: undefined }, undefined);
        this.pageCount = this.remaining = Number((rows[0] as { page_count?: number } | undefined)?.page_count ?? 0);
      }
      if (pages !== 0 && this.remaining > 0) this.remaining = pages < 0 ? 0 : Math.max(0, this.remaining - pages);
      if (this.remaining > 0) {
        if (pages !== 0) writeFileSync(this.filename, '', { flag: 'a' }); // the file exists once a step copied something
        return false;
      }
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${this.filename}${suffix}`, { force: true });
      await connection.execute('run', { sql: `VACUUM ${source} INTO ?`, params: [this.filename] }, undefined);
      this.completed = true;
      return true;
    });
    return this;
  }

  /** Ends the backup; later steps fail with `SQLITE_MISUSE`. */
  finish(callback?: Callback): this {
    this.#queue(callback, async () => {
      this.#closedByFinish = true;
      this.#end();
      return undefined;
    });
    return this;
  }

  #end(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#ready) this.#host.live(-1);
  }

  /** Runs a call after the backup's earlier ones, counted as pending on the database from the moment it is made. */
  #queue(callback: Callback | undefined, body: () => Promise<boolean | undefined>): void {
    const scope = new AsyncResource('sqlite3.Backup');
    this.#outstanding++;
    this.idle = false;
    // Once set up, pending on the database from now (node-sqlite3 starts it at once): close() waits for
    // it. Before that, from when it starts (counting it earlier would hold back the setup itself).
    const early = this.#ready ? this.#host.scheduler.track() : undefined;
    this.#chain = this.#chain.then(async () => {
      const end = early ?? this.#host.scheduler.track();
      try {
        const completed = await body();
        this.idle = --this.#outstanding === 0;
        // node-sqlite3 ends a backup by itself once a step's result is not a retry error (SQLITE_DONE included).
        if (completed === true && this.retryErrors.length > 0) this.#end();
        invoke(callback, this, completed === undefined ? [null] : [null, completed], scope);
      } catch (err) {
        this.idle = --this.#outstanding === 0;
        const error = toNodeError(err) as Error & { errno?: number };
        if (error.errno !== RESULT_CODES.MISUSE) {
          const retry = this.retryErrors.includes(error.errno ?? -1);
          if (!retry) this.failed = true;
          if (!retry && this.retryErrors.length > 0) this.#end();
        }
        fail(this, callback, error, scope);
      } finally {
        end();
        this.#host.scheduler.process();
      }
    });
  }
}
enumerableMethods(Backup.prototype);
