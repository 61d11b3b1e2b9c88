// The writer's request ring: small writes, and the reads the writer serves, travel through shared
// memory like readers' small reads. What must hold: a write's result is better-sqlite3's own,
// whichever way it went; a write whose answer is in the ring stands even if the writer dies before
// the main thread read it. (Answers that carry tracked changes go by message: the 'change' event
// tests in sqlite3.change.test.mjs send their writes through this ring.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, WorkerCrashedError } from 'threadlite';
import { openGated } from './fixtures/rel-gate.mjs';
import { tempFile } from './helpers.mjs';

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE, n)';

/** Every write of the fidelity test, as [sql, params, safeIntegers?]. */
const WRITES = [
  ["INSERT INTO t(v, n) VALUES ('a', 1)", undefined],
  ['INSERT INTO t(v, n) VALUES (?, ?)', ['b', 2]],
  ['INSERT INTO t(v) VALUES (?)', 'c ✓ 𝄞'],
  ['INSERT INTO t(id, v, n) VALUES (?, ?, ?)', [2 ** 53 + 2, 'beyond 2^53', 3n]],
  ['INSERT INTO t(id, v, n) VALUES (?, ?, ?)', [2n ** 60n, 'bigint id', null], true],
  ['INSERT OR IGNORE INTO t(v) VALUES (?)', ['a']],
  ['UPDATE t SET n = n + 1 WHERE n IS NOT NULL', undefined],
  ['UPDATE t SET n = 0 WHERE id < 0', undefined],
  ['INSERT INTO t(v, n) VALUES (:v, :n)', { v: 'named', n: -0 }],
  ['INSERT INTO t(v, n) VALUES (?, ?)', ['blob', Buffer.from([1, 2, 3])]],
  ['DELETE FROM t WHERE v = ?', ['b']],
  ['INSERT INTO t(v) VALUES (?) RETURNING id', ['returning']],
  ['INSERT INTO t(v) VALUES (?)', ['a']], // UNIQUE: fails
];

function settle(fn) {
  try {
    return { ok: fn() };
  } catch (err) {
    return { err: { name: err.name, code: err.code, message: err.message } };
  }
}

test('writes through the writer ring return what better-sqlite3 returns, and leave the same rows', async (t) => {
  const file = tempFile(t);
  const db = await open(file, { readers: 1 });
  t.after(() => db.close());
  await db.exec(SCHEMA);
  const expectedFile = tempFile(t, 'expected.db');
  const direct = new Database(expectedFile);
  t.after(() => direct.close());
  direct.exec(SCHEMA);

  const before = db.stats().workers[0].viaRing;
  // One tick: every write is in flight at once (pipelined on the writer), in order.
  const results = await Promise.all(
    WRITES.map(([sql, params, safe]) => {
      const stmt = db.prepare(sql);
      if (safe) stmt.safeIntegers();
      return stmt.run(params).then(
        (ok) => ({ ok }),
        (err) => ({ err: { name: err.name, code: err.code, message: err.message } }),
      );
    }),
  );
  const expected = WRITES.map(([sql, params, safe]) =>
    settle(() => {
      const stmt = direct.prepare(sql);
      if (safe) stmt.safeIntegers();
      return params === undefined ? stmt.run() : stmt.run(params);
    }),
  );
  assert.deepEqual(results, expected);
  // The shapes that fit went through the ring: all but the named parameters and the BLOB.
  assert.equal(db.stats().workers[0].viaRing - before, WRITES.length - 2);
  const rows = await db.all('SELECT * FROM t ORDER BY id');
  assert.deepEqual(rows, direct.prepare('SELECT * FROM t ORDER BY id').all());
});

test('a write answered in the ring stands when the writer dies before the main thread read the answer', async (t) => {
  const { db, gate } = await openGated(t, { readers: 1 });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  const writer = db.stats().workers[0];
  const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  const threadsBefore = threads();

  const kept = db.run('INSERT INTO t(v) VALUES (?)', ['kept']);
  assert.equal(db.stats().workers[0].viaRing, writer.viaRing + 1, 'the write went through the ring');
  // Behind it, on the same writer: marks the gate, then ends the writer's thread.
  const crash = db.run('SELECT rel_mark(), rel_exit(3)');
  // Both requests leave in a microtask queued as they were sent: let it run, and nothing else.
  await null;
  // Block this thread (it cannot read the ring meanwhile) until the writer has begun the crashing
  // statement, which it does only after answering the write, and then until its thread is gone.
  const deadline = Date.now() + 10_000;
  while (gate.entered < 1 && Date.now() < deadline) Atomics.wait(gate.cells, 0, 0, 100);
  assert.equal(gate.entered, 1, 'the writer began the crashing statement');
  while (threads() >= threadsBefore && Date.now() < deadline);
  assert.ok(threads() < threadsBefore, 'the writer thread ended while the main thread was blocked');

  assert.deepEqual(await kept, { changes: 1, lastInsertRowid: 1 });
  await assert.rejects(crash, WorkerCrashedError);
  // The row is there, and the replacement writer works.
  assert.deepEqual(await db.all('SELECT v FROM t'), [{ v: 'kept' }]);
  assert.equal((await db.run('INSERT INTO t(v) VALUES (?)', ['after'])).changes, 1);
  assert.notEqual(db.stats().workers[0].threadId, writer.threadId);
});

test('a change answered in the ring behind an answer still waiting to be posted: both stand when the writer dies next', async (t) => {
  // No readers: the writer serves every read. A read with named parameters goes by message and its
  // answer waits to be posted with the next ones; the write behind it is answered in the ring.
  const { db } = await openGated(t, { readers: 0 });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  await db.run('INSERT INTO t(v) VALUES (?)', ['first']);
  await db.run('SELECT CASE WHEN ? THEN rel_exit(3) END', [0]);
  const read = db.get('SELECT v FROM t WHERE id = :id', { id: 1 });
  const write = db.run('INSERT INTO t(v) VALUES (?)', ['second']);
  // In the same run of the writer's loop, before it posts what waits: end the thread. (A statement
  // the writer has not seen run counts as possibly slow, and answers waiting are posted before it:
  // this one ran once, without crashing.)
  const crash = db.run('SELECT CASE WHEN ? THEN rel_exit(3) END', [1]);
  assert.deepEqual(await read, { v: 'first' });
  assert.deepEqual(await write, { changes: 1, lastInsertRowid: 2 });
  await assert.rejects(crash, WorkerCrashedError);
  assert.deepEqual(await db.all('SELECT v FROM t ORDER BY id'), [{ v: 'first' }, { v: 'second' }]);
});
