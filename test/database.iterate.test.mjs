import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { open, SqliteError } from 'threadlite';
import { openTemp, tempFile } from './helpers.mjs';

const COUNT_TO = (n) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT x, printf('%0100d', x) AS pad FROM c`;
const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c';

test('streaming 1,000,000 rows: every row in order, main heap bounded', async (t) => {
  // A forced collection before each sample measures what the iterator keeps,
  // not garbage the collector has not reached yet.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const db = await openTemp(t, { readers: 1 });
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let expected = 1;
  for await (const row of db.iterate(COUNT_TO(1_000_000), [], { batchSize: 1000 })) {
    if (row.x !== expected || row.pad.length !== 100) assert.fail(`row ${expected}: ${JSON.stringify(row)}`);
    if (expected++ % 100_000 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    }
  }
  assert.equal(expected - 1, 1_000_000);
  // Held at once, these rows would take well over 150 MB; streamed, the heap
  // keeps two chunks of 1000 rows (~0.3 MB), whatever the row count.
  assert.ok(peak < 16 * 1024 * 1024, `retained heap growth ${Math.round(peak / 1e6)} MB`);
});

test('break after 10 rows of an endless query frees the reader (a later read is answered)', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  for (let i = 0; i < 2; i++) await db.all('SELECT count(*) FROM t'); // learn the route: reads go to the reader
  const seen = [];
  for await (const row of db.iterate(ENDLESS)) {
    seen.push(row.x);
    if (seen.length === 10) break;
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Were the cursor still open, this read would have to drain an endless cursor first.
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
  assert.equal(db.stats().workers[1].inflight, 0);
});

test('a statement issued inside the loop does not deadlock, even on one connection', async (t) => {
  const db = await open(':memory:');
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x); CREATE TABLE log(x)');
  await db.batch(Array.from({ length: 1000 }, (_, i) => ['INSERT INTO t VALUES (?)', [i]]));
  let n = 0;
  for await (const row of db.iterate('SELECT x FROM t ORDER BY x', [], { batchSize: 100 })) {
    if (row.x % 100 === 0) await db.run('INSERT INTO log VALUES (?)', [row.x]);
    assert.equal(row.x, n++);
  }
  assert.equal(n, 1000);
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM log'), { n: 10 });
});

test('abort mid-stream rejects with AbortError and frees the connection', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  const controller = new AbortController();
  const seen = [];
  await assert.rejects(
    (async () => {
      for await (const row of db.iterate(ENDLESS, [], { signal: controller.signal, batchSize: 50 })) {
        seen.push(row.x);
        if (seen.length === 120) controller.abort(new Error('client went away'));
      }
    })(),
    (err) => err.name === 'AbortError' && err.code === 'ABORT_ERR' && err.cause.message === 'client went away',
  );
  assert.ok(seen.length >= 120);
  assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
});

test('a consumer that throws closes the cursor', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await assert.rejects(
    (async () => {
      for await (const row of db.iterate(ENDLESS)) if (row.x === 300) throw new Error('consumer failed');
    })(),
    /consumer failed/,
  );
  assert.deepEqual(await db.get('SELECT 2 AS two'), { two: 2 });
});

test('a statement that fails midway delivers the rows before the error, then the error', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  // abs() of the smallest integer overflows: row 500 fails.
  const sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x, CASE WHEN x = 500 THEN abs(-9223372036854775807 - 1) ELSE x END AS y FROM c";
  const seen = [];
  await assert.rejects(
    (async () => {
      for await (const row of db.iterate(sql, [], { batchSize: 64 })) seen.push(row.x);
    })(),
    (err) => err instanceof SqliteError && err.message === 'integer overflow',
  );
  assert.equal(seen.length, 499);
  assert.equal(seen[498], 499);
});

test('a cursor that fails while drained for another statement keeps its error; the other statement succeeds', async (t) => {
  // One connection: a write inside the loop makes the worker read the rest
  // of the cursor first, and that read hits the failure at row 500.
  const db = await open(':memory:');
  t.after(() => db.close());
  await db.exec('CREATE TABLE log(x)');
  const sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x, CASE WHEN x = 500 THEN abs(-9223372036854775807 - 1) ELSE x END AS y FROM c";
  const seen = [];
  await assert.rejects(
    (async () => {
      for await (const row of db.iterate(sql, [], { batchSize: 64 })) {
        seen.push(row.x);
        if (row.x === 10) assert.equal((await db.run('INSERT INTO log VALUES (?)', [row.x])).changes, 1);
      }
    })(),
    (err) => err instanceof SqliteError && err.message === 'integer overflow',
  );
  assert.equal(seen.length, 499);
  assert.deepEqual(await db.all('SELECT x FROM log'), [{ x: 10 }]);
});

test('stream() feeds pipeline() with backpressure and exact rows', async (t) => {
  const db = await openTemp(t);
  await db.exec('CREATE TABLE t(x INTEGER, b BLOB)');
  await db.batch(Array.from({ length: 2000 }, (_, i) => ['INSERT INTO t VALUES (?, ?)', [i, Buffer.from([i % 256])]]));
  const got = [];
  await pipeline(
    db.stream('SELECT x, b FROM t ORDER BY x', [], { batchSize: 100 }),
    new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(row, _enc, done) {
        got.push(row);
        setImmediate(done); // a slow consumer
      },
    }),
  );
  assert.equal(got.length, 2000);
  assert.ok(got.every((row, i) => row.x === i && Buffer.isBuffer(row.b) && row.b[0] === i % 256));
});

test('large all() results arrive complete and exact through chunked transfer', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  for (let i = 0; i < 2; i++) {
    const rows = await db.all(COUNT_TO(60_000));
    assert.equal(rows.length, 60_000);
    assert.ok(rows.every((r, k) => r.x === k + 1 && r.pad.length === 100));
  }
  const blobs = await db.prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000) SELECT x, randomblob(64) AS b FROM c").raw().all();
  assert.equal(blobs.length, 30_000);
  assert.ok(blobs.every((r) => Buffer.isBuffer(r[1]) && r[1].length === 64));
});

test('an open iterator pins its reader; other reads use the other reader', async (t) => {
  const db = await open(tempFile(t), { readers: 2 });
  t.after(() => db.close());
  for (let i = 0; i < 2; i++) await db.all('SELECT 1');
  const it = db.iterate(ENDLESS);
  await it.next();
  const withCursor = db.stats().workers.findIndex((w) => w.role === 'reader' && w.inflight >= 0);
  assert.ok(withCursor > 0);
  for (let i = 0; i < 20; i++) assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
  const next = await it.next();
  assert.equal(next.value.x, 2, 'the cursor was not disturbed');
  await it.return();
});

test('abort between chunks stops at once and closes the cursor on the worker', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  for (let i = 0; i < 2; i++) await db.all('SELECT 1');
  const controller = new AbortController();
  const seen = [];
  await assert.rejects(
    (async () => {
      for await (const row of db.iterate(ENDLESS, [], { signal: controller.signal, batchSize: 100 })) {
        seen.push(row.x);
        if (seen.length === 2) controller.abort();
      }
    })(),
    { name: 'AbortError' },
  );
  assert.deepEqual(seen, [1, 2], 'no row is yielded after the abort');
  // Were the endless cursor left open, this read on the only reader would never finish.
  assert.deepEqual(await db.get('SELECT 3 AS three'), { three: 3 });
  assert.equal(db.stats().respawns, 0, 'no worker had to be replaced');
});
