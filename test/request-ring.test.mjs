// The request ring: small reads to a reader travel through shared memory,
// everything else by message, in one order per worker. These tests open with
// `inlineReads: 0` so that reads go to the reader worker, and check what the
// ring carried through `stats().workers[].viaRing`.
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, TimeoutError, WorkerCrashedError } from 'threadlite';
import { setupModule } from './fixtures/rel-gate.mjs';
import { tempDir, tempFile, until } from './helpers.mjs';
import { watchWorkers } from './inline-helpers.mjs';

async function setup(t, options = {}) {
  const file = tempFile(t);
  const db = await open(file, { readers: 1, inlineReads: 0, ...options });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, r REAL, big INTEGER, b BLOB, n)');
  await db.batch(
    Array.from({ length: 200 }, (_, i) => [
      'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)',
      [i + 1, `v${i} ✓ 𝄞`, i / 7, 2n ** 60n + BigInt(i), i % 10 === 0 ? Buffer.from([i % 256, 0]) : null, i % 3 === 0 ? null : i % 3 === 1 ? 'x'.repeat(i * 10) : -0],
    ]),
  );
  const direct = new Database(file, { readonly: true });
  t.after(() => direct.close());
  return { db, direct, file };
}

/**
 * Holds the writer in a transaction until the returned function is called: reads then go to the
 * reader only (a reader that made no progress for 25 ms, as on a loaded machine, would otherwise
 * hand calls to the writer, whose ring and order are its own).
 */
async function holdWriter(db) {
  let release;
  const held = new Promise((resolve) => (release = resolve));
  const done = db.transaction(async (tx) => {
    await tx.get('SELECT 1 AS one');
    await held;
  });
  await until(() => db.stats().workers.some((w) => w.role === 'writer' && w.leased), 'the transaction to hold the writer');
  return async () => {
    release();
    await done;
  };
}

const viaRing = (db) => db.stats().workers.reduce((sum, w) => sum + w.viaRing, 0);

test('reads through the ring answer exactly as better-sqlite3, whatever goes by message instead', async (t) => {
  const { db, direct } = await setup(t);
  // Each shape: [sql, params, mode]; some fit the ring, some must go by message (BLOBs, named
  // parameters, a lone surrogate, answers over a slot, a long SQL text) — all answer the same.
  const long = `SELECT id, v FROM t WHERE id = ? /* ${'x'.repeat(400)} */`;
  const cases = [
    ['SELECT * FROM t WHERE id = ?', [2], 'get'],
    ['SELECT * FROM t WHERE id = ?', 3, 'get'],
    ['SELECT * FROM t WHERE id = ?', [1], 'get'], // a BLOB in the row
    ['SELECT * FROM t WHERE id = ?', [99999], 'get'], // no row
    ['SELECT id, v, r FROM t WHERE id < ?', [6], 'all'],
    ['SELECT id, n FROM t WHERE id BETWEEN ? AND ?', [60, 80], 'all'], // rows over one slot
    ['SELECT id, v FROM t WHERE id = :id', { id: 4 }, 'get'],
    ['SELECT ? AS s, typeof(?) AS ty, length(?) AS len', ['\ud83d', '\ud83d', '\ud83d'], 'get'],
    ['SELECT ? AS a, ? AS b, ? AS c, ? AS d', [null, -0, 2n ** 62n, 1.5], 'get'],
    ['SELECT 1 AS x, 2 AS x', [], 'get'], // duplicate column names
    ['SELECT id, n FROM t WHERE id = ?', [3], 'get'], // n is NULL
    ['SELECT id, n FROM t WHERE id = ?', [5], 'get'], // n is -0 stored as REAL 0
    [long, [7], 'get'],
    ['SELECT id, v FROM t WHERE id = ? AND v LIKE ?', [9, 'v8%'], 'get'],
  ];
  const before = viaRing(db);
  for (let round = 0; round < 3; round++) {
    for (const [sql, params, op] of cases) {
      for (const mode of ['object', 'raw', 'pluck']) {
        const expected = direct.prepare(sql);
        const ours = db.prepare(sql);
        if (mode === 'raw') (expected.raw(true), ours.raw(true));
        if (mode === 'pluck') (expected.pluck(true), ours.pluck(true));
        const want = expected[op](params);
        const got = await ours[op](params);
        assert.deepStrictEqual(got, want, `${op} ${sql.slice(0, 60)} ${JSON.stringify(params, (k, v) => (typeof v === 'bigint' ? `${v}n` : v))} ${mode}`);
      }
    }
  }
  const carried = viaRing(db) - before;
  assert.ok(carried > 50, `the ring carried ${carried} reads`);
  // safeIntegers per statement travels with the request.
  const safe = db.prepare('SELECT big FROM t WHERE id = ?').safeIntegers(true);
  assert.deepStrictEqual(await safe.get([10]), { big: 2n ** 60n + 9n });
  assert.deepStrictEqual(await db.get('SELECT big FROM t WHERE id = ?', [10]), direct.prepare('SELECT big FROM t WHERE id = ?').get(10));
});

test('ring reads and message requests sent together keep their order on one reader', async (t) => {
  const { db, direct } = await setup(t);
  // Learn the statements (a text's first run may be probed on the writer).
  for (let i = 0; i < 3; i++) {
    await db.get('SELECT id, v FROM t WHERE id = ?', [1]);
    await db.get('SELECT id, b FROM t WHERE id = ?', [11]);
    await db.get('SELECT id, v FROM t WHERE id = :id', { id: 2 });
  }
  const releaseWriter = await holdWriter(db);
  const workers = watchWorkers(t);
  const [blob, named, ring] = ['SELECT id, b FROM t WHERE id = ?', 'SELECT id, v FROM t WHERE id = :id', 'SELECT id, v FROM t WHERE id = ?'];
  for (let attempt = 0; ; attempt++) {
    const before = viaRing(db);
    const settled = [];
    const calls = [];
    // 60: fewer than a worker takes at once (64), so all go to the reader in this tick, in order.
    for (let i = 1; i <= 60; i++) {
      const kind = i % 4;
      const call =
        kind === 0
          ? db.get(blob, [i]) // a BLOB answer may go by message
          : kind === 1
            ? db.get(named, { id: i }) // named: by message
            : db.get(ring, [i]); // the ring
      calls.push(call.then((row) => settled.push(i) && row));
    }
    // On a loaded machine a statement can measure as heavy (5 ms) and wait for an idle reader
    // in a queue of its own, so the reader gets the calls in another order: again.
    const queued = db.stats().queued;
    const rows = await Promise.all(calls);
    for (let i = 1; i <= 60; i++) {
      assert.deepStrictEqual(rows[i - 1], direct.prepare(i % 4 === 0 ? blob : ring).get(i), `call ${i}`);
    }
    if (queued > 0 && attempt < 4) {
      t.diagnostic(`attempt ${attempt}: ${queued} calls waited in the pool's queues; again`);
      continue;
    }
    assert.equal(queued, 0, 'every call went to the reader at once');
    // This round's calls: 15 of each kind by message, 30 through the ring.
    const answeredBy = [...workers(blob).slice(-15), ...workers(named).slice(-15), ...workers(ring).slice(-30)];
    assert.deepEqual(new Set(answeredBy), new Set(['reader:1']), `answered by ${answeredBy}`);
    // One reader answers in the order it was sent: the merge of ring and message answers keeps it.
    assert.deepEqual(settled, Array.from({ length: 60 }, (_, i) => i + 1), `settled in the order ${settled}`);
    assert.ok(viaRing(db) - before >= 30, `the ring carried ${viaRing(db) - before}`);
    break;
  }
  await releaseWriter();
});

test('after ALTER TABLE, SELECT * through the ring returns the new columns', async (t) => {
  const { db, direct } = await setup(t);
  const sql = 'SELECT * FROM t WHERE id = ?';
  for (let i = 0; i < 5; i++) await db.get(sql, [2]);
  const before = viaRing(db);
  assert.deepStrictEqual(await db.get(sql, [2]), direct.prepare(sql).get(2));
  await db.exec('ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7');
  const got = await db.get(sql, [2]);
  assert.equal(got.extra, 7);
  assert.deepStrictEqual(got, direct.prepare(sql).get(2));
  await db.exec('ALTER TABLE t DROP COLUMN v');
  assert.deepStrictEqual(await db.get(sql, [3]), direct.prepare(sql).get(3));
  assert.ok(viaRing(db) - before >= 3);
});

test('a ring read past its timeout is interrupted; the reader goes on', async (t) => {
  const { db } = await setup(t);
  const slow = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) AS n FROM c';
  for (let i = 0; i < 3; i++) await db.get(slow, [10]);
  const threads = db.stats().workers.map((w) => w.threadId);
  const before = viaRing(db);
  await assert.rejects(db.get(slow, [1e12], { timeout: 50 }), TimeoutError);
  assert.ok(viaRing(db) - before >= 1, 'it went through the ring');
  // One at a time, so the reader is free and the read takes the ring (not the writer).
  assert.deepEqual(await db.get('SELECT ? AS x', [5]), { x: 5 });
  assert.ok(viaRing(db) - before >= 2, 'the next read went through the ring');
  assert.equal(db.stats().respawns, 0, 'stopped by interrupt, not by replacing the reader');
  assert.deepEqual(db.stats().workers.map((w) => w.threadId), threads);
  assert.deepEqual(await db.get(slow, [7]), { n: 7 });
});

test('a value that cannot be posted fails alone among ring reads; the reader is not left waiting for it', async (t) => {
  const { db } = await setup(t);
  for (let i = 0; i < 3; i++) await db.get('SELECT ? AS x, length(?) AS n', [1, 'a']);
  const detached = new Uint8Array(8);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  const releaseWriter = await holdWriter(db);
  const before = viaRing(db);
  const settled = await Promise.allSettled([
    db.get('SELECT ? AS x, length(?) AS n', [1, 'a']),
    db.get('SELECT ? AS x, length(?) AS n', [2, detached]),
    db.get('SELECT ? AS x, length(?) AS n', [3, 'abc']),
  ]);
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal(settled[1].reason.name, 'DataCloneError');
  assert.deepEqual(settled[2].value, { x: 3, n: 3 });
  assert.ok(viaRing(db) - before >= 2);
  await releaseWriter();
  for (let i = 0; i < 50; i++) assert.deepEqual(await db.get('SELECT ? AS x, length(?) AS n', [i, 'ab']), { x: i, n: 2 });
  assert.equal(db.stats().running, 0);
});

test('a reader that dies with ring reads in flight: answers it gave stand, the one that killed it fails, the rest run again', async (t) => {
  const { db } = await setup(t, { setup: setupModule });
  const ok = 'SELECT ? AS i';
  const fatal = 'SELECT rel_exit(?) AS x';
  for (let i = 0; i < 3; i++) await db.get(ok, [i]);
  const before = viaRing(db);
  const calls = [];
  for (let i = 0; i < 20; i++) calls.push(db.get(ok, [i]));
  calls.push(db.get(fatal, [9]));
  for (let i = 20; i < 40; i++) calls.push(db.get(ok, [i]));
  const settled = await Promise.allSettled(calls);
  const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [[i, s.reason]] : []));
  assert.equal(failed.length, 1, JSON.stringify(failed.map(([i, e]) => [i, String(e)])));
  assert.equal(failed[0][0], 20);
  assert.ok(failed[0][1] instanceof WorkerCrashedError);
  for (const [i, s] of settled.entries()) if (i !== 20) assert.deepEqual(s.value, { i: i < 20 ? i : i - 1 });
  assert.ok(viaRing(db) - before >= 20 || db.stats().respawns >= 1);
  assert.deepEqual(await db.get(ok, [42]), { i: 42 });
});

test('close() with ring reads in flight answers them and resolves', async (t) => {
  const file = tempFile(t);
  const db = await open(file, { readers: 2, inlineReads: 0 });
  await db.exec('CREATE TABLE t(x)');
  await db.run('INSERT INTO t VALUES (1)');
  for (let i = 0; i < 3; i++) await db.get('SELECT x, ? AS i FROM t', [i]);
  const calls = Array.from({ length: 100 }, (_, i) => db.get('SELECT x, ? AS i FROM t', [i]));
  const closed = db.close();
  const rows = await Promise.all(calls);
  assert.deepEqual(rows, Array.from({ length: 100 }, (_, i) => ({ x: 1, i })));
  await closed;
});

test('reads in flight behind a crash on a ring reader run again on the writer, in the writer\'s own order', async (t) => {
  // Reads by message carry their place in the reader's order; after the crash they run again, here on
  // the writer (the reader cannot start again), whose ring and order are its own. (The pool
  // builds a fresh request for each attempt today; WorkerHandle.send also clears a stale place.)
  const flag = join(tempDir(t), 'refuse');
  process.env.THREADLITE_REL_FAIL_FILE = flag;
  process.env.THREADLITE_REL_FAIL_ROLE = 'reader';
  t.after(() => {
    delete process.env.THREADLITE_REL_FAIL_FILE;
    delete process.env.THREADLITE_REL_FAIL_ROLE;
  });
  const { db } = await setup(t, { setup: setupModule });
  const named = 'SELECT :i AS i';
  const fatal = 'SELECT rel_exit(?) AS x';
  for (let i = 0; i < 3; i++) await db.get(named, { i });
  writeFileSync(flag, '');
  const calls = [db.get(fatal, [9])];
  for (let i = 0; i < 30; i++) calls.push(db.get(named, { i: 1000 + i }));
  const settled = await Promise.allSettled(calls);
  assert.equal(settled[0].status, 'rejected');
  assert.ok(settled[0].reason instanceof WorkerCrashedError);
  assert.deepEqual(settled.slice(1).map((s) => s.value), Array.from({ length: 30 }, (_, i) => ({ i: 1000 + i })));
  assert.deepEqual(await db.get(named, { i: 5 }), { i: 5 });
  assert.equal((await db.run('INSERT INTO t(id) VALUES (?)', [5000])).changes, 1, 'the writer goes on');
  rmSync(flag);
});

test('many small reads in flight with random timeouts and aborts: each answer is its own request\'s, and the readers go on', async (t) => {
  // Answers are matched to requests by position in each worker's order: a slot taken twice, an
  // answer skipped after a cancellation, or a ring answer delivered to a message request would
  // hand one caller another's row. Seeded, so a failure reproduces.
  const { db, direct } = await setup(t, { readers: 2 });
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const kinds = [
    ['SELECT id, v, r FROM t WHERE id = ?', (id) => [id], 'get'], // ring
    ['SELECT id FROM t WHERE id BETWEEN ? AND ? ORDER BY id', (id) => [id, id + 4], 'all'], // ring
    ['SELECT id, b FROM t WHERE id = ?', (id) => [id], 'get'], // BLOB rows go by message
    ['SELECT id, v FROM t WHERE id = :id', (id) => ({ id }), 'get'], // named: by message
    ['SELECT id, n FROM t WHERE id BETWEEN ? AND ?', (id) => [id, id + 30], 'all'], // long answers by message
  ];
  const slow = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) AS n, ? AS id FROM c';
  for (const [sql, params, op] of kinds) for (let i = 0; i < 3; i++) await db[op](sql, params(1 + i));
  for (let i = 0; i < 3; i++) await db.get(slow, [10, 0]);
  const before = viaRing(db);
  const seen = { ok: 0, timeout: 0, abort: 0 };
  const lanes = Array.from({ length: 48 }, async (_, lane) => {
    for (let i = 0; i < 60; i++) {
      const id = 1 + rand(200);
      const r = rand(100);
      let options;
      if (r < 10) options = { timeout: 1 + rand(3) };
      else if (r < 20) {
        const controller = new AbortController();
        options = { signal: controller.signal };
        if (rand(2) === 0) queueMicrotask(() => controller.abort());
        else setTimeout(() => controller.abort(), rand(3));
      }
      // A slow read always has a deadline: it ends by interrupt, its reader goes on.
      const isSlow = rand(20) === 0;
      if (isSlow && options === undefined) options = { timeout: 1 + rand(5) };
      const [sql, params, op] = isSlow ? [slow, () => [1e9, id], 'get'] : kinds[rand(kinds.length)];
      try {
        const got = await db[op](sql, params(id), options);
        assert.ok(!isSlow, 'a billion-step read finished');
        assert.deepStrictEqual(got, direct.prepare(sql)[op](params(id)), `lane ${lane} call ${i}: ${op} ${sql} ${id}`);
        seen.ok++;
      } catch (err) {
        if (err instanceof TimeoutError) seen.timeout++;
        else if (err?.name === 'AbortError') seen.abort++;
        else throw err;
      }
    }
  });
  await Promise.all(lanes);
  t.diagnostic(`${JSON.stringify(seen)}; the ring carried ${viaRing(db) - before}`);
  assert.ok(seen.ok > 1000 && seen.timeout + seen.abort > 0, JSON.stringify(seen));
  assert.ok(viaRing(db) - before > 500, `the ring carried ${viaRing(db) - before}`);
  // A call cancelled before its turn settles at once; its worker skips it when it gets there.
  await until(() => db.stats().running === 0, () => `nothing running: ${JSON.stringify(db.stats())}`, 10_000);
  assert.equal(db.stats().respawns, 0, 'cancellations stopped statements, not readers');
  // The readers answer on, exactly.
  for (const [sql, params, op] of kinds) assert.deepStrictEqual(await db[op](sql, params(50)), direct.prepare(sql)[op](params(50)));
});
