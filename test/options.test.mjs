// open() options: validation (one test per bad option), the per-call timeout,
// SQL that is not a string, and the options that change what connections do
// (readers: 0, pragmas, setup, fileMustExist, readonly).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { open, SqliteError } from 'threadlite';
import { openTemp, sleep, tempFile } from './helpers.mjs';

const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url);

/** Asserts that open(file, options) rejects (never throws synchronously) with `cls` and a message matching `re`. */
async function rejectsOpen(t, options, cls, re, file = tempFile(t)) {
  let promise;
  assert.doesNotThrow(() => {
    promise = open(file, options);
  }, 'open() reports bad options through its promise');
  const err = await promise.then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (e) => e,
  );
  assert.ok(err instanceof cls, `expected ${cls.name} for ${JSON.stringify(options)}, got ${err}`);
  assert.match(err.message, re);
  assert.equal(existsSync(file), false, 'a rejected open() creates no file');
}

test('unknown option: TypeError naming it', async (t) => {
  await rejectsOpen(t, { colour: 'blue' }, TypeError, /Unknown option "colour"/);
});

test('option with the wrong case: TypeError suggesting the right name', async (t) => {
  await rejectsOpen(t, { Readers: 2 }, TypeError, /Unknown option "Readers".*did you mean "readers"\?/);
  await rejectsOpen(t, { busytimeout: 2 }, TypeError, /Unknown option "busytimeout".*did you mean "busyTimeout"\?/);
  await rejectsOpen(t, { safeintegers: true }, TypeError, /did you mean "safeIntegers"\?/);
});

test('misspelled option: TypeError suggesting the nearest name', async (t) => {
  await rejectsOpen(t, { reader: 2 }, TypeError, /Unknown option "reader".*did you mean "readers"\?/);
  await rejectsOpen(t, { safeInteger: true }, TypeError, /did you mean "safeIntegers"\?/);
  await rejectsOpen(t, { timout: 5 }, TypeError, /did you mean "timeout"\?/);
});

test('wrong types: TypeError naming options.X', async (t) => {
  const cases = [
    [{ readers: '2' }, /options\.readers must be an integer/],
    [{ readers: 1.5 }, /options\.readers must be an integer/],
    [{ readers: Number.NaN }, /options\.readers must be an integer/],
    [{ readonly: 'yes' }, /options\.readonly must be a boolean/],
    [{ fileMustExist: 1 }, /options\.fileMustExist must be a boolean/],
    [{ wal: null }, /options\.wal must be a boolean/],
    [{ safeIntegers: 'true' }, /options\.safeIntegers must be a boolean/],
    [{ timeout: '100' }, /options\.timeout must be an integer/],
    [{ busyTimeout: 0.5 }, /options\.busyTimeout must be an integer/],
    [{ statementCacheSize: '10' }, /options\.statementCacheSize must be an integer/],
    [{ maxQueue: Number.NEGATIVE_INFINITY }, /options\.maxQueue must be an integer/],
    [{ transactionTimeout: true }, /options\.transactionTimeout must be an integer/],
    [{ pragmas: 'cache_size=1' }, /options\.pragmas must be an object/],
    [{ pragmas: null }, /options\.pragmas must be an object/],
    [{ pragmas: { 'cache_size; DROP TABLE x': 1 } }, /options\.pragmas: .* is not a PRAGMA name/],
    [{ pragmas: { cache_size: { n: 1 } } }, /options\.pragmas\.cache_size must be a string, number or boolean/],
    [{ setup: 42 }, /options\.setup must be a path or URL/],
    [{ setup: '' }, /options\.setup must be a path or URL/],
    [{ workerPath: 5 }, /options\.workerPath must be a path or URL/],
  ];
  for (const [options, re] of cases) await rejectsOpen(t, options, TypeError, re);
});

test('resourceLimits of the wrong type: TypeError naming options.resourceLimits', async (t) => {
  await rejectsOpen(t, { resourceLimits: 'big' }, TypeError, /options\.resourceLimits/);
});

test('out of range: RangeError naming options.X', async (t) => {
  const cases = [
    [{ readers: -1 }, /options\.readers must be between 0 and 64/],
    [{ readers: 65 }, /options\.readers must be between 0 and 64/],
    [{ timeout: -1 }, /options\.timeout must be between/],
    [{ timeout: 2 ** 31 }, /options\.timeout must be between/],
    [{ busyTimeout: -5 }, /options\.busyTimeout must be between/],
    [{ statementCacheSize: -1 }, /options\.statementCacheSize must be between/],
    [{ maxQueue: -1 }, /options\.maxQueue must be between/],
    [{ transactionTimeout: -1 }, /options\.transactionTimeout must be between/],
  ];
  for (const [options, re] of cases) await rejectsOpen(t, options, RangeError, re);
});

test('a file name that is not a string, and options that are not an object', async (t) => {
  for (const file of [42, undefined, null, { path: 'x' }]) {
    const err = await open(file).catch((e) => e);
    assert.ok(err instanceof TypeError);
    assert.match(err.message, /file name to be a string/);
  }
  await rejectsOpen(t, 'readers=2', TypeError, /options to be an object/);
  // null and undefined mean "no options".
  for (const options of [undefined, null]) {
    const db = await open(':memory:', options);
    assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
    await db.close();
  }
});

test('bad per-call timeout: RangeError through the promise', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  for (const timeout of [-1, 1.5, '10', 2 ** 31, Number.NaN, null]) {
    for (const call of [
      () => db.all('SELECT 1', [], { timeout }),
      () => db.get('SELECT 1', undefined, { timeout }),
      () => db.run('SELECT 1', [], { timeout }),
      () => db.exec('SELECT 1', { timeout }),
    ]) {
      let promise;
      assert.doesNotThrow(() => {
        promise = call();
      });
      await assert.rejects(promise, (err) => err instanceof RangeError && /options\.timeout/.test(err.message), `timeout ${timeout}`);
    }
  }
  // A valid timeout, and 0 meaning none, still work.
  assert.deepEqual(await db.get('SELECT 1 AS one', [], { timeout: 1000 }), { one: 1 });
  assert.deepEqual(await db.get('SELECT 1 AS one', [], { timeout: 0 }), { one: 1 });
});

test('SQL that is not a string: TypeError', async (t) => {
  const db = await openTemp(t, { readers: 1 });
  for (const sql of [42, null, undefined, Buffer.from('SELECT 1'), ['SELECT 1'], { text: 'SELECT 1' }]) {
    for (const method of ['all', 'get', 'run', 'exec', 'iterate']) {
      // Thrown or rejected: either way a TypeError (see the next test for which).
      const err = await (async () => {
        const r = db[method](sql);
        if (method === 'iterate') for await (const _ of r);
        else await r;
      })().catch((e) => e);
      assert.ok(err instanceof TypeError, `db.${method}(${String(sql)}): ${err}`);
    }
    assert.throws(() => db.prepare(sql), TypeError);
  }
  // A query object whose sql is not a string is not a query object.
  await assert.rejects(async () => db.all({ sql: 1, params: [] }), TypeError);
  assert.deepEqual(await db.get('SELECT 2 AS two'), { two: 2 }, 'the pool still works');
});

test('SQL that is not a string: async query methods reject rather than throw', async (t) => {
  const db = await openTemp(t, { readers: 0 });
  for (const method of ['all', 'get', 'run', 'exec']) {
    let promise;
    assert.doesNotThrow(() => {
      promise = db[method](42);
    }, `db.${method}(42) must not throw synchronously`);
    await assert.rejects(promise, TypeError);
  }
});

test('readers: 0 runs everything on the writer', async (t) => {
  const db = await openTemp(t, { readers: 0, setup: fixture('fidelity-setup.mjs') });
  assert.equal(db.stats().workers.length, 1);
  assert.equal(db.stats().workers[0].role, 'writer');
  await db.exec('CREATE TABLE t(x)');
  await db.run('INSERT INTO t VALUES (?)', [1]);
  const reads = await Promise.all(Array.from({ length: 8 }, () => db.get('SELECT count(*) AS n, tl_role() AS role FROM t')));
  for (const r of reads) assert.deepEqual(r, { n: 1, role: 'writer' });
  assert.deepEqual(await db.read((r) => r.get('SELECT tl_role() AS role')), { role: 'writer' });
  for await (const row of db.iterate('SELECT x FROM t')) assert.deepEqual(row, { x: 1 });
});

/** Runs `sql` inside `n` concurrent db.read() snapshots, each held a moment so they spread over the readers. */
function onReaders(db, sql, n = 6) {
  return Promise.all(
    Array.from({ length: n }, () =>
      db.read(async (r) => {
        const row = await r.get(sql);
        await sleep(20);
        return row;
      }),
    ),
  );
}

test('pragmas are applied on every connection, readers included', async (t) => {
  const db = await openTemp(t, {
    readers: 2,
    pragmas: { cache_size: -1234, foreign_keys: 'OFF', case_sensitive_like: true },
    setup: fixture('fidelity-setup.mjs'),
  });
  // PRAGMA statements run on the writer, so read the setting through the
  // pragma_* table-valued functions, inside read snapshots pinned to readers.
  const sql =
    "SELECT tl_role() AS role, tl_thread() AS thread, (SELECT cache_size FROM pragma_cache_size()) AS cache, (SELECT foreign_keys FROM pragma_foreign_keys()) AS fk, 'a' LIKE 'A' AS ci";
  const rows = await onReaders(db, sql);
  for (const row of rows) assert.deepEqual({ ...row, thread: 0 }, { role: 'reader', thread: 0, cache: -1234, fk: 0, ci: 0 });
  assert.equal(new Set(rows.map((r) => r.thread)).size, 2, 'both readers answered');
  const writer = await db.transaction((tx) => tx.get(sql));
  assert.deepEqual({ ...writer, thread: 0 }, { role: 'writer', thread: 0, cache: -1234, fk: 0, ci: 0 });
  assert.ok(!rows.some((r) => r.thread === writer.thread));
  // Control: without the option, readers have SQLite's default, so the check above can fail.
  const plain = await openTemp(t, { readers: 1, setup: fixture('fidelity-setup.mjs') });
  const [row] = await onReaders(plain, sql, 1);
  assert.equal(row.role, 'reader');
  assert.notEqual(row.cache, -1234);
  assert.equal(row.fk, 1, 'better-sqlite3 turns foreign keys on by default');
  assert.equal(row.ci, 1);
});

test('setup registers functions on the writer and on every reader', async (t) => {
  const db = await openTemp(t, { readers: 2, setup: fixture('fidelity-setup.mjs') });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)');
  assert.equal((await db.run('UPDATE t SET x = tl_double(x)')).changes, 3);
  const rows = await onReaders(db, 'SELECT tl_role() AS role, tl_thread() AS thread, sum(tl_double(x)) AS s FROM t');
  assert.equal(new Set(rows.map((r) => r.thread)).size, 2);
  for (const r of rows) assert.deepEqual([r.role, r.s], ['reader', 24]);
  // Plain calls too: the first runs on the writer, the rest may go to readers.
  for (let i = 0; i < 4; i++) assert.deepEqual(await db.get('SELECT tl_double(21) AS v'), { v: 42 });
  // A setup given as a relative path string is resolved against the cwd.
  const relative = `./${new URL(fixture('fidelity-setup.mjs')).pathname.slice(process.cwd().length + 1)}`;
  if (fixture('fidelity-setup.mjs').pathname.startsWith(`${process.cwd()}/`)) {
    const db2 = await openTemp(t, { readers: 1, setup: relative });
    assert.deepEqual(await db2.get('SELECT tl_double(2) AS v'), { v: 4 });
  }
});

test('a setup module that throws makes open() reject with that error', async (t) => {
  for (const readers of [0, 2]) {
    const err = await open(tempFile(t), { readers, setup: fixture('fidelity-setup-throws.mjs') }).catch((e) => e);
    assert.ok(err instanceof RangeError, `readers: ${readers}: ${err}`);
    assert.equal(err.message, 'setup failed on purpose');
  }
  const err = await open(':memory:', { setup: fixture('fidelity-setup-nofn.mjs') }).catch((e) => e);
  assert.ok(err instanceof TypeError);
  assert.match(err.message, /must export a function/);
  const missing = await open(':memory:', { setup: fixture('fidelity-no-such-module.mjs') }).catch((e) => e);
  assert.ok(missing instanceof Error);
  assert.match(missing.message, /Cannot find module/);
});

test('the error a setup module throws keeps its code', async (t) => {
  const err = await open(tempFile(t), { readers: 0, setup: fixture('fidelity-setup-throws.mjs') }).catch((e) => e);
  assert.equal(err.code, 'E_SETUP_FIXTURE');
});

test('a missing file with fileMustExist or readonly: SqliteError SQLITE_CANTOPEN, no file created', async (t) => {
  for (const options of [{ fileMustExist: true }, { readonly: true }, { fileMustExist: true, readers: 0 }, { readonly: true, readers: 3 }]) {
    const file = tempFile(t);
    const err = await open(file, options).catch((e) => e);
    assert.ok(err instanceof SqliteError, `${JSON.stringify(options)}: ${err}`);
    assert.equal(err.code, 'SQLITE_CANTOPEN');
    assert.equal(err.message, 'unable to open database file');
    assert.equal(existsSync(file), false);
  }
});
