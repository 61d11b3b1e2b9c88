// In-memory and temporary databases live inside one connection, so the pool
// must be that one connection; a read-only pool must read and refuse writes
// exactly as better-sqlite3 opened read-only does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, SqliteError } from 'threadlite';
import { outcome } from './fixtures/fidelity-helpers.mjs';
import { tempFile } from './helpers.mjs';

for (const name of [':memory:', '']) {
  test(`${JSON.stringify(name)} is one database on one connection`, async (t) => {
    const db = await open(name, { readers: 4 });
    t.after(() => db.close());
    assert.equal(db.memory, true);
    assert.equal(db.name, name);
    assert.equal(db.stats().workers.length, 1, 'readers are ignored');
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
    const info = await db.run('INSERT INTO t(v) VALUES (?)', ['a']);
    assert.deepEqual(info, { changes: 1, lastInsertRowid: 1 });
    await db.batch([['INSERT INTO t(v) VALUES (?)', ['b']], ['INSERT INTO t(v) VALUES (?)', [Buffer.from([1])]]]);
    // Many concurrent reads, iterate, read() and transaction(): all see the same table.
    const reads = await Promise.all(Array.from({ length: 10 }, () => db.get('SELECT count(*) AS n FROM t')));
    for (const r of reads) assert.deepEqual(r, { n: 3 });
    const iterated = [];
    for await (const row of db.iterate('SELECT v FROM t ORDER BY id', [], { batchSize: 1 })) iterated.push(row.v);
    assert.deepEqual(iterated, ['a', 'b', Buffer.from([1])]);
    assert.deepEqual(await db.read((r) => r.get('SELECT count(*) AS n FROM t')), { n: 3 });
    await db.transaction(async (tx) => {
      await tx.run('DELETE FROM t WHERE v = ?', ['a']);
    });
    assert.deepEqual(await db.all('SELECT v FROM t ORDER BY id'), [{ v: 'b' }, { v: Buffer.from([1]) }]);
    // TEMP tables and connection state are visible to every later call.
    await db.exec('CREATE TEMP TABLE scratch(x); INSERT INTO scratch VALUES (42)');
    for (let i = 0; i < 4; i++) assert.deepEqual(await db.get('SELECT x FROM scratch'), { x: 42 });
    assert.deepEqual(await db.get('SELECT x FROM temp.scratch'), { x: 42 });
    await db.exec('PRAGMA user_version = 9');
    assert.deepEqual(await db.get('SELECT * FROM pragma_user_version()'), { user_version: 9 });
    assert.equal(db.stats().workers.length, 1);
  });
}

test('two :memory: pools are two separate databases', async (t) => {
  const a = await open(':memory:');
  t.after(() => a.close());
  const b = await open(':memory:');
  t.after(() => b.close());
  await a.exec('CREATE TABLE only_in_a(x)');
  const err = await b.all('SELECT * FROM only_in_a').catch((e) => e);
  assert.ok(err instanceof SqliteError);
  assert.equal(err.message, 'no such table: only_in_a');
  assert.deepEqual(await a.all('SELECT * FROM only_in_a'), []);
});

/** Makes a file holding one table, with better-sqlite3 directly (rollback journal) or through a pool (WAL). */
async function makeFile(t, how) {
  const file = tempFile(t);
  const schema = "CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t(v) VALUES ('a'), (x'00'), (NULL)";
  if (how === 'better-sqlite3') {
    const raw = new Database(file);
    raw.exec(schema);
    raw.close();
  } else {
    const db = await open(file, { readers: 1 });
    await db.exec(schema);
    await db.close();
  }
  return file;
}

for (const how of ['better-sqlite3', 'threadlite (WAL)']) {
  test(`readonly: true on an existing file made by ${how}: reads work, writes fail like better-sqlite3`, async (t) => {
    const file = await makeFile(t, how);
    const db = await open(file, { readonly: true, readers: 2 });
    t.after(() => db.close());
    const ref = new Database(file, { readonly: true });
    t.after(() => ref.close());
    assert.equal(db.readonly, true);
    assert.equal(db.stats().workers.length, 3);
    const expectedRows = ref.prepare('SELECT * FROM t ORDER BY id').all();
    for (let i = 0; i < 3; i++) assert.deepEqual(await db.all('SELECT * FROM t ORDER BY id'), expectedRows);
    assert.deepEqual(await db.read((r) => r.all('SELECT * FROM t ORDER BY id')), expectedRows);
    const iterated = [];
    for await (const row of db.iterate('SELECT * FROM t ORDER BY id')) iterated.push(row);
    assert.deepEqual(iterated, expectedRows);
    assert.ok(Buffer.isBuffer(iterated[1].v));
    // Every write is refused with better-sqlite3's error.
    const writes = ["INSERT INTO t(v) VALUES ('b')", 'UPDATE t SET v = 1', 'DELETE FROM t', 'CREATE TABLE u(x)', 'DROP TABLE t'];
    for (const sql of writes) {
      const expected = await outcome(() => ref.prepare(sql).run());
      assert.equal(expected.error?.code, 'SQLITE_READONLY', `better-sqlite3 refuses ${sql}`);
      assert.deepStrictEqual(await outcome(() => db.run(sql)), expected, `run ${sql}`);
      assert.deepStrictEqual(await outcome(() => db.exec(sql)), expected, `exec ${sql}`);
      const err = await db.run(sql).catch((e) => e);
      assert.ok(err instanceof SqliteError);
    }
    await assert.rejects(db.batch(["INSERT INTO t(v) VALUES ('b')"]), (e) => e instanceof SqliteError && e.code.startsWith('SQLITE_READONLY'));
    await assert.rejects(
      db.transaction((tx) => tx.run("INSERT INTO t(v) VALUES ('b')")),
      (e) => e instanceof SqliteError && e.code.startsWith('SQLITE_READONLY'),
    );
    // Nothing changed, and the pool still reads.
    assert.deepEqual(await db.all('SELECT * FROM t ORDER BY id'), expectedRows);
    assert.deepEqual(ref.prepare('SELECT * FROM t ORDER BY id').all(), expectedRows);
  });
}
