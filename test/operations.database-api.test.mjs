// Database#serialize(), open(buffer), Database#pragma(), Database#checkpoint()
// and the synchronous option, compared with better-sqlite3 on the same files.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { open, SqliteError } from 'threadlite';
import { openTemp, tempDir } from './helpers.mjs';

describe('Database#serialize() and open(buffer)', () => {
  test('serializes the committed database; open(buffer) opens an independent in-memory copy', async (t) => {
    const db = await openTemp(t, { readers: 1 });
    await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB); INSERT INTO t VALUES (1, 'one', x'00ff'), (2, 'two', NULL)");
    const image = await db.serialize();
    assert.ok(Buffer.isBuffer(image));
    // The same bytes better-sqlite3 gives for this file.
    const reference = new Database(db.name, { readonly: true });
    t.after(() => reference.close());
    assert.ok(image.equals(reference.serialize()));

    assert.deepEqual([image[18], image[19]], [2, 2], 'a WAL image');
    const raw = new Database(image); // better-sqlite3 opens it lazily, and cannot read it
    assert.throws(() => raw.prepare('SELECT * FROM t'), { code: 'SQLITE_CANTOPEN' });
    raw.close();
    const copy = await open(image);
    t.after(() => copy.close());
    assert.equal(copy.memory, true);
    assert.deepEqual([image[18], image[19]], [2, 2], "the caller's buffer is not modified");
    assert.deepEqual(await copy.all('SELECT id, v, b FROM t ORDER BY id'), [
      { id: 1, v: 'one', b: Buffer.from([0, 255]) },
      { id: 2, v: 'two', b: null },
    ]);
    await copy.run("INSERT INTO t(v) VALUES ('only in the copy')");
    assert.equal((await copy.get('SELECT count(*) AS n FROM t')).n, 3);
    assert.equal((await db.get('SELECT count(*) AS n FROM t')).n, 2);
    assert.equal(await copy.pragma('integrity_check', { simple: true }), 'ok');
    // A copy of the copy: serialize works on the in-memory writer too.
    const again = await open(new Uint8Array(await copy.serialize()));
    t.after(() => again.close());
    assert.equal((await again.get('SELECT count(*) AS n FROM t')).n, 3);
  });

  test('readonly is honoured; a non-database buffer fails to open', async (t) => {
    const db = await openTemp(t, { readers: 1 });
    await db.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1)');
    const ro = await open(await db.serialize(), { readonly: true });
    t.after(() => ro.close());
    await assert.rejects(ro.run('INSERT INTO t VALUES (2)'), (e) => e instanceof SqliteError && e.code === 'SQLITE_READONLY');
    const junk = Buffer.alloc(4096, 7);
    await assert.rejects(open(junk), (e) => e instanceof SqliteError && e.code === 'SQLITE_NOTADB');
  });

  test('an attached schema is serialized from the writer, where it lives', async (t) => {
    const db = await openTemp(t, { readers: 1 });
    await db.exec("ATTACH ':memory:' AS aux; CREATE TABLE aux.x(a); INSERT INTO aux.x VALUES ('attached')");
    const copy = await open(await db.serialize({ attached: 'aux' }));
    t.after(() => copy.close());
    assert.deepEqual(await copy.all('SELECT a FROM x'), [{ a: 'attached' }]);
    await assert.rejects(db.serialize({ attached: '' }), { name: 'TypeError', message: 'The "attached" option cannot be an empty string' });
  });
});

describe('Database#pragma()', () => {
  test('returns what better-sqlite3 returns, on the writer', async (t) => {
    const db = await openTemp(t, { readers: 1 });
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT "x"); CREATE INDEX t_name ON t(name)');
    const reference = new Database(db.name);
    t.after(() => reference.close());
    const sources = [
      'user_version = 5',
      'user_version',
      'table_info(t)',
      'index_list(t)',
      'journal_mode',
      'foreign_keys = OFF',
      'foreign_keys',
      'page_size',
      'no_such_pragma',
      'integrity_check',
      'compile_options',
    ];
    for (const source of sources) {
      for (const simple of [false, true]) {
        const expected = reference.pragma(source, { simple });
        assert.deepEqual(await db.pragma(source, { simple }), expected, `${source} simple=${simple}`);
      }
    }
    assert.equal(await db.pragma('user_version', { simple: true }), 5);
    await assert.rejects(db.pragma('nonsense ('), (e) => e instanceof SqliteError && e.code === 'SQLITE_ERROR');
    await assert.rejects(db.pragma(42), { name: 'TypeError', message: 'Expected first argument to be a string' });
    await assert.rejects(db.pragma('user_version', { simple: 1 }), { message: 'Expected the "simple" option to be a boolean' });
  });

  test('inside a transaction it joins the transaction', async (t) => {
    const db = await openTemp(t, { readers: 1 });
    await assert.rejects(
      db.transaction(async () => {
        await db.pragma('user_version = 9');
        assert.equal(await db.pragma('user_version', { simple: true }), 9);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(await db.pragma('user_version', { simple: true }), 0, 'user_version is transactional');
  });
});

describe('Database#checkpoint()', () => {
  test("returns SQLite's counts; TRUNCATE empties the WAL; a snapshot keeps FULL busy", async (t) => {
    const db = await openTemp(t, { readers: 1, busyTimeout: 50 });
    await db.exec('CREATE TABLE t(a)');
    await db.batch(Array.from({ length: 200 }, (_, i) => ['INSERT INTO t VALUES (?)', [`row ${i}`]]));
    await db.run('INSERT INTO t VALUES (1)');
    const passive = await db.checkpoint();
    assert.equal(passive.busy, 0);
    assert.ok(passive.log > 0 && passive.checkpointed === passive.log, JSON.stringify(passive));
    await db.run('INSERT INTO t VALUES (2)');
    assert.deepEqual(await db.checkpoint('truncate'), { busy: 0, log: 0, checkpointed: 0 });
    assert.equal(statSync(`${db.name}-wal`).size, 0);

    // A reader's snapshot older than the last commit blocks a FULL checkpoint.
    await db.read(async (snapshot) => {
      await snapshot.get('SELECT count(*) FROM t');
      await db.run('INSERT INTO t VALUES (3)');
      const full = await db.checkpoint('FULL');
      assert.equal(full.busy, 1, JSON.stringify(full));
      assert.ok(full.checkpointed < full.log);
    });
    assert.equal((await db.checkpoint('FULL')).busy, 0);
    await assert.rejects(db.checkpoint('SOMETIMES'), { name: 'TypeError', message: /PASSIVE, FULL, RESTART or TRUNCATE/ });
  });
});

describe('options.synchronous', () => {
  test('sets PRAGMA synchronous on every connection; WAL defaults to NORMAL', async (t) => {
    const dir = tempDir(t);
    const normal = await open(join(dir, 'a.db'), { readers: 1 });
    t.after(() => normal.close());
    assert.equal(await normal.pragma('synchronous', { simple: true }), 1);
    const full = await open(join(dir, 'b.db'), { readers: 1, synchronous: 'FULL' });
    t.after(() => full.close());
    assert.equal(await full.pragma('synchronous', { simple: true }), 2);
    await assert.rejects(open(join(dir, 'c.db'), { synchronous: 'full' }), { name: 'TypeError', message: /options\.synchronous/ });
    await assert.rejects(open(join(dir, 'c.db'), { synchronous: 'FULL', pragmas: { synchronous: 1 } }), { name: 'TypeError' });
  });
});
