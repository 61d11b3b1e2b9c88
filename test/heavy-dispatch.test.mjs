// Heavy reads and the last reader (src/engine/scheduler.ts): with the writer idle to serve light
// reads, a heavy read may take the reader otherwise kept free for them rather than wait for the
// longest read in flight. Past the cores that only shares them: reads of like cost run no more at
// once than there are cores, and one much shorter than what the running reads have left still
// starts at once.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { openGated } from './fixtures/rel-gate.mjs';

const CORES = availableParallelism();
// rel_spin(ms) burns a worker's CPU for that long; rel_role() says where it ran.
const SPIN = 'SELECT rel_spin(?) AS done, rel_role() AS role';

const busyReaders = (db) => db.stats().workers.filter((w) => w.role === 'reader' && w.inflight > 0).length;

test('heavy reads of like cost run no more at once than the cores: the last reader stays free', async (t) => {
  // One reader per core, plus the one kept for light reads.
  const { db } = await openGated(t, { readers: CORES + 1 });
  // Taught: ~300 ms, heavy, too long for the writer to take (50 ms).
  await db.get(SPIN, [300]);
  let settled = false;
  const reads = Promise.all(Array.from({ length: CORES + 2 }, () => db.get(SPIN, [300]))).finally(() => (settled = true));
  // Readers busy at once, looked at every 2 ms until all have answered (the old rule: cores + 1).
  let most = 0;
  let queuedSeen = 0;
  while (!settled) {
    most = Math.max(most, busyReaders(db));
    queuedSeen = Math.max(queuedSeen, db.stats().queued);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const rows = await reads;
  assert.equal(most, CORES, JSON.stringify(db.stats().workers));
  assert.ok(queuedSeen >= 1, 'reads waited for a core');
  assert.ok(rows.every((r) => r.done === 1 && r.role === 'reader'));
});

test('a heavy read much shorter than what the running ones have left takes the last reader at once', async (t) => {
  const { db, gate } = await openGated(t, { readers: CORES + 1 });
  // Taught: ~60 ms, heavy, and over what the idle writer takes (50 ms): only a reader runs it.
  for (let i = 0; i < 2; i++) await db.get(SPIN, [60]);
  // A long read on each reader but the last (their length unknown: they have run for as long as
  // they have, and are taken to run as long again).
  const long = Array.from({ length: CORES }, (_, i) => db.get(`SELECT rel_block() AS x, ${i} AS i`));
  await gate.waitEntered(CORES);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const row = await Promise.race([
    db.get(SPIN, [60]),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), 20_000).unref()),
  ]);
  // Answered by a reader while every long read still blocks.
  assert.equal(Atomics.load(gate.cells, 1), 0);
  assert.deepEqual(row, { done: 1, role: 'reader' }, JSON.stringify(db.stats()));
  gate.release();
  assert.equal((await Promise.all(long)).length, CORES);
});

test('twins of a statement still being measured leave the last reader to a statement not seen yet', async (t) => {
  // Three readers: two may hold heavy reads, the third is kept for light ones.
  const { db, gate } = await openGated(t, { readers: 3 });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (42)');
  await Promise.all(Array.from({ length: 6 }, () => db.get('SELECT count(*) FROM t')));
  // Three calls of one statement never seen: each blocks until the gate opens.
  const blocked = 'SELECT rel_block() AS b, rel_role() AS role';
  const twins = Promise.all([db.get(blocked), db.get(blocked), db.get(blocked)]);
  await gate.waitEntered(2, { describe: () => JSON.stringify(db.stats()) });
  // A statement not seen yet, while two twins run and the third waits: it
  // takes the last reader (the old rule gave that reader to the third twin,
  // and this read waited for the gate).
  const light = db.get('SELECT x FROM t WHERE x > ?', [0]);
  const outcome = await Promise.race([light, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000).unref())]);
  assert.deepEqual(outcome, { x: 42 });
  assert.equal(gate.entered, 2, 'the third twin waited for the first two');
  gate.release();
  const rows = await twins;
  assert.ok(rows.every((r) => r.b === 1 && r.role === 'reader'));
});
