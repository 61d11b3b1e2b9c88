// Test helpers: a fresh temporary directory per test and a pool that is always closed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'threadlite';
import { keepBetterSqlite3Objects } from '../scripts/keep-better-sqlite3.mjs';

// Node >= 24: the tests' own main-thread better-sqlite3 objects stay
// reachable (see scripts/keep-better-sqlite3.mjs); the pool guards its own.
keepBetterSqlite3Objects();

/** A new empty directory, removed when the test ends. */
export function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'threadlite-test-'));
  // Hooks run in the order they were added, so this one runs before the test's own
  // `t.after(() => db.close())`: a worker still starting (a respawn) may create a file
  // in the directory while it is being removed (ENOTEMPTY, seen once on Node 24 in CI).
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  return dir;
}

/** A path to a database file that does not exist yet, in a fresh directory. */
export function tempFile(t, name = 'test.db') {
  return join(tempDir(t), name);
}

/** Opens a pool on a fresh file; closes it when the test ends. */
export async function openTemp(t, options = {}) {
  const db = await open(tempFile(t), options);
  t.after(() => db.close());
  return db;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `predicate()` is true, looking every 5 ms; fails the test
 * after `ms` with `what` (a string, or a function read at that moment).
 */
export async function until(predicate, what, ms = 30_000) {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(5);
  }
}
