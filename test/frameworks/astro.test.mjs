// Astro 5 server rendering with threadlite, for real: the fixture app in
// test/fixtures/astro-app (a page and an API endpoint sharing src/lib/db.js,
// which calls openShared; the Node adapter, which Astro needs for any server
// output) is installed with its pinned Astro, built, served on 127.0.0.1 and
// queried; the dev server is edited while it runs. Connections are counted
// from /proc: a pool with 2 readers holds 4 (the writer, the readers and the main thread's inline connection).
import assert from 'node:assert/strict';
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

const ASTRO = 'node_modules/astro/astro.js';
/** A server's output without its per-request log lines, the last 4000 characters. */
const quiet = (output) => output.split('\n').filter((l) => !/\[200\]|GET \/api/.test(l)).join('\n').slice(-4000);
const QUIET = { ASTRO_TELEMETRY_DISABLED: '1' };

test('Astro 5 SSR: build, serve, query, reload', { skip: skipReason(), timeout: 900_000 }, async (t) => {
  const { dir, installSeconds } = await prepareApp('astro-app');
  t.diagnostic(`fixture install: ${installSeconds.toFixed(1)} s (0 = cached)`);
  const file = await seedDatabase(t, open);
  const env = { ...QUIET, FIXTURE_DB: file };

  await t.test('astro build, then the standalone Node server: page and endpoint share one pool', async (t) => {
    const t0 = performance.now();
    await runCommand(process.execPath, [ASTRO, 'build'], { cwd: dir, env });
    t.diagnostic(`astro build: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = await startServer(process.execPath, ['dist/server/entry.mjs'], {
      cwd: dir,
      env: { ...env, HOST: '127.0.0.1', PORT: String(port) },
      url: base,
    });
    t.after(() => server.stop());
    assert.match(await get(base, '/', { text: true }), /<li>ann<\/li><li>bob<\/li>/);
    assert.deepEqual(await post(base, '/api/people', { name: 'cy' }), { id: 3 });
    const { people, cancellation } = await get(base, '/api/people');
    assert.deepEqual(people.map((p) => p.name), ['ann', 'bob', 'cy']);
    assert.equal(cancellation, 'interrupt', "threadlite's native library loaded");
    assert.match(await get(base, '/', { text: true }), /<li>cy<\/li>/);
    assert.equal(connectionsTo(file), 4, server.output());
    await server.stop();
    await waitFor(() => connectionsTo(file) === 0, { what: 'the server to release its connections' });
  });

  await t.test('astro dev: edits reload src/lib/db.js and one pool remains; changed options replace and close it', async (t) => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const t0 = performance.now();
    const server = await startServer(process.execPath, [ASTRO, 'dev', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: dir,
      env,
      url: base,
    });
    t.after(() => server.stop());
    const lib = join(dir, 'src', 'lib', 'db.js');
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
    const reloaded = async () => (await get(base, '/api/people')).version === 4;
    saves += await editUntil(lib, { VERSION: 4, READERS: 1 }, reloaded, { what: 'reload 4', detail: () => quiet(server.output()) });
    await waitFor(() => connectionsTo(file) === 3, { what: 'the replaced pool to close', detail: () => quiet(server.output()) });
    t.diagnostic(`astro dev, start + 3 reloads: ${((performance.now() - t0) / 1000).toFixed(1)} s (${saves} saves for 3 edits)`);
  });
});
