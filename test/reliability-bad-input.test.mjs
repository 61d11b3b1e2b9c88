// Bad input: a corpus of malformed SQL, wrong parameters, oversized values and
// calls on closed pools. Each gets the error better-sqlite3 itself gives (or
// threadlite's typed error), and the pool still answers afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, PoolClosedError } from 'threadlite';
import { openTemp, tempFile } from './helpers.mjs';

const SCHEMA = 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INT CHECK (n >= 0), b BLOB)';

const badSql = [
  '', ' ', ';', 'SELEC 1', 'SELECT', 'SELECT * FROM', 'SELECT * FROM missing', 'SELECT nope FROM t', 'SELECT 1 +',
  'SELECT (1', 'SELECT 1)', "SELECT 'unterminated", 'SELECT "unterminated', 'SELECT [x', 'SELECT 1 FROM t WHERE',
  'INSERT INTO t VALUES', 'INSERT INTO t(id) VALUES (1, 2)', 'INSERT INTO missing VALUES (1)', 'INSERT INTO t(name) VALUES (NULL)',
  "INSERT INTO t(name, n) VALUES ('a', -1)", 'UPDATE t SET', 'UPDATE missing SET a = 1', 'DELETE FROM', 'DELETE FROM missing',
  'CREATE TABLE t(x)', 'CREATE TABLE', 'CREATE INDEX i ON missing(x)', 'DROP TABLE missing', 'ALTER TABLE missing ADD x',
  'SELECT 1; SELECT 2', 'SELECT nofunc(1)', 'SELECT abs()', 'SELECT abs(1, 2)', 'SELECT count(*) FROM t GROUP BY',
  'SELECT * FROM t ORDER BY 99', 'SELECT * FROM t LIMIT -', 'WITH x AS (SELECT 1) SELECT * FROM y', 'WITH RECURSIVE',
  'PRAGMA', 'VACUUM INTO', 'ATTACH', 'BEGIN; BEGIN', 'COMMIT', 'ROLLBACK', 'RELEASE nothing', 'SAVEPOINT',
  'SELECT zeroblob(1000000001)', "SELECT printf('%.*c', 1000000001, 'x')", 'SELECT randomblob(-1) IS NULL',
  'SELECT 1 UNION SELECT 1, 2', 'SELECT * FROM t NATURAL JOIN', 'SELECT ?1, ?0', 'SELECT ?99999999999',
  'SELECT CAST(1 AS)', 'SELECT x\u0000y', 'SELECT 1 -- comment only', '/* only a comment */', 'SELECT json(\'{bad\')',
  'SELECT 9223372036854775807 + 1', 'SELECT abs(-9223372036854775808)', "SELECT char(1114112)", 'SELECT 1/0', 'SELECT likely()',
];

const paramStatements = ['SELECT ? AS a', 'SELECT ?, ? AS b', 'SELECT :x AS x', 'SELECT @x AS x, $y AS y', 'INSERT INTO t(name, n) VALUES (?, ?)'];
const paramValues = [
  [], [1], [1, 2], [1, 2, 3], [{}], [[1]], [[]], [true], [false], [undefined], [null], [1n], [2n ** 64n], [-(2n ** 63n) - 1n],
  [NaN], [Infinity], [-0], [new Date(0)], [new Map()], [new Set([1])], [/re/], [new Uint8Array(3)], [new Float64Array(2)],
  [new ArrayBuffer(4)], [new DataView(new ArrayBuffer(2))], [Buffer.from('hi')], [{ x: 1 }], [{ x: 1, y: 2 }], [{ y: 2 }],
  [{ x: undefined }], [{ x: {} }], [{ x: [1] }], [{ x: 1 }, 2], [1, { x: 2 }], ['a'.repeat(100_000)], ['ok', 1.5],
  ['dup', 1], [Object.create(null)], [{ x: 1, extra: 2 }], [String('s')],
];

function outcome(fn) {
  try {
    const value = fn();
    return { ok: true, value };
  } catch (err) {
    return { ok: false, name: err?.name, code: err?.code, message: err?.message };
  }
}

test('malformed SQL and wrong parameters get the errors better-sqlite3 gives, and the pool goes on', async (t) => {
  const file = tempFile(t);
  const db = await open(file, { readers: 2 });
  t.after(() => db.close());
  await db.exec(`${SCHEMA}; INSERT INTO t(name, n) VALUES ('dup', 1)`);
  const reference = new Database(tempFile(t, 'ref.db'));
  t.after(() => reference.close());
  reference.exec(`${SCHEMA}; INSERT INTO t(name, n) VALUES ('dup', 1)`);

  const cases = [];
  for (const sql of badSql) cases.push({ method: 'all', sql, params: undefined });
  for (const sql of badSql.slice(0, 20)) cases.push({ method: 'run', sql, params: undefined });
  for (const sql of paramStatements) for (const params of paramValues) cases.push({ method: sql.startsWith('INSERT') ? 'run' : 'all', sql, params });
  const mismatches = [];
  for (const c of cases) {
    // threadlite takes one params argument: an array of positional values, or one object of named ones;
    // better-sqlite3 gets that same single argument.
    const params = c.params === undefined ? undefined : c.params.length === 1 && isPlainObject(c.params[0]) ? c.params[0] : c.params;
    const expected = outcome(() => {
      const stmt = reference.prepare(c.sql);
      if (c.method === 'run') return params === undefined ? stmt.run() : stmt.run(params);
      return params === undefined ? stmt.all() : stmt.all(params);
    });
    if (expected.ok && c.method === 'run' && expected.value.changes > 0) reference.prepare('DELETE FROM t WHERE name <> ?').run('dup');
    let actual;
    try {
      const value = await (c.method === 'run' ? db.run(c.sql, params) : db.all(c.sql, params));
      actual = { ok: true, value };
      if (c.method === 'run' && value.changes > 0) await db.run('DELETE FROM t WHERE name <> ?', ['dup']);
    } catch (err) {
      actual = { ok: false, name: err?.name, code: err?.code, message: err?.message };
      assert.ok(err instanceof Error, `${c.sql}: not an Error: ${err}`);
    }
    if (expected.ok !== actual.ok || (!expected.ok && (expected.name !== actual.name || expected.message !== actual.message || expected.code !== actual.code))) {
      mismatches.push({ case: c.sql, params: String(c.params?.map?.(String)), expected, actual: { ...actual, value: undefined } });
    }
  }
  if (process.env.REL_DEBUG) for (const m of mismatches) console.log(JSON.stringify(m));
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  assert.deepEqual(mismatches, []);
  assert.deepEqual(await db.all('SELECT name FROM t'), [{ name: 'dup' }]);
  assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
  const stats = db.stats();
  assert.equal(stats.respawns, 0);
  assert.equal(stats.running, 0);
});

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

test('calls on a closed pool reject with PoolClosedError', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  const stmt = db.prepare('SELECT * FROM t');
  await db.close();
  const calls = [
    () => db.all('SELECT 1'), () => db.get('SELECT 1'), () => db.run('INSERT INTO t VALUES (1)'), () => db.exec('SELECT 1'),
    () => db.batch(['SELECT 1']), () => db.transaction(async () => {}), () => db.read(async () => {}), () => stmt.all(),
    () => stmt.get(), () => db.prepare('SELECT 2').all(), () => db.iterate('SELECT 1').next(),
  ];
  for (const call of calls) {
    await assert.rejects(call(), (err) => {
      assert.ok(err instanceof PoolClosedError, String(err));
      assert.equal(err.code, 'ERR_THREADLITE_POOL_CLOSED');
      return true;
    });
  }
  await db.close(); // closing again is fine
  assert.equal(db.open, false);
});
