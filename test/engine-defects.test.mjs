// The engine's edge paths (engine issue, the defect table): each test fails on
// the engine as it was and states what must happen instead.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { open, queryChannel, SqliteError, TransactionClosedError } from 'threadlite';
import { sleep, tempFile } from './helpers.mjs';

const child = fileURLToPath(new URL('./fixtures/engine-child.mjs', import.meta.url));

/** Runs the child; resolves with its last JSON line and the ms from that line to its exit. */
function run(mode, file, env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, mode, file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let doneAt;
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      if (doneAt === undefined && out.includes('"done"')) doneAt = performance.now();
    });
    proc.stderr.on('data', (chunk) => (err += chunk));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(killer);
      const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      resolve({ line: lines.at(-1), code, signal, stderr: err, afterDone: doneAt === undefined ? undefined : performance.now() - doneAt });
    });
  });
}

for (const mode of ['idle', 'one-query']) {
  test(`row 6: a process that opens a pool (${mode}) exits as soon as its own code is done`, async (t) => {
    const result = await run(mode, tempFile(t));
    assert.equal(result.signal, null, 'the child had to be killed: something kept it alive');
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.afterDone < 1000, `exited ${result.afterDone} ms after its code ended`);
  });
}

test('row 5: open() that fails on a reader rejects, stops every started worker, and lets the process exit', async (t) => {
  const failFile = tempFile(t, 'fail-flag');
  writeFileSync(failFile, '1');
  const result = await run('open-fails', tempFile(t), { THREADLITE_REL_FAIL_FILE: failFile, THREADLITE_REL_FAIL_ROLE: 'reader' });
  assert.equal(result.signal, null, 'the child had to be killed: something kept it alive');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.line.error, /the reader refuses to start/);
  assert.ok(result.line.after <= result.line.before, `threads: ${result.line.before} before open(), ${result.line.after} after it failed`);
  assert.ok(result.afterDone < 1000, `exited ${result.afterDone} ms after open() failed`);
});

test('row 4: a callback that goes on after transactionTimeout cannot write outside the transaction', async (t) => {
  const db = await open(tempFile(t), { readers: 1, transactionTimeout: 100 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x)');
  let late;
  await assert.rejects(
    db.transaction(async () => {
      await sleep(250);
      late = db.run('INSERT INTO t VALUES (1)');
      await late;
    }),
    TransactionClosedError,
  );
  // The callback goes on after the rejection, and then makes its call.
  while (late === undefined) await sleep(10);
  await assert.rejects(late, TransactionClosedError);
  assert.deepEqual(await db.all('SELECT x FROM t'), [], 'nothing of the late callback was written');
});

test('row 9: iterators closed before their first chunk leave no listener on a shared signal', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  t.after(() => db.close());
  const warnings = [];
  const onWarning = (w) => warnings.push(w.name);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const { signal } = new AbortController();
  for (let i = 0; i < 20; i++) await db.iterate('SELECT 1', [], { signal }).return();
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  await sleep(10);
  assert.deepEqual(warnings.filter((n) => n === 'MaxListenersExceededWarning'), []);
});

test('row 10: inside db.read() on a one-reader pool, db.all() of a new SQL text answers', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)');
  const start = performance.now();
  const rows = await db.read(async (snapshot) => {
    await snapshot.all('SELECT x FROM t');
    return db.all('SELECT x * 10 AS y FROM t ORDER BY x');
  });
  assert.deepEqual(rows, [{ y: 10 }, { y: 20 }]);
  assert.ok(performance.now() - start < 5000);
});

test('row 11: describing a statement (columns(), info()) does not make a slow statement look cheap', async (t) => {
  const db = await open(tempFile(t), { readers: 1, inlineReads: 50 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE n(x INTEGER)');
  await db.run('INSERT INTO n WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500) SELECT x FROM c');
  const slow = 'SELECT count(*) AS c FROM n a, n b WHERE a.x + b.x = -1';
  const stmt = db.prepare(slow);
  for (let i = 0; i < 10; i++) {
    await stmt.columns();
    await stmt.info();
  }
  const ranOn = [];
  const subscriber = { start() {}, end() {}, asyncStart() {}, asyncEnd: (trace) => ranOn.push(trace.worker), error() {} };
  queryChannel.subscribe(subscriber);
  t.after(() => queryChannel.unsubscribe(subscriber));
  for (let i = 0; i < 3; i++) assert.deepEqual(await stmt.get(), { c: 0 });
  assert.ok(!ranOn.includes('main'), `the slow statement ran on the main thread: ${ranOn}`);
});

test('row 13: savepoints started side by side run one after another; one that fails undoes only itself', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x)');
  await db.transaction(async (tx) => {
    const failing = tx.transaction(async (sp) => {
      await sp.run('INSERT INTO t VALUES (1)');
      await sleep(30);
      throw new Error('undo 1');
    });
    const succeeding = tx.transaction(async (sp) => {
      await sp.run('INSERT INTO t VALUES (2)');
      // Nested inside a savepoint: runs at once, not behind its parent.
      await sp.transaction(async (inner) => inner.run('INSERT INTO t VALUES (3)'));
    });
    await assert.rejects(failing, /undo 1/);
    await succeeding;
  });
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 2 }, { x: 3 }]);
});

test("row 13: a read() whose BEGIN fails does not commit a transaction it did not open", async (t) => {
  const db = await open(tempFile(t), { readers: 0 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x)');
  await db.exec('BEGIN');
  await db.run('INSERT INTO t VALUES (1)');
  await assert.rejects(db.read(async (r) => r.all('SELECT * FROM t')), (err) => err instanceof SqliteError && /within a transaction/.test(err.message));
  await db.exec('ROLLBACK');
  assert.deepEqual(await db.all('SELECT x FROM t'), [], "the hand-opened transaction was still open, and rolled back");
});

test('row 3: a first-seen INSERT … RETURNING sent while a transaction holds the writer keeps its place before a later write', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, x)');
  let release;
  const held = db.transaction(() => new Promise((resolve) => (release = resolve)));
  while (!db.stats().workers[0].leased) await sleep(1);
  // Neither is awaited: submitted in this order, they must be stored in this order.
  const first = db.get('INSERT INTO t(x) VALUES (1) RETURNING id, x');
  const second = db.run('INSERT INTO t(x) VALUES (2)');
  await sleep(50);
  release();
  await held;
  const [row, result] = await Promise.all([first, second]);
  assert.deepEqual(row, { id: 1, x: 1 });
  assert.equal(result.lastInsertRowid, 2);
  assert.deepEqual(await db.all('SELECT id, x FROM t ORDER BY id'), [
    { id: 1, x: 1 },
    { id: 2, x: 2 },
  ]);
});

test('row 8: an iterator dropped without return() has its cursor closed when collected; the connection is not drained', async (t) => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const db = await open(tempFile(t), { readers: 1 });
  t.after(() => db.close());
  const endless = 'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i FROM r';
  await (async () => {
    // Learn the route, so the cursor opens on the reader; take one row and drop the iterator.
    await db.all('SELECT 1 AS warm');
    const cursor = db.iterate(endless, [], { batchSize: 10 });
    assert.deepEqual((await cursor.next()).value, { i: 1 });
  })();
  const reader = () => db.stats().workers[1];
  assert.equal(reader().cursors, 1);
  for (let i = 0; i < 50 && reader().cursors > 0; i++) {
    gc();
    await sleep(20);
  }
  assert.equal(reader().cursors, 0, 'the dropped iterator was collected and its cursor closed');
  // The reader answers without first reading the endless rest into memory.
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM (SELECT 1 UNION ALL SELECT 2)', [], { timeout: 5000 }), { n: 2 });
  assert.equal(db.stats().respawns, 0);
});
