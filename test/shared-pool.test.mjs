// openShared / closeShared: one pool per process and key, whichever copy of
// threadlite asks. Connections are counted from /proc (descriptors of the
// database's -wal file, one per open connection) where available.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { closeShared, open, openShared } from 'threadlite';
import { tempDir, tempFile, until } from './helpers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Open connections of this process to the WAL database `file`, or undefined without /proc. */
function connections(file) {
  let fds;
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  let n = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === `${file}-wal`) n++;
    } catch {}
  }
  return n;
}

test('the same key, file and options give the same pool, also while it is still opening', async (t) => {
  const file = tempFile(t);
  t.after(() => closeShared('same'));
  const [a, b] = await Promise.all([openShared('same', file, { readers: 1 }), openShared('same', file, { readers: 1 })]);
  const c = await openShared('same', file, { readers: 1 });
  assert.equal(a, b);
  assert.equal(a, c);
  await a.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  assert.deepEqual(await c.all('SELECT x FROM t'), [{ x: 1 }]);
  const n = connections(file);
  // Plus the main thread's inline connection where the inline path is on (the default with the native library).
  if (n !== undefined) assert.equal(n, a.stats().inline === null ? 2 : 3, 'one writer, one reader (and the inline connection)');
});

test('other options under the same key open a new pool and close the replaced one', async (t) => {
  const file = tempFile(t);
  t.after(() => closeShared('replace'));
  const old = await openShared('replace', file, { readers: 2 });
  await old.exec('CREATE TABLE t(x)');
  const pending = old.run('INSERT INTO t VALUES (1)');
  const fresh = await openShared('replace', file, { readers: 1, pragmas: { cache_size: -1000 } });
  assert.notEqual(fresh, old);
  assert.deepEqual(await pending, { changes: 1, lastInsertRowid: 1 }, 'work sent to the old pool finishes');
  await until(() => !old.open, 'the replaced pool to close', 2000);
  assert.deepEqual(await fresh.all('SELECT x FROM t'), [{ x: 1 }]);
  const own = fresh.stats().inline === null ? 2 : 3; // writer, reader (and the inline connection)
  if (connections(file) !== undefined) await until(() => connections(file) === own, 'only the new pool to hold connections', 2000);
  assert.equal(await openShared('replace', file, { pragmas: { cache_size: -1000 }, readers: 1 }), fresh, 'key order does not matter');
});

test('a closed shared pool is replaced by the next call; closeShared closes and forgets', async (t) => {
  const file = tempFile(t);
  const a = await openShared('closed', file, { readers: 0 });
  await a.close();
  const b = await openShared('closed', file, { readers: 0 });
  assert.notEqual(a, b);
  assert.equal(b.open, true);
  await closeShared('closed');
  assert.equal(b.open, false);
  await closeShared('closed'); // nothing left: a no-op
  const c = await openShared('closed', file, { readers: 0 });
  t.after(() => closeShared('closed'));
  assert.notEqual(c, b);
});

test('a pool that fails to open is not kept: the error reaches every waiting caller, and the next call retries', async (t) => {
  const file = tempFile(t);
  const calls = [openShared('fails', file, { fileMustExist: true }), openShared('fails', file, { fileMustExist: true })];
  for (const call of calls) await assert.rejects(call, { code: 'SQLITE_CANTOPEN' });
  await assert.rejects(openShared('fails', file, { readers: -1 }), RangeError);
  const db = await openShared('fails', file, { readers: 1 });
  t.after(() => closeShared('fails'));
  assert.equal(db.open, true);
  assert.equal(await openShared('fails', file, { readers: 1 }), db);
  await assert.rejects(openShared('', file), TypeError);
});

test('copies of threadlite share the registry: a second copy of dist/ gets the first copy\'s pool', async (t) => {
  // As a bundler gives a page and a route handler their own copies of the module.
  const copy = join(tempDir(t), 'dist');
  cpSync(join(root, 'dist'), copy, { recursive: true });
  const other = require(join(copy, 'index.js'));
  assert.notEqual(other.openShared, openShared);
  const file = tempFile(t);
  t.after(() => closeShared('copies'));
  const mine = await openShared('copies', file, { readers: 1 });
  const theirs = await other.openShared('copies', file, { readers: 1 });
  assert.equal(theirs, mine);
});

test('a bundled copy without its worker file finds the installed one, or names the fix', async (t) => {
  // A copy of dist/ with no worker/main.js beside it, as a bundler leaves it.
  const dir = tempDir(t);
  cpSync(join(root, 'dist'), join(dir, 'bundle'), { recursive: true });
  const script = `
    const { open } = require(${JSON.stringify(join(dir, 'bundle', 'index.js'))});
    open(process.argv[1], { readers: 1 }).then(async (db) => {
      const row = await db.get('SELECT 1 AS one');
      await db.close();
      console.log(JSON.stringify(row));
    }, (err) => { console.log(JSON.stringify({ code: err.code, message: err.message })); });
  `;
  const { rmSync } = await import('node:fs');
  rmSync(join(dir, 'bundle', 'worker', 'main.js'));
  // From the application's directory (here: this repository, where `threadlite` resolves), it runs.
  const found = await run(process.execPath, ['-e', script, join(dir, 'a.db')], { cwd: root, timeout: 60_000 });
  assert.deepEqual(JSON.parse(found.stdout), { one: 1 });
  // From a directory where threadlite is not installed, open() rejects with the fix in the message.
  const lost = await run(process.execPath, ['-e', script, join(dir, 'b.db')], { cwd: dir, timeout: 60_000 });
  const err = JSON.parse(lost.stdout);
  assert.equal(err.code, 'ERR_THREADLITE_WORKER_NOT_FOUND');
  assert.match(err.message, /serverExternalPackages: \['threadlite'\]/);
  assert.match(err.message, /workerPath/);
});

test('open() is unchanged: every call is its own pool', async (t) => {
  const file = tempFile(t);
  const a = await open(file, { readers: 0 });
  const b = await open(file, { readers: 0 });
  t.after(() => Promise.all([a.close(), b.close()]));
  assert.notEqual(a, b);
});
