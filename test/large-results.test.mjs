// A large all() arrives in chunks. The main thread takes them one per
// event-loop turn, however many are waiting (src/rows-inbox.ts), and
// collects its young generation in steps between them (src/young-gc.ts)
// instead of letting V8 copy 16 MB of live rows in one pause. These tests
// prove both happen, the steps only for large results, with the rows
// unchanged, and without leaving V8's `gc` function to anyone else. (The
// pause lengths are the benchmark's: docs/benchmark.md, all-100k.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { open, WorkerCrashedError } from 'threadlite';
import { setupModule } from './fixtures/rel-gate.mjs';
import { tempFile } from './helpers.mjs';

const child = fileURLToPath(new URL('./fixtures/young-gc-child.mjs', import.meta.url));
const ROWS = 60_000;

function makeFile(t) {
  const file = tempFile(t);
  const db = new Database(file);
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, score REAL, payload TEXT, extra)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) insert.run(i, i * 7919 % 100_000, `user-${i}`, i / 7, `payload ${i} `.padEnd(100, 'x'), i % 1000 === 0 ? Buffer.from([i & 255, 1, 2]) : null);
  })();
  db.close();
  return file;
}

async function run(file, how, { nodeArgs = [], tuning } = {}) {
  const env = { ...process.env };
  if (tuning === undefined) delete env.THREADLITE_TUNING;
  else env.THREADLITE_TUNING = tuning;
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, child, file, String(ROWS), how], { env });
  return JSON.parse(stdout.trim());
}

test('a large all() collects the young generation in steps, a small one does not; rows unchanged (import and require)', async (t) => {
  const file = makeFile(t);
  for (const how of ['import', 'require']) {
    const got = await run(file, how);
    assert.equal(got.rows, ROWS);
    assert.equal(got.same, true, `${how}: rows differ from better-sqlite3's`);
    // ~23 MB of rows at 2 MB a step: about ten; V8's own scavenges take some.
    assert.ok(got.forcedLarge >= 3, `${how}: ${got.forcedLarge} young collections during the large all()`);
    assert.equal(got.forcedSmall, 0, `${how}: a 100-row all() forced a collection`);
    // The flag that made V8's gc function reachable was unset again.
    assert.equal(got.gcGlobal, 'undefined');
    assert.equal(got.gcInNewContext, 'undefined');
  }
});

test('the steps come from threadlite: none with them switched off', async (t) => {
  const got = await run(makeFile(t), 'import', { tuning: 'youngGc=0' });
  assert.equal(got.same, true);
  assert.equal(got.forcedLarge, 0);
});

test('a process started with --expose-gc keeps its gc in new contexts', async (t) => {
  const got = await run(makeFile(t), 'import', { nodeArgs: ['--expose-gc'] });
  assert.equal(got.same, true);
  assert.ok(got.forcedLarge >= 3, `${got.forcedLarge} young collections`);
  assert.equal(got.gcGlobal, 'function');
  assert.equal(got.gcInNewContext, 'function');
});

test('chunks that all wait at once are taken one per turn, their answer after them', async (t) => {
  const file = makeFile(t);
  const db = await open(file, { readers: 1, inlineReads: 0 });
  t.after(() => db.close());
  const sql = 'SELECT * FROM t WHERE id <= ? ORDER BY id';
  // The reader is up and knows the statement as a cheap one: the large call
  // goes out at once, and its rows are sent after it ran.
  assert.equal((await db.all(sql, [10])).length, 10);
  const result = db.all(sql, [ROWS]);
  await new Promise((resolve) => setImmediate(resolve)); // the request is on its way
  // A busy main thread: meanwhile the worker runs the statement and posts
  // every chunk and then the answer, so all of them wait at once.
  const busyUntil = performance.now() + 1500;
  while (performance.now() < busyUntil);
  let turns = 0;
  let counting = true;
  const tick = () => {
    turns++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  const rows = await result;
  counting = false;
  const direct = new Database(file, { readonly: true });
  t.after(() => direct.close());
  assert.deepEqual(rows, direct.prepare(sql).all(ROWS));
  // ~40 chunks of ~1,500 rows: one per turn (taken all in one task, this was 0 or 1).
  assert.ok(turns >= 20, `the ${ROWS} rows came in ${turns} turns`);
  // The pool goes on answering after the chunks.
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: ROWS });
});

test('a worker that dies midway through posting a result: that call fails, the pool goes on', async (t) => {
  const file = makeFile(t);
  // rel_exit(code) ends the worker that runs it (test/fixtures/rel-setup.mjs).
  const db = await open(file, { readers: 1, inlineReads: 0, setup: setupModule });
  t.after(() => db.close());
  const sql = 'SELECT id, payload, CASE WHEN id = 40000 THEN rel_exit(3) END AS x FROM t WHERE id <= ?';
  // Taught as slow first (it then streams its chunks as it steps), without reaching row 40,000.
  assert.equal((await db.all(sql, [30_000])).length, 30_000);
  const fatal = db.all(sql, [ROWS]);
  const after = db.get('SELECT count(*) AS n FROM t');
  await assert.rejects(fatal, WorkerCrashedError);
  assert.deepEqual(await after, { n: ROWS });
  const rows = await db.all('SELECT id FROM t WHERE id <= ?', [ROWS]);
  assert.equal(rows.length, ROWS);
  assert.equal(rows.at(-1).id, ROWS);
});
