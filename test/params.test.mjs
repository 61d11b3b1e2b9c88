// Parameters that structured clone cannot carry, or carries differently than
// better-sqlite3 reads them (engine issue, rows 1 and 2): each call gets
// exactly better-sqlite3's answer, on the workers and inline alike, and
// nothing else is affected (the other calls of the same tick settle, the
// writer keeps answering).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open } from 'threadlite';
import { tempFile } from './helpers.mjs';

class Point {
  constructor() {
    this.x = 1;
  }
}

const hostile = {
  'an object with toJSON': [{ toJSON: () => 1 }],
  'a Proxy of a plain object (named)': new Proxy({ x: 5 }, {}),
  'a Proxy of an array': new Proxy([7], {}),
  'a Proxy inside an array': [new Proxy({}, {})],
  'a nested function': [{ f: () => 1 }],
  'a function': [() => 1],
  'a symbol': [Symbol('s')],
  'a class instance (named)': new Point(),
  'a class instance in an array': [new Point()],
  'a Date': new Date(0),
  'a Map in an array': [new Map([[1, 2]])],
  'a WeakMap (named value)': { x: new WeakMap() },
  'a function (named value)': { x: () => 1 },
  'a plain object with a non-enumerable key': Object.defineProperty({}, 'x', { value: 9, enumerable: false }),
  'a null-prototype object': Object.assign(Object.create(null), { x: 3 }),
};

function outcome(fn) {
  try {
    return { ok: true, value: JSON.stringify(fn()) };
  } catch (err) {
    return { ok: false, name: err.name, message: err.message };
  }
}

async function outcomeAsync(promise) {
  try {
    return { ok: true, value: JSON.stringify(await promise) };
  } catch (err) {
    return { ok: false, name: err.name, message: err.message };
  }
}

for (const inlineReads of [0, 50]) {
  test(`hostile parameters get better-sqlite3's own answer${inlineReads ? ', inline and on workers alike' : ''}`, async (t) => {
    const file = tempFile(t);
    const db = await open(file, { readers: 1, inlineReads });
    t.after(() => db.close());
    await db.exec('CREATE TABLE t(x)');
    const reference = new Database(tempFile(t, 'ref.db'));
    t.after(() => reference.close());
    const mismatches = [];
    for (const sql of ['SELECT ? AS a', 'SELECT :x AS a']) {
      // Warm: the statement's route and cost are known, so the inline path may take it.
      for (let i = 0; i < 5; i++) await db.all(sql, sql.includes(':') ? { x: i } : [i]);
      for (const [name, params] of Object.entries(hostile)) {
        const expected = outcome(() => reference.prepare(sql).all(params));
        for (const round of [1, 2]) {
          const actual = await outcomeAsync(db.all(sql, params));
          if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push({ sql, name, round, expected, actual });
        }
      }
    }
    assert.deepEqual(mismatches, []);
    assert.deepEqual(await db.all('SELECT 1 AS one'), [{ one: 1 }]);
  });
}

test('an uncloneable parameter fails its own call only: the write sent in the same tick commits, and the writer goes on', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x)');
  const calls = [
    db.run('INSERT INTO t VALUES (?)', [1]),
    db.run('INSERT INTO t VALUES (?)', [{ toJSON: () => 2 }]),
    db.run('INSERT INTO t VALUES (?)', [new Proxy({}, {})]),
    db.run('INSERT INTO t VALUES (:x)', new Point()),
    db.run('INSERT INTO t VALUES (?)', [3]),
    db.batch([['INSERT INTO t VALUES (?)', [4]], ['INSERT INTO t VALUES (?)', [() => 5]]]),
    db.run('INSERT INTO t VALUES (?)', [6]),
  ];
  const settled = await Promise.allSettled(calls);
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? 'ok' : `${s.reason.name}: ${s.reason.message}`)),
    [
      'ok',
      'TypeError: SQLite3 can only bind numbers, strings, bigints, buffers, and null',
      'TypeError: SQLite3 can only bind numbers, strings, bigints, buffers, and null',
      'TypeError: Named parameters can only be passed within plain objects',
      'ok',
      'TypeError: SQLite3 can only bind numbers, strings, bigints, buffers, and null',
      'ok',
    ],
  );
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 1 }, { x: 3 }, { x: 6 }]);
  for (let i = 0; i < 100; i++) await db.run('INSERT INTO t VALUES (?)', [i]);
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 103 });
  const stats = db.stats();
  assert.equal(stats.running, 0);
  assert.equal(stats.queued, 0);
});

test('a value that cannot be posted at all (a detached buffer) fails alone; close() settles', async (t) => {
  const db = await open(tempFile(t), { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  const detached = new Uint8Array(8);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  const calls = [db.run('INSERT INTO t VALUES (?)', [1]), db.run('INSERT INTO t VALUES (?)', [detached]), db.run('INSERT INTO t VALUES (?)', [2])];
  const settled = await Promise.allSettled(calls);
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal(settled[1].reason.name, 'DataCloneError');
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 1 }, { x: 2 }]);
  await db.close();
});
