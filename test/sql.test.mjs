import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { sql, SqlFragment } from 'threadlite';
import { openTemp } from './helpers.mjs';

const HOSTILE = [
  "Robert'); DROP TABLE students;--",
  '"; DROP TABLE students; --',
  "' OR '1'='1",
  'a\0b',
  '\0',
  'what? ?? ?1 :name @x $y',
  '🙂 ünïcødé ‮ right-to-left \u2028 line sep',
  '\\',
  "''",
  ';',
  '',
  'x'.repeat(10_000),
];

test('hostile values round-trip exactly and never change the statement', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await db.exec('CREATE TABLE students(id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  for (const name of HOSTILE) {
    const { lastInsertRowid } = await db.run(sql`INSERT INTO students(name) VALUES (${name})`);
    const row = await db.get(sql`SELECT name FROM students WHERE id = ${lastInsertRowid}`);
    assert.equal(row.name, name);
    const found = await db.all(sql`SELECT id FROM students WHERE name = ${name}`);
    assert.deepEqual(found, [{ id: lastInsertRowid }]);
  }
  // The table survived, with exactly the rows inserted.
  const all = await db.all(sql`SELECT name FROM students ORDER BY id`);
  assert.deepEqual(all.map((r) => r.name), HOSTILE);
  // The same strings, bound by better-sqlite3 directly, compare identically (NUL included).
  const reference = new Database(':memory:');
  t.after(() => reference.close());
  reference.exec('CREATE TABLE s(name TEXT)');
  for (const name of HOSTILE) reference.prepare('INSERT INTO s VALUES (?)').run(name);
  const expected = reference.prepare('SELECT name, length(name) AS len, hex(name) AS h FROM s ORDER BY rowid').all();
  assert.deepEqual(await db.all(sql`SELECT name, length(name) AS len, hex(name) AS h FROM students ORDER BY id`), expected);
});

test('values of every SQLite type bind through the template', async (t) => {
  const db = await openTemp(t);
  const blob = Buffer.from([0, 1, 2, 255]);
  const row = await db.get(sql`SELECT ${1} AS i, ${1.5} AS r, ${'s'} AS t, ${null} AS n, ${blob} AS b, ${2n ** 62n} AS big`);
  assert.deepEqual({ ...row, b: Buffer.from(row.b) }, { i: 1, r: 1.5, t: 's', n: null, b: blob, big: 2 ** 62 });
  assert.equal(Buffer.isBuffer(row.b), true);
});

test('fragments compose and keep their parameters in order', async (t) => {
  const a = sql`a = ${1}`;
  const b = sql`b = ${'two'} AND c IN ${sql.list([3, sql`${4} + ${5}`, 6])}`;
  const where = sql.join([a, b, sql`d = ${7}`], ' AND ');
  const query = sql`SELECT ${'first'} AS x FROM t WHERE ${where} LIMIT ${8}`;
  assert.equal(query.sql, 'SELECT ? AS x FROM t WHERE a = ? AND b = ? AND c IN (?, ? + ?, ?) AND d = ? LIMIT ?');
  assert.deepEqual(query.params, ['first', 1, 'two', 3, 4, 5, 6, 7, 8]);
  assert.ok(query instanceof SqlFragment);
  assert.ok(Object.isFrozen(query) && Object.isFrozen(query.params));

  // And a real database agrees on which value went where.
  const db = await openTemp(t);
  const parts = [sql`${'p1'}`, sql`${'p2'} || ${'p3'}`, sql.raw("'lit'"), 'p4'];
  const row = await db.get(sql`SELECT ${sql.join(parts, sql` || ${'-'} || `)} AS s`);
  assert.equal(row.s, 'p1-p2p3-lit-p4');
  const rows = await db.all(sql`SELECT value FROM json_each(${'[1,2,3,4,5]'}) WHERE value IN ${sql.list([5, 1, 3])} ORDER BY value`);
  assert.deepEqual(rows, [{ value: 1 }, { value: 3 }, { value: 5 }]);
});

test('sql.id quotes identifiers, doubling quotes, and rejects NUL', async (t) => {
  assert.equal(sql.id('users').sql, '"users"');
  assert.equal(sql.id('we"ird').sql, '"we""ird"');
  assert.equal(sql.id('main', 'users').sql, '"main"."users"');
  assert.throws(() => sql.id('a\0b'), RangeError);
  assert.throws(() => sql.id(''), RangeError);
  assert.throws(() => sql.id(42), TypeError);
  assert.throws(() => sql.id(), TypeError);

  const db = await openTemp(t);
  const names = ['we"ird', 'select', 'a b; DROP TABLE x', '"', 'ünï🙂', '[x]', '`y`'];
  const table = sql.id('t"; DROP TABLE keep; --');
  await db.exec('CREATE TABLE keep(x)');
  await db.run(sql`CREATE TABLE ${table} (${sql.join(names.map((n) => sql.id(n)))})`);
  await db.run(sql`INSERT INTO ${table} VALUES ${sql.list(names)}`);
  const row = await db.get(sql`SELECT * FROM ${table}`);
  assert.deepEqual(Object.keys(row), names);
  assert.deepEqual(Object.values(row), names);
  const tables = await db.all(sql`SELECT name FROM sqlite_schema WHERE type = ${'table'} ORDER BY name`);
  assert.deepEqual(tables.map((r) => r.name).sort(), ['keep', 't"; DROP TABLE keep; --'].sort());
});

test('sql.list, sql.raw, sql.join and the tag refuse misuse with clear errors', () => {
  assert.throws(() => sql.list([]), { name: 'RangeError', message: /empty array/ });
  assert.throws(() => sql.list('abc'), TypeError);
  assert.throws(() => sql`SELECT * FROM t WHERE id IN ${[1, 2]}`, { name: 'TypeError', message: /sql\.list/ });
  assert.throws(() => sql('SELECT 1'), { name: 'TypeError', message: /tagged template/ });
  assert.throws(() => sql.raw(1), TypeError);
  assert.throws(() => sql.join('a'), TypeError);
  assert.throws(() => sql.join([1], 3), TypeError);
  assert.deepEqual({ ...sql.join([]) }, { sql: '', params: [] });
  assert.deepEqual({ ...sql.raw('DESC') }, { sql: 'DESC', params: [] });
  assert.deepEqual({ ...sql`SELECT 1` }, { sql: 'SELECT 1', params: [] });
});

test('fragments work with every query method, in transactions and with options', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await db.exec('CREATE TABLE t(a INTEGER, b TEXT)');
  await db.transaction(async (tx) => {
    for (let i = 0; i < 5; i++) await tx.run(sql`INSERT INTO t VALUES (${i}, ${`v${i}`})`, { timeout: 5000 });
  });
  const seen = [];
  for await (const row of db.iterate(sql`SELECT a FROM t WHERE a >= ${2} ORDER BY a`, { batchSize: 2 })) seen.push(row.a);
  assert.deepEqual(seen, [2, 3, 4]);
  assert.deepEqual(await db.read((r) => r.get(sql`SELECT count(*) AS n FROM t WHERE b <> ${'v0'}`)), { n: 4 });
});
