// Differential property test: random schemas, values and statements run
// through the pool and through better-sqlite3 on a separate file must give the
// same results and the same errors (class, message, code), compared in a
// type-tagged form (Buffer vs Uint8Array, bigint vs number, -0, key order).
//
// Reproduce a failure with FC_SEED=<seed printed in the message>; FC_RUNS
// changes the number of runs (default 100).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { open } from 'threadlite';
import { outcome, withMode } from './fixtures/fidelity-helpers.mjs';
import { tempDir } from './helpers.mjs';
import { join } from 'node:path';

const SEED = Number(process.env.FC_SEED ?? 20_240_611);
const RUNS = Number(process.env.FC_RUNS ?? 100);

// ---- arbitraries -----------------------------------------------------------

const AFFINITIES = ['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC', '', 'ANY', 'VARCHAR(5)', 'BOOLEAN'];

const intValue = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 63, -(2 ** 63)),
  fc.maxSafeInteger(),
);
const bigintValue = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 0n, 2n ** 53n + 1n),
);
const textValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', '\u0000', 'a\u0000b', '日本', '🎉', '12', '1.5', ' 3 ', '-0', 'NaN', '0x10', '1e3'),
);
const blobValue = fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a));
const value = fc.oneof(
  { arbitrary: intValue, weight: 3 },
  { arbitrary: fc.double(), weight: 2 },
  { arbitrary: fc.constantFrom(-0, 0.5, -1.5, Number.MIN_VALUE, Number.MAX_VALUE), weight: 1 },
  { arbitrary: textValue, weight: 3 },
  { arbitrary: blobValue, weight: 2 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: bigintValue, weight: 2 },
  // Rare values better-sqlite3 refuses or cannot fit, so errors are compared too.
  { arbitrary: fc.constantFrom(2n ** 63n, true, new Uint8Array([1, 2])), weight: 1 },
);

const schema = fc.array(fc.constantFrom(...AFFINITIES), { minLength: 1, maxLength: 4 });
const mode = fc.constantFrom(undefined, undefined, 'raw', 'pluck', 'expand');
const safe = fc.constantFrom(undefined, undefined, true, false);
const column = fc.nat(3);
const compare = fc.constantFrom('=', '<', '>=', '<>', 'IS', 'IS NOT');

/** One statement, as a function of the table name and its column count. */
const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('insert'), values: fc.array(value, { minLength: 4, maxLength: 4 }), named: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('select'), mode, safe, method: fc.constantFrom('all', 'get', 'iterate') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('where'), col: column, order: column, cmp: compare, v: value, mode, safe, desc: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('aggregate'), col: column, safe, mode }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('types'), col: column }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('update'), col: column, v: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete'), col: column, v: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('badcount'), n: fc.nat(6) }) },
);

/** Turns an op into { sql, params, method, mode, safe } for a table with `n` columns. */
function statement(o, table, n) {
  const c = (i) => `c${i % n}`;
  const cols = Array.from({ length: n }, (_, i) => `c${i}`);
  switch (o.kind) {
    case 'insert': {
      const values = o.values.slice(0, n);
      if (o.named) {
        const params = Object.fromEntries(cols.map((name, i) => [name, values[i]]));
        return { sql: `INSERT INTO ${table}(${cols}) VALUES (${cols.map((x) => `:${x}`)})`, params, method: 'run' };
      }
      return { sql: `INSERT INTO ${table}(${cols}) VALUES (${cols.map(() => '?')})`, params: values, method: 'run' };
    }
    case 'select':
      return { sql: `SELECT * FROM ${table} ORDER BY rowid`, method: o.method, mode: o.mode, safe: o.safe };
    case 'where':
      return {
        sql: `SELECT ${cols.join(', ')}, rowid AS r FROM ${table} WHERE ${c(o.col)} ${o.cmp} ? ORDER BY ${c(o.order)}${o.desc ? ' DESC' : ''}, rowid`,
        params: [o.v],
        method: 'all',
        mode: o.mode,
        safe: o.safe,
      };
    case 'aggregate':
      return {
        sql: `SELECT count(*) AS n, sum(${c(o.col)}) AS s, total(${c(o.col)}) AS t, min(${c(o.col)}) AS lo, max(${c(o.col)}) AS hi, avg(${c(o.col)}) AS a, group_concat(${c(o.col)}, '|') AS g FROM ${table}`,
        method: 'get',
        mode: o.mode,
        safe: o.safe,
      };
    case 'types':
      return { sql: `SELECT typeof(${c(o.col)}) AS t, hex(${c(o.col)}) AS h, length(${c(o.col)}) AS l, quote(${c(o.col)}) AS q FROM ${table} ORDER BY rowid`, method: 'all' };
    case 'update':
      return { sql: `UPDATE ${table} SET ${c(o.col)} = ? WHERE rowid % 2 = 0`, params: [o.v], method: 'run' };
    case 'delete':
      return { sql: `DELETE FROM ${table} WHERE ${c(o.col)} = ?`, params: [o.v], method: 'run' };
    case 'badcount':
      return { sql: `SELECT * FROM ${table} WHERE ${c(0)} = ?`, params: Array.from({ length: o.n }, (_, i) => i), method: 'all' };
  }
  throw new Error(`unknown op ${o.kind}`);
}

async function collect(iterable) {
  const rows = [];
  for await (const row of iterable) rows.push(row);
  return rows;
}

function invoke(stmt, { method, params, mode: m, safe: s }) {
  withMode(stmt, m);
  if (s !== undefined) stmt.safeIntegers(s);
  const result = params === undefined ? stmt[method]() : stmt[method](params);
  return method === 'iterate' ? collect(result) : result;
}

// ---- the property ----------------------------------------------------------

test('random schemas, values and statements: pool and better-sqlite3 agree', async (t) => {
  const dir = tempDir(t);
  // Two pool configurations, each with its own reference file configured the same way.
  const pairs = [];
  for (const safeIntegers of [false, true]) {
    const db = await open(join(dir, `pool-${safeIntegers}.db`), { readers: 1, safeIntegers });
    t.after(() => db.close());
    const ref = new Database(join(dir, `ref-${safeIntegers}.db`));
    t.after(() => ref.close());
    ref.pragma('journal_mode = WAL');
    ref.defaultSafeIntegers(safeIntegers);
    pairs.push({ db, ref, safeIntegers });
  }
  let tableNo = 0;
  let compared = 0;
  // What the compared outcomes held, so a generator that stopped producing
  // blobs, bigints or errors cannot go unnoticed.
  const seen = { Buffer: 0, bigint: 0, '-0': 0, SqliteError: 0, RangeError: 0, TypeError: 0 };
  const tally = (o) => {
    const text = JSON.stringify(o);
    for (const key of Object.keys(seen)) if (text.includes(`"${key}"`)) seen[key]++;
  };
  const property = fc.asyncProperty(fc.boolean(), schema, fc.array(op, { minLength: 1, maxLength: 30 }), async (useSafe, affinities, ops) => {
    const { db, ref } = pairs[useSafe ? 1 : 0];
    const table = `t${tableNo++}`;
    const ddl = `CREATE TABLE ${table}(${affinities.map((a, i) => `c${i} ${a}`).join(', ')})`;
    await db.exec(ddl);
    ref.exec(ddl);
    try {
      for (const o of ops) {
        const s = statement(o, table, affinities.length);
        const expected = await outcome(() => invoke(ref.prepare(s.sql), s));
        const actual = await outcome(() => invoke(db.prepare(s.sql), s));
        assert.deepStrictEqual(actual, expected, `${s.method} ${s.sql}`);
        compared++;
        tally(expected);
        if (s.method !== 'run') {
          // Again: now routed to a reader, which must decode the same way.
          const again = await outcome(() => invoke(db.prepare(s.sql), s));
          assert.deepStrictEqual(again, expected, `(second run) ${s.method} ${s.sql}`);
        }
      }
    } finally {
      await db.exec(`DROP TABLE ${table}`);
      ref.exec(`DROP TABLE ${table}`);
    }
  });
  try {
    await fc.assert(property, { seed: SEED, numRuns: RUNS });
  } catch (err) {
    const cause = err.cause instanceof Error ? `\nCause: ${err.cause.message}` : '';
    err.message = `fast-check seed ${SEED} (rerun with FC_SEED=${SEED}):\n${err.message}${cause}`;
    throw err;
  }
  t.diagnostic(`${RUNS} runs, ${compared} statements compared, seed ${SEED}; outcomes holding: ${JSON.stringify(seen)}`);
  assert.ok(compared >= RUNS);
  if (RUNS >= 100) for (const [key, n] of Object.entries(seen)) assert.ok(n > 0, `no compared outcome held ${key}`);
});
