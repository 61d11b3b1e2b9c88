// The inline path's hard cap: a watchdog thread interrupts a main-thread read
// that runs past `inlineCap`, the read runs again on a worker, and its SQL
// leaves the inline path; a per-turn budget makes a burst of inline reads
// yield to the event loop; inline is on by default only where the watchdog can
// run; and neither the watchdog nor the inline connection keeps a process alive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { open, SqliteError } from 'threadlite';
import { tempFile, until } from './helpers.mjs';
import { longestStall, warmInline, watchWorkers } from './inline-helpers.mjs';

const COUNT = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c';
const WATCHDOG = Symbol.for('threadlite.inlineWatchdog');
const hookSetup = new URL('./fixtures/inline-hook-setup.mjs', import.meta.url);
const child = fileURLToPath(new URL('./fixtures/inline-child.mjs', import.meta.url));

async function openTemp(t, options = {}) {
  const db = await open(tempFile(t), { readers: 1, ...options });
  t.after(() => db.close());
  return db;
}

/** The native addon, loaded as threadlite loads it (the same file: one copy of its slots). */
function nativeAddon() {
  // The very file threadlite loaded (a stale build elsewhere would be another library instance).
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('threadlite')), '..');
  const status = require(join(root, 'dist', 'native', 'interrupt.js')).nativeStatus();
  if (!status.available) throw new Error(`no native library: ${status.reason}`);
  return status.addon;
}

test('a parameter-dependent read is interrupted at the cap on the main thread and re-run on a worker, with the right rows', async (t) => {
  const workers = watchWorkers(t);
  const db = await openTemp(t); // defaults: inline on, cap 2 ms
  // The cheap case runs inline. On a loaded machine the watchdog may stop one at the cap (the main
  // thread was preempted mid-read; seen once on Node 24 in CI): then it answered from a worker, and
  // only that reason is accepted before trying again.
  for (let attempt = 0; ; attempt++) {
    await warmInline(db, workers, COUNT, [3]);
    const interrupted = db.stats().inline.interrupted;
    assert.deepEqual(await db.get(COUNT, [5]), { n: 5 });
    if (workers(COUNT).at(-1) === 'main') break;
    assert.ok(attempt < 4 && db.stats().inline.interrupted > interrupted, `answered by ${workers(COUNT).at(-1)}, not interrupted`);
  }

  let sync = 0;
  const began = performance.now();
  const { value, longest } = await longestStall(() => {
    const start = performance.now();
    const pending = db.get(COUNT, [3_000_000]); // ≥ 300 ms in SQLite
    sync = performance.now() - start;
    return pending;
  });
  // How long the read took, re-run included: what better-sqlite3 would have blocked the loop for.
  const total = performance.now() - began;
  assert.deepEqual(value, { n: 3_000_000 });
  assert.match(workers(COUNT).at(-1), /^reader|^writer/, 'the re-run answered from a worker');
  // At least: on a loaded machine a cheap warm-up read may have tripped the cap too.
  assert.ok(db.stats().inline.interrupted >= 1, `interrupted: ${db.stats().inline.interrupted}`);
  t.diagnostic(`inline attempt ${sync.toFixed(2)} ms, longest stall ${longest.toFixed(1)} ms, read ${total.toFixed(0)} ms`);
  // Loose, relative to the read itself (the machine is shared; docs/benchmark.md has the real
  // figure, cap 2 ms): the call's own synchronous time is the inline attempt, and the probe's
  // longest gap also holds the machine's noise while the worker runs the re-run.
  assert.ok(sync < Math.min(100, total / 4), `the inline attempt blocked the main thread for ${sync} ms of ${total} ms`);
  assert.ok(longest < total / 2, `the event loop stalled for ${longest} ms of ${total} ms`);

  // The worker took as long: the read is slow, so the SQL has left the inline path for good,
  // even with cheap parameters.
  for (let i = 0; i < 5; i++) assert.deepEqual(await db.get(COUNT, [3]), { n: 3 });
  assert.ok(workers(COUNT).slice(-5).every((w) => w !== 'main'), workers(COUNT).slice(-5).join());
  // At least: on a loaded machine a cheap warm-up read may have tripped the cap too.
  assert.ok(db.stats().inline.refused >= 1, `refused: ${db.stats().inline.refused}`);
});

test('an interrupted read that fails on the worker fails as the worker path fails', async (t) => {
  const workers = watchWorkers(t);
  // A budget no load can exceed (the default 50 µs can, for this CTE on a busy machine): the
  // test is about the failure after the interrupt, not about which reads are cheap enough.
  const db = await openTemp(t, { inlineReads: 5000 });
  // Cheap for a small ?, slow and then failing (abs() of the minimum integer) for a large one.
  const sql = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT abs(CASE WHEN count(*) > 1000 THEN -9223372036854775807 - 1 ELSE 1 END) AS a FROM c';
  await warmInline(db, workers, sql, [3]);
  await assert.rejects(db.get(sql, [3_000_000]), (err) => err instanceof SqliteError && err.code === 'SQLITE_ERROR' && err.message === 'integer overflow');
  assert.notEqual(workers(sql).at(-1), 'main');
  // At least: on a loaded machine a cheap warm-up read may have tripped the cap too.
  assert.ok(db.stats().inline.interrupted >= 1, `interrupted: ${db.stats().inline.interrupted}`);
});

test('a late interrupt never reaches the next read: only the read it was aimed at', async (t) => {
  const workers = watchWorkers(t);
  // Limits far above what the hook costs, so that only the interrupts sent by hand below (not the
  // watchdog, nor the budget, on a loaded machine) decide where each read runs.
  const db = await openTemp(t, { setup: hookSetup, inlineReads: 10_000, inlineCap: 10_000 });
  const addon = nativeAddon();
  const watchdog = db[WATCHDOG];
  assert.ok(watchdog !== undefined, 'a watchdog runs');
  const sql = 'SELECT inline_hook() AS h, ? AS p';
  const delivered = [];
  t.after(() => delete globalThis.__threadliteInlineHook);
  await warmInline(db, workers, sql, [0]);

  // Inside read N+1, an interrupt aimed at read N (what a watchdog that woke
  // late would send) is refused by the compare-and-swap; read N+1 finishes inline.
  globalThis.__threadliteInlineHook = () => delivered.push(addon.interrupt(watchdog.slot, watchdog.current - 1));
  assert.deepEqual(await db.get(sql, [1]), { h: 1, p: 1 });
  assert.deepEqual(delivered, [0]);
  assert.equal(workers(sql).at(-1), 'main');
  assert.equal(db.stats().inline.interrupted, 0);

  // Aimed at the read that runs, the same call lands, and the read re-runs on a worker.
  globalThis.__threadliteInlineHook = () => delivered.push(addon.interrupt(watchdog.slot, watchdog.current));
  assert.deepEqual(await db.get(sql, [2]), { h: 1, p: 2 });
  assert.deepEqual(delivered, [0, 1]);
  assert.notEqual(workers(sql).at(-1), 'main');
  assert.equal(db.stats().inline.interrupted, 1);

  // The worker answered at once: the main thread had stalled, not the read (it is cheap), so
  // the SQL stays on the inline path; and the connection is not left interrupted.
  delete globalThis.__threadliteInlineHook;
  assert.deepEqual(await db.get(sql, [3]), { h: 1, p: 3 });
  assert.equal(workers(sql).at(-1), 'main');
  assert.equal(db.stats().inline.refused, 0);
  const other = 'SELECT ? + 1 AS x';
  await warmInline(db, workers, other, [1]);
  assert.deepEqual(await db.get(other, [41]), { x: 42 });
  assert.equal(workers(other).at(-1), 'main');
});

test('a burst of tiny inline reads yields to the event loop (per-turn cap) and carries on inline', async (t) => {
  const workers = watchWorkers(t);
  // Generous limits: on a loaded machine a point read can exceed 50 µs often enough to be
  // refused, and a preempted one can pass 2 ms (then the watchdog rightly sends it away).
  // The per-turn budget is the cap: 20 ms of reads, then the loop turns.
  const db = await openTemp(t, { inlineReads: 1000, inlineCap: 20 });
  await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one')");
  const sql = 'SELECT v FROM t WHERE id = ?';
  await warmInline(db, workers, sql, [1]);
  const before = db.stats().inline;
  let i = 0;
  let immediateAt = -1;
  let timerAt = -1;
  setImmediate(() => (immediateAt = i));
  setTimeout(() => (timerAt = i), 1);
  for (; i < 10_000; i++) assert.deepEqual(await db.get(sql, [1]), { v: 'one' });
  const after = db.stats().inline;
  const interrupted = after.interrupted - before.interrupted;
  t.diagnostic(`setImmediate ran after ${immediateAt} reads, a 1 ms timer after ${timerAt}; ${after.reads - before.reads} inline, ${after.deferred - before.deferred} waited a turn, ${interrupted} interrupted`);
  assert.ok(immediateAt >= 0 && immediateAt < 10_000, `setImmediate ran after ${immediateAt} of 10,000 reads`);
  assert.ok(timerAt >= 0 && timerAt < 10_000, `a 1 ms timer ran after ${timerAt} of 10,000 reads`);
  assert.ok(after.deferred > before.deferred, 'some reads waited for the loop to turn');
  // They waited and then ran inline: none paid a worker's round trip, save reads the
  // watchdog stopped (a preempted main thread on a loaded machine) and their re-runs.
  const away = workers(sql).slice(-10_000).filter((w) => w !== 'main').length;
  assert.ok(away <= interrupted, `${away} of 10,000 reads answered by a worker, ${interrupted} interrupted`);
});

test('many reads in flight over the turn budget wait a turn each and answer on the main thread, save those the hybrid split offloads', async (t) => {
  const workers = watchWorkers(t);
  const db = await openTemp(t, { inlineReads: 1000, inlineCap: 5 });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 100) INSERT INTO t SELECT x, x * 2 FROM s');
  const sql = 'SELECT v FROM t WHERE id = ?';
  await warmInline(db, workers, sql, [1]);
  const before = db.stats().inline;
  // 64 callers, each 100 reads: 6,400 reads in a few turns' worth of inline time.
  const lanes = Array.from({ length: 64 }, async (_, lane) => {
    for (let i = 0; i < 100; i++) {
      const id = 1 + ((lane + i) % 100);
      assert.deepEqual(await db.get(sql, [id]), { v: id * 2 });
    }
  });
  let turns = 0;
  const ticker = setInterval(() => turns++, 0);
  await Promise.all(lanes);
  clearInterval(ticker);
  const after = db.stats().inline;
  const interrupted = after.interrupted - before.interrupted;
  assert.ok(after.deferred > before.deferred, 'reads waited for the next turn');
  assert.ok(turns > 0, 'timers ran while the reads were in flight');
  // Save reads the hybrid split sent to the reader on purpose (64 callers are a flood: see
  // inline-hybrid.test.mjs), and that a read the watchdog stopped (a preempted main thread) sends
  // every lane's next read to a worker until its re-run has answered (its SQL is suspect meanwhile).
  const offloaded = after.offloaded - before.offloaded;
  const away = workers(sql).slice(-6400).filter((w) => w !== 'main').length;
  assert.ok(away <= offloaded + interrupted * 64, `${away} of 6,400 reads answered by a worker, ${offloaded} offloaded, ${interrupted} interrupted`);
});

test('reads waiting for a turn are bounded by maxQueue: past it they go to the pool, whose own limit applies', async (t) => {
  // Waiting reads are waiting calls; the first version let a flood of them wait without bound.
  const workers = watchWorkers(t);
  const db = await openTemp(t, { inlineReads: 1000, inlineCap: 5, maxQueue: 50 });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 100) INSERT INTO t SELECT x, x * 2 FROM s');
  const sql = 'SELECT v FROM t WHERE id = ?';
  await warmInline(db, workers, sql, [1]);
  for (let attempt = 0; ; attempt++) {
    const before = db.stats();
    // Count the loop's turns: at most maxQueue reads wait in any one of them.
    let turns = 0;
    let ticking = true;
    const tick = () => { turns++; if (ticking) setImmediate(tick); };
    setImmediate(tick);
    // 3,000 calls in one synchronous burst: ~5 ms of them run inline, then the turn is spent.
    const calls = Array.from({ length: 3000 }, (_, i) => db.get(sql, [1 + (i % 100)]));
    const outcomes = await Promise.allSettled(calls);
    ticking = false;
    let answered = 0;
    for (const [i, r] of outcomes.entries()) {
      if (r.status === 'fulfilled') {
        assert.deepEqual(r.value, { v: 2 * (1 + (i % 100)) });
        answered++;
      } else assert.equal(r.reason?.name, 'QueueFullError', String(r.reason));
    }
    assert.equal(db.stats().rejected - before.rejected, 3000 - answered);
    // A read the watchdog stopped (the main thread preempted for 5 ms on a loaded machine)
    // makes its SQL suspect: the calls after it go to the pool without waiting. Again, once the
    // text is back on the inline path: its re-run may have met the full queue (QueueFullError),
    // which counts as slow and keeps the text off for a second or more (seen in CI, Node 22/24).
    if (db.stats().inline.interrupted !== before.inline.interrupted && attempt < 4) {
      t.diagnostic(`attempt ${attempt}: the watchdog interrupted a read; again`);
      await warmInline(db, workers, sql, [1], { patienceMs: 20_000 });
      continue;
    }
    const waited = db.stats().inline.deferred - before.inline.deferred;
    t.diagnostic(`${waited} reads waited for a turn over ${turns} turns; ${answered} answered`);
    assert.ok(waited > 0, 'some reads waited for a turn');
    assert.ok(waited <= 50 * (turns + 1), `${waited} reads waited over ${turns} turns`);
    assert.ok(workers(sql).slice(-answered).some((w) => w !== 'main'), 'past the bound, reads went to the pool');
    break;
  }
});

test('reads waiting for the next turn when close() is called are answered, then the pool closes', async (t) => {
  const workers = watchWorkers(t);
  // A cap a loaded machine's preemptions rarely reach: an interrupted read would make its SQL
  // suspect, and the calls after it would go to the pool instead of waiting.
  const db = await openTemp(t, { inlineReads: 1000, inlineCap: 20 });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 2)');
  const sql = 'SELECT v FROM t WHERE id = ?';
  let reads = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    await warmInline(db, workers, sql, [1]);
    const before = db.stats().inline;
    // Inline reads run synchronously inside the call: 40 ms of calls in one turn spend its
    // inline time (20 ms), and the reads after that wait for the next turn.
    reads = [];
    const start = performance.now();
    while (performance.now() - start < 40) reads.push(db.get(sql, [1]));
    const after = db.stats().inline;
    if (after.interrupted === before.interrupted) {
      assert.ok(after.deferred > before.deferred, 'some reads wait for the next turn');
      break;
    }
    t.diagnostic(`attempt ${attempt}: the watchdog interrupted a read (a preempted main thread); again`);
    await Promise.all(reads);
    reads = [];
  }
  assert.ok(reads.length > 0, 'five attempts were interrupted');
  const closing = db.close();
  assert.deepEqual(await Promise.all(reads), reads.map(() => ({ v: 2 })));
  await closing;
  assert.equal(workers(sql).slice(-reads.length).filter((w) => w !== 'main').length, 0);
  await assert.rejects(db.get(sql, [1]), { name: 'PoolClosedError' });
});

test('inlineCap is validated like the other options', async (t) => {
  const file = tempFile(t);
  await assert.rejects(open(file, { inlineCap: 1.5 }), { name: 'TypeError', message: 'options.inlineCap must be an integer' });
  await assert.rejects(open(file, { inlineCap: -1 }), { name: 'RangeError', message: 'options.inlineCap must be between 0 and 60000' });
  await assert.rejects(open(file, { inlineCapp: 2 }), { name: 'TypeError', message: 'Unknown option "inlineCapp" (did you mean "inlineCap"?)' });
});

test('close() stops the watchdog thread', async (t) => {
  const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  // A first pool starts whatever Node starts lazily (the libuv thread pool).
  await (await open(tempFile(t), { readers: 1 })).close();
  const base = threads();
  const db = await open(tempFile(t, 'b.db'), { readers: 1 });
  assert.ok(db[WATCHDOG] !== undefined);
  assert.ok(threads() >= base + 3, `writer, reader and watchdog: ${threads()} threads vs ${base}`);
  await db.close();
  // A terminated thread leaves the process's list a moment after its promise settles: wait (bounded).
  await until(() => threads() <= base, () => `the threads to end: after close(), ${threads()} threads vs ${base} before open()`, 5000);
  assert.equal(db.stats().inline.cap, 2);
});

/** Runs the child; resolves with its JSON lines, exit code, and ms from the line `step` to its exit. */
function run(mode, file, env = {}, options) {
  return new Promise((resolve, reject) => {
    const args = [child, mode, file, ...(options === undefined ? [] : [JSON.stringify(options)])];
    const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let stderr = '';
    let stepAt;
    let buffer = '';
    proc.stdout.on('data', (chunk) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
        lines.push(JSON.parse(buffer.slice(0, i)));
        buffer = buffer.slice(i + 1);
        stepAt = performance.now();
      }
    });
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ lines, code, signal, stderr, afterStep: stepAt === undefined ? undefined : performance.now() - stepAt });
    });
  });
}

test('inline reads are on by default with the native library, and off without it unless asked for', async (t) => {
  const on = await run('default', tempFile(t));
  assert.equal(on.code, 0, on.stderr);
  assert.ok(on.lines[0].inline.reads > 0, 'reads ran inline');
  assert.equal(on.lines[0].inline.cap, 2);
  assert.equal(on.lines[0].inline.budget, 50);
  assert.equal(on.lines[0].memory, null, 'in-memory databases stay off');

  const off = await run('default', tempFile(t, 'b.db'), { THREADLITE_TUNING: 'interrupt=0' });
  assert.equal(off.code, 0, off.stderr);
  assert.equal(off.lines[0].inline, null);
  assert.notEqual(off.lines[0].last, 'main');

  const missing = await run('default', tempFile(t, 'c.db'), { THREADLITE_NATIVE: '/nonexistent/threadlite.node' });
  assert.equal(missing.code, 0, missing.stderr);
  assert.equal(missing.lines[0].inline, null);

  // Asked for explicitly without the native library: as before, uncapped.
  const asked = await run('default', tempFile(t, 'd.db'), { THREADLITE_TUNING: 'interrupt=0' }, { inlineReads: 50 });
  assert.equal(asked.code, 0, asked.stderr);
  assert.ok(asked.lines[0].inline.reads > 0, 'reads ran inline');
  assert.equal(asked.lines[0].inline.cap, 0);

  const zero = await run('default', tempFile(t, 'e.db'), {}, { inlineReads: 0 });
  assert.equal(zero.lines[0].inline, null, 'inlineReads: 0 turns it off');
});

test('a process that did inline reads exits promptly after close(), and by itself without close()', async (t) => {
  const closed = await run('close', tempFile(t));
  assert.equal(closed.signal, null, `killed: ${closed.stderr}`);
  assert.equal(closed.code, 0, closed.stderr);
  assert.ok(closed.lines[0].inline.reads > 0, 'reads ran inline');
  t.diagnostic(`exited ${closed.afterStep.toFixed(0)} ms after close() resolved`);
  assert.ok(closed.afterStep < 1000, `exited ${closed.afterStep} ms after close() resolved`);

  const open = await run('noclose', tempFile(t, 'b.db'));
  assert.equal(open.signal, null, `killed: ${open.stderr}`);
  assert.equal(open.code, 0, open.stderr);
  assert.ok(open.lines[0].inline.reads > 0, 'reads ran inline');
  t.diagnostic(`exited ${open.afterStep.toFixed(0)} ms after its code was done`);
  assert.ok(open.afterStep < 2000, `exited ${open.afterStep} ms after its code was done`);
});
