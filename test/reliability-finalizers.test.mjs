// better-sqlite3 12 built for Node >= 24.19 aborts the process when the
// garbage collector finalizes one of its objects outside JavaScript (see
// src/worker/native-objects.ts). These tests make statements and iterators
// garbage in bulk and check that nothing aborts and nothing is lost. On
// Node 24 (CI's matrix) they fail without the guard; on Node 20 and 22 the
// guard is forced on as well, so its sweeps run everywhere.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { open } from 'threadlite';
import { tempFile } from './helpers.mjs';

const CHURN = fileURLToPath(new URL('./fixtures/finalizer-churn.mjs', import.meta.url));

function runChild(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHURN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

for (const [name, tuning] of [
  ['as this runtime needs', undefined],
  ['with the guard forced on', 'finalizerGuard=1'],
]) {
  test(`a pool whose statements and iterators keep becoming garbage runs and exits clean (${name})`, async (t) => {
    const env = tuning === undefined ? { THREADLITE_TUNING: '' } : { THREADLITE_TUNING: tuning };
    const { code, signal, stdout, stderr } = await runChild([tempFile(t), '2000'], env);
    assert.doesNotMatch(stderr, /Assertion failed|Native stack trace/);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    const counts = JSON.parse(stdout.trim().split('\n').pop());
    t.diagnostic(JSON.stringify(counts));
    assert.ok(counts.gets >= 1000, `only ${counts.gets} distinct statements`);
    assert.ok(counts.iterated >= 60);
  });
}

test('a cursor keeps its statement while the cache evicts it and sweeps collect the rest', async (t) => {
  const previous = process.env.THREADLITE_TUNING;
  process.env.THREADLITE_TUNING = 'finalizerGuard=1'; // read by the workers as they start
  t.after(() => {
    process.env.THREADLITE_TUNING = previous;
  });
  const db = await open(tempFile(t), { readers: 1, statementCacheSize: 2 });
  t.after(() => db.close());
  await db.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);' +
      ' INSERT INTO t (v) WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 5000) SELECT randomblob(32) FROM s',
  );
  const expected = await db.all('SELECT id, v FROM t ORDER BY id');
  const seen = [];
  for await (const row of db.iterate('SELECT id, v FROM t ORDER BY id', [], { batchSize: 100 })) {
    seen.push(row);
    if (seen.length % 1000 === 1) {
      // 3,000 distinct statements on the same reader: the cursor's statement
      // is evicted at once, and each 1,024 released statements trigger a sweep.
      const rows = await Promise.all(Array.from({ length: 3000 }, (_, i) => db.get(`SELECT ${i} AS i, ${seen.length} AS s`)));
      assert.equal(rows[2999].i, 2999);
    }
  }
  assert.deepEqual(seen, expected);
});

test('NativeObjects keeps what is owned, and a sweep collects what was released', async () => {
  // Run inside a worker thread, as the pool does, with the guard forced on.
  const modulePath = fileURLToPath(new URL('../dist/worker/native-objects.js', import.meta.url));
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { NativeObjects } = require(${JSON.stringify(modulePath)});
    const Database = require('better-sqlite3');
    const natives = new NativeObjects(true);
    const db = new Database(':memory:');
    natives.adopt(db, { iterators: true });
    const collected = new Set();
    const registry = new FinalizationRegistry((id) => collected.add(id));
    // Made and dropped here, never released: must outlive every sweep.
    (() => {
      registry.register(db.prepare('SELECT 1'), 'owned statement');
      registry.register(db.prepare('SELECT 2').iterate(), 'owned iterator');
    })();
    for (let i = 0; i < 2100; i++) {
      const stmt = db.prepare('SELECT ' + i);
      registry.register(stmt, i);
      natives.release(stmt);
    }
    (() => {
      const iterator = db.prepare('SELECT 3').iterate(); // made through the patched prototype
      registry.register(iterator, 'released iterator');
      iterator.return();
      natives.release(iterator);
    })();
    setTimeout(() => {
      const ids = [...Array(2100).keys(), 'released iterator', 'owned statement', 'owned iterator'];
      parentPort.postMessage({ sweeps: natives.sweepCount, survivors: ids.filter((id) => !collected.has(id)) });
    }, 100);
  `;
  const worker = new Worker(code, { eval: true, env: { ...process.env, THREADLITE_TUNING: 'finalizerGuard=1' } });
  const result = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  // 2,101 releases in one task: one sweep, queued at the 1,024th statement, takes them all.
  assert.equal(result.sweeps, 1);
  assert.deepEqual(result.survivors, ['owned statement', 'owned iterator']);
});
