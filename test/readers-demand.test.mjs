// Readers that follow demand: a pool starts `minReaders` readers, starts more
// (one at a time, up to `readers`) while reads wait, and closes readers above
// the minimum once they have been idle for `readerIdleTimeout`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { open } from 'threadlite';
import { openGated } from './fixtures/rel-gate.mjs';
import { openTemp, tempFile, until } from './helpers.mjs';

const readers = (db) => db.stats().workers.filter((w) => w.role === 'reader');

test('readers grow one at a time while reads wait, up to `readers`, and retire to `minReaders` when idle', async (t) => {
  const { db, gate } = await openGated(t, { readers: 3, minReaders: 1, readerIdleTimeout: 300 });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)');
  assert.equal(readers(db).length, 1);
  // Learn both statements first (routes and costs).
  await db.get('SELECT count(*) AS n FROM t');
  // Each blocked read holds one reader; the reads queued behind make the pool grow.
  const blocked = [];
  for (let i = 1; i <= 3; i++) {
    blocked.push(db.get(`SELECT rel_block() AS b, ${i} AS i`));
    await gate.waitEntered(i, { ms: 30_000, describe: () => JSON.stringify(db.stats()) });
  }
  // Three readers, each inside rel_block(): the pool grew to its maximum and no further.
  assert.equal(readers(db).length, 3);
  assert.ok(readers(db).every((r) => r.state === 'ready' && r.inflight === 1), JSON.stringify(readers(db)));
  const more = Array.from({ length: 20 }, () => db.get('SELECT count(*) AS n FROM t'));
  // Light reads find no free reader: the idle writer serves them; no fourth reader starts.
  assert.deepEqual(new Set((await Promise.all(more)).map((r) => r.n)), new Set([2]));
  assert.equal(readers(db).length, 3);
  assert.equal(db.stats().readersGrown, 2);
  gate.release();
  assert.deepEqual((await Promise.all(blocked)).map((r) => r.i), [1, 2, 3]);
  // Idle past readerIdleTimeout: back to minReaders, and the pool still answers.
  await until(() => readers(db).length === 1, 'readers to retire');
  assert.equal(db.stats().readersRetired, 2);
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 2 });
});

test('an explicit `readers` count starts that many readers; the default minimum is at most 4', async (t) => {
  const fixed = await openTemp(t, { readers: 3 });
  assert.equal(readers(fixed).length, 3);
  const grown = await open(tempFile(t, 'other.db'), {});
  t.after(() => grown.close());
  const { availableParallelism } = await import('node:os');
  assert.equal(readers(grown).length, Math.min(availableParallelism() + 1, 4));
  await assert.rejects(openTemp(t, { readers: 2, minReaders: 3 }), { name: 'RangeError', message: 'options.minReaders must be between 1 and 2' });
  await assert.rejects(openTemp(t, { readerIdleTimeout: 0 }), { name: 'RangeError' });
});

test('a pool that grew and was never closed lets the process exit; its retire timer keeps nothing alive', () => {
  const script = `
    const { open } = require('threadlite');
    const { join } = require('node:path');
    const { mkdtempSync } = require('node:fs');
    const dir = mkdtempSync(join(require('node:os').tmpdir(), 'grow-'));
    (async () => {
      const db = await open(join(dir, 'db.sqlite'), { readers: 3, minReaders: 1, readerIdleTimeout: 60000 });
      await db.exec('CREATE TABLE t(x)');
      await Promise.all(Array.from({ length: 2000 }, () => db.get('SELECT count(*) AS n FROM t')));
      console.log(JSON.stringify(db.stats().workers.length));
    })();
  `;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(child.status, 0, child.stderr);
  assert.ok(Date.now() - started < 15_000);
  // The writer plus 1 to 3 readers, depending on how fast the burst drained.
  assert.ok([2, 3, 4].includes(Number(child.stdout.trim())), child.stdout);
});
