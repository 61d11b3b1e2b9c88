/**
 * {@link Database.backup} on the main thread: validates, leases a reader (a
 * WAL snapshot), drives the worker's backup one step per request, calls the
 * user's `progress` between steps, and makes sure a partial copy never
 * replaces a good file and never outlives a failure.
 */
import { randomBytes } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AbortError, TransactionClosedError, WorkerCrashedError } from './errors';
import type { BackupProgress, OperationAction } from './operations-protocol';
import type { Lease, Pool } from './pool';
import { localize } from './queryable';

/**
 * What {@link Database.backup} resolves with, and what its `progress` callback
 * receives (better-sqlite3's shape). Once the backup is complete,
 * `remainingPages` is `0`.
 *
 * ```ts
 * const { totalPages } = await db.backup('copy.db');
 * console.log(`${totalPages} pages copied`);
 * ```
 */
export interface BackupResult {
  /** Pages in the database snapshot being copied. */
  totalPages: number;
  /** Pages still to copy: `0` once the backup is complete. */
  remainingPages: number;
}

/**
 * Options of {@link Database.backup}: pacing (`progress`, `pagesPerStep`) and
 * cancellation (`signal`). Unknown options are refused with a `TypeError`.
 *
 * ```ts
 * await db.backup('copy.db', { pagesPerStep: 1000, signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface BackupOptions {
  /**
   * Called on the main thread after each step but the last, with the progress
   * so far (first after an empty step, with `remainingPages === totalPages`).
   * As in better-sqlite3, it may return the number of pages the next step
   * copies (`0` pauses: each step then copies nothing); `undefined` keeps the
   * current count. The worker waits for the answer: each step is one round
   * trip, so the returned count paces exactly the next step. It may also
   * return a promise of that number, and the next step waits for it, which
   * lets a server throttle the copy. A throw (or a rejection) fails the backup.
   * Without a callback the worker runs steps back to back for up to 50 ms
   * between round trips.
   */
  progress?: (info: BackupResult) => number | undefined | void | Promise<number | undefined | void>;
  /** Pages copied per step until `progress` says otherwise. Default `100`, as better-sqlite3. */
  pagesPerStep?: number;
  /**
   * Cancels the backup: the promise rejects with `AbortError` (its `cause` is
   * the signal's reason) once the steps running at that moment have ended
   * (at most one step, or 50 ms of steps without a `progress` callback) and the
   * temporary file is removed. `AbortSignal.timeout(ms)` gives a deadline.
   */
  signal?: AbortSignal;
}

const KNOWN = new Set(['progress', 'pagesPerStep', 'signal']);
/** better-sqlite3's default step, in pages. */
const DEFAULT_PAGES = 100;
/**
 * Without a `progress` callback, the worker runs steps for up to this many
 * milliseconds per request: the pace is kept, the round trips (each waiting
 * for a turn of a busy event loop) are fewer, and an abort still takes effect
 * within about this long.
 */
const STEP_BUDGET_MS = 50;

/** Runs a backup of `pool`'s database into `destination`. @internal */
export async function runBackup(pool: Pool, destination: unknown, options: BackupOptions | undefined): Promise<BackupResult> {
  const { target, handler, pagesPerStep, signal } = validate(destination, options);
  if (signal?.aborted) throw new AbortError(undefined, signal.reason);
  // Ask for the reader at once, so a backup called before close() is accepted;
  // check the destination while waiting.
  const leased = pool.acquire('read', { signal });
  leased.catch(() => {}); // observed below, once the destination is checked
  let lease: Lease;
  try {
    await checkDestination(pool, target);
    lease = await leased;
  } catch (err) {
    leased.then((granted) => pool.release(granted, new TransactionClosedError('The backup did not start')), () => {});
    throw localize(err);
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.backup-tmp`);
  const step = async (action: OperationAction) => {
    try {
      return (await pool.submit({ op: 'operation', action }, 'read', undefined, { lease })).value as BackupProgress;
    } catch (err) {
      // The reader died between two steps: the lease reports a lost connection; for the caller, its worker crashed.
      if (lease.worker.state === 'exited' && err instanceof TransactionClosedError) throw new WorkerCrashedError(undefined, err);
      throw localize(err);
    }
  };
  try {
    let progress = await step({ kind: 'backup-start', temp });
    let pages = pagesPerStep;
    while (progress.remainingPages > 0) {
      if (handler !== undefined) {
        const answer = await untilAborted(handler({ totalPages: progress.totalPages, remainingPages: progress.remainingPages }), signal);
        if (answer !== undefined) {
          if (typeof answer !== 'number' || Number.isNaN(answer)) {
            throw new TypeError('Expected progress callback to return a number or undefined');
          }
          pages = Math.max(0, Math.min(0x7fffffff, Math.round(answer)));
        }
      }
      if (signal?.aborted) throw new AbortError(undefined, signal.reason);
      progress = await step({ kind: 'backup-step', pages, budgetMs: handler === undefined ? STEP_BUDGET_MS : 0, destination: target });
    }
    return progress;
  } catch (err) {
    if (lease.closedBy === undefined && lease.worker.state === 'ready') {
      await step({ kind: 'backup-abort' }).catch(() => {});
    }
    // The worker removed it; again here in case the worker died first.
    await Promise.all([rm(temp, { force: true }), rm(`${temp}-journal`, { force: true })]).catch(() => {});
    throw err;
  } finally {
    pool.release(lease, new TransactionClosedError('The backup has ended'));
  }
}

/** The callback's answer, or an `AbortError` as soon as `signal` fires while a promised answer is pending. */
function untilAborted(answer: unknown, signal: AbortSignal | undefined): unknown {
  if (signal === undefined || !(answer instanceof Promise)) return answer;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new AbortError(undefined, signal.reason));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function validate(destination: unknown, options: BackupOptions | undefined) {
  if (typeof destination !== 'string') throw new TypeError('Expected first argument to be a string');
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`Unknown backup option "${key}" (known: progress, pagesPerStep, signal)`);
  }
  const file = destination.trim();
  if (!file) throw new TypeError('Backup filename cannot be an empty string');
  if (file === ':memory:') throw new TypeError('Invalid backup filename ":memory:"');
  const handler = options.progress ?? undefined;
  if (handler !== undefined && typeof handler !== 'function') throw new TypeError('Expected the "progress" option to be a function');
  const pagesPerStep = options.pagesPerStep ?? DEFAULT_PAGES;
  if (!Number.isInteger(pagesPerStep) || pagesPerStep < 1 || pagesPerStep > 0x7fffffff) {
    throw new RangeError('options.pagesPerStep must be a positive integer');
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('options.signal must be an AbortSignal');
  return { target: resolve(file), handler, pagesPerStep, signal };
}

async function checkDestination(pool: Pool, target: string): Promise<void> {
  await access(dirname(target)).catch(() => {
    throw new TypeError('Cannot save backup because the directory does not exist');
  });
  if (!pool.options.inMemory && target === pool.options.file) {
    throw new TypeError('Cannot save a backup over the database it copies');
  }
  // Renaming a copy over a database that has a WAL would pair the new file
  // with the old file's WAL frames: SQLite would replay them into it.
  const hasWal = await access(`${target}-wal`).then(
    () => true,
    () => false,
  );
  if (hasWal) {
    throw new TypeError(`Cannot save backup: ${target}-wal exists (the destination is open, or was not closed cleanly)`);
  }
}
