// Install step of threadlite's native library (native/threadlite.c: the SQLite
// extension + Node-API addon that lets a cancelled statement be interrupted).
//
// A prebuilt binary in prebuilds/<platform>-<arch>/ is used as it is (Node-API:
// one binary serves every Node version). Elsewhere it is compiled with node-gyp
// against the sqlite3ext.h that better-sqlite3 ships, as better-sqlite3 itself
// is. Failing to build is not fatal: threadlite then cancels by terminating
// workers, and says so at runtime. `--force` builds even where a prebuilt exists
// (scripts/prebuild.mjs uses it).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const force = process.argv.includes('--force');
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'threadlite.node');
const built = join(root, 'build', 'Release', 'threadlite.node');

/** Whether the binary at `path` loads into this Node and is ours. */
function loads(path) {
  try {
    return createRequire(import.meta.url)(path).version === 3;
  } catch {
    return false;
  }
}

if (!force && existsSync(prebuilt) && loads(prebuilt)) {
  console.log(`threadlite: using the prebuilt native library for ${process.platform}-${process.arch}`);
  process.exit(0);
}

/** node-gyp: the one npm runs scripts with, else the one bundled with the npm next to this Node. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package
  }
  return candidates.find((path) => path !== undefined && existsSync(path));
}

const gyp = nodeGyp();
if (gyp === undefined) {
  console.warn('threadlite: node-gyp not found; the native library is not built (cancellation falls back to terminating workers)');
  process.exit(0);
}
const args = [gyp, 'rebuild', '--release'];
// Headers: this Node's own when it ships them (no download needed); else node-gyp finds them.
const nodedir = process.env.npm_config_nodedir ?? dirname(dirname(process.execPath));
if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
try {
  execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
} catch {
  console.warn('threadlite: building the native library failed (cancellation falls back to terminating workers)');
  process.exit(0);
}
if (!loads(built)) {
  console.warn('threadlite: the native library was built but does not load (cancellation falls back to terminating workers)');
}
