// Test helpers: a fresh temporary directory per test and a pool that is always closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { open } from 'threadlite';

// better-sqlite3 12 built for Node 24 aborts the process when a Database or
// Statement object is finalized by a garbage collection that runs outside a
// JavaScript context (upstream issue, closed without a fix). Tests open
// reference connections on the main thread, so each test ends with a
// collection run from JavaScript: what it closed is finalized safely there.
setFlagsFromString('--expose-gc');
/** Runs a full garbage collection from JavaScript (see the note above). */
export const collectGarbage = runInNewContext('gc');
afterEach(() => collectGarbage());

/** A new empty directory, removed when the test ends. */
export function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'threadlite-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
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
