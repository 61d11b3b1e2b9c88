// threadlite/sqlite3: node-sqlite3's semantics where they differ from
// better-sqlite3's, and each facade Database being its own connection on one
// shared pool (transactions isolated, reads parallel, writes waiting their turn).
import assert from 'node:assert/strict';
import { rmSync as rm } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { test } from 'node:test';
import sqlite3, { Database, openPools, setOpenOptions } from 'threadlite/sqlite3';
import { tempFile } from './helpers.mjs';

setOpenOptions({ readers: 1 });

/** Opens a facade Database; closed when the test ends. */
async function openDb(t, file) {
  const db = await new Promise((resolve, reject) => {
    const d = new Database(file, (err) => (err ? reject(err) : resolve(d)));
  });
  t.after(() => new Promise((resolve) => (db.open ? db.close(() => resolve()) : resolve())));
  return db;
}

/** Promisified run/all/get/exec that also returns `this` of run's callback. */
const run = (db, sql, ...params) =>
  new Promise((resolve, reject) => db.run(sql, ...params, function (err) { err ? reject(err) : resolve({ lastID: this.lastID, changes: this.changes }); }));
const all = (db, sql, ...params) => new Promise((resolve, reject) => db.all(sql, ...params, (err, rows) => (err ? reject(err) : resolve(rows))));
const get = (db, sql, ...params) => new Promise((resolve, reject) => db.get(sql, ...params, (err, row) => (err ? reject(err) : resolve(row))));
const exec = (db, sql) => promisify(db.exec.bind(db))(sql);

test('import and require load the same module; the default export is the module', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('threadlite/sqlite3');
  assert.equal(cjs.Database, Database);
  assert.equal(sqlite3.Database, Database);
  assert.equal(cjs.OPEN_READWRITE | cjs.OPEN_CREATE, 6);
  assert.equal(cjs.CONSTRAINT, 19);
  assert.match(cjs.VERSION, /^3\.\d+\.\d+$/);
});

test('binding and values follow node-sqlite3: prefixed names, integers, booleans, Dates, blobs', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c)');
  const r = await run(db, 'INSERT INTO t(a, b, c) VALUES ($a, :b, @c)', { $a: 5, ':b': true, '@c': new Date(1000) });
  assert.deepEqual(r, { lastID: 1, changes: 1 });
  assert.deepEqual(await get(db, 'SELECT a, typeof(a) AS ta, a / 2 AS half, b, c, typeof(c) AS tc FROM t'), {
    a: 5, ta: 'integer', half: 2, b: 1, c: 1000, tc: 'real',
  });
  // Positional: an array, a list, numbered keys; unbound parameters are NULL.
  assert.deepEqual(await get(db, 'SELECT ? AS x, ? AS y', [1, 'a']), { x: 1, y: 'a' });
  assert.deepEqual(await get(db, 'SELECT ? AS x, ? AS y', 2, 'b'), { x: 2, y: 'b' });
  assert.deepEqual(await get(db, 'SELECT ?2 AS x, ?1 AS y', { 1: 'one', 2: 'two' }), { x: 'two', y: 'one' });
  assert.deepEqual(await get(db, 'SELECT ? AS x, ? AS y', [7]), { x: 7, y: null });
  const blob = await get(db, 'SELECT ? AS b', Buffer.from([1, 2, 3]));
  assert.ok(Buffer.isBuffer(blob.b));
  assert.deepEqual([...blob.b], [1, 2, 3]);
  // Only the first statement of a text runs, as node-sqlite3 prepares only the first.
  await run(db, 'INSERT INTO t(a) VALUES (10); INSERT INTO t(a) VALUES (11)');
  assert.deepEqual(await all(db, 'SELECT a FROM t WHERE a >= 10'), [{ a: 10 }]);
});

test('errors carry errno, the primary code and node-sqlite3 message; bad binding is SQLITE_RANGE', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(id INTEGER PRIMARY KEY, u UNIQUE)');
  await run(db, 'INSERT INTO t(u) VALUES (1)');
  await assert.rejects(run(db, 'INSERT INTO t(u) VALUES (1)'), (err) => {
    assert.equal(err.code, 'SQLITE_CONSTRAINT');
    assert.equal(err.errno, 19);
    assert.equal(err.message, 'SQLITE_CONSTRAINT: UNIQUE constraint failed: t.u');
    assert.equal(err.extendedCode, 'SQLITE_CONSTRAINT_UNIQUE');
    return true;
  });
  await assert.rejects(run(db, 'INSERT INTO t(u) VALUES ($u)', { u: 1 }), { code: 'SQLITE_RANGE', errno: 25 });
  await assert.rejects(get(db, 'SELEC 1'), { code: 'SQLITE_ERROR', message: 'SQLITE_ERROR: near "SELEC": syntax error' });
  // An error without a callback is an 'error' event on the statement; the pool keeps working.
  assert.deepEqual(await get(db, 'SELECT count(*) AS n FROM t'), { n: 1 });
});

test('serialize(): a read queued after a write sees it; a prepared statement steps row by row', async (t) => {
  const db = await openDb(t, tempFile(t));
  const seen = await new Promise((resolve, reject) => {
    db.serialize(() => {
      db.run('CREATE TABLE t(x)');
      const stmt = db.prepare('INSERT INTO t VALUES (?)');
      for (let i = 0; i < 5; i++) stmt.run(i);
      stmt.finalize();
      db.all('SELECT x FROM t ORDER BY x', (err, rows) => (err ? reject(err) : resolve(rows.map((r) => r.x))));
    });
  });
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  const stmt = db.prepare('SELECT x FROM t WHERE x < ? ORDER BY x', 2);
  const step = () => new Promise((resolve, reject) => stmt.get((err, row) => (err ? reject(err) : resolve(row))));
  assert.deepEqual([await step(), await step(), await step()], [{ x: 0 }, { x: 1 }, undefined]);
  await promisify(stmt.finalize.bind(stmt))();
});

test('two facade Databases on one file: one pool, isolated transactions, parallel reads, writes wait', async (t) => {
  const file = tempFile(t);
  const a = await openDb(t, file);
  const b = await openDb(t, file);
  assert.deepEqual(openPools().filter((p) => p.file === file), [{ file, readonly: false, databases: 2 }]);
  await exec(a, 'CREATE TABLE t(x)');
  await run(a, 'INSERT INTO t VALUES (0)');

  await run(a, 'BEGIN');
  await run(a, 'INSERT INTO t VALUES (1)');
  assert.deepEqual(await all(a, 'SELECT x FROM t ORDER BY x'), [{ x: 0 }, { x: 1 }]); // a sees its own write
  const order = [];
  const bWrite = run(b, 'INSERT INTO t VALUES (2)').then(() => order.push('b wrote'));
  // b's read runs on a reader while a holds the writer, and sees committed data only.
  assert.deepEqual(await all(b, 'SELECT x FROM t ORDER BY x'), [{ x: 0 }]);
  assert.deepEqual(order, []); // b's write waits for a's transaction
  await run(a, 'COMMIT');
  order.push('a committed');
  await bWrite;
  assert.deepEqual(order, ['a committed', 'b wrote']);
  assert.deepEqual(await all(b, 'SELECT x FROM t ORDER BY x'), [{ x: 0 }, { x: 1 }, { x: 2 }]);

  // ROLLBACK, and a SAVEPOINT rolled back inside a transaction: those rows are absent.
  await exec(b, 'BEGIN; INSERT INTO t VALUES (3); SAVEPOINT s; INSERT INTO t VALUES (4); ROLLBACK TO s; RELEASE s');
  await run(b, 'INSERT INTO t VALUES (5)');
  await run(b, 'ROLLBACK');
  await exec(a, 'SAVEPOINT outer_sp; INSERT INTO t VALUES (6); RELEASE outer_sp');
  assert.deepEqual((await all(a, 'SELECT x FROM t ORDER BY x')).map((r) => r.x), [0, 1, 2, 6]);
});

test('closing a Database inside a transaction rolls it back and frees the writer; the pool closes with the last one', async (t) => {
  const file = tempFile(t);
  const a = await openDb(t, file);
  const b = await openDb(t, file);
  await exec(a, 'CREATE TABLE t(x)');
  await run(a, 'BEGIN IMMEDIATE');
  await run(a, 'INSERT INTO t VALUES (1)');
  await promisify(a.close.bind(a))();
  await run(b, 'INSERT INTO t VALUES (2)'); // not wedged behind a's transaction
  assert.deepEqual(await all(b, 'SELECT x FROM t'), [{ x: 2 }]);
  await assert.rejects(run(a, 'SELECT 1'), { code: 'SQLITE_MISUSE' });
  await promisify(b.close.bind(b))();
  assert.deepEqual(openPools().filter((p) => p.file === file), []);
  // COMMIT without a transaction is SQLite's error, not a hang.
  const c = await openDb(t, file);
  await assert.rejects(run(c, 'COMMIT'), { code: 'SQLITE_ERROR', message: /no transaction is active/ });
});

test('interrupt() stops this connection\'s running statement with SQLITE_INTERRUPT; other facades and the pool go on', async (t) => {
  const file = tempFile(t);
  const a = await openDb(t, file);
  const b = await openDb(t, file);
  await exec(a, 'CREATE TABLE t(n); INSERT INTO t VALUES (1), (2), (3), (4), (5), (6), (7), (8)');
  // An endless cross join, streamed by each(): interrupted from its first row.
  const endless = 'SELECT last.n FROM t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t AS last';
  const bRows = all(b, 'SELECT count(*) AS n FROM t');
  const err = await new Promise((resolve) => {
    let seen = 0;
    a.each(endless, (e) => {
      if (e) return resolve(e);
      if (++seen === 1) a.interrupt();
    }, () => resolve(new Error('completed')));
  });
  assert.equal(err.code, 'SQLITE_INTERRUPT');
  assert.equal(err.errno, 9);
  assert.equal(err.message, 'SQLITE_INTERRUPT: interrupted');
  assert.deepEqual(await bRows, [{ n: 8 }]);
  assert.deepEqual(await get(a, 'SELECT count(*) AS n FROM t'), { n: 8 });
  const c = new Database(file);
  assert.throws(() => c.interrupt(), /Database is not open/);
  await promisify(c.close.bind(c))();
});

test('a prepared statement pipelines its run() calls: callbacks in call order, one failure fails alone', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(x UNIQUE)');
  const stmt = db.prepare('INSERT INTO t VALUES (?)');
  const seen = [];
  await new Promise((resolve) => {
    for (let i = 0; i < 500; i++) {
      stmt.run(i === 250 ? 0 : i, function (err) {
        seen.push(err ? `${i}:${err.code}` : `${i}:${this.lastID}`);
        if (i === 499) resolve();
      });
    }
  });
  assert.equal(seen.length, 500);
  assert.deepEqual(seen.slice(248, 253), ['248:249', '249:250', '250:SQLITE_CONSTRAINT', '251:251', '252:252']);
  await promisify(stmt.finalize.bind(stmt))();
  assert.deepEqual(await get(db, 'SELECT count(*) AS n FROM t'), { n: 499 });
});

test('parallel mode: BEGIN and ROLLBACK are exclusive, so statements queued between them run inside', async (t) => {
  const db = await openDb(t, tempFile(t));
  await exec(db, 'CREATE TABLE t(x)');
  await new Promise((resolve, reject) => {
    db.run('BEGIN');
    for (let i = 0; i < 10; i++) db.run('INSERT INTO t VALUES (?)', i);
    db.run('ROLLBACK', (err) => (err ? reject(err) : resolve()));
  });
  assert.deepEqual(await get(db, 'SELECT count(*) AS n FROM t'), { n: 0 });
});

test('bad input: clear errors at once or through the callback, and the pool stays usable', async (t) => {
  const file = tempFile(t);
  assert.throws(() => new Database(42), { name: 'TypeError', message: 'String expected' });
  const db = await openDb(t, file);
  assert.throws(() => db.run(42), { name: 'TypeError', message: 'SQL query expected' });
  assert.throws(() => db.configure('nope', 1), { name: 'TypeError', message: 'nope is not a valid configuration option' });
  assert.throws(() => db.exec(null), TypeError);
  // Values node-sqlite3 cannot bind become what node-sqlite3 makes of them, never a wedged worker.
  const weird = await get(db, 'SELECT ? AS o, ? AS s, ? AS u, ? AS f', [{ toJSON() { throw new Error('no'); } }, Symbol('s'), undefined, () => 1]);
  assert.deepEqual(weird, { o: '[object Object]', s: null, u: null, f: '[object Object]' });
  const err = await new Promise((resolve) => db.loadExtension('/nonexistent.so', resolve));
  assert.equal(err.code, 'SQLITE_ERROR');
  // A read-only open of a missing file fails with SQLITE_CANTOPEN ('error' event without a callback);
  // calls made meanwhile fail instead of waiting for ever.
  const missing = new Database(`${file}.missing`, sqlite3.OPEN_READONLY);
  const [openErr, callErr] = await Promise.all([
    new Promise((resolve) => missing.once('error', resolve)),
    new Promise((resolve) => missing.get('SELECT 1', resolve)),
  ]);
  assert.equal(openErr.code, 'SQLITE_CANTOPEN');
  assert.equal(openErr.message, 'SQLITE_CANTOPEN: unable to open database file');
  assert.equal(callErr.code, 'SQLITE_MISUSE');
  assert.deepEqual(await get(db, 'SELECT 1 AS one'), { one: 1 });
});

test('backup(): a copy by VACUUM INTO, with node-sqlite3 page counting; close() waits for finish', async (t) => {
  const file = tempFile(t);
  const copy = `${file}.copy`;
  t.after(() => ['', '-wal', '-shm'].forEach((s) => rm(`${copy}${s}`, { force: true })));
  const db = await openDb(t, file);
  db.serialize();
  const backupEarly = db.backup(copy); // made before the table exists, in serialize mode: runs in turn
  await exec(db, 'CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)');
  const step = (backup, n) => new Promise((resolve, reject) => backup.step(n, function (err, completed) { err ? reject(err) : resolve([completed, this.remaining, this.pageCount]); }));
  const [completed0, remaining0, pages] = await step(backupEarly, 0);
  assert.equal(completed0, false);
  assert.equal(remaining0, pages);
  await run(db, 'INSERT INTO t VALUES (3)');
  const [completed] = await step(backupEarly, -1);
  assert.equal(completed, true);
  assert.equal(backupEarly.completed, true);
  const check = await openDb(t, copy);
  assert.deepEqual(await get(check, 'SELECT count(*) AS n FROM t'), { n: 3 });
  const finished = db.backup(`${copy}2`);
  await new Promise((resolve) => finished.finish(resolve));
  await assert.rejects(step(finished, 1), { code: 'SQLITE_MISUSE', message: 'SQLITE_MISUSE: Backup is already finished' });
});

test('file: URIs with OPEN_URI: a shared-cache memory database is one database per name; mode=ro is read-only', async (t) => {
  const flags = sqlite3.OPEN_URI | sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
  const a = await openDbWith(t, 'file:shared-mem?mode=memory&cache=shared', flags);
  const b = await openDbWith(t, 'file:shared-mem?mode=memory&cache=shared', flags);
  const other = await openDbWith(t, 'file:shared-mem?mode=memory', flags); // private cache: its own database
  await exec(a, 'CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  assert.deepEqual(await all(b, 'SELECT x FROM t'), [{ x: 1 }]);
  await assert.rejects(all(other, 'SELECT x FROM t'), { code: 'SQLITE_ERROR' });
  const file = tempFile(t);
  const rw = await openDb(t, file);
  await exec(rw, 'CREATE TABLE t(x)');
  const ro = await openDbWith(t, `file:${encodeURI(file)}?mode=ro`, flags);
  await assert.rejects(run(ro, 'INSERT INTO t VALUES (1)'), { code: 'SQLITE_READONLY' });
});

/** openDb with explicit flags. */
async function openDbWith(t, name, flags) {
  const db = await new Promise((resolve, reject) => {
    const d = new Database(name, flags, (err) => (err ? reject(err) : resolve(d)));
  });
  t.after(() => new Promise((resolve) => (db.open ? db.close(() => resolve()) : resolve())));
  return db;
}
