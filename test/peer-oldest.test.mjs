// The Kysely, Drizzle and Prisma tests, run against the oldest release each
// peer range allows (the regular suite runs them against the newest: the
// devDependencies). Needs the npm registry; runs on Node 20 only (CI time).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { npm, OLDEST, pkg, root, run, skip } from './fixtures/peers.mjs';

test('the Kysely, Drizzle and Prisma tests pass against the oldest peer releases', { skip, timeout: 900_000 }, async (t) => {
  // A copy of the built package and its integration tests, in
  // test/.generated/peers-oldest/, whose node_modules has the oldest releases
  // (installed once, cached) and this repository's other modules as symlinks.
  const work = join(root, 'test', '.generated', 'peers-oldest');
  const deps = { ...OLDEST, '@prisma/client': OLDEST['@prisma/driver-adapter-utils'], prisma: OLDEST['@prisma/driver-adapter-utils'] };
  const stamp = join(work, 'node_modules', '.peers-stamp');
  const wanted = JSON.stringify(deps);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'peers-oldest', private: true, dependencies: deps }));
    await npm(['install', '--ignore-scripts', '--no-package-lock'], work);
    writeFileSync(stamp, wanted);
  }
  for (const name of Object.keys(deps)) assert.equal(JSON.parse(readFileSync(join(work, 'node_modules', name, 'package.json'), 'utf8')).version, deps[name]);
  // Everything else the tests load comes from this repository's node_modules.
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(root, 'node_modules', entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      const target = join(work, 'node_modules', name);
      if (existsSync(target)) continue;
      mkdirSync(join(target, '..'), { recursive: true });
      symlinkSync(join(root, 'node_modules', name), target, 'dir');
    }
  }
  // The package itself (self-reference: the tests import 'threadlite') and the tests.
  rmSync(join(work, 'test'), { recursive: true, force: true });
  mkdirSync(join(work, 'scripts'), { recursive: true });
  cpSync(join(root, 'package.json'), join(work, 'package.json'));
  for (const entry of pkg.files) {
    rmSync(join(work, entry), { recursive: true, force: true });
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(work, entry), { recursive: true });
  }
  mkdirSync(join(work, 'test'), { recursive: true });
  cpSync(join(root, 'scripts', 'keep-better-sqlite3.mjs'), join(work, 'scripts', 'keep-better-sqlite3.mjs'));
  const files = ['kysely.test.mjs', 'drizzle.test.mjs', 'prisma.test.mjs', 'helpers.mjs'];
  for (const file of files) cpSync(join(root, 'test', file), join(work, 'test', file));
  cpSync(join(root, 'test', 'fixtures', 'prisma'), join(work, 'test', 'fixtures', 'prisma'), { recursive: true });
  const t0 = performance.now();
  const { stdout } = await run(process.execPath, ['--test', '--test-reporter=tap', ...files.slice(0, 3).map((f) => `test/${f}`)], {
    cwd: work,
    // Without this, the child runner would report to this one in its binary format, not TAP.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
    timeout: 600_000,
    maxBuffer: 64 << 20,
  }).catch((err) => {
    throw new Error(`the integration tests failed against ${wanted}:\n${err.stdout}\n${err.stderr}`);
  });
  const count = (what) => Number(stdout.match(new RegExp(`^# ${what} (\\d+)$`, 'm'))?.[1]);
  assert.equal(count('fail'), 0);
  assert.ok(count('pass') >= 15, stdout);
  t.diagnostic(`${count('pass')} tests passed against ${wanted} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
