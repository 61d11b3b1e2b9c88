// Edge cases where a worker pool can drift from better-sqlite3. Every expected
// value comes from better-sqlite3 itself, run on the main thread on its own
// connection with the same SQL; results are compared in a type-tagged form
// (see fixtures/fidelity-helpers.mjs) so Buffer vs Uint8Array, bigint vs
// number, -0, key order and prototypes all count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { open, SqliteError } from 'threadlite';
import { outcome, refCall, shape, withMode } from './fixtures/fidelity-helpers.mjs';
import { tempFile } from './helpers.mjs';

/** A pool (one reader) on a fresh file and a better-sqlite3 :memory: twin, both given `schema`. */
async function twins(t, schema, options = {}) {
  const db = await open(tempFile(t), { readers: 1, ...options });
  t.after(() => db.close());
  const ref = new Database(':memory:');
  t.after(() => ref.close());
  if (options.safeIntegers) ref.defaultSafeIntegers(true);
  if (schema) {
    await db.exec(schema);
    ref.exec(schema);
  }
  return { db, ref };
}

async function collect(iterable) {
  const rows = [];
  for await (const row of iterable) rows.push(row);
  return rows;
}

function call(stmt, method, params) {
  if (method === 'iterate') return collect(refCall(stmt, 'iterate', params));
  return refCall(stmt, method, params);
}

/**
 * Runs `sql` through better-sqlite3 and through the pool, and asserts the same
 * outcome. Reads are run through the pool three times: first (on the writer,
 * which learns the route), again (routed to a reader), and inside db.read()
 * (pinned to a reader), so both decode paths are covered.
 */
async function same({ db, ref }, sql, { params, method = 'all', mode, safe, reader = method !== 'run' } = {}) {
  const configure = (stmt) => {
    withMode(stmt, mode);
    if (safe !== undefined) stmt.safeIntegers(safe);
    return stmt;
  };
  const expected = await outcome(() => call(configure(ref.prepare(sql)), method, params));
  const label = `${method}${mode ? `/${mode}` : ''} ${sql} ${JSON.stringify(params, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`;
  const first = await outcome(() => call(configure(db.prepare(sql)), method, params));
  assert.deepStrictEqual(first, expected, `first call: ${label}`);
  if (reader) {
    const again = await outcome(() => call(configure(db.prepare(sql)), method, params));
    assert.deepStrictEqual(again, expected, `second call: ${label}`);
    const pinned = await outcome(() => db.read((r) => call(configure(r.prepare(sql)), method, params)));
    assert.deepStrictEqual(pinned, expected, `inside db.read(): ${label}`);
  }
  return expected;
}

const BLOBS = `
  CREATE TABLE b(id INTEGER PRIMARY KEY, v BLOB, w);
  INSERT INTO b(v, w) VALUES (x'', 1), (x'00ff10', x''), (zeroblob(3), NULL), (NULL, x'01'), ('text', -0.0);
`;

test('BLOBs come back as Buffers (empty ones too) in every row mode', async (t) => {
  const pair = await twins(t, BLOBS);
  for (const mode of [undefined, 'raw', 'pluck', 'expand']) {
    for (const method of ['all', 'get', 'iterate']) {
      await same(pair, 'SELECT v, w FROM b ORDER BY id', { method, mode });
      await same(pair, 'SELECT v FROM b WHERE id = ?', { method, mode, params: [2] });
    }
  }
  await same(pair, "SELECT x'' AS e, b1.v, b2.w FROM b AS b1 JOIN b AS b2 ON b2.id = b1.id + 1", { mode: 'expand' });
  // Spelled out, in case both sides ever agreed on the wrong type.
  const rows = await pair.db.all('SELECT v FROM b ORDER BY id');
  assert.ok(Buffer.isBuffer(rows[0].v) && rows[0].v.length === 0);
  assert.ok(Buffer.isBuffer(rows[1].v));
  const plucked = await pair.db.prepare('SELECT v FROM b WHERE id = 2').pluck().get();
  assert.ok(Buffer.isBuffer(plucked));
  assert.ok(Buffer.isBuffer((await pair.db.batch(['SELECT v FROM b WHERE id = 1']))[0][0].v));
});

test('safeIntegers: pool option, per statement, and integers beyond 2^53', async (t) => {
  const schema = `
    CREATE TABLE n(id INTEGER PRIMARY KEY, i INTEGER, r REAL, x);
    INSERT INTO n(i, r, x) VALUES (9223372036854775807, 1.5, 9007199254740993), (-9223372036854775808, -0.0, 2),
      (9007199254740993, 1e300, 'nine'), (0, 0.1, NULL);
  `;
  const plain = await twins(t, schema);
  const safe = await twins(t, schema, { safeIntegers: true });
  for (const pair of [plain, safe]) {
    await same(pair, 'SELECT * FROM n ORDER BY id');
    await same(pair, 'SELECT i FROM n ORDER BY id', { mode: 'pluck' });
    await same(pair, 'SELECT i, r FROM n ORDER BY id', { mode: 'raw', safe: true });
    await same(pair, 'SELECT i, r FROM n ORDER BY id', { mode: 'raw', safe: false });
    await same(pair, 'SELECT count(*) AS c, sum(r) AS s, max(i) AS m FROM n');
    await same(pair, 'SELECT ? AS a, ? AS b, ? AS c', { params: [2n ** 63n - 1n, -(2n ** 63n), 5n] });
    await same(pair, 'SELECT ? AS a', { params: [2n ** 63n] });
    await same(pair, 'SELECT ? AS a', { params: [-(2n ** 63n) - 1n] });
    await same(pair, 'INSERT INTO n(i) VALUES (?)', { method: 'run', params: [2n ** 60n] });
    await same(pair, 'INSERT INTO n(i) VALUES (?)', { method: 'run', params: [1], safe: true });
  }
  // Direct checks of the types that matter most.
  assert.equal(typeof (await safe.db.get('SELECT 1 AS one')).one, 'bigint');
  assert.equal(typeof (await plain.db.prepare('SELECT 1 AS one').safeIntegers().get()).one, 'bigint');
  assert.equal(typeof (await safe.db.prepare('SELECT 1 AS one').safeIntegers(false).get()).one, 'number');
  assert.equal(typeof (await safe.db.run('INSERT INTO n(i) VALUES (1)')).lastInsertRowid, 'bigint');
});

test('null, -0, NaN, text with NUL characters and unicode', async (t) => {
  const pair = await twins(t, 'CREATE TABLE s(id INTEGER PRIMARY KEY, v)');
  const values = [null, -0, 0, NaN, Infinity, -Infinity, 1e-310, 'a\u0000b', '\u0000', '', 'naïve 日本語 🎉', '\uD83D', 'x\u2028y'];
  for (const v of values) {
    await same(pair, 'INSERT INTO s(v) VALUES (?)', { method: 'run', params: [v] });
    await same(pair, 'SELECT ? AS v, typeof(?) AS t, length(?) AS n', { params: [v, v, v] });
  }
  await same(pair, 'SELECT id, v, typeof(v) AS t FROM s ORDER BY id');
  await same(pair, "SELECT -0.0 AS z, 'a' || char(0) || 'b' AS nul, char(0) AS only, CAST(x'00' AS TEXT) AS t");
  const row = await pair.db.get('SELECT v FROM s WHERE id = 2');
  assert.ok(Object.is(row.v, pair.ref.prepare('SELECT v FROM s WHERE id = 2').get().v));
});

test('duplicate and integer-like column names keep better-sqlite3 key order and last value', async (t) => {
  const pair = await twins(t, 'CREATE TABLE a(x, y); INSERT INTO a VALUES (1, 2); CREATE TABLE c(x, z); INSERT INTO c VALUES (3, 4)');
  await same(pair, 'SELECT 1 AS a, 2 AS b, 3 AS a');
  await same(pair, 'SELECT a.x, c.x FROM a, c');
  await same(pair, 'SELECT * FROM a, c');
  await same(pair, 'SELECT * FROM a, c', { mode: 'expand' });
  await same(pair, 'SELECT 1 AS b, 2 AS "10", 3 AS "2", 4 AS a, 5 AS "-1", 6 AS "01", 7 AS "4294967295"');
  await same(pair, 'SELECT 1 AS "", 2 AS " ", 3 AS "constructor", 4 AS "toString", 5 AS "hasOwnProperty"');
  const row = await pair.db.get('SELECT 1 AS b, 2 AS "10", 3 AS "2", 4 AS a');
  assert.deepEqual(Object.keys(row), Object.keys(pair.ref.prepare('SELECT 1 AS b, 2 AS "10", 3 AS "2", 4 AS a').get()));
});

test('a column named __proto__ (BLOB or integer) builds the row as better-sqlite3 does', async (t) => {
  const pair = await twins(t, "CREATE TABLE p(__proto__, a); INSERT INTO p VALUES (x'0102', 1), (5, 2), (NULL, 3), ('s', 4)");
  for (const method of ['all', 'get', 'iterate']) {
    await same(pair, 'SELECT __proto__, a FROM p ORDER BY a', { method });
    await same(pair, 'SELECT a, __proto__ FROM p ORDER BY a', { method });
    await same(pair, 'SELECT __proto__, a FROM p ORDER BY a', { method, mode: 'raw' });
    await same(pair, 'SELECT __proto__ FROM p ORDER BY a', { method, mode: 'pluck' });
  }
  await same(pair, "SELECT x'0102' AS __proto__, 1 AS a, 2 AS __proto__");
  // better-sqlite3 built for Node 20 sets the row's prototype to the Buffer
  // (only `a` is an own key); built for Node >= 22 it makes `__proto__` an
  // own property. Either way the pool's row must be built the same way.
  const sql = 'SELECT __proto__, a FROM p WHERE a = 1';
  const row = await pair.db.get(sql);
  const expected = pair.ref.prepare(sql).get();
  const expectedProto = Object.getPrototypeOf(expected);
  if (Buffer.isBuffer(expectedProto)) {
    assert.ok(Buffer.isBuffer(Object.getPrototypeOf(row)));
    assert.ok(Object.getPrototypeOf(row).equals(expectedProto));
  } else {
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.ok(Buffer.isBuffer(row.__proto__) && row.__proto__.equals(expected.__proto__));
  }
  assert.deepEqual(Object.keys(row), Object.keys(expected));
  const intSql = 'SELECT __proto__, a FROM p WHERE a = 2';
  const intRow = await pair.db.get(intSql);
  assert.equal(Object.getPrototypeOf(intRow), Object.prototype);
  assert.deepEqual(Object.keys(intRow), Object.keys(pair.ref.prepare(intSql).get()));
  // In a batch, too.
  const [batchRows] = await pair.db.batch(['SELECT __proto__, a FROM p ORDER BY a']);
  assert.deepStrictEqual(shape(batchRows), shape(pair.ref.prepare('SELECT __proto__, a FROM p ORDER BY a').all()));
});

test('a column named __proto__ survives expand() mode', async (t) => {
  const pair = await twins(t, "CREATE TABLE p(__proto__, a); INSERT INTO p VALUES (x'0102', 1), (5, 2)");
  await pair.db.exec("CREATE TABLE __proto__(a, __proto__); INSERT INTO __proto__ VALUES (7, x'05')");
  pair.ref.exec("CREATE TABLE __proto__(a, __proto__); INSERT INTO __proto__ VALUES (7, x'05')");
  for (const method of ['all', 'get', 'iterate']) {
    await same(pair, 'SELECT __proto__, a FROM p ORDER BY a', { method, mode: 'expand' });
    await same(pair, "SELECT p.*, x'0304' AS __proto__ FROM p ORDER BY a", { method, mode: 'expand' });
    // A table named __proto__: better-sqlite3 assigns its sub-object as the row's prototype.
    await same(pair, 'SELECT * FROM __proto__, p ORDER BY p.a', { method, mode: 'expand' });
    await same(pair, 'SELECT a FROM __proto__', { method, mode: 'expand' });
    await same(pair, 'SELECT * FROM __proto__', { method });
  }
  const row = await pair.db.prepare('SELECT __proto__, a FROM p WHERE a = 1').expand().get();
  assert.ok(Buffer.isBuffer(Object.getPrototypeOf(row.p)));
});

test('expand() shapes: tables, aliases, expressions under $', async (t) => {
  const pair = await twins(
    t,
    "CREATE TABLE u(id INTEGER PRIMARY KEY, name); CREATE TABLE o(id INTEGER PRIMARY KEY, u, total); INSERT INTO u VALUES (1, 'ann'), (2, 'bob'); INSERT INTO o VALUES (10, 1, 5.5), (11, 1, x'aa'), (12, 2, NULL)",
  );
  const sqls = [
    'SELECT * FROM u JOIN o ON o.u = u.id ORDER BY o.id',
    'SELECT u.name, o.total, o.total * 2 AS double, 1 AS one FROM u AS x JOIN o ON o.u = x.id JOIN u ON u.id = x.id ORDER BY o.id',
    'SELECT count(*) AS n FROM o',
    'SELECT (SELECT name FROM u WHERE id = o.u) AS who, o.id FROM o ORDER BY o.id',
    'WITH w AS (SELECT id, name FROM u) SELECT * FROM w ORDER BY id',
  ];
  for (const sql of sqls) {
    for (const method of ['all', 'get', 'iterate']) await same(pair, sql, { method, mode: 'expand' });
  }
});

test('columns() and info() answer like better-sqlite3', async (t) => {
  const pair = await twins(t, 'CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB, n NUMERIC, x)');
  for (const sql of [
    'SELECT * FROM u',
    'SELECT id AS k, name || 1 AS e, count(*) FROM u AS alias',
    'SELECT 1, NULL, ?',
    'INSERT INTO u(name) VALUES (1) RETURNING id, name',
    'PRAGMA table_info(u)',
  ]) {
    const expected = await outcome(() => pair.ref.prepare(sql).columns());
    assert.deepStrictEqual(await outcome(() => pair.db.prepare(sql).columns()), expected, sql);
  }
  const notReader = 'INSERT INTO u(name) VALUES (1)';
  const expected = await outcome(() => pair.ref.prepare(notReader).columns());
  assert.deepStrictEqual(await outcome(() => pair.db.prepare(notReader).columns()), expected);
  assert.equal(expected.error.kind, 'TypeError');
  for (const sql of ['SELECT 1', 'INSERT INTO u(name) VALUES (1)', 'BEGIN', 'CREATE TABLE z(a)']) {
    const s = pair.ref.prepare(sql);
    assert.deepEqual(await pair.db.prepare(sql).info(), { reader: s.reader, readonly: s.readonly }, sql);
  }
});

test('lastInsertRowid and changes follow the writer connection, as on one connection', async (t) => {
  const schema = 'CREATE TABLE r(id INTEGER PRIMARY KEY, v); CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID';
  const pair = await twins(t, schema);
  const steps = [
    ['INSERT INTO r(v) VALUES (?)', ['a'], 'run'],
    ['INSERT INTO r(id, v) VALUES (?, ?)', [100, 'b'], 'run'],
    ['SELECT last_insert_rowid() AS id, changes() AS c, total_changes() AS tc', undefined, 'get'],
    ['INSERT INTO w VALUES (?, ?)', ['k', 1], 'run'], // a WITHOUT ROWID insert keeps the previous rowid
    ['UPDATE r SET v = v || ? ', ['!'], 'run'],
    ['DELETE FROM r WHERE id = ?', [12345], 'run'],
    ['SELECT last_insert_rowid() AS id, changes() AS c', undefined, 'get'],
    ['INSERT INTO r(v) SELECT v FROM r', undefined, 'run'],
    ['INSERT INTO r(v) VALUES (1), (2), (3) RETURNING id', undefined, 'all'],
    ['SELECT last_insert_rowid() AS id', undefined, 'get'],
    ['SELECT * FROM r ORDER BY id', undefined, 'run'], // run() on a SELECT
    ['SELECT 1', undefined, 'run'],
    ['INSERT INTO r(id) VALUES (?)', [9223372036854775807n], 'run'],
    ['SELECT last_insert_rowid() AS id', undefined, 'get'],
  ];
  for (const [sql, params, method] of steps) {
    // Mutating statements run once per side so both stay in step.
    const expected = await outcome(() => refCall(pair.ref.prepare(sql), method, params));
    const actual = await outcome(() => refCall(pair.db.prepare(sql), method, params));
    assert.deepStrictEqual(actual, expected, sql);
  }
  // With safeIntegers, lastInsertRowid is a bigint, as in better-sqlite3.
  const safe = await twins(t, schema, { safeIntegers: true });
  await same(safe, 'INSERT INTO r(v) VALUES (1)', { method: 'run' });
  await same(safe, 'INSERT INTO r(v) VALUES (1)', { method: 'run', safe: false });
});

test('all()/get() on a statement that returns no data fails as in better-sqlite3', async (t) => {
  const pair = await twins(t, 'CREATE TABLE t(a)');
  for (const method of ['all', 'get', 'iterate']) {
    const r = await same(pair, 'INSERT INTO t VALUES (1)', { method, reader: false });
    assert.equal(r.error.kind, 'TypeError');
  }
  await same(pair, 'INSERT INTO t VALUES (1)', { method: 'run', mode: 'raw', reader: false });
  await same(pair, 'SELECT count(*) AS n FROM t');
});

test('parameters: positional, named with : @ $, blobs, bigints, and every binding error', async (t) => {
  const pair = await twins(t, 'CREATE TABLE t(a, b)');
  const cases = [
    ['SELECT ? AS a, ? AS b', [1, 'two']],
    ['SELECT ?1 AS a, ?2 AS b, ?1 AS c', [1, 2]],
    ['SELECT :x AS a, @y AS b, $z AS c', { x: 1, y: 'y', z: null }],
    ['SELECT :x AS a, :x AS b', { x: 3.5 }],
    ['SELECT ? AS a', [Buffer.from([1, 2, 3])]],
    ['SELECT ? AS a', [Buffer.alloc(0)]],
    ['SELECT ? AS a', [new Uint8Array([4, 5])]],
    ['SELECT ? AS a', [new Uint8Array(0)]],
    ['SELECT ? AS a', [new Uint16Array([1, 2])]],
    ['SELECT ? AS a', [new Uint8Array(new ArrayBuffer(8), 2, 3)]],
    ['SELECT :b AS a', { b: Buffer.from('hi') }],
    ['SELECT ? AS a, ? AS b', [12n, -(2n ** 63n)]],
    ['SELECT ? AS a', [2n ** 64n]],
    ['SELECT ? AS a', [1, 2]],
    ['SELECT ? AS a, ? AS b', [1]],
    ['SELECT ? AS a', []],
    ['SELECT ? AS a', undefined],
    ['SELECT 1 AS a', [1]],
    ['SELECT :x AS a', { y: 1 }],
    ['SELECT :x AS a', {}],
    ['SELECT :x AS a', [1]],
    ['SELECT ? AS a', { x: 1 }],
    ['SELECT :x AS a', { x: 1, extra: 2 }],
    ['SELECT ? AS a', [true]],
    ['SELECT ? AS a', [new Date(0)]],
    ['SELECT ? AS a', [{}]],
    ['SELECT ? AS a', [[1]]],
    ['SELECT ? AS a', [undefined]],
    ['SELECT ? AS a', 7],
    ['SELECT ? AS a', 'str'],
    ['SELECT ? AS a', null],
    ['SELECT :x AS a', { x: true }],
    ['SELECT 1; SELECT 2', undefined],
    ['', undefined],
    ['   ', undefined],
    ['SELEC 1', undefined],
    ['SELECT * FROM missing', undefined],
  ];
  for (const [sql, params] of cases) {
    await same(pair, sql, { params });
    await same(pair, sql, { params, method: 'get' });
    await same(pair, sql.replace(/^SELECT (.*?) AS a.*$/, 'INSERT INTO t(a) VALUES ($1)'), { params, method: 'run' });
  }
  // Pool errors are threadlite's SqliteError with better-sqlite3's code.
  const err = await pair.db.all('SELEC 1').catch((e) => e);
  assert.ok(err instanceof SqliteError);
  assert.equal(err.code, 'SQLITE_ERROR');
  await same(pair, 'SELECT a, b FROM t ORDER BY rowid');
});

test('functions and symbols as parameters are refused like better-sqlite3 refuses them', async (t) => {
  const pair = await twins(t, '');
  for (const params of [[() => 1], [Symbol('s')], { x: () => 1 }]) {
    const sql = Array.isArray(params) ? 'SELECT ? AS a' : 'SELECT :x AS a';
    const expected = await outcome(() => pair.ref.prepare(sql).all(params));
    assert.deepStrictEqual(await outcome(() => pair.db.all(sql, params)), expected);
  }
  // The pool is still usable.
  assert.deepEqual(await pair.db.get('SELECT 1 AS one'), { one: 1 });
});

test('interleaved cursors of one SQL text in different modes each keep their shape', async (t) => {
  const pair = await twins(t, "CREATE TABLE c(__proto__, a, b); INSERT INTO c VALUES (x'01', 1, 9007199254740993), (2, 2, x''), (NULL, 3, -0.0)");
  const sql = 'SELECT __proto__, a, b FROM c ORDER BY a';
  const modes = [undefined, 'raw', 'pluck', 'expand', undefined];
  const expected = modes.map((m) => shape(withMode(pair.ref.prepare(sql), m).all()));
  const expectedSafe = shape(pair.ref.prepare(sql).safeIntegers().all());
  // Five cursors on the same statement, pulled one row at a time in turn; a
  // sixth with safeIntegers; writes in between force the worker to buffer them.
  const cursors = modes.map((m) => withMode(pair.db.prepare(sql), m).iterate([], { batchSize: 1 })[Symbol.asyncIterator]());
  cursors.push(pair.db.prepare(sql).safeIntegers().iterate([], { batchSize: 1 })[Symbol.asyncIterator]());
  const got = cursors.map(() => []);
  for (let step = 0; step < 4; step++) {
    for (let i = 0; i < cursors.length; i++) {
      const next = await cursors[i].next();
      if (!next.done) got[i].push(next.value);
    }
    await pair.db.run('CREATE TABLE IF NOT EXISTS other(x)');
  }
  modes.forEach((m, i) => assert.deepStrictEqual(shape(got[i]), expected[i], `mode ${m}`));
  assert.deepStrictEqual(shape(got[modes.length]), expectedSafe);
});
