/**
 * The database-level calls of {@link Database} besides backup: `pragma()`,
 * `checkpoint()` and `serialize()`, on the main thread (the worker side is
 * `worker/operations.ts`).
 */
import { TransactionClosedError } from './errors';
import type { OperationAction } from './operations-protocol';
import type { Lease, Pool } from './pool';
import { localize, type Queryable } from './queryable';
import type { CallOptions } from './types';

/**
 * Options of {@link Database.pragma}: better-sqlite3's `simple`, plus the
 * call options `signal` and `timeout`.
 *
 * ```ts
 * const mode = await db.pragma('journal_mode', { simple: true }); // 'wal'
 * ```
 */
export interface PragmaOptions extends CallOptions {
  /** Return only the first column of the first row (better-sqlite3's `simple`). Default `false`. */
  simple?: boolean;
}

/**
 * How {@link Database.checkpoint} checkpoints the WAL (SQLite's `wal_checkpoint`
 * modes, case-insensitive). PASSIVE never waits; the others wait up to
 * `busyTimeout` for readers on older snapshots.
 *
 * ```ts
 * await db.checkpoint('TRUNCATE');
 * ```
 */
export type CheckpointMode = 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE';

/**
 * SQLite's answer to `PRAGMA wal_checkpoint`; see {@link Database.checkpoint}.
 *
 * ```ts
 * const { busy, log, checkpointed } = await db.checkpoint();
 * if (busy === 0 && checkpointed === log) console.log('the WAL is fully checkpointed');
 * ```
 */
export interface CheckpointResult {
  /** `1` if a FULL, RESTART or TRUNCATE checkpoint could not finish (a reader or writer was in the way), else `0`. */
  busy: number;
  /** Frames in the WAL, or `-1` if the database is not in WAL mode. */
  log: number;
  /** Frames of the WAL now copied into the database file, or `-1`. */
  checkpointed: number;
}

/**
 * Options of {@link Database.serialize} (better-sqlite3's).
 *
 * ```ts
 * const image = await db.serialize({ attached: 'main' });
 * ```
 */
export interface SerializeOptions {
  /** The schema to serialize: `'main'` (default) is read on a reader; any other (an ATTACHed database, `temp`) on the writer, where they live. */
  attached?: string;
}

const MODES: ReadonlySet<string> = new Set(['PASSIVE', 'FULL', 'RESTART', 'TRUNCATE']);

/** `db.pragma()`: runs on the writer, in order with the writes. @internal */
export async function runPragma(db: Queryable, source: unknown, options: PragmaOptions | undefined): Promise<unknown> {
  if (typeof source !== 'string') throw new TypeError('Expected first argument to be a string');
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new TypeError('Expected second argument to be an options object');
  const simple = options.simple ?? false;
  if (typeof simple !== 'boolean') throw new TypeError('Expected the "simple" option to be a boolean');
  const { signal, timeout } = options;
  const value = await db.call({ op: 'operation', action: { kind: 'pragma', source, simple } }, 'write', { signal, timeout });
  return simple ? asBuffer(value) : (value as Array<Record<string, unknown>>).map(rowBuffers);
}

/** `db.checkpoint()`: `PRAGMA wal_checkpoint(mode)` on the writer. @internal */
export async function runCheckpoint(db: Queryable, mode: unknown, options: CallOptions | undefined): Promise<CheckpointResult> {
  const name = mode === undefined ? 'PASSIVE' : typeof mode === 'string' ? mode.toUpperCase() : '';
  if (!MODES.has(name)) throw new TypeError('Expected the checkpoint mode to be PASSIVE, FULL, RESTART or TRUNCATE');
  const rows = (await runPragma(db, `wal_checkpoint(${name})`, options)) as CheckpointResult[];
  const row = rows[0] as CheckpointResult;
  return { busy: row.busy, log: row.log, checkpointed: row.checkpointed };
}

/**
 * `db.serialize()`: `main` on a leased reader (a committed snapshot; the
 * image may be large, so it takes an idle reader rather than queue in front
 * of light reads), other schemas on the writer. @internal
 */
export async function runSerialize(db: Queryable, pool: Pool, options: SerializeOptions | undefined): Promise<Buffer> {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new TypeError('Expected first argument to be an options object');
  const attached = options.attached ?? 'main';
  if (typeof attached !== 'string') throw new TypeError('Expected the "attached" option to be a string');
  if (!attached) throw new TypeError('The "attached" option cannot be an empty string');
  const action: OperationAction = { kind: 'serialize', attached };
  if (attached !== 'main') return asBuffer(await db.call({ op: 'operation', action }, 'write', undefined)) as Buffer;
  let lease: Lease;
  try {
    lease = await pool.acquire('read', undefined);
  } catch (err) {
    throw localize(err);
  }
  try {
    return asBuffer((await pool.submit({ op: 'operation', action }, 'read', undefined, { lease })).value) as Buffer;
  } catch (err) {
    throw localize(err);
  } finally {
    pool.release(lease, new TransactionClosedError('The serialization has ended'));
  }
}

/** A BLOB crosses threads as a plain Uint8Array: make it the Buffer better-sqlite3 returns, without copying. */
function asBuffer(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

function rowBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(row)) row[key] = asBuffer(row[key]);
  return row;
}
