// The peer dependency ranges, checked with npm itself: threadlite installs
// beside the newest and the oldest release each range allows, and npm refuses
// one outside a range. Needs the npm registry; runs on Node 20 only (CI time).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEWEST, npm, OLDEST, root, skip } from './fixtures/peers.mjs';
import { tempDir } from './helpers.mjs';

test('npm resolves threadlite beside the newest and the oldest peer releases, and refuses one outside a range', { skip, timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const { stdout } = await npm(['pack', root, '--pack-destination', dir, '--silent'], dir);
  const tarball = join(dir, stdout.trim().split('\n').pop());
  const resolve = async (versions) => {
    const project = join(dir, `p${Math.random().toString(36).slice(2)}`);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{"name":"app","private":true}');
    const specs = Object.entries(versions).map(([name, version]) => `${name}@${version}`);
    await npm(['install', '--package-lock-only', '--ignore-scripts', tarball, ...specs], project);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    return Object.fromEntries(Object.keys(versions).map((name) => [name, lock.packages[`node_modules/${name}`]?.version]));
  };
  assert.deepEqual(await resolve(NEWEST), NEWEST);
  assert.deepEqual(await resolve(OLDEST), OLDEST);
  // The check can fail: a Kysely older than the range is an ERESOLVE.
  await assert.rejects(resolve({ kysely: '0.27.6' }), /ERESOLVE/);
  t.diagnostic(`newest ${JSON.stringify(NEWEST)}; oldest ${JSON.stringify(OLDEST)}`);
});
