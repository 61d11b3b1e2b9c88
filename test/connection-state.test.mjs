// The pool behaves as one connection (engine issue, row 7): TEMP objects,
// attached databases and connection-level PRAGMAs made by one statement are
// seen by every later one, on whichever connection it runs — compared with
// better-sqlite3 on a single connection, by hand and by a differential
// property test that generates state-changing sequences.
//
// Reproduce a property failure with FC_SEED=<seed printed in the message>.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { open } from 'threadlite';
import { setupModule } from './fixtures/rel-gate.mjs';
import { outcome } from './fixtures/fidelity-helpers.mjs';
import { tempDir, tempFile } from './helpers.mjs';

const roles = async (db, sql, n = 12) => new Set((await Promise.all(Array.from({ length: n }, () => db.get(sql)))).map((r) => r.role));

test('TEMP tables: later statements see them on the writer; once dropped, reads go back to readers', async (t) => {
  const db = await open(tempFile(t), { readers: 2, setup: setupModule });
  t.after(() => db.close());
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  const sql = 'SELECT x, rel_role() AS role FROM t';
  // Read connections: the readers, and the main thread's inline one (on by default).
  const away = (set) => set.size > 0 && [...set].every((role) => role === 'reader' || role === 'inline');
  // Known and reader-safe before the TEMP table exists: it runs away from the writer. (Learned by
  // one call first: twins of a text never seen may rightly run on an idle writer, see the ATTACH test.)
  await db.get(sql);
  assert.ok(away(await roles(db, sql)));
  await db.run('CREATE TEMP TABLE tmp(y)');
  await db.run('INSERT INTO tmp VALUES (?)', [7]);
  assert.deepEqual(await db.all('SELECT * FROM tmp'), [{ y: 7 }]);
  assert.deepEqual(await db.all('SELECT y FROM "temp".tmp'), [{ y: 7 }]);
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM temp.sqlite_schema'), { n: 1 });
  // Every statement now runs where the TEMP table is, known ones included.
  assert.deepEqual(await roles(db, sql), new Set(['writer']));
  const it = db.iterate('SELECT y FROM tmp');
  assert.deepEqual(await it.next(), { done: false, value: { y: 7 } });
  await it.return();
  assert.deepEqual(await db.read(async (r) => r.all('SELECT y FROM tmp')), [{ y: 7 }]);
  // A TEMP table shadows a main one of the same name, as on one connection.
  await db.run('CREATE TEMP TABLE t(x)');
  assert.deepEqual(await db.all('SELECT x FROM t'), []);
  await db.run('DROP TABLE temp.t');
  await db.run('DROP TABLE tmp');
  assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 1 }]);
  assert.ok(away(await roles(db, sql)));
  // A TEMP table created in a transaction that rolled back never existed.
  await db.exec('BEGIN; CREATE TEMP TABLE gone(z); ROLLBACK');
  assert.ok(away(await roles(db, sql)));
  await assert.rejects(db.all('SELECT * FROM gone'), { code: 'SQLITE_ERROR', message: 'no such table: gone' });
});

test('ATTACH: the attached database is seen by later statements; after DETACH reads go back to readers', async (t) => {
  const dir = tempDir(t);
  const other = new Database(join(dir, 'other.db'));
  other.exec('CREATE TABLE o(v); INSERT INTO o VALUES (42)');
  other.close();
  const db = await open(join(dir, 'main.db'), { readers: 2, setup: setupModule });
  t.after(() => db.close());
  await db.run(`ATTACH '${join(dir, 'other.db')}' AS other`);
  assert.deepEqual(await db.all('SELECT v, rel_role() AS role FROM other.o'), [{ v: 42, role: 'writer' }]);
  assert.deepEqual((await db.all('PRAGMA database_list')).map((r) => r.name), ['main', 'other']);
  // Every statement runs on the writer while a database is attached, one that does not use it too.
  const sql = 'SELECT rel_role() AS role';
  assert.deepEqual(await roles(db, sql), new Set(['writer']));
  await db.run('DETACH other');
  await assert.rejects(db.all('SELECT v FROM other.o'), { message: 'no such table: other.o' });
  // Known as a cheap read by now, so it goes to the read connections. (Twelve calls of a text never
  // seen may rightly put some on the writer: their cost is learned while the twins wait, and an idle
  // writer serves a waiting cheap read when every reader is busy; on a loaded machine 2 runs in 15
  // did, which this test once asserted against.)
  const after = await roles(db, sql);
  assert.ok(after.size > 0 && [...after].every((role) => role === 'reader' || role === 'inline'), [...after].join());
});

test('connection PRAGMAs set on the writer hold on every reader and the inline connection, and on new ones', async (t) => {
  const file = tempFile(t);
  const db = await open(file, { readers: 2, inlineReads: 10_000, setup: setupModule });
  t.after(() => db.close());
  const like = "SELECT 'a' LIKE 'A' AS m, rel_role() AS role";
  // Warm: learnt as a cheap read (so it may also run inline).
  for (let i = 0; i < 5; i++) await db.get(like);
  const before = await Promise.all(Array.from({ length: 12 }, () => db.get(like)));
  assert.ok(before.every((r) => r.m === 1));
  await db.run('PRAGMA case_sensitive_like = ON');
  const after = await Promise.all(Array.from({ length: 12 }, () => db.get(like)));
  assert.deepEqual(new Set(after.map((r) => r.m)), new Set([0]), JSON.stringify(after));
  assert.ok(after.some((r) => r.role !== 'writer'), 'reads still run away from the writer');
  // In a script too, and the last setting wins.
  await db.exec('PRAGMA case_sensitive_like = OFF; CREATE TABLE q(x); PRAGMA reverse_unordered_selects = 1');
  assert.deepEqual(new Set((await Promise.all(Array.from({ length: 12 }, () => db.get(like)))).map((r) => r.m)), new Set([1]));
  await db.exec('INSERT INTO q VALUES (1), (2), (3)');
  const ref = new Database(file, { readonly: true });
  t.after(() => ref.close());
  ref.pragma('reverse_unordered_selects = 1');
  const expected = ref.prepare('SELECT x FROM q').all();
  assert.deepEqual(expected, [{ x: 3 }, { x: 2 }, { x: 1 }]);
  for (let i = 0; i < 6; i++) assert.deepEqual(await db.all('SELECT x FROM q'), expected);
  // Through db.pragma() as through a statement.
  await db.pragma('case_sensitive_like = ON');
  assert.deepEqual(new Set((await Promise.all(Array.from({ length: 12 }, () => db.get(like)))).map((r) => r.m)), new Set([0]));
  await db.run('PRAGMA case_sensitive_like = OFF');
  // A reader started after the setting (the old one crashed) gets it too.
  await db.run('PRAGMA case_sensitive_like = ON');
  await assert.rejects(db.get('SELECT rel_exit(1) FROM q'), { name: 'WorkerCrashedError' });
  const fresh = await Promise.all(Array.from({ length: 12 }, () => db.get(like)));
  assert.deepEqual(new Set(fresh.map((r) => r.m)), new Set([0]));
  assert.ok(db.stats().respawns >= 1);
});

// ---- differential property -------------------------------------------------

const SEED = Number(process.env.FC_SEED ?? 20_261_130);
const RUNS = Number(process.env.FC_RUNS ?? 40);

/** Steps that change connection state, and reads that depend on it. */
const step = fc.oneof(
  fc.constantFrom(
    'CREATE TEMP TABLE IF NOT EXISTS a(x)',
    'CREATE TEMP TABLE IF NOT EXISTS b(x)',
    'DROP TABLE IF EXISTS temp.a',
    'DROP TABLE IF EXISTS temp.b',
    'CREATE TABLE IF NOT EXISTS a(x)',
    'CREATE TEMP VIEW IF NOT EXISTS va AS SELECT 1 AS one',
    'DROP VIEW IF EXISTS temp.va',
    'ATTACH {other} AS other',
    'DETACH other',
    'CREATE TABLE IF NOT EXISTS other.o(x)',
    'PRAGMA case_sensitive_like = ON',
    'PRAGMA case_sensitive_like = OFF',
    'PRAGMA reverse_unordered_selects = ON',
    'PRAGMA reverse_unordered_selects = OFF',
    'BEGIN; CREATE TEMP TABLE IF NOT EXISTS b(x); ROLLBACK',
  ),
  fc.integer({ min: -5, max: 5 }).map((v) => `INSERT INTO a VALUES (${v})`),
  fc.integer({ min: -5, max: 5 }).map((v) => `INSERT INTO main.a VALUES (${v})`),
  fc.integer({ min: -5, max: 5 }).map((v) => `INSERT INTO other.o VALUES (${v})`),
);
const read = fc.constantFrom(
  'SELECT x FROM a',
  'SELECT x FROM main.a',
  'SELECT * FROM b',
  'SELECT * FROM va',
  'SELECT count(*) AS n FROM other.o',
  "SELECT 'x' LIKE 'X' AS m",
  'SELECT name FROM temp.sqlite_schema ORDER BY name',
  'SELECT name FROM pragma_database_list ORDER BY seq',
);
const sequence = fc.array(fc.oneof({ arbitrary: step, weight: 2 }, { arbitrary: read, weight: 3 }), { minLength: 4, maxLength: 24 });

test('differential: sequences that change connection state give what one better-sqlite3 connection gives', async (t) => {
  const dir = tempDir(t);
  let run = 0;
  let compared = 0;
  const property = fc.asyncProperty(sequence, async (texts) => {
    const n = run++;
    const db = await open(join(dir, `pool-${n}.db`), { readers: 2 });
    const ref = new Database(join(dir, `ref-${n}.db`));
    ref.pragma('journal_mode = WAL');
    try {
      for (const text of texts) {
        const isRead = text.startsWith('SELECT');
        const pool = text.replace('{other}', `'${join(dir, `pool-${n}-other.db`)}'`);
        const mine = text.replace('{other}', `'${join(dir, `ref-${n}-other.db`)}'`);
        // exec() answers differently by design (better-sqlite3 returns the database): compare errors only.
        const run = async (target, sql) => (isRead ? target.prepare(sql).all() : (await target.exec(sql), null));
        const expected = await outcome(() => run(ref, mine));
        // Reads run three at once so that every connection answers.
        const actual = await Promise.all((isRead ? [1, 2, 3] : [1]).map(() => outcome(() => run(db, pool))));
        for (const a of actual) assert.deepStrictEqual(a, expected, `${text}\n(after: ${texts.slice(0, texts.indexOf(text)).join(' | ')})`);
        compared++;
      }
    } finally {
      ref.close();
      await db.close();
    }
  });
  try {
    await fc.assert(property, { seed: SEED, numRuns: RUNS });
  } catch (err) {
    const cause = err.cause instanceof Error ? `\nCause: ${err.cause.message}` : '';
    err.message = `fast-check seed ${SEED} (rerun with FC_SEED=${SEED}):\n${err.message}${cause}`;
    throw err;
  }
  t.diagnostic(`${RUNS} sequences, ${compared} statements compared, seed ${SEED}`);
  assert.ok(compared >= RUNS * 4);
});
