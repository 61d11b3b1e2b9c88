// Hybrid execution (src/inline-hybrid.ts): while more cheap reads come than the main thread can run
// inline, some go to a reader. These tests prove the mechanism, not its speed (that is
// docs/benchmark.md): a flood is split and every read still returns better-sqlite3's row; one
// caller's loop and a few callers never leave the main thread; offloaded reads pack onto one
// reader; none queues behind a reader's long read; while writes are in the mix the writer takes
// them instead; the split ends when the flood does; and the reader's answers settle within the
// event-loop turn (taken by the drain each send does, or by the poll before each inline read: the
// test cannot tell which, it proves the turn is not waited for).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open } from 'threadlite';
import { tempFile } from './helpers.mjs';
import { nextTurn, warmInline, watchWorkers } from './inline-helpers.mjs';

const ROWS = 5000;
const READ = 'SELECT * FROM t WHERE id = ?';
// A read of a second or more (10M rows) whose cost the pool cannot know in advance.
const SLOW = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) AS n FROM c';

// A budget (1 ms) and cap (1 s) that a loaded machine's hiccups cannot trip: a read preempted at the
// default cap is re-run on a reader, and if that re-run is slow too (the reader preempted as well)
// its SQL leaves the inline path for a while, and every read of it goes to the pool instead.
async function setup(t, options = {}) {
  const file = tempFile(t);
  const db = await open(file, { readers: 1, inlineReads: 1000, inlineCap: 1000, ...options });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, x REAL)');
  await db.batch(Array.from({ length: ROWS }, (_, i) => ['INSERT INTO t VALUES (?, ?, ?)', [i + 1, `v${i + 1}`, (i + 1) / 7]]));
  const workers = watchWorkers(t);
  await warmInline(db, workers, READ, [1], { patienceMs: 20_000 });
  return { db, file, workers };
}

/**
 * Runs `lanes` callers, each reading random rows in a loop and checking each against better-sqlite3's
 * own row, until `until()` holds (checked between reads) or `ms` pass. Returns the reads done.
 */
async function flood(db, expected, { lanes, until = () => false, ms = 20_000 }) {
  const deadline = performance.now() + ms;
  let reads = 0;
  let seed = 7;
  const next = () => 1 + ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % ROWS);
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (!until() && performance.now() < deadline) {
        const id = next();
        assert.deepEqual(await db.get(READ, [id]), expected[id - 1]);
        reads++;
      }
    }),
  );
  return reads;
}

function expectedRows(file) {
  const check = new Database(file, { readonly: true });
  try {
    return check.prepare('SELECT * FROM t ORDER BY id').all();
  } finally {
    check.close();
  }
}

test('a flood of cheap reads is split between the main thread and a reader, each with better-sqlite3\'s row', async (t) => {
  const { db, file } = await setup(t);
  const expected = expectedRows(file);
  const before = db.stats();
  let deepest = 0;
  await flood(db, expected, {
    lanes: 128,
    until: () => {
      const s = db.stats().inline;
      deepest = Math.max(deepest, s.offloadDepth);
      return s.offloaded - before.inline.offloaded >= 2000;
    },
  });
  const after = db.stats();
  assert.ok(after.inline.offloaded - before.inline.offloaded >= 2000, `offloaded ${after.inline.offloaded - before.inline.offloaded}`);
  assert.ok(after.inline.reads - before.inline.reads > 0, 'the main thread kept reading inline');
  assert.ok(deepest > 0, 'the split had a depth');
  // The offloaded reads went through the reader's ring (the writer's count is of its own work).
  assert.ok(after.workers[1].viaRing - before.workers[1].viaRing >= 2000);
  // Flood over: turns without reads waiting bring the depth back to 0.
  for (let i = 0; i < 50 && db.stats().inline.offloadDepth > 0; i++) {
    await db.get(READ, [1]);
    await nextTurn();
  }
  assert.equal(db.stats().inline.offloadDepth, 0);
});

test('one caller\'s loop and a few callers never leave the main thread', async (t) => {
  // A 5 ms turn: the reads below take many turns.
  const { db, file } = await setup(t, { inlineCap: 5 });
  const expected = expectedRows(file);
  const before = db.stats().inline;
  // Far more than one turn's inline time: the loop waits for turns, one read at a time.
  for (let i = 0; i < 3000; i++) assert.deepEqual(await db.get(READ, [1 + (i % ROWS)]), expected[i % ROWS]);
  // 16 callers: the turn's end finds at most 16 waiting, under the split's threshold (32).
  await flood(db, expected, { lanes: 16, ms: 300 });
  const after = db.stats().inline;
  assert.equal(after.offloaded - before.offloaded, 0);
  assert.equal(after.offloadDepth, 0);
  assert.ok(after.deferred > before.deferred, 'the turn budget was spent, so reads did wait for turns');
});

test('offloaded reads pack onto one reader instead of spreading over all', async (t) => {
  const { db, file } = await setup(t, { readers: 3, minReaders: 3 });
  const expected = expectedRows(file);
  const before = db.stats();
  await flood(db, expected, { lanes: 128, until: () => db.stats().inline.offloaded - before.inline.offloaded >= 3000 });
  const after = db.stats();
  const perReader = after.workers.slice(1).map((w, i) => w.viaRing - before.workers[i + 1].viaRing);
  const total = perReader.reduce((a, b) => a + b, 0);
  // Least-loaded dispatch would give each about a third; packing gives one nearly all.
  assert.ok(Math.max(...perReader) >= (total * 2) / 3, `ring reads per reader: ${perReader.join(', ')}`);
});

test('while the only reader runs a long read, a flood stays on the main thread: nothing queues behind it', async (t) => {
  const { db, file, workers } = await setup(t);
  const expected = expectedRows(file);
  // First a flood, so the split is deep when the long read starts.
  const start = db.stats().inline.offloaded;
  await flood(db, expected, { lanes: 128, until: () => db.stats().inline.offloaded - start >= 500 });
  let slowDone = false;
  const slow = db.get(SLOW, [10_000_000]).then((row) => {
    slowDone = true;
    return row;
  });
  // Until the long read runs on the reader: nothing queued, the reader's one call in flight.
  const ready = performance.now() + 20_000;
  while (!slowDone && performance.now() < ready) {
    const s = db.stats();
    if (s.queued === 0 && s.workers[1].inflight === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  // A flood of 200 ms while it runs (it takes a second or more).
  const during = db.stats().inline.offloaded;
  const reads = slowDone ? 0 : await flood(db, expected, { lanes: 128, ms: 200, until: () => slowDone });
  const offloadedDuring = db.stats().inline.offloaded - during;
  const stillRunning = !slowDone;
  assert.deepEqual(await slow, { n: 10_000_000 });
  t.diagnostic(`${reads} reads beside the long read, ${offloadedDuring} offloaded`);
  if (!stillRunning) return t.skip('the long read ended before the flood did (a very fast machine)');
  assert.ok(reads > 0);
  assert.equal(offloadedDuring, 0, 'no cheap read was sent to the busy reader');
});

test('a reader\'s answers are taken between inline reads, without waiting for the event loop to turn', async (t) => {
  // A 50 ms turn: a chain of reads that never waits for anything but each other runs that long.
  const { db, file, workers } = await setup(t, { inlineCap: 50 });
  const expected = expectedRows(file);
  for (let attempt = 1; ; attempt++) {
    const start = db.stats().inline.offloaded;
    // A flood first, so that the split is deep.
    await flood(db, expected, { lanes: 128, until: () => db.stats().inline.offloaded - start >= 500 });
    const seen = workers(READ).length;
    let turned = false;
    let readerAnswered = 0;
    // Queued before any of the ring's own looks: it runs first in the next check phase, and
    // until then only answers the main thread took between its inline reads have settled.
    setImmediate(() => {
      turned = true;
      readerAnswered = workers(READ).slice(seen).filter((w) => w !== 'main').length;
    });
    await flood(db, expected, { lanes: 128, until: () => turned });
    t.diagnostic(`attempt ${attempt}: ${readerAnswered} reads answered by the reader before the loop turned`);
    if (readerAnswered > 0) break;
    // On a loaded machine the reader may not have run at all within one turn.
    if (attempt === 5) assert.fail('no offloaded read settled before the event loop turned');
  }
});

test('while writes are in the mix the writer takes the split\'s reads; with reads alone, a reader does', async (t) => {
  // 5 ms turns: a write's answer is taken at the turn's end.
  const { db, file, workers } = await setup(t, { inlineCap: 5 });
  const expected = expectedRows(file);
  await db.exec('CREATE TABLE w(id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
  await db.run('INSERT INTO w VALUES (1, 0)');
  const WRITE = 'UPDATE w SET n = n + 1 WHERE id = 1';
  const seen = workers(READ).length;
  const before = db.stats().inline.offloaded;
  // 128 callers, one call in ten a write, until the writer has answered 500 reads.
  let writes = 0;
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const byWriter = () => workers(READ).slice(seen).filter((w) => w === 'writer').length;
  const deadline = performance.now() + 10_000;
  await Promise.all(
    Array.from({ length: 128 }, async () => {
      while (byWriter() < 500 && performance.now() < deadline) {
        if ((next() >> 16) % 10 === 0) {
          await db.run(WRITE);
          writes++;
        } else {
          const id = 1 + (next() % ROWS);
          assert.deepEqual(await db.get(READ, [id]), expected[id - 1]);
        }
      }
    }),
  );
  const mixed = workers(READ).slice(seen);
  t.diagnostic(`${mixed.length} reads, ${writes} writes, ${db.stats().inline.offloaded - before} offloaded: ${byWriter()} to the writer, ${mixed.filter((w) => w.startsWith('reader')).length} to the reader`);
  assert.ok(byWriter() >= 500, `the writer answered ${byWriter()} reads`);
  // Every write landed once.
  assert.deepEqual(await db.get('SELECT n FROM w'), { n: writes });
  // Reads alone (no write for longer than the writer's window): the split goes to the reader again.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const readsOnly = workers(READ).length;
  const start = db.stats().inline.offloaded;
  await flood(db, expected, { lanes: 128, until: () => db.stats().inline.offloaded - start >= 1000 });
  const after = workers(READ).slice(readsOnly);
  const byReader = after.filter((w) => w.startsWith('reader')).length;
  const writerNow = after.filter((w) => w === 'writer').length;
  assert.ok(byReader >= 1000, `${byReader} reads answered by the reader`);
  // Not offloaded to the writer: it serves a read only when no reader can take it (a reader that has
  // not answered for 25 ms, preempted on a loaded machine, takes no more), or a watchdog's re-run.
  assert.ok(writerNow <= byReader / 20, `${writerNow} reads answered by the writer, ${byReader} by the reader`);
});
