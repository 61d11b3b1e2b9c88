// Backpressure and fairness: maxQueue, bounded memory under a flood of calls,
// long reads not blocking short ones, writes not starved by reads, stats().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AbortError, QueueFullError, SqliteError, TimeoutError } from 'threadlite';
import { openGated } from './fixtures/rel-gate.mjs';
import { openTemp, tempFile } from './helpers.mjs';


test('maxQueue: calls beyond it fail at once with QueueFullError; accepted calls all settle', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1, maxQueue: 10 });
  await db.exec('CREATE TABLE t(x)');
  const blocker = db.run('INSERT INTO t SELECT rel_block()');
  await gate.waitEntered(1);
  // Fill the writer's pipeline, so that later calls wait in the pool's queue.
  const pipelined = [];
  for (let i = 0; i < 63; i++) pipelined.push(db.run('INSERT INTO t VALUES (?)', [1000 + i]));
  const accepted = [];
  for (let i = 0; i < 10; i++) accepted.push(db.run('INSERT INTO t VALUES (?)', [i], { timeout: 60_000 }));
  assert.equal(db.stats().queued, 10);
  const refused = [];
  for (let i = 0; i < 5; i++) refused.push(db.run('INSERT INTO t VALUES (?)', [100 + i], { timeout: 60_000 }));
  refused.push(db.all('SELECT * FROM t'), db.transaction(async () => {}), db.read(async () => {}));
  for (const p of refused) {
    await assert.rejects(p, (err) => {
      assert.ok(err instanceof QueueFullError);
      assert.equal(err.code, 'ERR_THREADLITE_QUEUE_FULL');
      return true;
    });
  }
  assert.equal(db.stats().rejected, refused.length);
  gate.release();
  await blocker;
  for (const p of [...pipelined, ...accepted]) assert.equal((await p).changes, 1);
  assert.equal((await db.get('SELECT count(*) AS n FROM t')).n, 1 + 63 + 10);
  assert.equal(db.stats().queued, 0);
});

test('100,000 calls at once: memory stays bounded and every accepted call settles', async (t) => {
  // In a child process: see the fixture for why not under the test runner.
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/flood-child.mjs', import.meta.url)), tempFile(t)], {
    encoding: 'utf8',
    timeout: 110_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout.trim().split('\n').at(-1));
  assert.deepEqual(r.other, [], 'every refused call failed with QueueFullError');
  assert.equal(r.ok + r.full, r.total);
  assert.ok(r.full > 0 && r.full <= r.total - 60_000, `refused ${r.full}`);
  assert.equal(r.rejected, r.full);
  assert.equal(r.wrong, 0, 'each read answered its own value');
  assert.equal(r.rows, r.inserted + 1, 'every accepted insert landed, no refused one did');
  const mb = (n) => Math.round(n / 2 ** 20);
  t.diagnostic(`peak growth ${mb(r.peak)} MB, retained ${mb(r.retained)} MB`);
  // Each pending call costs ~2-3 KB of promises and async frames, queued or
  // refused alike (measured: ~215-300 MB for 100k, whatever maxQueue is).
  assert.ok(r.peak < 400 * 2 ** 20, `peak growth ${mb(r.peak)} MB`);
  assert.ok(r.retained < 50 * 2 ** 20, `retained ${mb(r.retained)} MB`);
  assert.equal(r.queued, 0);
  assert.equal(r.running, 0);
});

test('a long read on one reader does not hold up short reads on the other', async (t) => {
  const { db, gate } = await openGated(t, { readers: 2 });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)');
  const order = [];
  const long = db.get('SELECT rel_block() AS x, (SELECT sum(x) FROM t) AS s').then((r) => {
    order.push('long');
    return r;
  });
  await gate.waitEntered(1);
  const shorts = [];
  for (let i = 0; i < 200; i++) {
    shorts.push(db.get('SELECT x * ? AS y FROM t WHERE x = 2', [i]).then((r) => order.push('short') && r));
  }
  // Every short read completes while the long one is provably still running.
  const rows = await Promise.all(shorts);
  assert.equal(rows[7].y, 14);
  assert.equal(Atomics.load(gate.cells, 1), 0);
  gate.release();
  assert.deepEqual(await long, { x: 1, s: 6 });
  assert.equal(order.indexOf('long'), 200);
});

test('reads known to be heavy do not wait for a long read while a reader and the writer are idle', async (t) => {
  const { db, gate } = await openGated(t, { readers: 2 });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)');
  // Teach the pool that this statement is heavy (>= 5 ms), as a loaded machine
  // can make even a cheap one look.
  const heavySql = 'SELECT rel_spin(?) AS done, (SELECT sum(x) FROM t) AS s';
  for (let i = 0; i < 3; i++) await db.get(heavySql, [12]);
  const long = db.get('SELECT rel_block() AS x');
  await gate.waitEntered(1);
  // One reader holds the long read; the other reader and the writer are idle.
  const heavies = Array.from({ length: 6 }, () => db.get(heavySql, [1]));
  const outcome = await Promise.race([
    Promise.all(heavies).then((rows) => rows),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), 20_000).unref()),
  ]);
  // Every heavy read finished while the long read provably still runs.
  assert.equal(Atomics.load(gate.cells, 1), 0);
  assert.notEqual(outcome, 'still waiting', JSON.stringify(db.stats()));
  assert.deepEqual(outcome[5], { done: 1, s: 6 });
  // A light read sent meanwhile still answers (on the writer, or a free reader).
  const light = db.get('SELECT count(*) AS n FROM t');
  assert.deepEqual(await light, { n: 3 });
  gate.release();
  assert.deepEqual(await long, { x: 1 });
});

test('a read of moderate known cost runs on the idle writer when every reader is held by a long read', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)');
  // Taught heavy (>= 5 ms) but moderate (under 50 ms even when a loaded machine makes 6 ms of
  // spinning measure several times that; with 12 ms a loaded CI run measured past 50).
  const sql = 'SELECT rel_spin(?) AS done, (SELECT sum(x) FROM t) AS s, rel_role() AS role';
  for (let i = 0; i < 3; i++) await db.get(sql, [6]);
  const long = db.get('SELECT rel_block() AS x');
  await gate.waitEntered(1);
  const outcome = await Promise.race([
    Promise.all([db.get(sql, [1]), db.get(sql, [1])]),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), 20_000).unref()),
  ]);
  assert.equal(Atomics.load(gate.cells, 1), 0);
  assert.notEqual(outcome, 'still waiting', JSON.stringify(db.stats()));
  assert.deepEqual(outcome.map((r) => [r.s, r.role]), [[6, 'writer'], [6, 'writer']]);
  gate.release();
  assert.deepEqual(await long, { x: 1 });
});

test('writes are not starved by a steady stream of reads', async (t) => {
  const db = await openTemp(t, { readers: 2 });
  await db.exec('CREATE TABLE t(x)');
  let writesDone = false;
  let readsDuringWrites = 0;
  const reader = async () => {
    while (!writesDone) {
      await db.get('SELECT count(*) AS n FROM t');
      readsDuringWrites++;
    }
  };
  const readers = Array.from({ length: 16 }, reader);
  for (let i = 0; i < 100; i++) await db.run('INSERT INTO t VALUES (?)', [i]);
  await db.transaction(async (tx) => {
    for (let i = 100; i < 110; i++) await tx.run('INSERT INTO t VALUES (?)', [i]);
  });
  writesDone = true;
  await Promise.all(readers);
  assert.ok(readsDuringWrites > 0);
  assert.equal((await db.get('SELECT count(*) AS n FROM t')).n, 110);
});

test('stats() counts every kind of outcome', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1, maxQueue: 3 });
  const fresh = db.stats();
  assert.deepEqual(
    { ...fresh, workers: undefined, cancellation: undefined, inline: undefined },
    {
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      timedOut: 0,
      aborted: 0,
      rejected: 0,
      respawns: 0,
      readersGrown: 0,
      readersRetired: 0,
      workers: undefined,
      cancellation: undefined,
      inline: undefined,
    },
  );
  // The main-thread inline path (on by default with the native library) has its own counters.
  assert.ok(fresh.inline === null || fresh.inline.reads === 0);
  assert.deepEqual(
    fresh.workers.map((w) => [w.role, w.state, w.inflight, w.leased]),
    [
      ['writer', 'ready', 0, false],
      ['reader', 'ready', 0, false],
    ],
  );
  await db.exec('CREATE TABLE t(x)'); // completed 1
  for (let i = 0; i < 5; i++) await db.run('INSERT INTO t VALUES (?)', [i]); // completed 6
  for (let i = 0; i < 3; i++) await db.get('SELECT count(*) AS n FROM t'); // completed 9
  await assert.rejects(db.run('INSERT INTO nope VALUES (1)'), SqliteError); // failed 1
  await assert.rejects(db.get('SELECT rel_block()', [], { timeout: 20 }), TimeoutError); // failed 2, timedOut 1, respawn 1
  const c = new AbortController();
  const aborted = db.get('SELECT rel_block() AS b', [], { signal: c.signal });
  await gate.waitEntered(2);
  let s = db.stats();
  assert.equal(s.running, 1);
  assert.equal(s.workers.reduce((n, w) => n + w.inflight, 0), 1);
  c.abort();
  await assert.rejects(aborted, AbortError); // failed 3, aborted 1, respawn 2
  // Fill the queue behind a blocked writer, then overflow it.
  gate.reset();
  const blocker = db.run('INSERT INTO t SELECT rel_block()');
  await gate.waitEntered(1);
  // 63 more fill the writer's pipeline (64 in flight); the next ones wait in the queue.
  const pipelined = Array.from({ length: 63 }, (_, i) => db.run('INSERT INTO t VALUES (?)', [100 + i]));
  const queued = [1, 2, 3].map((x) => db.run('INSERT INTO t VALUES (?)', [x], { timeout: 60_000 }));
  s = db.stats();
  assert.equal(s.queued, 3);
  assert.equal(s.running, 64);
  await assert.rejects(db.run('INSERT INTO t VALUES (4)'), QueueFullError); // rejected 1
  gate.release();
  await blocker; // completed 10
  await Promise.all(pipelined); // completed 73
  await Promise.all(queued); // completed 76
  s = db.stats();
  assert.deepEqual(
    { ...s, workers: undefined, cancellation: undefined, inline: undefined },
    {
      queued: 0,
      running: 0,
      completed: 76,
      failed: 3,
      timedOut: 1,
      aborted: 1,
      rejected: 1,
      respawns: 2,
      readersGrown: 0,
      readersRetired: 0,
      workers: undefined,
      cancellation: undefined,
      inline: undefined,
    },
  );
  assert.ok(s.workers.every((w) => w.state === 'ready' || w.state === 'starting'));
});

test('a read estimated light that runs long does not hold up short reads sent later', async (t) => {
  const { db, gate } = await openGated(t, { readers: 2 });
  // The statement is learned as light while the gate is open ...
  gate.release();
  for (let i = 0; i < 4; i++) assert.deepEqual(await db.get('SELECT rel_block() AS x'), { x: 1 });
  gate.reset();
  // ... then blocks on one reader, unannounced.
  const long = db.get('SELECT rel_block() AS x');
  await gate.waitEntered(1);
  // Once that reader has been silent for a while, light reads avoid it.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const shorts = [];
  for (let i = 0; i < 100; i++) shorts.push(db.get('SELECT ? AS i', [i]));
  const rows = await Promise.all(shorts);
  assert.deepEqual(rows[99], { i: 99 });
  assert.equal(Atomics.load(gate.cells, 1), 0, 'the long read is still running');
  gate.release();
  assert.deepEqual(await long, { x: 1 });
});
