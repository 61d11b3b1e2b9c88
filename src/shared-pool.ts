/**
 * One pool per process and key, shared by every copy of the module that asks
 * for it. Frameworks evaluate a server module more than once in one process:
 * Next.js gives pages and route handlers their own bundled copies, and a dev
 * server re-evaluates a module after each edit. A plain `await open()` at
 * module level then starts another pool each time and never closes the old
 * one. {@link openShared} keeps its registry on `globalThis` under a
 * `Symbol.for` key, which every copy of threadlite (and every reload) sees.
 */
import { type Database, open } from './database';
import type { OpenOptions } from './options';

/** One registry entry. Its shape is shared across threadlite copies: change it only with the key's version. */
interface SharedEntry {
  /** `file` and options, as canonical JSON: the same request gets the same pool. */
  readonly fingerprint: string;
  /** The pool, once open; rejected if it could not open (the entry is then removed). */
  readonly pool: Promise<Database>;
}

/** The registry's key on `globalThis`; `.v1` is the version of {@link SharedEntry}. */
const REGISTRY = Symbol.for('threadlite.sharedPools.v1');

function registry(): Map<string, SharedEntry> {
  const holder = globalThis as typeof globalThis & { [REGISTRY]?: Map<string, SharedEntry> };
  holder[REGISTRY] ??= new Map();
  return holder[REGISTRY];
}

/**
 * Opens a pool once per process for `key`, or returns the one already open:
 * every module copy, bundle and dev-server reload that calls `openShared`
 * with the same key gets the same {@link Database}.
 *
 * - Same `key`, same `file` and options: the same pool (also while it is
 *   still opening), as long as it is open.
 * - Same `key`, another `file` or other options (you edited them and the dev
 *   server reloaded): a new pool opens, replaces the old one in the registry,
 *   and the old one is then closed (work already sent to it finishes first).
 * - A pool that was closed (`db.close()`) or that failed to open is replaced
 *   by the next call.
 *
 * The registry is a `Map` on `globalThis` under `Symbol.for('threadlite.sharedPools.v1')`,
 * so copies of threadlite bundled separately share it. A pool made by one copy
 * is an instance of that copy's classes: prefer `err.code` to `instanceof`
 * across bundles. Options are compared as JSON: pass the same values, and
 * `setup`/`workerPath` as strings or URLs.
 *
 * ```ts
 * // lib/db.ts, imported by pages and route handlers alike
 * import { openShared } from 'threadlite';
 * export const getDb = () => openShared('app', process.env.DATABASE_PATH ?? 'app.db', { readers: 2 });
 * ```
 */
export async function openShared(key: string, file: string, options?: OpenOptions): Promise<Database> {
  if (typeof key !== 'string' || key === '') throw new TypeError('openShared: key must be a non-empty string');
  const fingerprint = fingerprintOf(file, options);
  const pools = registry();
  const current = pools.get(key);
  if (current !== undefined) {
    if (current.fingerprint === fingerprint) {
      const db = await current.pool;
      if (db.open) return db;
    }
    // Replaced (other file or options) or closed: open the new pool first, so
    // callers of the old one are not left without a database meanwhile.
  }
  const entry: SharedEntry = { fingerprint, pool: open(file, options) };
  pools.set(key, entry);
  let db: Database;
  try {
    db = await entry.pool;
  } catch (err) {
    if (pools.get(key) === entry) {
      if (current === undefined) pools.delete(key);
      else pools.set(key, current);
    }
    throw err;
  }
  if (current !== undefined) void retire(current);
  return db;
}

/** Closes a pool that was replaced in the registry; errors are ignored (it is on its way out). */
async function retire(entry: SharedEntry): Promise<void> {
  try {
    const old = await entry.pool;
    if (old.open) await old.close();
  } catch {
    // it never opened, or closing failed: nothing left to release here
  }
}

/**
 * Closes the shared pool of `key` (if any) and removes it from the registry,
 * e.g. at shutdown or in tests. Resolves once it is closed.
 *
 * ```ts
 * process.once('SIGTERM', () => closeShared('app'));
 * ```
 */
export async function closeShared(key: string): Promise<void> {
  const pools = registry();
  const entry = pools.get(key);
  if (entry === undefined) return;
  pools.delete(key);
  await retire(entry);
}

/** Canonical JSON of the file name and options: sorted keys, URLs as their href. */
function fingerprintOf(file: string, options: OpenOptions | undefined): string {
  return JSON.stringify([file, options ?? {}], (_key, value: unknown) => {
    if (value instanceof URL) return value.href;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
