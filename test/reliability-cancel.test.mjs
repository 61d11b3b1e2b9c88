// Cancellation: signals and timeouts, queued and running calls, recycling the
// worker that ran a cancelled statement, and listener hygiene.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { AbortError, open, TimeoutError } from 'threadlite';
import { openGated } from './fixtures/rel-gate.mjs';
import { tempFile } from './helpers.mjs';

/** Waits (without a deadline of its own) until `check()` is true. */
async function until(check) {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}


test('an already-aborted signal rejects at once and the call never runs', async (t) => {
  const { db } = await openGated(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  const reason = new Error('user went away');
  const controller = new AbortController();
  controller.abort(reason);
  for (const call of [
    () => db.run('INSERT INTO t VALUES (1)', [], { signal: controller.signal }),
    () => db.all('SELECT * FROM t', [], { signal: controller.signal }),
    () => db.exec('INSERT INTO t VALUES (2)', { signal: controller.signal }),
    () => db.transaction(async (tx) => tx.run('INSERT INTO t VALUES (3)'), { signal: controller.signal }),
  ]) {
    await assert.rejects(call(), (err) => {
      assert.ok(err instanceof AbortError);
      assert.equal(err.name, 'AbortError');
      assert.equal(err.code, 'ABORT_ERR');
      assert.equal(err.cause, reason);
      return true;
    });
  }
  // AbortSignal.abort() with no reason: the cause is the DOMException reason.
  const plain = AbortSignal.abort();
  await assert.rejects(db.get('SELECT 1', [], { signal: plain }), (err) => err.code === 'ABORT_ERR' && err.cause === plain.reason);
  assert.deepEqual(await db.all('SELECT * FROM t'), []);
  assert.equal(db.stats().aborted, 5);
});

test('a queued call that is aborted or times out leaves the queue and never runs', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  // Occupies the writer until released; it has no deadline, so it is never recycled.
  const blocker = db.run('INSERT INTO t SELECT 100 + rel_block()');
  await gate.waitEntered(1);
  const controller = new AbortController();
  const aborted = db.run('INSERT INTO t VALUES (1)', [], { signal: controller.signal });
  const timedOut = db.run('INSERT INTO t VALUES (2)', [], { timeout: 50 });
  const behind = db.run('INSERT INTO t VALUES (3)'); // plain, queued behind both
  // With interrupt, calls with a deadline are pipelined like any other (a
  // cancelled one that has not begun is skipped by the worker); without it,
  // they wait in the queue, since cancelling a running one terminates its worker.
  const interruptible = db.stats().cancellation === 'interrupt';
  if (interruptible) assert.equal(db.stats().running, 4);
  else assert.equal(db.stats().queued, 3);
  controller.abort();
  await assert.rejects(aborted, (err) => err instanceof AbortError && err.sql === 'INSERT INTO t VALUES (1)');
  await assert.rejects(timedOut, (err) => err instanceof TimeoutError && err.code === 'ERR_THREADLITE_TIMEOUT');
  assert.equal(db.stats().queued, 0);
  // The plain write no longer waits behind cancellable calls: it is pipelined to the writer.
  if (!interruptible) assert.equal(db.stats().running, 2);
  assert.equal(gate.entered, 1, 'the blocking statement is still running');
  gate.release();
  assert.equal((await blocker).changes, 1);
  assert.equal((await behind).changes, 1);
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 3 }, { x: 101 }]);
  const stats = db.stats();
  assert.equal(stats.respawns, 0, 'cancelling queued calls terminates no worker');
  assert.equal(stats.aborted, 1);
  assert.equal(stats.timedOut, 1);
});

test('a running call rejects at its deadline, and a fresh worker takes its place', async (t) => {
  const { db, gate } = await openGated(t, { readers: 2 });
  // Learn the route with the gate open, so the timed call runs on a reader.
  gate.release();
  assert.deepEqual(await db.get('SELECT rel_block() AS x'), { x: 1 });
  assert.deepEqual(await db.get('SELECT rel_block() AS x'), { x: 1 });
  gate.reset();
  const sql = 'SELECT rel_block() AS x';
  const running = db.get(sql, [], { timeout: 100 });
  await gate.waitEntered(1);
  await assert.rejects(running, (err) => {
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.name, 'TimeoutError');
    assert.equal(err.code, 'ERR_THREADLITE_TIMEOUT');
    assert.equal(err.sql, sql);
    assert.equal(err.timeout, 100);
    return true;
  });
  // The statement could not have ended on its own: the gate was never opened.
  assert.equal(Atomics.load(gate.cells, 1), 0);
  let stats = db.stats();
  assert.equal(stats.respawns, 1);
  assert.equal(stats.timedOut, 1);
  assert.equal(stats.workers.length, 3);
  // The writer and the other reader answered meanwhile; once the replacement
  // is up, two blocking reads run side by side on both readers (one of them
  // the replacement), while the writer still answers.
  assert.deepEqual(await db.get('SELECT 7 AS n'), { n: 7 });
  await until(() => db.stats().workers.every((w) => w.state === 'ready'));
  gate.reset();
  const a = db.get(sql);
  const b = db.get(sql);
  await gate.waitEntered(2);
  assert.equal((await db.run('CREATE TABLE w(x)')).changes, 0);
  gate.release();
  assert.deepEqual(await Promise.all([a, b]), [{ x: 1 }, { x: 1 }]);
  stats = db.stats();
  assert.ok(stats.workers.every((w) => w.state === 'ready'));
  assert.equal(stats.running, 0);
});

test('aborting a running call on the writer: the writer is replaced and writes go on', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  const controller = new AbortController();
  const reason = new Error('stop');
  const running = db.run('INSERT INTO t SELECT rel_block()', [], { signal: controller.signal });
  const queued = [1, 2, 3].map((x) => db.run('INSERT INTO t VALUES (?)', [x]));
  await gate.waitEntered(1);
  controller.abort(reason);
  await assert.rejects(running, (err) => err instanceof AbortError && err.cause === reason);
  for (const p of queued) assert.equal((await p).changes, 1);
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 1 }, { x: 2 }, { x: 3 }]);
  assert.equal(db.stats().respawns, 1);
  assert.equal(db.stats().aborted, 1);
});

test('a writer terminated mid-transaction leaves nothing behind', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  // A transaction opened by hand with exec('BEGIN').
  await db.exec('BEGIN');
  await db.run('INSERT INTO t VALUES (1)');
  await assert.rejects(db.run('INSERT INTO t SELECT rel_block()', [], { timeout: 100 }), TimeoutError);
  assert.deepEqual(await db.all('SELECT * FROM t'), []);
  await db.run('INSERT INTO t VALUES (2)');
  // db.transaction() with a stuck statement.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (3)');
      await tx.run('INSERT INTO t SELECT rel_block()', [], { timeout: 100 });
    }),
    TimeoutError,
  );
  assert.equal(gate.entered, 2);
  await db.run('INSERT INTO t VALUES (4)');
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 2 }, { x: 4 }]);
  // The new writer can run a transaction of its own.
  await db.transaction(async (tx) => {
    await tx.run('INSERT INTO t VALUES (5)');
  });
  assert.equal((await db.get('SELECT count(*) AS n FROM t')).n, 3);
  assert.equal(db.stats().respawns, 2);
});

test('abort listeners and timers are removed when calls settle', async (t) => {
  const { db } = await openGated(t, { readers: 2 });
  await db.exec('CREATE TABLE t(x)');
  const controller = new AbortController();
  const { signal } = controller;
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const baseline = timers();
  const total = 10_000;
  for (let start = 0; start < total; start += 1000) {
    const calls = [];
    for (let i = start; i < start + 1000; i++) {
      const options = i % 2 === 0 ? { signal } : { signal, timeout: 60_000 };
      calls.push(i % 10 === 0 ? db.run('INSERT INTO t VALUES (?)', [i], options) : db.get('SELECT ? AS v', [i], options));
    }
    // One listener serves every pending call sharing the signal ...
    assert.equal(getEventListeners(signal, 'abort').length, 1);
    const results = await Promise.all(calls);
    assert.equal(results[1].v, start + 1);
  }
  // ... and none is left once every call has settled.
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  assert.equal(timers(), baseline);
  assert.equal((await db.get('SELECT count(*) AS n FROM t')).n, total / 10);
  // Failed calls clean up too.
  const failing = [];
  for (let i = 0; i < 1000; i++) failing.push(db.get('SELEC oops', [], { signal, timeout: 60_000 }).catch((e) => e));
  for (const err of await Promise.all(failing)) assert.equal(err.code, 'SQLITE_ERROR');
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  assert.equal(timers(), baseline);
  const stats = db.stats();
  assert.equal(stats.running, 0);
  assert.equal(stats.queued, 0);
});

test('one signal shared by many queued calls cancels them all, and only them', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const blocker = db.run('INSERT INTO t SELECT 0 * rel_block()');
  await gate.waitEntered(1);
  const controller = new AbortController();
  const calls = [];
  for (let i = 1; i <= 50; i++) calls.push(db.run('INSERT INTO t VALUES (?)', [i], { signal: controller.signal }));
  const other = db.run('INSERT INTO t VALUES (?)', [99], { signal: new AbortController().signal });
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  controller.abort();
  for (const p of calls) await assert.rejects(p, AbortError);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  gate.release();
  await blocker;
  await other;
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 0 }, { x: 99 }]);
  assert.equal(db.stats().aborted, 50);
  assert.equal(db.stats().respawns, 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
});

test('a running write that times out is rolled back, not committed after the rejection', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE big(x)');
  const sql = 'INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT x FROM c';
  await assert.rejects(db.run(sql, [], { timeout: 50 }), (err) => err instanceof TimeoutError && err.sql === sql);
  // The next write waits (busy_timeout) until the terminated thread's statement ends and SQLite releases the lock.
  await db.run('INSERT INTO big VALUES (-1)');
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM big'), { n: 1 });
});
