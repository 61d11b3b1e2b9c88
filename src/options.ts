/**
 * Pool options: the public {@link OpenOptions}, their {@link DEFAULTS}, and one
 * {@link resolveOptions} that validates them once and freezes the result.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { nativeStatus } from './native/interrupt';
import { closest } from './spelling';
import { defaultWorkerPath } from './worker-path';

/**
 * Options of {@link open}. Every field is optional; defaults are in the README.
 *
 * ```ts
 * const db = await open('app.db', { readers: 4, timeout: 5_000, pragmas: { foreign_keys: 'ON' } });
 * ```
 */
export interface OpenOptions {
  /**
   * Read-only reader connections, each in its own worker, beside the one writer.
   * Default: `os.availableParallelism() + 1`: heavy reads may occupy all readers
   * but one, so with this default they can use every core while one reader
   * stays free for light reads. Forced to 0 for `:memory:` and `''`
   * (temporary) databases, which exist inside one connection only.
   */
  readers?: number;
  /**
   * Readers started at `open()` and kept however idle; more start while reads
   * wait (one at a time, up to `readers`) and retire after `readerIdleTimeout`.
   * Default: `readers` when you set `readers`, else `min(readers, 4)` — a
   * 64-core server starts 4 readers (~10 MB each before their page caches fill)
   * and grows to 65 only under load. At least 1 when there are readers.
   */
  minReaders?: number;
  /** Milliseconds a reader above `minReaders` may stay idle before it closes. Default `30_000`. */
  readerIdleTimeout?: number;
  /** Open the file read-only: writes fail with `SQLITE_READONLY`. Default `false`. */
  readonly?: boolean;
  /** Fail with `SQLITE_CANTOPEN` instead of creating a missing file. Default `false`. */
  fileMustExist?: boolean;
  /** Default per-call timeout in milliseconds; `0` = none. Default `0`. */
  timeout?: number;
  /** Milliseconds a connection waits on a lock held by another connection (`busy_timeout`). Default `5000`. */
  busyTimeout?: number;
  /** Put the database in WAL mode with `synchronous = NORMAL` at open. Default `true`. */
  wal?: boolean;
  /**
   * PRAGMAs applied on every connection when it opens, e.g. `{ foreign_keys: 'ON', cache_size: -64000 }`.
   * Use this, not `db.exec('PRAGMA …')`, for settings reads depend on: `exec` runs on the writer only.
   */
  pragmas?: Readonly<Record<string, string | number | boolean>>;
  /** Return integers as `bigint` by default (better-sqlite3's `defaultSafeIntegers`). Default `false`. */
  safeIntegers?: boolean;
  /**
   * A module (path, `file:` URL or package name) that every worker imports after
   * opening its connection. Its default export (or export named `setup`) is called
   * with the better-sqlite3 `Database` and `{ role }`: register functions,
   * aggregates, virtual tables and extensions there, since functions cannot cross threads.
   */
  setup?: string | URL;
  /** Prepared statements cached per connection (least recently used out first). Default `256`. */
  statementCacheSize?: number;
  /** Calls that may wait in the queue before new ones fail with `QueueFullError` (inline reads waiting for a turn: as many again). Default `100000`. */
  maxQueue?: number;
  /**
   * Where the worker entry file is, for bundlers that move it. Default: the
   * `worker/main.js` next to threadlite's own `dist/index.js`, or, when a
   * bundler inlined threadlite (so that file is not beside it), the installed
   * package's `threadlite/worker` resolved from the working directory.
   */
  workerPath?: string | URL;
  /** `resourceLimits` for every worker (e.g. `maxOldGenerationSizeMb`). */
  resourceLimits?: ResourceLimits;
  /** Milliseconds a `db.transaction()` or `db.read()` may stay open before it is rolled back. Default `30000`; `0` = none. */
  transactionTimeout?: number;
  /**
   * Milliseconds `close()` lets work already submitted (queued calls, running
   * statements, open transactions) finish. Past it, queued calls reject with
   * `PoolClosedError`, running statements are interrupted inside SQLite and
   * open transactions roll back, so `close()` always settles. Default `5000`.
   */
  closeTimeout?: number;
  /**
   * The inline path: a budget in microseconds. When above 0, a read-only
   * connection is also opened on the main thread, and a read whose observed
   * cost on the workers stays under this budget (a point lookup: ~5–20 µs)
   * runs there, synchronously, instead of paying a thread hop (~70–100 µs).
   * A statement more than half of whose inline runs exceed the budget (under 4× it, only if the workers'
   * did too) goes back to the workers for a while if they took a quarter of the main thread or 10× it.
   * Only `all()`/`get()` on the database itself (not inside a transaction or
   * snapshot), without `signal`/`timeout`, and never for in-memory databases.
   *
   * Default `50` where threadlite's native library loads (then no inline read
   * can stall the event loop longer than {@link OpenOptions.inlineCap}); `0`
   * (off) where it does not. Set explicitly without the native library,
   * the path runs without the hard cap.
   */
  inlineReads?: number;
  /**
   * Hard cap in milliseconds on one inline read: a watchdog thread interrupts
   * a main-thread read that has run this long (on Linux, CPU time: a preempted
   * thread is not interrupted), the read runs again on a worker, and if the
   * worker too spends at least the cap in it (the read is slow), its SQL
   * stays off the inline path for a while (100 ms, doubling up to a minute).
   * One event-loop turn may run inline reads for the same time: past it,
   * cheap reads wait for the next turn (after timers and I/O) and run inline
   * then. Default `2`; `0` = no watchdog (inline reads are then off unless
   * `inlineReads` is set).
   */
  inlineCap?: number;
  /**
   * How hard a commit is pushed to disk (`PRAGMA synchronous`, set on every
   * connection). Default: SQLite's `NORMAL` under `wal` (an acknowledged commit
   * survives a crash of the process, and a power loss may roll back the last
   * commits), else SQLite's own default, `FULL`. `'FULL'` syncs the WAL at every
   * commit, so an acknowledged commit also survives a power loss, at the cost of
   * one fsync per write transaction. See docs/operations.md.
   */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /**
   * The nice value (0–19) of reader threads on Linux, where it is per thread: under load the scheduler
   * gives the event loop (and the writer) the CPU before heavy reads, which still use every idle core.
   * Default `10`; `0` keeps the process's priority. Ignored elsewhere (it would lower the whole process).
   */
  readerNice?: number;
}

/** The default of every option that has one. */
export const DEFAULTS = Object.freeze({
  /** {@link OpenOptions.readerIdleTimeout}, in milliseconds. */
  readerIdleTimeout: 30_000,
  /** {@link OpenOptions.readerNice} */
  readerNice: 10,
  /** {@link OpenOptions.readonly} */
  readonly: false,
  /** {@link OpenOptions.fileMustExist} */
  fileMustExist: false,
  /** {@link OpenOptions.timeout}: no per-call timeout. */
  timeout: 0,
  /** {@link OpenOptions.busyTimeout}, in milliseconds. */
  busyTimeout: 5000,
  /** {@link OpenOptions.wal} */
  wal: true,
  /** {@link OpenOptions.safeIntegers} */
  safeIntegers: false,
  /** {@link OpenOptions.statementCacheSize}, per connection. */
  statementCacheSize: 256,
  /** {@link OpenOptions.maxQueue} */
  maxQueue: 100_000,
  /** {@link OpenOptions.transactionTimeout}, in milliseconds. */
  transactionTimeout: 30_000,
  /** {@link OpenOptions.closeTimeout}, in milliseconds. */
  closeTimeout: 5000,
  /** {@link OpenOptions.inlineReads}, in microseconds, where the watchdog can run (else 0: off). */
  inlineReads: 50,
  /** {@link OpenOptions.inlineCap}, in milliseconds. */
  inlineCap: 2,
});

/** Options after validation, with every default filled in. @internal */
export interface ResolvedOptions {
  readonly file: string;
  /** True for `:memory:` and `''`: one connection, no readers. */
  readonly inMemory: boolean;
  readonly readers: number;
  readonly minReaders: number;
  readonly readerIdleTimeout: number;
  readonly readerNice: number;
  readonly readonly: boolean;
  readonly fileMustExist: boolean;
  readonly timeout: number;
  readonly busyTimeout: number;
  readonly wal: boolean;
  readonly pragmas: ReadonlyArray<readonly [string, string]>;
  readonly safeIntegers: boolean;
  readonly setup: string | undefined;
  readonly statementCacheSize: number;
  readonly maxQueue: number;
  readonly workerPath: string;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly transactionTimeout: number;
  readonly closeTimeout: number;
  readonly inlineReads: number;
  readonly inlineCap: number;
  /** The serialized image the writer opens (`open(buffer)`), or undefined. */
  readonly deserialize: Uint8Array | undefined;
}

const KNOWN = new Set<string>([
  'readers',
  'minReaders',
  'readerIdleTimeout',
  'readerNice',
  'readonly',
  'fileMustExist',
  'timeout',
  'busyTimeout',
  'wal',
  'pragmas',
  'safeIntegers',
  'setup',
  'statementCacheSize',
  'maxQueue',
  'workerPath',
  'resourceLimits',
  'transactionTimeout',
  'closeTimeout',
  'inlineReads',
  'inlineCap',
  'synchronous',
]);

/** Validates `open()`'s arguments and fills in defaults; throws `TypeError`/`RangeError` naming the option. @internal */
export function resolveOptions(file: unknown, options: OpenOptions | undefined, image?: Uint8Array): ResolvedOptions {
  if (typeof file !== 'string') throw new TypeError('Expected the database file name to be a string');
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new TypeError('Expected options to be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      const near = closest(key, KNOWN);
      throw new TypeError(`Unknown option "${key}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`);
    }
  }
  const inMemory = file === '' || file === ':memory:';
  const readers = inMemory ? 0 : count(options.readers, 'readers', availableParallelism() + 1, 0, 64);
  const pragmas: Array<readonly [string, string]> = [];
  if (options.pragmas !== undefined) {
    if (options.pragmas === null || typeof options.pragmas !== 'object') {
      throw new TypeError('options.pragmas must be an object of name → value');
    }
    for (const [name, value] of Object.entries(options.pragmas)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name)) {
        throw new TypeError(`options.pragmas: "${name}" is not a PRAGMA name`);
      }
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new TypeError(`options.pragmas.${name} must be a string, number or boolean`);
      }
      pragmas.push([name, String(value)]);
    }
  }
  if (options.synchronous !== undefined) {
    if (!['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(options.synchronous)) {
      throw new TypeError("options.synchronous must be 'OFF', 'NORMAL', 'FULL' or 'EXTRA'");
    }
    if (pragmas.some(([name]) => name.toLowerCase() === 'synchronous')) {
      throw new TypeError('Give either options.synchronous or options.pragmas.synchronous, not both');
    }
    pragmas.push(['synchronous', options.synchronous]);
  }
  const inlineCap = count(options.inlineCap, 'inlineCap', DEFAULTS.inlineCap, 0, 60_000);
  return Object.freeze({
    file: inMemory || isAbsolute(file) ? file : resolve(file),
    inMemory,
    readers,
    minReaders: readers === 0 ? 0 : count(options.minReaders, 'minReaders', options.readers === undefined ? Math.min(readers, 4) : readers, 1, readers),
    readerIdleTimeout: count(options.readerIdleTimeout, 'readerIdleTimeout', DEFAULTS.readerIdleTimeout, 1, 2 ** 31 - 1),
    readerNice: count(options.readerNice, 'readerNice', DEFAULTS.readerNice, 0, 19),
    readonly: flag(options.readonly, 'readonly', DEFAULTS.readonly),
    fileMustExist: flag(options.fileMustExist, 'fileMustExist', DEFAULTS.fileMustExist),
    timeout: count(options.timeout, 'timeout', DEFAULTS.timeout, 0, 2 ** 31 - 1),
    busyTimeout: count(options.busyTimeout, 'busyTimeout', DEFAULTS.busyTimeout, 0, 2 ** 31 - 1),
    wal: flag(options.wal, 'wal', DEFAULTS.wal),
    pragmas: Object.freeze(pragmas),
    safeIntegers: flag(options.safeIntegers, 'safeIntegers', DEFAULTS.safeIntegers),
    setup: moduleSpecifier(options.setup, 'setup'),
    statementCacheSize: count(options.statementCacheSize, 'statementCacheSize', DEFAULTS.statementCacheSize, 0, 1e6),
    maxQueue: count(options.maxQueue, 'maxQueue', DEFAULTS.maxQueue, 0, Number.MAX_SAFE_INTEGER, true),
    workerPath: workerPath(options.workerPath),
    resourceLimits: limits(options.resourceLimits),
    deserialize: image,
    inlineReads: inMemory ? 0 : count(options.inlineReads, 'inlineReads', inlineDefault(inlineCap), 0, 10_000),
    inlineCap,
    closeTimeout: count(options.closeTimeout, 'closeTimeout', DEFAULTS.closeTimeout, 0, 2 ** 31 - 1),
    transactionTimeout: count(
      options.transactionTimeout,
      'transactionTimeout',
      DEFAULTS.transactionTimeout,
      0,
      2 ** 31 - 1,
    ),
  });
}

/**
 * Inline reads are on by default only where a watchdog can cap them: with the
 * native library loaded and a cap above 0. Without it, a statement cheap for
 * most parameters and slow for one would run its slow case on the main thread.
 */
function inlineDefault(cap: number): number {
  return cap > 0 && nativeStatus().available ? DEFAULTS.inlineReads : 0;
}

function limits(value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('options.resourceLimits must be an object (see worker_threads resourceLimits)');
  }
  for (const [name, limit] of Object.entries(value)) {
    if (!['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'].includes(name)) {
      throw new TypeError(`Unknown option "resourceLimits.${name}"`);
    }
    if (typeof limit !== 'number' || !(limit > 0)) throw new RangeError(`options.resourceLimits.${name} must be a positive number`);
  }
  return Object.freeze({ ...(value as ResourceLimits) });
}

function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`options.${name} must be a boolean`);
  return value;
}

function count(value: unknown, name: string, fallback: number, min: number, max: number, infinite = false): number {
  if (value === undefined) return fallback;
  if (infinite && value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`options.${name} must be an integer`);
  }
  if (value < min || value > max) throw new RangeError(`options.${name} must be between ${min} and ${max}`);
  return value;
}

/** Validates a per-call `timeout`, as the pool option of the same name. @internal */
export function callTimeout(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new RangeError('options.timeout must be an integer between 0 and 2147483647');
  }
  return value;
}

function moduleSpecifier(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof URL) return value.href;
  if (typeof value !== 'string' || value === '') throw new TypeError(`options.${name} must be a path or URL`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-z]:[\\/]/i.test(value)) return value; // already a URL
  // A relative path means relative to the caller's working directory, not to the worker file.
  if (value.startsWith('.') || isAbsolute(value)) return pathToFileURL(resolve(value)).href;
  return value; // a package name, resolved by the worker
}

function workerPath(value: unknown): string {
  if (value === undefined) return defaultWorkerPath();
  if (value instanceof URL) return fileURLToPath(value);
  if (typeof value !== 'string' || value === '') throw new TypeError('options.workerPath must be a path or URL');
  return resolve(value);
}
