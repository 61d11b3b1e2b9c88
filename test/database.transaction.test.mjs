import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, SqliteError, TransactionClosedError, WorkerCrashedError } from 'threadlite';
import { openTemp, tempFile } from './helpers.mjs';

test('200 concurrent read-modify-write transactions end with the exact count', async (t) => {
  const db = await openTemp(t, { readers: 2 });
  await db.exec('CREATE TABLE counter(n INTEGER); INSERT INTO counter VALUES (0)');
  await Promise.all(
    Array.from({ length: 200 }, () =>
      db.transaction(async (tx) => {
        const { n } = await tx.get('SELECT n FROM counter');
        await new Promise((resolve) => setImmediate(resolve)); // let every other caller try to interleave
        await tx.run('UPDATE counter SET n = ?', [n + 1]);
      }),
    ),
  );
  assert.deepEqual(await db.get('SELECT n FROM counter'), { n: 200 });
});

test('plain writes keep their submission order around transactions', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await db.exec('CREATE TABLE log(seq INTEGER PRIMARY KEY, v TEXT)');
  const calls = [];
  for (let i = 0; i < 60; i++) {
    if (i % 10 === 5) {
      calls.push(db.transaction(async (tx) => tx.run('INSERT INTO log(v) VALUES (?)', [`tx${i}`])));
    } else {
      calls.push(db.run('INSERT INTO log(v) VALUES (?)', [`w${i}`]));
    }
  }
  await Promise.all(calls);
  const order = (await db.prepare('SELECT v FROM log ORDER BY seq').pluck().all()).map((v) => Number(v.replace(/\D/g, '')));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.equal(order.length, 60);
});

test('isolation: readers do not see an open transaction\'s rows; after commit they do', async (t) => {
  const db = await openTemp(t, { readers: 2 });
  await db.exec('CREATE TABLE t(x)');
  for (let i = 0; i < 3; i++) await db.all('SELECT count(*) AS n FROM t'); // learn the route: reads go to readers
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let inside;
  const tx = db.transaction(async (tx) => {
    await tx.run('INSERT INTO t VALUES (1), (2)');
    inside = await tx.get('SELECT count(*) AS n FROM t');
    await gate;
  });
  while (inside === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(inside, { n: 2 }, 'the transaction sees its own rows');
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 }, 'a reader does not');
  release();
  await tx;
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 2 });
});

test('a throw rolls back, rethrows, and frees the writer', async (t) => {
  const db = await openTemp(t);
  await db.exec('CREATE TABLE t(x UNIQUE)');
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      throw new Error('boom');
    }),
    /boom/,
  );
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (2)');
      await tx.run('INSERT INTO t VALUES (2)');
    }),
    (err) => err instanceof SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE',
  );
  assert.deepEqual(await db.all('SELECT x FROM t'), []);
  await db.run('INSERT INTO t VALUES (3)');
  assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 3 }]);
});

test('a transaction left open past transactionTimeout is rolled back and its handle rejects', async (t) => {
  const db = await openTemp(t, { transactionTimeout: 200 });
  await db.exec('CREATE TABLE t(x)');
  let handle;
  const forgotten = db.transaction(async (tx) => {
    handle = tx;
    await tx.run('INSERT INTO t VALUES (1)');
    await new Promise(() => {}); // a hung request: never resolves
  });
  await assert.rejects(forgotten, (err) => err instanceof TransactionClosedError && /200 ms/.test(err.message));
  assert.equal(handle.active, false);
  await assert.rejects(handle.run('INSERT INTO t VALUES (2)'), TransactionClosedError);
  await db.run('INSERT INTO t VALUES (3)');
  assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 3 }]);
});

test('a transaction object used after it ended rejects', async (t) => {
  const db = await openTemp(t);
  await db.exec('CREATE TABLE t(x)');
  const kept = await db.transaction(async (tx) => tx);
  await assert.rejects(kept.run('INSERT INTO t VALUES (1)'), (err) => err.code === 'ERR_THREADLITE_TRANSACTION_CLOSED');
  await assert.rejects(kept.all('SELECT 1'), TransactionClosedError);
  assert.deepEqual(await db.all('SELECT * FROM t'), []);
});

test('savepoints: a nested transaction that throws undoes only its own part', async (t) => {
  const db = await openTemp(t);
  await db.exec('CREATE TABLE t(x)');
  await db.transaction(async (tx) => {
    await tx.run('INSERT INTO t VALUES (1)');
    await assert.rejects(
      tx.transaction(async (inner) => {
        await inner.run('INSERT INTO t VALUES (2)');
        throw new Error('undo inner');
      }),
      /undo inner/,
    );
    await tx.transaction(async (inner) => inner.run('INSERT INTO t VALUES (3)'));
    // db.transaction inside a transaction callback becomes a savepoint too.
    await db.transaction(async (inner) => inner.run('INSERT INTO t VALUES (4)'));
  });
  assert.deepEqual(await db.prepare('SELECT x FROM t ORDER BY x').pluck().all(), [1, 3, 4]);
});

test('the deadlock mistake: db.run() inside the callback joins the transaction', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  await assert.rejects(
    db.transaction(async () => {
      await db.run('INSERT INTO t VALUES (1)'); // not tx.run: still must not wait behind the transaction
      assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 1 }, 'reads inside see the transaction');
      throw new Error('roll back');
    }),
    /roll back/,
  );
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 }, 'the joined write was rolled back with it');
  // A call the callback makes after its transaction has ended is refused: run
  // on its own it would commit outside any transaction (engine issue, row 4).
  let late;
  await db.transaction(async () => {
    late = new Promise((resolve) => setTimeout(resolve, 20)).then(() => db.run('INSERT INTO t VALUES (2)'));
  });
  await assert.rejects(late, (err) => err instanceof TransactionClosedError && /committed/.test(err.message));
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 0 });
});

test('batch: atomic when its 3rd of 5 statements fails; results per statement otherwise', async (t) => {
  const db = await openTemp(t);
  await db.exec('CREATE TABLE t(x INTEGER PRIMARY KEY)');
  const statements = [
    ['INSERT INTO t VALUES (?)', [1]],
    ['INSERT INTO t VALUES (?)', [2]],
    ['INSERT INTO t VALUES (?)', [1]],
    ['INSERT INTO t VALUES (?)', [4]],
    ['INSERT INTO t VALUES (?)', [5]],
  ];
  await assert.rejects(db.batch(statements), (err) => err instanceof SqliteError && err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
  assert.deepEqual(await db.all('SELECT x FROM t'), []);
  const results = await db.batch([['INSERT INTO t VALUES (?)', [7]], 'INSERT INTO t VALUES (8)', ['SELECT x FROM t ORDER BY x']]);
  assert.deepEqual(results, [{ changes: 1, lastInsertRowid: 7 }, { changes: 1, lastInsertRowid: 8 }, [{ x: 7 }, { x: 8 }]]);
  await assert.rejects(db.batch([42]), TypeError);
});

test('read snapshot stays stable while writes commit, and frees its reader', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  await db.run('INSERT INTO t VALUES (1)');
  const seen = await db.read(async (r) => {
    const before = await r.get('SELECT count(*) AS n FROM t');
    for (let i = 0; i < 5; i++) await db.run('INSERT INTO t VALUES (?)', [i]);
    const after = await r.get('SELECT count(*) AS n FROM t');
    await assert.rejects(r.run('INSERT INTO t VALUES (9)'), (err) => err.code === 'SQLITE_READONLY');
    return [before.n, after.n];
  });
  assert.deepEqual(seen, [1, 1]);
  await assert.rejects(db.read(async () => { throw new Error('report failed'); }), /report failed/);
  // The single reader is free again: a snapshot now sees all six rows.
  assert.equal(await db.read(async (r) => (await r.get('SELECT count(*) AS n FROM t')).n), 6);
  assert.equal(db.stats().workers.filter((w) => w.leased).length, 0);
});

test('a single-connection (:memory:) pool supports transactions and snapshots', async (t) => {
  const db = await open(':memory:');
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x)');
  await db.transaction(async (tx) => tx.run('INSERT INTO t VALUES (1)'));
  assert.equal(await db.read(async (r) => (await r.get('SELECT count(*) AS n FROM t')).n), 1);
  await assert.rejects(db.read((r) => r.run('INSERT INTO t VALUES (2)')), (e) => e.code === 'SQLITE_READONLY');
  await db.run('INSERT INTO t VALUES (3)'); // query_only was turned off again
  assert.equal((await db.get('SELECT count(*) AS n FROM t')).n, 2);
});

test('the writer crashing mid-transaction rolls it back and the pool keeps working', async (t) => {
  const file = tempFile(t);
  const { writeFileSync } = await import('node:fs');
  const setup = file.replace(/test\.db$/, 'crash-setup.mjs');
  writeFileSync(setup, 'export default (db) => { db.function("crash", () => process.exit(3)); };\n');
  const db = await open(file, { setup, readers: 1 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x)');
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      await tx.get('SELECT crash()');
    }),
    WorkerCrashedError,
  );
  assert.deepEqual(await db.all('SELECT * FROM t'), []);
  await db.run('INSERT INTO t VALUES (2)');
  assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 2 }]);
});

test('another OS process writing the same file at the same time', async (t) => {
  const file = tempFile(t);
  const db = await open(file, { readers: 1, busyTimeout: 10_000 });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(who TEXT, i INTEGER)');
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(process.argv[1], { timeout: 10000 });
       const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
       const tx = db.transaction((i) => { for (let k = 0; k < 10; k++) ins.run('child', i * 10 + k); });
       for (let i = 0; i < 100; i++) tx.immediate(i);
       db.close();`,
      file,
    ],
    { stdio: 'inherit' },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const mine = [];
  for (let i = 0; i < 100; i++) {
    mine.push(
      db.transaction(async (tx) => {
        for (let k = 0; k < 10; k++) await tx.run('INSERT INTO t VALUES (?, ?)', ['pool', i * 10 + k]);
      }),
    );
  }
  await Promise.all(mine);
  assert.equal(await exited, 0);
  const counts = await db.all('SELECT who, count(*) AS n, count(DISTINCT i) AS d FROM t GROUP BY who ORDER BY who');
  assert.deepEqual(counts, [
    { who: 'child', n: 1000, d: 1000 },
    { who: 'pool', n: 1000, d: 1000 },
  ]);
  const check = new Database(file, { readonly: true });
  assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
  check.close();
});
