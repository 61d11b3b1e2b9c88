// Crash recovery: workers that die in a user function or run out of memory,
// workers that cannot start again, files that cannot be opened, and close()
// catching a replacement worker that is still starting.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { open, SqliteError, WorkerCrashedError, WorkerStartupError } from 'threadlite';
import { setupModule } from './fixtures/rel-gate.mjs';
import { tempDir, tempFile } from './helpers.mjs';

async function openWithSetup(t, options = {}) {
  const db = await open(tempFile(t), { setup: setupModule, ...options });
  t.after(() => db.close());
  return db;
}

/** Sets environment variables for workers started from now on; restores them after the test. */
function workerEnv(t, vars) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test('process.exit in a user function on the writer: that call fails, queued writes still land once', async (t) => {
  const db = await openWithSetup(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  const sql = 'INSERT INTO t SELECT rel_exit(7)';
  const calls = [db.run('INSERT INTO t VALUES (1)'), db.run(sql)];
  for (let x = 2; x <= 20; x++) calls.push(db.run('INSERT INTO t VALUES (?)', [x]));
  calls.push(db.all('SELECT count(*) AS n FROM t'));
  const settled = await Promise.allSettled(calls);
  const crashed = settled[1];
  assert.equal(crashed.status, 'rejected');
  assert.ok(crashed.reason instanceof WorkerCrashedError);
  assert.equal(crashed.reason.code, 'ERR_THREADLITE_WORKER_CRASHED');
  assert.equal(crashed.reason.sql, sql);
  assert.match(String(crashed.reason.cause?.message), /code 7/);
  for (const [i, r] of settled.entries()) if (i !== 1) assert.equal(r.status, 'fulfilled', `call ${i}: ${r.reason}`);
  const xs = (await db.all('SELECT x FROM t ORDER BY x')).map((r) => r.x);
  assert.deepEqual(xs, Array.from({ length: 20 }, (_, i) => i + 1));
  const stats = db.stats();
  assert.equal(stats.respawns, 1);
  assert.equal(stats.running, 0);
  assert.equal(stats.queued, 0);
  assert.ok(stats.workers.every((w) => w.state === 'ready'));
});

test('process.exit on a reader: the call fails with WorkerCrashedError, other reads are answered', async (t) => {
  const db = await openWithSetup(t, { readers: 2 });
  const sql = 'SELECT rel_exit(9) AS x';
  const calls = [];
  for (let i = 0; i < 30; i++) calls.push(db.get('SELECT ? AS i', [i]));
  calls.push(db.get(sql));
  for (let i = 30; i < 60; i++) calls.push(db.get('SELECT ? AS i', [i]));
  const settled = await Promise.allSettled(calls);
  const bad = settled.filter((r) => r.status === 'rejected');
  assert.equal(bad.length, 1);
  assert.ok(bad[0].reason instanceof WorkerCrashedError);
  assert.equal(bad[0].reason.sql, sql);
  assert.equal(settled[30].status, 'rejected');
  for (const [i, r] of settled.entries()) if (i !== 30) assert.deepEqual(r.value, { i: i < 30 ? i : i - 1 });
  // Again and again: each crash costs its own call only.
  for (let round = 0; round < 3; round++) {
    await assert.rejects(db.get(sql), WorkerCrashedError);
    assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
  }
  // Workers that die soon after starting are replaced with a growing delay, so count loosely.
  const { respawns } = db.stats();
  assert.ok(respawns >= 2 && respawns <= 4, `respawns: ${respawns}`);
});

test('a worker that runs out of memory under resourceLimits is replaced', async (t) => {
  const db = await openWithSetup(t, { readers: 1, resourceLimits: { maxOldGenerationSizeMb: 24 } });
  await db.exec('CREATE TABLE t(x)');
  const pending = [db.run('INSERT INTO t VALUES (1)'), db.run('INSERT INTO t SELECT rel_oom()'), db.run('INSERT INTO t VALUES (2)')];
  const [a, oom, b] = await Promise.allSettled(pending);
  assert.equal(a.status, 'fulfilled');
  assert.equal(b.status, 'fulfilled');
  assert.equal(oom.status, 'rejected');
  assert.ok(oom.reason instanceof WorkerCrashedError);
  assert.equal(oom.reason.sql, 'INSERT INTO t SELECT rel_oom()');
  assert.equal(oom.reason.cause?.code, 'ERR_WORKER_OUT_OF_MEMORY');
  assert.deepEqual(await db.all('SELECT x FROM t ORDER BY x'), [{ x: 1 }, { x: 2 }]);
  await assert.rejects(db.get('SELECT rel_oom() AS x'), (err) => err instanceof WorkerCrashedError && err.cause?.code === 'ERR_WORKER_OUT_OF_MEMORY');
  assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: 2 });
  assert.equal(db.stats().respawns, 2);
});

test('a writer that cannot start again: no hot loop, calls fail with WorkerStartupError and its cause', async (t) => {
  const flag = join(tempDir(t), 'refuse');
  workerEnv(t, { THREADLITE_REL_FAIL_FILE: flag, THREADLITE_REL_FAIL_ROLE: 'writer' });
  const db = await openWithSetup(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x)');
  await db.run('INSERT INTO t VALUES (1)');
  writeFileSync(flag, '');
  await assert.rejects(db.run('INSERT INTO t SELECT rel_exit(1)'), WorkerCrashedError);
  // Submitted while the writer slot keeps failing to start: they wait, then fail.
  const pending = [db.run('INSERT INTO t VALUES (2)'), db.exec('DELETE FROM t')];
  for (const p of pending) {
    await assert.rejects(p, (err) => {
      assert.ok(err instanceof WorkerStartupError, String(err));
      assert.equal(err.code, 'ERR_THREADLITE_WORKER_STARTUP');
      assert.match(err.cause?.message ?? '', /the writer refuses to start/);
      return true;
    });
  }
  const respawns = db.stats().respawns;
  assert.ok(respawns >= 2 && respawns <= 6, `respawns: ${respawns}`);
  // Given up: new writes fail at once, no more respawns, reads still work on the reader.
  await assert.rejects(db.run('INSERT INTO t VALUES (3)'), WorkerStartupError);
  assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 1 }]);
  assert.equal(db.stats().respawns, respawns);
  assert.equal(db.stats().workers[0].state, 'failed');
});

test('a reader that cannot start again is dropped; reads go on', async (t) => {
  const flag = join(tempDir(t), 'refuse');
  workerEnv(t, { THREADLITE_REL_FAIL_FILE: flag, THREADLITE_REL_FAIL_ROLE: 'reader' });
  const db = await openWithSetup(t, { readers: 1 });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  writeFileSync(flag, '');
  await assert.rejects(db.get('SELECT rel_exit(1) AS x'), WorkerCrashedError);
  const reads = [];
  for (let i = 0; i < 20; i++) reads.push(db.get('SELECT x + ? AS y FROM t', [i]));
  const rows = await Promise.all(reads);
  assert.deepEqual(
    rows.map((r) => r.y),
    Array.from({ length: 20 }, (_, i) => 1 + i),
  );
  // Served by the writer while the reader slot was still retrying (it gives up after ~1.5 s of backoff).
  assert.equal(db.stats().workers.length, 2);
  assert.equal((await db.run('INSERT INTO t VALUES (2)')).changes, 1);
  rmSync(flag);
});

test('open() on an unusable file rejects with a clear error and leaves nothing running', async (t) => {
  const dir = tempDir(t);
  // better-sqlite3's own check and message.
  await assert.rejects(open(join(dir, 'missing-dir', 'x.db')), (err) => {
    assert.ok(err instanceof TypeError, String(err));
    assert.match(err.message, /directory does not exist/);
    return true;
  });
  const corrupt = join(dir, 'corrupt.db');
  writeFileSync(corrupt, Buffer.alloc(8192, 'not a database, just some text. '));
  await assert.rejects(open(corrupt, { readers: 1 }), (err) => {
    assert.ok(err instanceof SqliteError, String(err));
    assert.equal(err.code, 'SQLITE_NOTADB');
    assert.match(err.message, /not a database/);
    return true;
  });
  await assert.rejects(open(join(dir, 'none.db'), { fileMustExist: true }), (err) => err.code === 'SQLITE_CANTOPEN');
  // A setup module that throws on readers from the start.
  const flag = join(dir, 'refuse');
  writeFileSync(flag, '');
  workerEnv(t, { THREADLITE_REL_FAIL_FILE: flag, THREADLITE_REL_FAIL_ROLE: 'reader' });
  await assert.rejects(open(join(dir, 'ok.db'), { readers: 2, setup: setupModule }), /the reader refuses to start/);
});

test('close() while a crashed reader\'s replacement is still starting keeps the process alive until it resolves', async (t) => {
  // In a child process: the failure is the process exiting (code 13) with close() pending.
  // The replacement has posted 'ready', unread, and is held in close-respawn-setup.mjs
  // until this child has read that message after close() (see close-respawn-child.mjs).
  const child = fileURLToPath(new URL('./fixtures/close-respawn-child.mjs', import.meta.url));
  const proc = spawn(process.execPath, [child, tempDir(t)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk) => (stdout += chunk));
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const code = await new Promise((resolve) => proc.on('exit', (c, signal) => resolve(c ?? signal)));
  clearTimeout(killer);
  const steps = stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const closing = steps.find((s) => s.step === 'closing');
  assert.equal(closing?.crash, 'WorkerCrashedError', stdout);
  // The state under test: the writer ready, the replacement reader still starting.
  assert.deepEqual(closing.states, ['ready', 'starting']);
  assert.ok(steps.some((s) => s.step === 'closed'), `close() never resolved (exit ${code}): ${stdout}${stderr}`);
  assert.equal(code, 0, stderr);
});
