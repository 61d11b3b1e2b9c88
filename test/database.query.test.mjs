import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, PoolClosedError, SqliteError } from 'threadlite';
import { openTemp, tempFile } from './helpers.mjs';

test('all/get/run/exec answer like better-sqlite3', async (t) => {
  const db = await openTemp(t, { readers: 2 });
  await db.exec('CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT UNIQUE, age INT); CREATE INDEX users_age ON users(age)');
  const info = await db.run('INSERT INTO users(name, age) VALUES (?, ?)', ['ann', 31]);
  assert.deepEqual(info, { changes: 1, lastInsertRowid: 1 });
  await db.run('INSERT INTO users(name, age) VALUES (:name, :age)', { name: 'bob', age: 17 });
  await db.run('INSERT INTO users(name, age) VALUES (@name, $age)', { name: 'cy', age: 45 });
  assert.deepEqual(await db.all('SELECT name FROM users WHERE age > ? ORDER BY id', [21]), [{ name: 'ann' }, { name: 'cy' }]);
  assert.deepEqual(await db.get('SELECT * FROM users WHERE id = :id', { id: 2 }), { id: 2, name: 'bob', age: 17 });
  assert.equal(await db.get('SELECT * FROM users WHERE id = ?', [99]), undefined);
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM users', []), { n: 3 });
});

test('a resolved write is visible to every later read, on any reader', async (t) => {
  const db = await openTemp(t, { readers: 2 });
  await db.exec('CREATE TABLE t(x)');
  for (let i = 1; i <= 50; i++) {
    await db.run('INSERT INTO t VALUES (?)', [i]);
    const reads = await Promise.all([1, 2, 3, 4].map(() => db.get('SELECT count(*) AS n FROM t')));
    for (const r of reads) assert.equal(r.n, i);
  }
  // The route was learned: reads now run on readers, and readers cannot write.
  const stats = db.stats();
  assert.equal(stats.workers.length, 3);
});

test('reads are routed to readers only when better-sqlite3 calls them read-only', async (t) => {
  const file = tempFile(t);
  const db = await open(file, { readers: 1 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x)');
  // Writes hidden behind WITH or RETURNING must reach the writer, even when issued through all().
  const returned = await db.all('WITH v(a) AS (VALUES (1), (2)) INSERT INTO t SELECT a FROM v RETURNING x');
  assert.deepEqual(returned, [{ x: 1 }, { x: 2 }]);
  assert.deepEqual(await db.all('INSERT INTO t VALUES (3) RETURNING x'), [{ x: 3 }]);
  // PRAGMAs and connection-local functions run on the writer.
  await db.run('INSERT INTO t VALUES (4)');
  for (let i = 0; i < 3; i++) assert.deepEqual(await db.get('SELECT last_insert_rowid() AS id'), { id: 4 });
  assert.deepEqual(await db.get('PRAGMA user_version'), { user_version: 0 });
  await db.exec('PRAGMA user_version = 7');
  assert.deepEqual(await db.get('PRAGMA user_version'), { user_version: 7 });
});

test('SQL errors arrive as SqliteError with code and message, and the pool keeps working', async (t) => {
  const db = await openTemp(t);
  await db.exec('CREATE TABLE u(name TEXT UNIQUE NOT NULL)');
  await db.run('INSERT INTO u VALUES (?)', ['ann']);
  const reference = new Database(':memory:');
  reference.exec('CREATE TABLE u(name TEXT UNIQUE NOT NULL)');
  reference.prepare('INSERT INTO u VALUES (?)').run('ann');
  const cases = [
    ['INSERT INTO u VALUES (?)', ['ann']],
    ['INSERT INTO u VALUES (?)', [null]],
    ['SELEC 1', undefined],
    ['SELECT * FROM missing', undefined],
  ];
  for (const [sql, params] of cases) {
    let expected;
    try {
      const s = reference.prepare(sql);
      params === undefined ? s.run() : s.run(params);
    } catch (e) {
      expected = e;
    }
    await assert.rejects(db.run(sql, params), (err) => {
      assert.ok(err instanceof SqliteError, `${sql}: ${err}`);
      assert.equal(err.name, 'SqliteError');
      assert.equal(err.code, expected.code);
      assert.equal(err.message, expected.message);
      return true;
    });
  }
  assert.deepEqual(await db.all('SELECT * FROM u'), [{ name: 'ann' }]);
  reference.close();
});

test('wrong parameters get better-sqlite3\'s own error class and message', async (t) => {
  const db = await openTemp(t);
  const reference = new Database(':memory:');
  const cases = [
    ['SELECT ?', []],
    ['SELECT ?', [1, 2]],
    ['SELECT :a', { b: 1 }],
    ['SELECT ?', [{}]],
    ['SELECT ?', [true]],
    ['SELECT ?', [() => 1]],
    ['SELECT ?', [Symbol('x')]],
  ];
  for (const [sql, params] of cases) {
    let expected;
    try {
      reference.prepare(sql).all(params);
    } catch (e) {
      expected = e;
    }
    assert.ok(expected, `better-sqlite3 accepts case ${cases.findIndex((c) => c[1] === params)}`);
    await assert.rejects(db.all(sql, params), (err) => {
      assert.equal(err.constructor.name, expected.constructor.name, `${sql}`);
      assert.equal(err.message, expected.message);
      return true;
    });
  }
  assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
  reference.close();
});

test('the error stack points at the caller\'s own line', async (t) => {
  const db = await openTemp(t);
  const err = await db.all('SELECT * FROM nowhere').catch((e) => e);
  assert.ok(err instanceof SqliteError);
  assert.match(err.stack, /database\.query\.test\.mjs/);
});

test('calls after close reject with PoolClosedError; close waits for submitted work', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  const writes = Array.from({ length: 100 }, (_, i) => db.run('INSERT INTO t VALUES (?)', [i]));
  const closing = db.close();
  assert.equal(db.open, false);
  await assert.rejects(db.all('SELECT 1'), PoolClosedError);
  await assert.rejects(db.run('INSERT INTO t VALUES (1)'), (e) => e.code === 'ERR_THREADLITE_POOL_CLOSED');
  await Promise.all(writes);
  await closing;
  assert.equal(db.close(), closing, 'close() is idempotent');
  const check = new Database(db.name, { readonly: true });
  assert.equal(check.prepare('SELECT count(*) AS n FROM t').get().n, 100);
  check.close();
});

test('prepared statements: raw, pluck, expand, columns, bind', async (t) => {
  const db = await openTemp(t);
  await db.exec("CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO a VALUES (1, 'x'), (2, 'y')");
  const s = db.prepare('SELECT id, v FROM a ORDER BY id');
  assert.deepEqual(await s.raw().all(), [[1, 'x'], [2, 'y']]);
  assert.deepEqual(await s.pluck().all(), [1, 2]);
  assert.deepEqual(await s.pluck(false).get(), { id: 1, v: 'x' });
  assert.deepEqual(await db.prepare('SELECT a.id, 1 + 1 AS two FROM a').expand().get(), { a: { id: 1 }, $: { two: 2 } });
  assert.deepEqual(
    (await s.columns()).map((c) => [c.name, c.table, c.type]),
    [
      ['id', 'a', 'INTEGER'],
      ['v', 'a', 'TEXT'],
    ],
  );
  const bound = db.prepare('SELECT v FROM a WHERE id = ?').pluck().bind([2]);
  assert.equal(await bound.get(), 'y');
  await assert.rejects(bound.get([1]), TypeError);
  await assert.rejects(db.prepare('INSERT INTO a(v) VALUES (1)').raw().run(), {
    name: 'TypeError',
    message: 'The raw() method is only for statements that return data',
  });
});
