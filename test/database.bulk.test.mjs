// The bulk paths (issue 13): batch() sending positional parameter sets as one
// flat array per group, and large all() results whose chunks the worker posts
// ahead of its answer (while still stepping the statement once the pool has
// seen the query take long). Expected values come from better-sqlite3 itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteError, TimeoutError } from 'threadlite';
import { shape } from './fixtures/fidelity-helpers.mjs';
import { openTemp, tempFile } from './helpers.mjs';

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c)';
const HUGE_INSERT = 'INSERT INTO t(a) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT x FROM c';
// Rows of ~120 bytes: 60k of them make dozens of chunks.
const rowsTo = (n) =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT x, printf('%0100d', x) AS pad, x * 0.5 AS half FROM c`;

/** Runs `statements` as better-sqlite3 would inside one transaction: the reference for batch(). */
function referenceBatch(ref, statements) {
  return ref.transaction(() =>
    statements.map((entry) => {
      const [sql, params] = typeof entry === 'string' ? [entry] : entry;
      const stmt = ref.prepare(sql);
      const args = params === undefined ? [] : [params];
      return stmt.reader ? stmt.all(...args) : stmt.run(...args);
    }),
  )();
}

test('batch: mixed shapes give exactly better-sqlite3 results, statement by statement', async (t) => {
  const db = await openTemp(t);
  const ref = new Database(':memory:');
  t.after(() => ref.close());
  await db.exec(SCHEMA);
  ref.exec(SCHEMA);
  const INSERT3 = 'INSERT INTO t(a, b, c) VALUES (?, ?, ?)';
  const statements = [];
  for (let i = 0; i < 3000; i++) statements.push([INSERT3, [i, `s${i}`, i % 7 === 0 ? Buffer.from([i & 255, 1]) : i / 3]]);
  statements.push(['INSERT INTO t(a) VALUES (?)', [2n ** 60n]]);
  statements.push([INSERT3, [null, -0, 'after a one-parameter run']]);
  statements.push(['INSERT INTO t(a, b) VALUES (:a, :b)', { a: 'named', b: 1.5 }]);
  statements.push('INSERT INTO t(a) VALUES (42)');
  statements.push(['INSERT INTO t(a) VALUES (43)']);
  statements.push(['INSERT INTO t(a) VALUES (?)', ['a one-parameter run again']]);
  statements.push(['SELECT id, a, b, c FROM t WHERE id > ? ORDER BY id', [2995]]);
  statements.push(['SELECT id, a, b, c FROM t WHERE id > ? ORDER BY id', [3003]]);
  statements.push('SELECT count(*) AS n FROM t');
  for (let i = 0; i < 10; i++) statements.push([INSERT3, [i, i, i]]);
  const got = await db.batch(statements);
  const want = referenceBatch(ref, statements);
  assert.equal(got.length, statements.length);
  assert.deepEqual(shape(got), shape(want));
  assert.deepEqual(shape(await db.all('SELECT * FROM t ORDER BY id')), shape(ref.prepare('SELECT * FROM t ORDER BY id').all()));
});

test('batch: a large batch sent in parts gives exactly better-sqlite3 results', async (t) => {
  const db = await openTemp(t);
  const ref = new Database(':memory:');
  t.after(() => ref.close());
  await db.exec(SCHEMA);
  ref.exec(SCHEMA);
  const statements = [];
  for (let i = 0; i < 40_000; i++) {
    if (i % 9_000 === 8_999) statements.push(['SELECT count(*) AS n, max(id) AS top FROM t WHERE a >= ?', [i - 100]]);
    else if (i % 5_000 === 4_999) statements.push(['INSERT INTO t(a, b) VALUES (:a, :b)', { a: i, b: 'named' }]);
    else statements.push(['INSERT INTO t(a, b, c) VALUES (?, ?, ?)', [i, `s${i}`, i % 3 === 0 ? Buffer.from([i & 255]) : null]]);
  }
  const got = await db.batch(statements);
  assert.deepEqual(shape(got), shape(referenceBatch(ref, statements)));
  assert.deepEqual(shape(await db.all('SELECT * FROM t ORDER BY id')), shape(ref.prepare('SELECT * FROM t ORDER BY id').all()));
});

test('batch: an entry the main thread cannot encode, in a late part, leaves no row', async (t) => {
  const db = await openTemp(t);
  await db.exec(SCHEMA);
  const statements = Array.from({ length: 60_000 }, (_, i) => ['INSERT INTO t(a) VALUES (?)', [i]]);
  statements[55_000] = 42;
  await assert.rejects(db.batch(statements), (err) => err instanceof TypeError && /batch\[55000\]/.test(err.message));
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
  assert.deepEqual(await db.run('INSERT INTO t(a) VALUES (?)', ['after']), { changes: 1, lastInsertRowid: 1 });
});

test('batch: aborted while its parts are still being sent leaves nothing; the writer goes on', async (t) => {
  const db = await openTemp(t);
  await db.exec(SCHEMA);
  const controller = new AbortController();
  const statements = Array.from({ length: 100_000 }, (_, i) => ['INSERT INTO t(a) VALUES (?)', [i]]);
  const batch = db.batch(statements, { signal: controller.signal });
  // Parts leave on later turns of the event loop: this abort comes before the last one.
  setImmediate(() => controller.abort());
  await assert.rejects(batch, { name: 'AbortError' });
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
  await db.transaction(async (tx) => tx.run('INSERT INTO t(a) VALUES (?)', ['in a transaction']));
  assert.deepEqual(await db.all('SELECT a FROM t'), [{ a: 'in a transaction' }]);
  assert.equal(db.stats().respawns, 0);
});

test('batch: a failure in a late statement of a large flat group leaves no row', async (t) => {
  const db = await openTemp(t);
  await db.exec(SCHEMA);
  const statements = Array.from({ length: 50_000 }, (_, i) => ['INSERT INTO t(id, a) VALUES (?, ?)', [i + 1, i]]);
  statements[49_990] = ['INSERT INTO t(id, a) VALUES (?, ?)', [7, 'duplicate key']];
  await assert.rejects(db.batch(statements), (err) => err instanceof SqliteError && err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
  // A value better-sqlite3 refuses, deep in the batch: the same TypeError, and nothing written.
  const refused = statements.slice(0, 20_000);
  refused[19_000] = ['INSERT INTO t(id, a) VALUES (?, ?)', [19_001, () => 1]];
  await assert.rejects(db.batch(refused), (err) => err instanceof TypeError && /can only bind/.test(err.message));
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
  assert.equal(db.stats().respawns, 0);
});

test('batch: timed out mid-way leaves nothing, and the writer then serves other writes', async (t) => {
  const db = await openTemp(t);
  await db.exec(SCHEMA);
  const statements = Array.from({ length: 20_000 }, (_, i) => ['INSERT INTO t(a) VALUES (?)', [i]]);
  statements.push(HUGE_INSERT);
  await assert.rejects(db.batch(statements, { timeout: 150 }), TimeoutError);
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
  assert.deepEqual(await db.run('INSERT INTO t(a) VALUES (?)', ['after']), { changes: 1, lastInsertRowid: 1 });
  assert.equal(db.stats().respawns, 0, 'cancelled by interrupt, not by replacing the writer');
});

test('batch: a write issued while a large batch runs does not land inside it', async (t) => {
  const db = await openTemp(t);
  await db.exec(SCHEMA);
  const statements = Array.from({ length: 50_000 }, (_, i) => ['INSERT INTO t(id, a) VALUES (?, ?)', [i + 1, 'batch']]);
  statements.push(['INSERT INTO t(id, a) VALUES (?, ?)', [1, 'duplicate key']]);
  const batch = db.batch(statements);
  const outside = db.run('INSERT INTO t(id, a) VALUES (?, ?)', [100_000, 'outside']);
  await assert.rejects(batch, (err) => err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
  assert.deepEqual(await outside, { changes: 1, lastInsertRowid: 100_000 });
  // Had the outside write run inside the batch's transaction, the rollback would have taken it too.
  assert.deepEqual(await db.all('SELECT id, a FROM t'), [{ id: 100_000, a: 'outside' }]);
});

test('all(): large results arrive complete and exact, streamed or not, in every row mode', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  const ref = new Database(':memory:');
  t.after(() => ref.close());
  const sql = rowsTo(60_000);
  const want = ref.prepare(sql).all();
  // The first run teaches the pool that the query is slow; later runs stream.
  for (let i = 0; i < 3; i++) assert.deepEqual(await db.all(sql), want);
  for (const mode of ['raw', 'pluck', 'expand']) {
    const expected = ref.prepare(sql)[mode]().all();
    for (let i = 0; i < 2; i++) assert.deepEqual(shape(await db.prepare(sql)[mode]().all()), shape(expected), mode);
  }
  const blobs = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000) SELECT x, zeroblob(x % 50) AS b, x AS __proto__ FROM c";
  const blobWant = ref.prepare(blobs).all();
  for (let i = 0; i < 2; i++) assert.deepEqual(shape(await db.all(blobs)), shape(blobWant));
  const big = ref.prepare(sql).safeIntegers().all();
  assert.deepEqual(shape(await db.prepare(sql).safeIntegers().all()), shape(big));
});

test('all(): a streamed statement that fails midway rejects with its error; the rows before it are dropped', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  const sql = `${rowsTo(60_000)} WHERE x <> ? OR json('{bad') IS NULL`;
  assert.equal((await db.all(sql, [-1])).length, 60_000); // learns that the query is slow
  const ref = new Database(':memory:');
  t.after(() => ref.close());
  const expected = (() => {
    try {
      ref.prepare(sql).all(50_000);
    } catch (err) {
      return err;
    }
  })();
  await assert.rejects(db.all(sql, [50_000]), (err) => err instanceof SqliteError && err.code === expected.code && err.message === expected.message);
  assert.equal((await db.all(sql, [-1])).length, 60_000, 'the reader is fine afterwards');
});

test('all(): a streamed statement timed out mid-stream rejects, and its reader serves the next read', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  const slow = rowsTo(3_000_000).replace('3000000', '?');
  await db.all(slow, [50_000]); // learns that the query is slow
  await assert.rejects(db.all(slow, [3_000_000], { timeout: 100 }), TimeoutError);
  assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
  assert.equal((await db.all(slow, [70_000])).length, 70_000);
  assert.equal(db.stats().respawns, 0);
});

/** Runs the exit fixture; resolves with its exit code and output. */
function runChild(t, mode, env = {}) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/bulk-exit-child.mjs', import.meta.url)), tempFile(t), mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

test('bulk paths: a process that used them exits by itself, without close()', async (t) => {
  const { code, out } = await runChild(t, 'idle');
  assert.equal(code, 0, out);
  assert.match(out, /done/);
});

test('batch: process.exit() while a batch is sent in parts exits at once', async (t) => {
  const { code, signal, out } = await runChild(t, 'mid-batch');
  assert.equal(signal, null, out);
  assert.equal(code, 0, out);
  assert.match(out, /exiting/);
});

test('batch: without interrupt (terminate path), aborting a batch sent in parts leaves nothing; the new writer goes on', async (t) => {
  const { code, out } = await runChild(t, 'abort-batch', { THREADLITE_TUNING: 'interrupt=0' });
  assert.equal(code, 0, out);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  assert.deepEqual(JSON.parse(line), { outcome: 'AbortError', n: 0, after: 20_000, cancellation: 'terminate' });
});
