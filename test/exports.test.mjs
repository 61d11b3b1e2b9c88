// The published entry points, loaded the way users load them: in a child
// process, by package name (Node's self-reference resolves `threadlite`
// through package.json's exports map when the cwd is the repository).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { open, WorkerStartupError } from 'threadlite';
import { tempDir } from './helpers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** Runs `code` in a fresh node process with the repository as cwd; resolves with its parsed JSON stdout. */
async function child(code, { esm }) {
  const args = esm ? ['--input-type=module', '-e', code] : ['-e', code];
  const { stdout } = await run(process.execPath, args, { cwd: root, timeout: 60_000 });
  return JSON.parse(stdout);
}

test('require("threadlite") runs a real query', async (t) => {
  const dir = tempDir(t);
  const out = await child(
    `
    const { open, SqliteError } = require('threadlite');
    (async () => {
      const db = await open(${JSON.stringify(join(dir, 'cjs.db'))}, { readers: 1 });
      await db.exec('CREATE TABLE t(x)');
      await db.run('INSERT INTO t VALUES (?)', [Buffer.from('hi')]);
      const row = await db.get('SELECT x, typeof(x) AS k FROM t');
      const err = await db.all('SELEC').catch((e) => e);
      await db.close();
      console.log(JSON.stringify({ k: row.k, buffer: Buffer.isBuffer(row.x), sqliteError: err instanceof SqliteError, code: err.code, file: require.resolve('threadlite') }));
    })().catch((e) => { console.error(e); process.exit(1); });
    `,
    { esm: false },
  );
  assert.deepEqual(out, { k: 'blob', buffer: true, sqliteError: true, code: 'SQLITE_ERROR', file: join(root, 'dist', 'index.js') });
});

test('import("threadlite") runs a real query', async (t) => {
  const dir = tempDir(t);
  const out = await child(
    `
    const { open, SqliteError } = await import('threadlite');
    const db = await open(${JSON.stringify(join(dir, 'esm.db'))}, { readers: 1 });
    await db.exec('CREATE TABLE t(x)');
    await db.run('INSERT INTO t VALUES (?)', [42]);
    const rows = await db.all('SELECT x FROM t');
    const err = await db.run('INSERT INTO nope VALUES (1)').catch((e) => e);
    await db.close();
    console.log(JSON.stringify({ rows, sqliteError: err instanceof SqliteError, code: err.code, url: import.meta.resolve('threadlite') }));
    `,
    { esm: true },
  );
  assert.deepEqual(out, {
    rows: [{ x: 42 }],
    sqliteError: true,
    code: 'SQLITE_ERROR',
    url: pathToFileURL(join(root, 'dist', 'index.mjs')).href,
  });
});

test('ESM and CJS share one module instance: one SqliteError class, one open()', async () => {
  const out = await child(
    `
    import { createRequire } from 'node:module';
    import * as esm from 'threadlite';
    const cjs = createRequire(process.cwd() + '/')('threadlite');
    const names = Object.keys(esm).filter((k) => k !== 'default').sort();
    const differ = names.filter((k) => esm[k] !== cjs[k]);
    const missing = Object.keys(cjs).filter((k) => !(k in esm));
    // An error made by a pool opened through ESM is an instance of the CJS class.
    const { mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync((await import('node:os')).tmpdir() + '/tl-exp-');
    const db = await esm.open(dir + '/a.db', { readers: 0 });
    const err = await db.get('SELECT * FROM nope').catch((e) => e);
    await db.close();
    (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
    console.log(JSON.stringify({ same: esm.SqliteError === cjs.SqliteError, names: names.length, differ, missing, crossInstance: err instanceof cjs.SqliteError }));
    `,
    { esm: true },
  );
  assert.equal(out.same, true);
  assert.deepEqual(out.differ, []);
  assert.deepEqual(out.missing, []);
  assert.ok(out.names >= 10);
  assert.equal(out.crossInstance, true);
});

test('threadlite/worker resolves to the worker entry, which refuses to run on the main thread', async () => {
  const require = createRequire(import.meta.url);
  const workerFile = join(root, 'dist', 'worker', 'main.js');
  assert.equal(require.resolve('threadlite/worker'), workerFile);
  assert.equal(import.meta.resolve('threadlite/worker'), pathToFileURL(workerFile).href);
  assert.equal(require.resolve('threadlite/package.json'), join(root, 'package.json'));
  // Importing it outside a worker is a clear error, not a hang.
  const err = await run(process.execPath, ['-e', "require('threadlite/worker')"], { cwd: root, timeout: 30_000 }).catch((e) => e);
  assert.ok(err instanceof Error);
  assert.match(err.stderr, /must be started as a worker thread/);
  // The exports map exposes no internal file.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['./worker'], './dist/worker/main.js');
  assert.throws(() => require.resolve('threadlite/dist/pool.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});

test('workerPath: a worker a bundler copied elsewhere is the one that runs', async (t) => {
  // An "app" directory with its own node_modules (for better-sqlite3) and a
  // copy of dist/ as a bundler would emit it.
  const app = tempDir(t);
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
  const out = join(app, 'out');
  cpSync(join(root, 'dist'), out, { recursive: true });
  const marker = join(app, 'started.txt');
  // The copy records each start, so the test can tell it, not dist/, ran.
  appendFileSync(join(out, 'worker', 'main.js'), `\nrequire('node:fs').appendFileSync(${JSON.stringify(marker)}, 'started\\n');\n`);
  const file = join(app, 'app.db');
  for (const workerPath of [join(out, 'worker', 'main.js'), pathToFileURL(join(out, 'worker', 'main.js'))]) {
    const before = readMarker(marker);
    const db = await open(file, { readers: 2, workerPath });
    try {
      await db.exec('CREATE TABLE IF NOT EXISTS t(x)');
      await db.run('INSERT INTO t VALUES (1)');
      assert.deepEqual(await db.get('SELECT count(*) AS n FROM t'), { n: before === 0 ? 1 : 2 });
      assert.equal(db.stats().workers.length, 3);
    } finally {
      await db.close();
    }
    assert.equal(readMarker(marker) - before, 3, 'the writer and both readers started from the copy');
  }
  // A workerPath that does not exist fails open() with the loader's error.
  // (A timer keeps the loop alive meanwhile: see the known bug below.)
  const keepAlive = setInterval(() => {}, 1000);
  const err = await open(':memory:', { workerPath: join(app, 'missing', 'main.js') })
    .catch((e) => e)
    .finally(() => clearInterval(keepAlive));
  assert.ok(err instanceof Error, 'open() rejects');
  assert.match(String(err.message), /Cannot find module/);
});

// Known bug (worker-handle.ts, not fixed here): workers are unref'd from the
// moment they are created, so while a worker that cannot load is failing,
// nothing keeps the event loop alive; a script doing only `await open()` then
// often exits with code 13 (unsettled top-level await) instead of seeing the
// rejection. Each attempt runs in a child so the hang cannot take this file down.
test('workerPath that cannot load: open() rejects even when nothing else keeps the process alive', async (t) => {
  const dir = tempDir(t);
  for (const [file, readers] of [[':memory:', 0], [join(dir, 'a.db'), 1], [':memory:', 0], [join(dir, 'b.db'), 1]]) {
    const code = `
      import { open } from 'threadlite';
      try { await open(${JSON.stringify(file)}, { readers: ${readers}, workerPath: ${JSON.stringify(join(dir, 'missing.js'))} }); console.log('opened'); }
      catch (e) { console.log('rejected'); }
    `;
    const result = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: root, timeout: 30_000 }).catch((e) => e);
    assert.equal(result.code ?? 0, 0, `child exited with code ${result.code} (readers: ${readers})`);
    assert.equal(String(result.stdout).trim(), 'rejected');
  }
});

function readMarker(path) {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
