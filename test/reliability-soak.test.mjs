// Soak: mixed reads, writes and transactions with random aborts, timeouts and
// forced worker crashes, checked against a model of what must be in the file.
// Twice: with the default options (cheap reads inline on the main thread) and
// with `inlineReads: 0`, where small reads travel through the readers' request
// rings (src/request-ring.ts) among the message traffic. About 8 s each;
// THREADLITE_SOAK=long runs 60 s each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { AbortError, open, TimeoutError, TransactionClosedError, WorkerCrashedError } from 'threadlite';
import { setupModule } from './fixtures/rel-gate.mjs';
import { tempFile } from './helpers.mjs';

const SECONDS = process.env.THREADLITE_SOAK === 'long' ? 60 : 8;
const LANES = 12;

for (const [variant, options] of [
  ['default options', {}],
  ['reads through the request rings (inlineReads: 0)', { inlineReads: 0 }],
]) test(`soak, ${variant}: ${SECONDS} s of mixed calls, cancellations and crashes`, { timeout: (SECONDS + 60) * 1000 }, async (t) => {
  const file = tempFile(t);
  const db = await open(file, { readers: 2, setup: setupModule, ...options });
  await db.exec('CREATE TABLE kv(id INTEGER PRIMARY KEY, lane INT, grp INT)');
  const acked = new Set(); // ids whose write resolved: must be present
  const groups = new Map(); // transaction group -> its ids, resolved or not: all or none
  const seen = { ok: 0, timeout: 0, abort: 0, crashed: 0, txClosed: 0, crashes: 0 };
  const unexpected = [];
  let nextId = 1;
  let nextGroup = 1;
  const deadline = Date.now() + SECONDS * 1000;
  const rand = (n) => Math.floor(Math.random() * n);

  /** Random cancellation options: none, a short timeout, or a signal aborted soon. */
  function cancelOptions() {
    const r = rand(10);
    if (r < 6) return undefined;
    if (r < 8) return { timeout: 1 + rand(10) };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), rand(10));
    return { signal: controller.signal };
  }

  /** Classifies a settled call; anything but the expected failures is a bug. */
  async function settle(promise, what) {
    try {
      const value = await promise;
      seen.ok++;
      return { ok: true, value };
    } catch (err) {
      if (err instanceof TimeoutError) seen.timeout++;
      else if (err instanceof AbortError) seen.abort++;
      else if (err instanceof WorkerCrashedError) seen.crashed++;
      else if (err instanceof TransactionClosedError) seen.txClosed++;
      else unexpected.push(`${what}: ${err?.stack ?? err}`);
      return { ok: false, err };
    }
  }

  async function lane(n) {
    while (Date.now() < deadline) {
      const op = rand(100);
      if (op < 30) {
        const id = nextId++;
        const r = await settle(db.run('INSERT INTO kv(id, lane) VALUES (?, ?)', [id, n], cancelOptions()), 'insert');
        if (r.ok) acked.add(id);
      } else if (op < 42) {
        const grp = nextGroup++;
        const ids = [nextId++, nextId++, nextId++];
        groups.set(grp, ids);
        const r = await settle(
          db.transaction(async (tx) => {
            for (const id of ids) await tx.run('INSERT INTO kv(id, lane, grp) VALUES (?, ?, ?)', [id, n, grp]);
          }),
          'transaction',
        );
        if (r.ok) for (const id of ids) acked.add(id);
      } else if (op < 62) {
        // Every row acknowledged before the read began must be visible to it.
        const known = [...acked].slice(-20);
        const r = await settle(db.all('SELECT id FROM kv ORDER BY id DESC LIMIT 5000', [], cancelOptions()), 'read');
        if (r.ok) {
          const ids = new Set(r.value.map((row) => row.id));
          const floor = r.value.length === 5000 ? r.value.at(-1).id : 0;
          for (const id of known) if (id > floor) assert.ok(ids.has(id), `acknowledged row ${id} not visible to a later read`);
        }
      } else if (op < 75) {
        // A slow read that stops when its worker is asked to.
        await settle(
          db.get(
            'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000 AND threadlite_interrupted() = 0) SELECT count(*) AS n FROM c',
            [],
            cancelOptions(),
          ),
          'slow read',
        );
      } else {
        // Small reads (the ring's kind with inlineReads: 0): an acknowledged row reads back as written.
        const acks = [...acked];
        const id = acks.length > 0 && rand(2) === 0 ? acks[rand(acks.length)] : rand(nextId);
        const point = rand(2) === 0;
        // Only a row acknowledged before the read began must be in it.
        const wasAcked = acked.has(id);
        const r = point
          ? await settle(db.get('SELECT id, lane FROM kv WHERE id = ?', [id], cancelOptions()), 'point read')
          : await settle(db.all('SELECT id FROM kv WHERE id BETWEEN ? AND ? ORDER BY id', [id, id + 3], cancelOptions()), 'range read');
        if (r.ok && wasAcked) {
          if (point) assert.equal(r.value?.id, id, `acknowledged row ${id} not read back`);
          else assert.equal(r.value[0]?.id, id, `acknowledged row ${id} not in its range`);
        }
      }
    }
  }

  // A forced crash every ~1.5 s, alternating writer and reader.
  const crasher = (async () => {
    for (let i = 0; Date.now() < deadline - 1000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const sql = i % 2 === 0 ? 'INSERT INTO kv(id) SELECT rel_exit(3)' : 'SELECT rel_exit(3) AS x';
      const r = await settle(i % 2 === 0 ? db.run(sql) : db.get(sql), 'crash');
      assert.equal(r.ok, false);
      seen.crashes++;
    }
  })();

  // Every call settles: a lane stuck on a call that never settles fails the test by its timeout.
  await Promise.all([...Array.from({ length: LANES }, (_, n) => lane(n)), crasher]);
  assert.deepEqual(unexpected, []);
  const stats = db.stats();
  assert.equal(stats.queued, 0);
  assert.equal(stats.running, 0);
  assert.equal(stats.timedOut, seen.timeout);
  assert.equal(stats.aborted, seen.abort);
  assert.ok(stats.respawns >= seen.crashes, `respawns ${stats.respawns} < crashes ${seen.crashes}`);
  assert.ok(stats.failed >= seen.timeout + seen.abort + seen.crashed);
  await db.close();
  assert.ok(db.stats().workers.every((w) => w.state === 'exited'), JSON.stringify(db.stats().workers));
  // Nothing left running: no worker port keeps the process alive, no timer of the pool's is pending.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const resources = process.getActiveResourcesInfo();
  assert.ok(!resources.includes('MessagePort'), `still active: ${resources}`);
  assert.ok(!resources.includes('Worker'), `still active: ${resources}`);
  assert.equal(resources.filter((r) => r === 'Timeout').length, 0, `still active: ${resources}`);

  const check = new Database(file, { readonly: true });
  try {
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    const present = new Set(check.prepare('SELECT id FROM kv').pluck().all());
    const missing = [...acked].filter((id) => !present.has(id));
    assert.deepEqual(missing, []);
    for (const [grp, ids] of groups) {
      const n = ids.filter((id) => present.has(id)).length;
      assert.ok(n === 0 || n === 3, `transaction ${grp} is torn: ${n}/3 rows`);
    }
  } finally {
    check.close();
  }
  t.diagnostic(`${JSON.stringify(seen)}; ${acked.size} acknowledged rows; respawns ${stats.respawns}`);
  // The soak did real work of every kind (how much depends on the machine's load: not a speed test).
  assert.ok(seen.ok > 100 && seen.timeout > 0 && seen.abort > 0 && seen.crashes > 0);
  // The crasher stops a second before the end: the readers standing then carried that second's small reads.
  if (options.inlineReads === 0) assert.ok(stats.workers.some((w) => w.viaRing > 0), JSON.stringify(stats.workers));
});
