import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, SqliteError } from 'threadlite';
import { tempFile } from './helpers.mjs';
import { warmInline, watchWorkers } from './inline-helpers.mjs';

// These tests are about what the inline path answers, so they name a budget (200 µs) and a cap
// (1 s) that a loaded machine's hiccups (a 2 ms preemption or GC pause during a read would
// rightly send the read away) cannot trip. The defaults and the watchdog have their own file,
// inline-watchdog.test.mjs.
async function setup(t, options = {}) {
  const file = tempFile(t);
  const db = await open(file, { readers: 1, inlineReads: 200, inlineCap: 1000, ...options });
  t.after(() => db.close());
  await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB, big INTEGER); CREATE TABLE n(x)");
  await db.batch(
    Array.from({ length: 2000 }, (_, i) => ['INSERT INTO t VALUES (?, ?, ?, ?)', [i + 1, `v${i}`, Buffer.from([i % 256]), 2n ** 60n + BigInt(i)]]),
  );
  await db.batch(Array.from({ length: 20000 }, (_, i) => ['INSERT INTO n VALUES (?)', [i]]));
  await db.exec('CREATE INDEX n_x ON n(x)');
  return { db, file };
}

// A recursive CTE whose cost is its parameter: 1 row is a few µs, 60,000 rows take well over the
// 200 µs budget (about a millisecond) and well under the 1 s cap these tests set.
const COUNTER = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) AS n FROM c';

/** Runs a read until the pool has learned its route and cost (inline needs both). */
async function warm(db, sql, params, times = 30) {
  for (let i = 0; i < times - 1; i++) await db.get(sql, params);
  // The last one on a fresh event-loop turn: awaited reads in one turn may pass the per-turn
  // inline budget on a loaded machine, and then that read goes to a worker.
  await new Promise((resolve) => setImmediate(resolve));
  await db.get(sql, params);
  await new Promise((resolve) => setImmediate(resolve));
}

test('a cheap read runs on the main thread and answers exactly as better-sqlite3', async (t) => {
  const workers = watchWorkers(t);
  const { db, file } = await setup(t, { safeIntegers: true });
  const sql = 'SELECT * FROM t WHERE id = ?';
  await warm(db, sql, [1]);
  const row = await db.get(sql, [7]);
  assert.equal(workers(sql).at(-1), 'main');
  const reference = new Database(file, { readonly: true });
  reference.defaultSafeIntegers(true);
  assert.deepStrictEqual(row, reference.prepare(sql).get(7));
  assert.ok(Buffer.isBuffer(row.b) && typeof row.big === 'bigint');
  assert.deepStrictEqual(await db.prepare(sql).raw().get([8]), reference.prepare(sql).raw().get(8));
  reference.close();
});

test('handles of one SQL text with different row and integer modes, called in turn, each get their own shape inline', async (t) => {
  // The main-thread statement is shared by every handle of the text; its toggles are set only
  // when a call needs other ones, so each switch below must still take effect.
  const workers = watchWorkers(t);
  const { db, file } = await setup(t);
  const sql = 'SELECT id, v, big FROM t WHERE id = ?';
  await warm(db, sql, [1]);
  const reference = new Database(file, { readonly: true });
  const ref = (configure) => configure(reference.prepare(sql));
  const calls = [
    [(s) => s, (s) => s],
    [(s) => s.raw(), (s) => s.raw()],
    [(s) => s.raw(), (s) => s.raw()],
    [(s) => s.pluck(), (s) => s.pluck()],
    [(s) => s.expand(), (s) => s.expand()],
    [(s) => s.safeIntegers(), (s) => s.safeIntegers()],
    [(s) => s.raw().safeIntegers(), (s) => s.raw().safeIntegers()],
    [(s) => s, (s) => s],
    [(s) => s.safeIntegers(false).pluck(), (s) => s.safeIntegers(false).pluck()],
  ];
  for (const [i, [ours, theirs]] of calls.entries()) {
    await new Promise((resolve) => setImmediate(resolve));
    const id = 10 + i;
    assert.deepStrictEqual(await ours(db.prepare(sql)).get([id]), ref(theirs).get(id), `call ${i}`);
    assert.equal(workers(sql).at(-1), 'main', `call ${i} ran inline`);
  }
  reference.close();
  // bind() then parameters: the same TypeError as on a worker, before anything runs.
  await assert.rejects(db.prepare(sql).bind([1]).get([2]), { name: 'TypeError', message: 'This statement already has bound parameters' });
  assert.deepEqual(await db.prepare(sql).bind([3]).get(), { id: 3, v: 'v2', big: 2 ** 60 + 2 });
});

test('a write that resolved is visible to the next inline read', async (t) => {
  const workers = watchWorkers(t);
  const { db } = await setup(t);
  const sql = 'SELECT v FROM t WHERE id = ?';
  await warm(db, sql, [1]);
  for (let i = 0; i < 20; i++) {
    await db.run('UPDATE t SET v = ? WHERE id = 1', [`new${i}`]);
    assert.deepEqual(await db.get(sql, [1]), { v: `new${i}` });
  }
  assert.equal(workers(sql).at(-1), 'main');
});

test('heavy reads, writes, transactions and calls with a deadline never run inline', async (t) => {
  const workers = watchWorkers(t);
  const { db } = await setup(t);
  const heavy = 'SELECT count(*) AS c FROM n a, n b WHERE a.x < 300 AND b.x < 300 AND a.x + b.x = ?';
  await warm(db, heavy, [7], 5);
  assert.ok(workers(heavy).every((w) => w !== 'main'), workers(heavy).join());
  const cheap = 'SELECT v FROM t WHERE id = ?';
  await warm(db, cheap, [2]);
  await db.get(cheap, [3], { timeout: 1000 });
  assert.notEqual(workers(cheap).at(-1), 'main');
  await db.transaction(async (tx) => {
    await tx.get(cheap, [3]);
    await db.get(cheap, [3]); // joins the transaction: must see its state, on the writer
  });
  assert.deepEqual(workers(cheap).slice(-2), ['writer', 'writer']);
});

test('a statement whose cost depends on its parameters goes back to the workers after a heavy run', async (t) => {
  const workers = watchWorkers(t);
  const { db } = await setup(t, { inlineCap: 2 });
  const sql = 'SELECT count(*) AS c FROM n a, n b WHERE a.x < ? AND b.x < ?';
  await warm(db, sql, [2, 2]);
  assert.equal(workers(sql).at(-1), 'main');
  // Starts inline; the watchdog stops it at the cap (2 ms) and it runs again on a worker.
  assert.deepEqual(await db.get(sql, [2000, 2000]), { c: 4_000_000 });
  assert.notEqual(workers(sql).at(-1), 'main');
  // At least: on a loaded machine a cheap warm-up read may have tripped the cap too.
  assert.ok(db.stats().inline.interrupted >= 1, `interrupted: ${db.stats().inline.interrupted}`);
  assert.deepEqual(await db.get(sql, [2, 2]), { c: 4 });
  assert.notEqual(workers(sql).at(-1), 'main', 'the statement left the inline path for good');
});

test('a statement refused after a heavy run comes back inline once its refusal (100 ms) has passed and its cost is cheap again', async (t) => {
  const workers = watchWorkers(t);
  const { db } = await setup(t, { inlineCap: 2 });
  const sql = 'SELECT count(*) AS c FROM n a, n b WHERE a.x < ? AND b.x < ?';
  await warm(db, sql, [2, 2]);
  assert.deepEqual(await db.get(sql, [2000, 2000]), { c: 4_000_000 });
  const refusedAt = performance.now();
  assert.equal(db.stats().inline.refused, 1);
  // Cheap runs on the workers bring the pool's cost estimate back under the budget.
  for (let i = 0; i < 40; i++) assert.deepEqual(await db.get(sql, [2, 2]), { c: 4 });
  const early = workers(sql).slice(-40);
  if (performance.now() - refusedAt < 100) assert.ok(early.every((w) => w !== 'main'), early.join());
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 150 - (performance.now() - refusedAt))));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await db.get(sql, [3, 3]), { c: 9 });
  assert.equal(workers(sql).at(-1), 'main', 'back on the inline path');
  assert.equal(db.stats().inline.refused, 0);
});

test('a text that runs cheaply inline stays inline when the same text was slow on a worker', async (t) => {
  // The workers' estimate only opens the door: a worker's run of the text (a re-run after the
  // watchdog, a call with a deadline) can be slow where the inline runs are not (its page cache
  // is cold, or these parameters are heavy), and the old code then sent every read to the workers.
  const workers = watchWorkers(t);
  const { db } = await setup(t);
  const sql = COUNTER;
  await warm(db, sql, [1]);
  assert.equal(workers(sql).at(-1), 'main');
  // A deadline sends a call to a worker; 300,000 rows take milliseconds there (budget: 200 µs).
  for (let i = 0; i < 3; i++) assert.deepEqual(await db.get(sql, [300_000], { timeout: 60_000 }), { n: 300_000 });
  assert.ok(workers(sql).slice(-3).every((w) => w !== 'main'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await db.get(sql, [2]), { n: 2 });
  assert.equal(workers(sql).at(-1), 'main', 'judged by its inline runs, not by the slow worker runs');
  assert.equal(db.stats().inline.refused, 0);
});

test('a text is admitted once a worker has run it cheaply, even while the workers\' running estimate is still high', async (t) => {
  // A server's first reads of a statement run on workers with cold page caches (the first one
  // also prepares it): the smoothed estimate stayed over the budget for ~120 requests of an
  // HTTP load (0.6 s), each a round trip behind the reports. One cheap run now opens the door.
  const workers = watchWorkers(t);
  const { db } = await setup(t);
  assert.deepEqual(await db.get(COUNTER, [300_000]), { n: 300_000 }); // milliseconds on a worker: the estimate
  // A cheap run on a worker (a deadline keeps a call off the inline path) opens the door. Up to
  // three tries, as a preempted worker may take longer than the budget; the smoothed estimate
  // alone (×0.7 per cheap run) is still over the budget after all of them.
  let inline = false;
  for (let attempt = 0; attempt < 3 && !inline; attempt++) {
    assert.deepEqual(await db.get(COUNTER, [1], { timeout: 60_000 }), { n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await db.get(COUNTER, [2]), { n: 2 });
    inline = workers(COUNTER).at(-1) === 'main';
  }
  assert.ok(inline, workers(COUNTER).join());
});

test('a text whose inline runs are mostly over the budget goes back to the workers', async (t) => {
  const workers = watchWorkers(t);
  const { db } = await setup(t);
  await warm(db, COUNTER, [1]);
  assert.equal(workers(COUNTER).at(-1), 'main');
  // More than half of a 32-run window over budget: refused at the window's 17th slow run (the
  // warm-up's inline runs fill part of the first window, which may end clean).
  let slow = 0;
  while (db.stats().inline.refused === 0 && slow < 64) {
    // Well over 4 budgets (a few ms): slow however cheap the workers found the text.
    assert.deepEqual(await db.get(COUNTER, [300_000]), { n: 300_000 });
    slow++;
  }
  assert.equal(db.stats().inline.refused, 1);
  assert.ok(slow >= 17 && slow <= 48, `refused after ${slow} slow runs`);
  assert.deepEqual(await db.get(COUNTER, [2]), { n: 2 });
  assert.notEqual(workers(COUNTER).at(-1), 'main', 'refused: the next read ran on a worker');
});

test('a text a third of whose inline runs are over the budget stays inline (a busy machine preempts that many)', async (t) => {
  // The first rule refused at a quarter; on a machine whose cores were all busy that sent
  // every read of a 5 µs statement to the workers, each costing a round trip.
  const workers = watchWorkers(t);
  const { db } = await setup(t);
  await warm(db, COUNTER, [1]);
  for (let i = 0; i < 48; i++) {
    const n = i % 3 === 0 ? 60_000 : 1 + (i % 7);
    assert.deepEqual(await db.get(COUNTER, [n]), { n });
  }
  assert.equal(db.stats().inline.refused, 0);
  assert.ok(workers(COUNTER).slice(-48).every((w) => w === 'main'), workers(COUNTER).slice(-48).join());
});

test('inline runs a little over the budget of a text the workers run cheaply do not refuse it (a cold page cache); far over, they do', async (t) => {
  // inline_hook() spends main-thread time only inline, as a cold page cache does: the workers
  // measure the text cheap, its inline runs take ~2 budgets. The old rule refused it after 17 such
  // runs, and its reads then took round trips to a reader that is not cold.
  const workers = watchWorkers(t);
  const { db } = await setup(t, { setup: new URL('./fixtures/inline-hook-setup.mjs', import.meta.url) });
  const sql = 'SELECT inline_hook() AS h, v FROM t WHERE id = ?';
  await warm(db, sql, [1]);
  assert.equal(workers(sql).at(-1), 'main');
  let spend = 0.4; // ms: 2 budgets
  globalThis.__threadliteInlineHook = () => {
    const until = performance.now() + spend;
    while (performance.now() < until);
  };
  t.after(() => delete globalThis.__threadliteInlineHook);
  for (let i = 0; i < 64; i++) {
    await new Promise((resolve) => setImmediate(resolve)); // one read per turn: the turn budget stays out of it
    assert.deepEqual(await db.get(sql, [1 + (i % 100)]), { h: 1, v: `v${i % 100}` });
  }
  assert.equal(db.stats().inline.refused, 0);
  assert.ok(workers(sql).slice(-64).every((w) => w === 'main'), workers(sql).slice(-64).join());
  // 5 budgets a run: slow, not cold.
  spend = 1;
  let slow = 0;
  while (db.stats().inline.refused === 0 && slow < 64) {
    await new Promise((resolve) => setImmediate(resolve));
    await db.get(sql, [1]);
    slow++;
  }
  assert.equal(db.stats().inline.refused, 1, `${slow} runs of 5 budgets`);
});

test('inline runs far over the budget that come few and far between keep their text inline', async (t) => {
  // An HTTP server's point read, requested now and then while reports keep both cores busy, took
  // 0.1-0.25 ms inline: mostly past 4 budgets. The old rule refused it for that, and its reads then
  // went to a reader sharing the cores with the reports (3-10 ms each). Its runs took a small share
  // of the main thread's time and a few budgets each, so they stay; back to back, the same runs are
  // refused (test above).
  const workers = watchWorkers(t);
  const { db } = await setup(t, { setup: new URL('./fixtures/inline-hook-setup.mjs', import.meta.url) });
  const sql = 'SELECT inline_hook() AS h, v FROM t WHERE id = ?';
  await warm(db, sql, [1]);
  assert.equal(workers(sql).at(-1), 'main');
  globalThis.__threadliteInlineHook = () => {
    // ms: past 4 budgets, so every run counts as over; well under the 10 budgets (2 ms) a spared
    // window may average, so a preempted run or two on a loaded machine does not tip it.
    const until = performance.now() + 0.85;
    while (performance.now() < until);
  };
  t.after(() => delete globalThis.__threadliteInlineHook);
  for (let i = 0; i < 64; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10)); // ~1 ms in every 11: a tenth of the time
    assert.deepEqual(await db.get(sql, [1 + (i % 100)]), { h: 1, v: `v${i % 100}` });
  }
  assert.equal(db.stats().inline.refused, 0);
  assert.ok(workers(sql).slice(-64).every((w) => w === 'main'), workers(sql).slice(-64).join());
  // 15 budgets a run is not a cheap read, however rare: refused within a window.
  globalThis.__threadliteInlineHook = () => {
    const until = performance.now() + 3;
    while (performance.now() < until);
  };
  let slow = 0;
  while (db.stats().inline.refused === 0 && slow < 64) {
    await new Promise((resolve) => setTimeout(resolve, 15));
    await db.get(sql, [1]);
    slow++;
  }
  assert.equal(db.stats().inline.refused, 1, `${slow} rare runs of 15 budgets`);
});

test('with no reader workers (readers: 0), cheap reads still run inline; a write is visible to the next one', async (t) => {
  // The inline connection is a reader of its own: it needs the writer's word that the SQL only
  // reads, not a reader worker. The first version asked the worker router, which with no
  // readers sends every statement to the writer, so the inline path was off in effect.
  const workers = watchWorkers(t);
  const { db } = await setup(t, { readers: 0 });
  const sql = 'SELECT v FROM t WHERE id = ?';
  await warm(db, sql, [1]);
  assert.equal(workers(sql).at(-1), 'main');
  await db.run('UPDATE t SET v = ? WHERE id = 1', ['changed']);
  assert.deepEqual(await db.get(sql, [1]), { v: 'changed' });
  assert.equal(workers(sql).at(-1), 'main');
  // State only the writer sees keeps reads there: a TEMP table shadowing nothing, then a read.
  await db.exec('CREATE TEMP TABLE scratch(x)');
  assert.deepEqual(await db.get(sql, [2]), { v: 'v1' });
  assert.equal(workers(sql).at(-1), 'writer', 'TEMP objects on the writer: reads go there');
});

test('errors from the inline path are the pool\'s error classes', async (t) => {
  const { db } = await setup(t);
  const sql = 'SELECT abs(?) AS a';
  await warm(db, sql, [-5]);
  await assert.rejects(db.get(sql, [-(2n ** 63n)]), (err) => err instanceof SqliteError && err.message === 'integer overflow');
  await assert.rejects(db.get(sql, []), { name: 'RangeError', message: 'Too few parameter values were provided' });
});

test('a read that calls threadlite_interrupted() runs inline as it does on a worker', async (t) => {
  // The workers define the function on their connections; the main-thread connection must too, or
  // a text admitted inline fails with "no such function" where a worker answers.
  const workers = watchWorkers(t);
  const { db } = await setup(t);
  const sql = 'SELECT threadlite_interrupted() AS stop, v FROM t WHERE id = ?';
  await warmInline(db, workers, sql, [3]);
  assert.deepEqual(await db.get(sql, [4]), { stop: 0, v: 'v3' });
  assert.equal(workers(sql).at(-1), 'main');
});

test('a run cut short (interrupted, or cancelled before it began) does not make a statement look cheap', () => {
  // The inline door opens on the lower of the smoothed cost and the last run (CostModel.lightest).
  // A run stopped by a timeout or an abort took only as long as it was allowed to; before, its
  // time (0 for one cancelled before it began) became "the last run" and opened the door to a
  // read that takes far longer (seen in the soak test: a 300,000-step read admitted inline).
  // The model is internal: loaded from the built package, fed the answers a worker gives.
  const { CostModel } = createRequire(import.meta.url)('../dist/engine/cost-model.js');
  const model = new CostModel();
  const sql = 'SELECT count(*) FROM big';
  const request = { id: 1, op: 'get', sql, mode: 0 };
  const answer = (fields) => ({ id: 1, inTransaction: false, readerSafe: true, ...fields });
  model.observe(sql, request, answer({ ok: true, value: { rows: [] }, cost: 40 }));
  model.observe(sql, request, answer({ ok: false, error: { name: 'SqliteError', message: 'interrupted', code: 'SQLITE_INTERRUPT' }, cost: 0.02 }));
  model.observe(sql, request, answer({ ok: false, error: { name: 'Error', message: 'cancelled', code: 'THREADLITE_CANCELLED' }, cost: 0 }));
  assert.equal(model.lightest(sql), 40);
  assert.equal(model.costOf(sql), 40);
  // A cut run longer than the estimate is a lower bound that raises it.
  model.observe(sql, request, answer({ ok: false, error: { name: 'SqliteError', message: 'interrupted', code: 'SQLITE_INTERRUPT' }, cost: 90 }));
  assert.equal(model.costOf(sql), 90);
  // A statement only ever cut short is known to cost at least that; one only ever skipped, nothing.
  model.observe('SELECT 2', request, answer({ ok: false, error: { name: 'SqliteError', message: 'interrupted', code: 'SQLITE_INTERRUPT' }, cost: 5 }));
  assert.equal(model.lightest('SELECT 2'), 5);
  model.observe('SELECT 3', request, answer({ ok: false, error: { name: 'Error', message: 'cancelled', code: 'THREADLITE_CANCELLED' }, cost: 0 }));
  assert.equal(model.lightest('SELECT 3'), undefined);
  assert.equal(model.readerSafe('SELECT 3'), true, 'the route is still learned');
});
