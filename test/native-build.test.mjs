// The native library as users get it: the package ships a prebuilt binary for
// linux-x64 and compiles it with node-gyp elsewhere (scripts/install-native.mjs).
// This builds it from the package's sources in a scratch copy, as an install
// would, and checks that the built library interrupts a statement.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir, tempFile } from './helpers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const headers = join(dirname(dirname(process.execPath)), 'include', 'node', 'node_api.h');

test('the package ships the native sources, the install script and the linux-x64 binary', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
  const files = new Set(packed[0].files.map((f) => f.path));
  for (const path of ['native/threadlite.c', 'binding.gyp', 'scripts/install-native.mjs', 'prebuilds/linux-x64/threadlite.node', 'dist/native/interrupt.js']) {
    assert.ok(files.has(path), `${path} is not in the package`);
  }
});

test('npm install compiles the native library with node-gyp where no prebuilt binary fits', { skip: !existsSync(headers) && 'this Node ships no headers (node-gyp would download them)', timeout: 120_000 }, (t) => {
  const dir = tempDir(t);
  for (const path of ['native', 'binding.gyp', 'scripts/install-native.mjs', 'package.json']) cpSync(join(root, path), join(dir, path), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'prebuilds')); // none for this platform: it must build
  execFileSync(process.execPath, [join(dir, 'scripts', 'install-native.mjs')], { cwd: dir, stdio: 'pipe', env: { ...process.env, npm_config_nodedir: undefined } });
  const built = join(dir, 'build', 'Release', 'threadlite.node');
  assert.ok(existsSync(built));
  // The freshly built library, loaded instead of the shipped one, interrupts a runaway.
  const script = `
    import { open } from 'threadlite';
    const db = await open(${JSON.stringify(tempFile(t))}, { readers: 1 });
    const err = await db.get('WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r', [], { timeout: 100 }).catch((e) => e);
    console.log(JSON.stringify({ name: err.name, cancellation: db.stats().cancellation, respawns: db.stats().respawns }));
    await db.close();`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, THREADLITE_NATIVE: built },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { name: 'TimeoutError', cancellation: 'interrupt', respawns: 0 });
});
