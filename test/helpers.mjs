// Test helpers: a fresh temporary directory per test and a pool that is always closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { open } from 'threadlite';

// better-sqlite3 12 built for Node >= 24.19 aborts the process when the
// garbage collector finalizes one of its objects outside JavaScript (see
// src/worker/native-objects.ts). The pool guards its own connections; the
// reference connections tests open on the main thread are kept reachable
// here, for the life of the test process.
if (Number(process.versions.node.split('.')[0]) >= 24) keepBetterSqlite3Objects();

function keepBetterSqlite3Objects() {
  const kept = new Set();
  const probe = new Database(':memory:');
  const native = Object.getOwnPropertySymbols(probe)
    .map((symbol) => probe[symbol])
    .find((value) => typeof value?.prepare === 'function');
  const keepAll = (proto, names) => {
    for (const name of names) {
      const method = proto[name];
      proto[name] = function kept_(...args) {
        kept.add(this);
        const result = method.apply(this, args);
        if (typeof result === 'object' && result !== null) kept.add(result);
        return result;
      };
    }
  };
  // A connection is kept once it prepares, executes or closes; statements
  // and iterators as they are made.
  keepAll(Object.getPrototypeOf(native), ['prepare', 'exec', 'close']);
  keepAll(Object.getPrototypeOf(probe.prepare('SELECT 1')), ['iterate']);
  probe.close();
}

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
