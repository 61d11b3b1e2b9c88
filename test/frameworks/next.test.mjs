// Next.js 16 (App Router) with threadlite, for real: the fixture app in
// test/fixtures/next-app (a server-component page and a route handler sharing
// lib/db.js, which calls openShared) is installed with its pinned Next.js,
// built, served on 127.0.0.1 and queried; the dev server is edited while it
// runs. Connections are counted from /proc: a pool with 2 readers holds 4 (the writer, the readers and the main thread's inline connection).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { open } from 'threadlite';
import {
  connectionsTo,
  editConstants,
  editUntil,
  freePort,
  get,
  post,
  prepareApp,
  runCommand,
  seedDatabase,
  skipReason,
  startServer,
  waitFor,
} from '../fixtures/ssr-app.mjs';

const NEXT = 'node_modules/next/dist/bin/next';
/** A server's output without its per-request log lines, the last 4000 characters. */
const quiet = (output) => output.split('\n').filter((l) => !/\[200\]|GET \/api/.test(l)).join('\n').slice(-4000);
const QUIET = { NEXT_TELEMETRY_DISABLED: '1' };

test('Next.js 16 App Router: build, serve, query, reload', { skip: skipReason(), timeout: 900_000 }, async (t) => {
  const { dir, installSeconds } = await prepareApp('next-app');
  t.diagnostic(`fixture install: ${installSeconds.toFixed(1)} s (0 = cached)`);
  const file = await seedDatabase(t, open);
  const env = { ...QUIET, FIXTURE_DB: file };

  await t.test('next build (Turbopack) and next start with no configuration: page and route handler share one pool', async (t) => {
    const t0 = performance.now();
    await runCommand(process.execPath, [NEXT, 'build'], { cwd: dir, env });
    t.diagnostic(`next build: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = await startServer(process.execPath, [NEXT, 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: dir, env, url: base });
    t.after(() => server.stop());
    assert.match(await get(base, '/', { text: true }), /<li>ann<\/li><li>bob<\/li>/);
    assert.deepEqual(await post(base, '/api/people', { name: 'cy' }), { id: 3 });
    const { people, cancellation } = await get(base, '/api/people');
    assert.deepEqual(people.map((p) => p.name), ['ann', 'bob', 'cy']);
    assert.equal(cancellation, 'interrupt', "threadlite's native library loaded");
    assert.match(await get(base, '/', { text: true }), /<li>cy<\/li>/);
    // The page's bundle and the route handler's bundle each evaluated lib/db.js: one pool.
    assert.equal(connectionsTo(file), 4, server.output());
    await server.stop();
    await waitFor(() => connectionsTo(file) === 0, { what: 'the server to release its connections' });
  });

  await t.test("output: 'standalone' with serverExternalPackages carries threadlite and better-sqlite3", async (t) => {
    const t0 = performance.now();
    await runCommand(process.execPath, [NEXT, 'build'], {
      cwd: dir,
      env: { ...env, NEXT_OUTPUT: 'standalone', NEXT_EXTERNAL: '1' },
    });
    t.diagnostic(`next build (standalone): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Deploy it: the standalone folder alone (symlinks kept as they are), with
    // the project directory moved away so nothing can be loaded from it.
    const deploy = join(mkdtempSync(join(tmpdir(), 'threadlite-next-deploy-')), 'app');
    t.after(() => rmSync(deploy, { recursive: true, force: true }));
    cpSync(join(dir, '.next', 'standalone'), deploy, { recursive: true, verbatimSymlinks: true });
    for (const pkg of ['threadlite/dist/worker/main.js', 'better-sqlite3/build/Release/better_sqlite3.node']) {
      assert.ok(existsSync(join(deploy, 'node_modules', pkg)), `standalone output lacks node_modules/${pkg}`);
    }
    const away = `${dir}.away`;
    renameSync(dir, away);
    try {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const server = await startServer(process.execPath, ['server.js'], {
        cwd: deploy,
        env: { ...env, PORT: String(port), HOSTNAME: '127.0.0.1' },
        url: base,
      });
      try {
        const { people, cancellation } = await get(base, '/api/people');
        assert.deepEqual(people.map((p) => p.name), ['ann', 'bob', 'cy']);
        assert.equal(cancellation, 'interrupt', "threadlite's native library loaded");
        assert.match(await get(base, '/', { text: true }), /<li>cy<\/li>/);
        assert.equal(connectionsTo(file), 4);
      } finally {
        await server.stop();
      }
    } finally {
      renameSync(away, dir);
    }
  });

  await t.test('next dev: edits reload lib/db.js and one pool remains; changed options replace and close it', async (t) => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const t0 = performance.now();
    const server = await startServer(process.execPath, [NEXT, 'dev', '-H', '127.0.0.1', '-p', String(port)], { cwd: dir, env, url: base });
    t.after(() => server.stop());
    const lib = join(dir, 'lib', 'db.js');
    t.after(() => editConstants(lib, { VERSION: 1, READERS: 2 }));
    const first = await get(base, '/api/people');
    assert.equal(first.version, 1);
    assert.equal(first.cancellation, 'interrupt', "threadlite's native library loaded");
    assert.match(await get(base, '/', { text: true }), /<li[^>]*>ann<\/li>/);
    assert.equal(connectionsTo(file), 4);
    let saves = 0;
    for (const version of [2, 3]) {
      const reloaded = async () => (await get(base, '/api/people')).version === version;
      saves += await editUntil(lib, { VERSION: version }, reloaded, { what: `reload ${version}`, detail: () => quiet(server.output()) });
      assert.match(await get(base, '/', { text: true }), /<li[^>]*>ann<\/li>/);
      assert.equal(connectionsTo(file), 4, `after reload ${version}: one pool of 4 connections`);
    }
    // Other options under the same key: a new pool (1 reader) replaces the old one, which is closed.
    const reloaded = async () => (await get(base, '/api/people')).version === 4;
    saves += await editUntil(lib, { VERSION: 4, READERS: 1 }, reloaded, { what: 'reload 4', detail: () => quiet(server.output()) });
    await waitFor(() => connectionsTo(file) === 3, { what: 'the replaced pool to close', detail: () => quiet(server.output()) });
    t.diagnostic(`next dev, start + 3 reloads: ${((performance.now() - t0) / 1000).toFixed(1)} s (${saves} saves for 3 edits)`);
  });
});
