/**
 * One threadlite pool per database file within the process, shared by every
 * facade `Database` opened on it and closed with the last one. An ORM's pool
 * of ten "connections" is then ten cheap handles on one pool of worker
 * threads (one writer, N readers), not ten pools.
 */
import { resolve } from 'node:path';
import { type Database as Pool, open } from '../../database';
import type { OpenOptions } from '../../options';
import { OPEN_FLAGS } from './constants';
import { openTarget } from './uri';

interface Entry {
  pool: Promise<Pool>;
  refs: number;
}

const pools = new Map<string, Entry>();
let defaults: Readonly<OpenOptions> = Object.freeze({});

/**
 * Sets the threadlite options of the pools that facade `Database` objects open
 * from now on (pools already open keep theirs), e.g.
 * `setOpenOptions({ readers: 4, pragmas: { foreign_keys: 'ON' } })`.
 * `readonly` and `fileMustExist` come from each `Database`'s `mode` instead.
 *
 * ```ts
 * const sqlite3 = require('threadlite/sqlite3');
 * sqlite3.setOpenOptions({ readers: 2, transactionTimeout: 60_000 });
 * const db = new sqlite3.Database('app.db');
 * ```
 */
export function setOpenOptions(options: OpenOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('setOpenOptions expects an options object');
  defaults = Object.freeze({ ...options });
}

/** A facade's share of a pool: the pool once open, and the function that gives the share back. @internal */
export interface PoolShare {
  pool: Promise<Pool>;
  release(): Promise<void>;
}

/**
 * Takes a share of the pool for `filename` opened with `mode`, opening it on
 * first use. `:memory:` and `''` get a pool of their own, as they get a
 * database of their own in SQLite; with `OPEN_URI`, a `file:` URI is read
 * (see {@link openTarget}), and an in-memory database with a shared cache is
 * one pool per name.
 * @internal
 */
export function acquirePool(filename: string, flags: number): PoolShare {
  let target: ReturnType<typeof openTarget>;
  try {
    target = openTarget(filename, flags);
  } catch (err) {
    const failed = Promise.reject(err);
    failed.catch(() => {});
    return { pool: failed, release: async () => {} };
  }
  const { file, mode, sharedMemory } = target;
  const readonly = (mode & OPEN_FLAGS.OPEN_READWRITE) === 0;
  const options: OpenOptions = {
    ...defaults,
    readonly,
    fileMustExist: readonly || (mode & OPEN_FLAGS.OPEN_CREATE) === 0,
  };
  if ((file === '' || file === ':memory:') && sharedMemory === undefined) {
    const pool = open(file, options);
    return { pool, release: () => pool.then((p) => p.close(), () => undefined) };
  }
  const key = sharedMemory !== undefined ? `mem:${sharedMemory}` : `${readonly ? 'ro' : 'rw'}:${resolve(file)}`;
  let entry = pools.get(key);
  if (entry === undefined) {
    const created: Entry = { pool: open(file, options), refs: 0 };
    entry = created;
    pools.set(key, created);
    // A pool that failed to open is forgotten, so the next Database tries again.
    created.pool.catch(() => {
      if (pools.get(key) === created) pools.delete(key);
    });
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    pool: held.pool,
    async release() {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      if (pools.get(key) === held) pools.delete(key);
      const pool = await held.pool.catch(() => undefined);
      await pool?.close();
    },
  };
}

/** One shared pool, as {@link openPools} lists it. */
export interface PoolInfo {
  /** The database file (resolved path). */
  file: string;
  /** Whether the pool was opened read-only (`OPEN_READONLY`). */
  readonly: boolean;
  /** Facade `Database` objects holding a share of it. */
  databases: number;
}

/** The shared pools open now, and how many facades hold each (for tests and health checks). */
export function openPools(): PoolInfo[] {
  return [...pools]
    .filter(([key]) => !key.startsWith('mem:'))
    .map(([key, entry]) => ({ file: key.slice(3), readonly: key.startsWith('ro:'), databases: entry.refs }));
}
