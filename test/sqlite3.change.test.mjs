// threadlite/sqlite3's 'change' event (SQLite's update hook on the pool's
// writer, through threadlite's native library) and configure('limit')
// (sqlite3_limit on every connection of the pool, started later included).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setupModule } from './fixtures/rel-gate.mjs';
import { tempFile } from './helpers.mjs';

// The library threadlite loads is the one this test inspects (changeHooks()):
// name it, so both load the same file (dlopen of one path, one set of globals).
const root = fileURLToPath(new URL('..', import.meta.url));
const nativePath = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'threadlite.node');
process.env.THREADLITE_NATIVE = nativePath;
const require = createRequire(import.meta.url);
const sqlite3 = (await import('threadlite/sqlite3')).default;
const cjs = require('threadlite/sqlite3');
const native = require(nativePath);

// rel_exit(code) ends the worker that runs it (to respawn one), rel_role() names it.
sqlite3.setOpenOptions({ readers: 1, setup: setupModule });

/** The change buffer holds this many changes per statement (CHANGE_CAP in src/settings-protocol.ts). */
const CHANGE_CAP = 10_000;

async function openDb(t, file, lib = sqlite3) {
  const db = await new Promise((resolve, reject) => {
    const d = new lib.Database(file, (err) => (err ? reject(err) : resolve(d)));
  });
  t.after(() => new Promise((resolve) => (db.open ? db.close(() => resolve()) : resolve())));
  return db;
}

/** db.run as a promise; `log` (if given) records the callback's place among the events. */
const run = (db, sql, params = [], log) =>
  new Promise((resolve, reject) =>
    db.run(sql, params, function (err) {
      log?.push(['callback', err?.code ?? null]);
      err ? reject(err) : resolve({ lastID: this.lastID, changes: this.changes });
    }),
  );
const all = (db, sql, params = []) => new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows))));
const exec = (db, sql) => new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));

/** Records every 'change' event of `db` as [type, database, table, rowid]. */
function record(db, into = []) {
  const listener = (...args) => into.push(args);
  db.on('change', listener);
  return { events: into, listener };
}

test('insert, update and delete emit (type, database, table, rowid) in order, before the callback (import and require alike)', async (t) => {
  for (const lib of [sqlite3, cjs]) {
    const db = await openDb(t, tempFile(t), lib);
    await exec(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v); CREATE TABLE log(x)');
    const { events } = record(db);
    await run(db, 'INSERT INTO t(v) VALUES (?), (?)', ['a', 'b'], events);
    await run(db, 'UPDATE t SET v = ? WHERE id = 2', ['c'], events);
    await run(db, 'DELETE FROM t WHERE id = 1', [], events);
    assert.deepEqual(events, [
      ['insert', 'main', 't', 1],
      ['insert', 'main', 't', 2],
      ['callback', null],
      ['update', 'main', 't', 2],
      ['callback', null],
      ['delete', 'main', 't', 1],
      ['callback', null],
    ]);
    // exec() scripts, rows changed by triggers, other schemas, and a statement that failed
    // after changing a row (SQLite's hook fired; node-sqlite3 emits it too).
    events.length = 0;
    await exec(db, "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END; INSERT INTO t(id, v) VALUES (10, 'x')");
    await exec(db, 'CREATE TEMP TABLE tt(a)');
    await run(db, 'INSERT INTO temp.tt VALUES (1)');
    await assert.rejects(run(db, "INSERT INTO t(id, v) VALUES (11, 'y'), (2, 'dup')", [], events), { code: 'SQLITE_CONSTRAINT' });
    assert.deepEqual(events, [
      ['insert', 'main', 't', 10],
      ['insert', 'main', 'log', 1],
      ['insert', 'temp', 'tt', 1],
      ['insert', 'main', 't', 11],
      ['insert', 'main', 'log', 2],
      ['callback', 'SQLITE_CONSTRAINT'],
    ]);
    assert.deepEqual(await all(db, 'SELECT id FROM t ORDER BY id'), [{ id: 2 }, { id: 10 }]);
  }
});

test('changes inside a transaction that rolls back are emitted as they happen, as node-sqlite3 does', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
  const { events } = record(db);
  await run(db, 'BEGIN');
  await run(db, 'INSERT INTO t(v) VALUES (1)', [], events);
  await run(db, 'ROLLBACK');
  assert.deepEqual(events, [['insert', 'main', 't', 1], ['callback', null]]);
  assert.deepEqual(await all(db, 'SELECT * FROM t'), []);
});

test('no listener, no hook: listening installs it on the writer, removing the last listener removes it', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
  await run(db, 'INSERT INTO t(v) VALUES (1)');
  assert.equal(native.changeHooks(), 0);
  const first = record(db);
  const second = record(db, []);
  await run(db, 'INSERT INTO t(v) VALUES (2)');
  assert.equal(native.changeHooks(), 1);
  assert.deepEqual(first.events, [['insert', 'main', 't', 2]]);
  assert.deepEqual(second.events, [['insert', 'main', 't', 2]]);
  db.removeListener('change', first.listener);
  await run(db, 'INSERT INTO t(v) VALUES (3)');
  assert.equal(native.changeHooks(), 1, 'one listener is left');
  assert.equal(second.events.length, 2);
  db.off('change', second.listener);
  await run(db, 'INSERT INTO t(v) VALUES (4)');
  assert.equal(native.changeHooks(), 0);
  assert.deepEqual(first.events, [['insert', 'main', 't', 2]]);
  assert.equal(second.events.length, 2);
  // removeAllListeners too.
  record(db);
  await run(db, 'INSERT INTO t(v) VALUES (5)');
  assert.equal(native.changeHooks(), 1);
  db.removeAllListeners('change');
  await run(db, 'INSERT INTO t(v) VALUES (6)');
  assert.equal(native.changeHooks(), 0);
});

test('two facades on one file (one pool, one writer) each see only the changes of their own statements', async (t) => {
  const file = tempFile(t);
  const a = await openDb(t, file);
  const b = await openDb(t, file);
  const c = await openDb(t, file); // listens to nothing
  assert.equal(sqlite3.openPools().find((p) => p.file === file)?.databases, 3);
  await exec(a, 'CREATE TABLE t(id INTEGER PRIMARY KEY, who)');
  const seenA = record(a).events;
  const seenB = record(b).events;
  // Interleaved on the writer: sent without waiting for each other.
  await Promise.all([
    run(a, "INSERT INTO t(id, who) VALUES (1, 'a')"),
    run(b, "INSERT INTO t(id, who) VALUES (2, 'b')"),
    run(c, "INSERT INTO t(id, who) VALUES (3, 'c')"),
    run(a, "UPDATE t SET who = 'a2' WHERE id = 1"),
    run(b, 'DELETE FROM t WHERE id = 2'),
  ]);
  assert.deepEqual(seenA, [['insert', 'main', 't', 1], ['update', 'main', 't', 1]]);
  assert.deepEqual(seenB, [['insert', 'main', 't', 2], ['delete', 'main', 't', 2]]);
  // A transaction of one facade (a writer lease) reports to that facade.
  await run(b, 'BEGIN');
  await run(b, "INSERT INTO t(id, who) VALUES (4, 'b')");
  await run(b, 'COMMIT');
  assert.deepEqual(seenB.at(-1), ['insert', 'main', 't', 4]);
  assert.equal(seenA.length, 2);
});

test('a 100k-row INSERT … SELECT records at most 10,000 changes and reports the rest as change-overflow', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
  const { events } = record(db);
  const bulk = 'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000) INSERT INTO t(v) SELECT i FROM r';
  // Without a change-overflow listener: one process warning.
  const warned = once(process, 'warning');
  await run(db, bulk);
  const [warning] = await warned;
  assert.equal(warning.code, 'THREADLITE_CHANGES_DROPPED');
  assert.equal(events.length, CHANGE_CAP);
  assert.deepEqual(events[0], ['insert', 'main', 't', 1]);
  assert.deepEqual(events.at(-1), ['insert', 'main', 't', CHANGE_CAP]);
  // With one: the count per table, after that statement's change events, before its callback.
  events.length = 0;
  const overflow = [];
  db.on('change-overflow', (...args) => overflow.push([...args, events.length]));
  const heapBefore = process.memoryUsage().rss;
  await run(db, 'UPDATE t SET v = v + 1');
  assert.equal(events.length, CHANGE_CAP);
  assert.deepEqual(overflow, [['main', 't', 100_000 - CHANGE_CAP, CHANGE_CAP]]);
  assert.ok(process.memoryUsage().rss - heapBefore < 200 << 20, 'memory stays bounded');
  // The next statement starts with an empty buffer.
  events.length = 0;
  await run(db, 'DELETE FROM t WHERE id = 5');
  assert.deepEqual(events, [['delete', 'main', 't', 5]]);
});

test('a respawned writer keeps recording changes', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
  const { events } = record(db);
  await run(db, 'INSERT INTO t(v) VALUES (1)');
  assert.equal(native.changeHooks(), 1);
  // The writer's thread exits while running this statement: the call fails, the writer is replaced.
  await assert.rejects(run(db, 'INSERT INTO t(v) VALUES (rel_exit(1))'), { code: 'ERR_THREADLITE_WORKER_CRASHED' });
  await run(db, 'INSERT INTO t(v) VALUES (2)');
  assert.deepEqual(events, [['insert', 'main', 't', 1], ['insert', 'main', 't', 2]]);
  assert.equal(native.changeHooks(), 1, 'the new writer has the hook, the old one is gone');
});

test("configure('limit') applies to the writer and every reader, replaced ones included", async (t) => {
  const file = tempFile(t);
  const db = await openDb(t, file);
  const holder = await openDb(t, file);
  await exec(db, 'CREATE TABLE t(v)');
  // An idle writer may serve light reads: while another facade holds the writer in a
  // transaction, every read of `db` runs on the (one) reader.
  const onReader = async (fn) => {
    await run(holder, 'BEGIN IMMEDIATE');
    try {
      assert.deepEqual(await all(db, 'SELECT rel_role() AS role'), [{ role: 'reader' }]);
      return await fn();
    } finally {
      await run(holder, 'COMMIT');
    }
  };
  // 40 characters, made inside SQLite (a bound value is checked by better-sqlite3 as it binds).
  const long = "replace(hex(zeroblob(20)), '0', 'x')";
  const read = `SELECT length(${long}) AS n`;
  await onReader(async () => assert.deepEqual(await all(db, read), [{ n: 40 }]));
  await run(db, `INSERT INTO t VALUES (${long})`);
  // SQLite raises a LIMIT_LENGTH under 30 to 30 (SQLITE_MIN_LENGTH).
  db.configure('limit', sqlite3.LIMIT_LENGTH, 10);
  await assert.rejects(run(db, `INSERT INTO t VALUES (${long})`), { code: 'SQLITE_TOOBIG', errno: sqlite3.TOOBIG, message: 'SQLITE_TOOBIG: string or blob too big' });
  await assert.rejects(run(db, 'INSERT INTO t VALUES (?)', ['x'.repeat(40)]), { code: 'SQLITE_TOOBIG' });
  await onReader(() => assert.rejects(all(db, read), { code: 'SQLITE_TOOBIG' }));
  // Replace the reader, then the writer: the new connections get the limit before their first statement.
  await onReader(async () => {
    await assert.rejects(all(db, 'SELECT rel_exit(1) AS x'), { code: 'ERR_THREADLITE_WORKER_CRASHED' });
    await assert.rejects(all(db, read), { code: 'SQLITE_TOOBIG' });
  });
  await assert.rejects(run(db, 'INSERT INTO t VALUES (rel_exit(1))'), { code: 'ERR_THREADLITE_WORKER_CRASHED' });
  await assert.rejects(run(db, `INSERT INTO t VALUES (${long})`), { code: 'SQLITE_TOOBIG' });
  // A larger limit lets it through again, everywhere.
  db.configure('limit', sqlite3.LIMIT_LENGTH, 1000);
  await onReader(async () => assert.deepEqual(await all(db, read), [{ n: 40 }]));
  await run(db, `INSERT INTO t VALUES (${long})`);
  // Bad arguments, as node-sqlite3.
  assert.throws(() => db.configure('limit', sqlite3.LIMIT_LENGTH), { name: 'TypeError', message: 'Wrong number of arguments' });
  assert.throws(() => db.configure('limit', 'x', 1), { name: 'TypeError', message: 'limit id must be an integer' });
});

test('without the native library, listening to change and configure(limit) throw NativeUnavailableError; the database works', () => {
  const script = `
    const sqlite3 = require('threadlite/sqlite3');
    const db = new sqlite3.Database(':memory:');
    const out = {};
    try { db.on('change', () => {}); } catch (err) { out.change = [err.name, err.code, err instanceof sqlite3.NativeUnavailableError]; }
    out.listeners = db.listenerCount('change');
    try { db.configure('limit', sqlite3.LIMIT_LENGTH, 10); } catch (err) { out.limit = [err.name, err.code]; }
    db.run('CREATE TABLE t(a)').run('INSERT INTO t VALUES (1)').get('SELECT a FROM t', (err, row) => {
      out.row = row;
      db.close(() => console.log(JSON.stringify(out)));
    });`;
  for (const env of [{ THREADLITE_TUNING: 'interrupt=0' }, { THREADLITE_NATIVE: join(root, 'no-such-library.node') }]) {
    const result = spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      change: ['NativeUnavailableError', 'ERR_THREADLITE_NATIVE_UNAVAILABLE', true],
      listeners: 0,
      limit: ['NativeUnavailableError', 'ERR_THREADLITE_NATIVE_UNAVAILABLE'],
      row: { a: 1 },
    });
  }
});
