// Runs Kysely's own Node test suite (kysely-org/kysely test/node, mocha) for
// the SQLite dialect against ThreadliteDialect, at a pinned commit.
//
//   node scripts/kysely-suite.mjs            (needs `npm run build` first)
//
// Nothing of Kysely is kept in this repository. The script
//   1. takes test/node/ and package.json at KYSELY_COMMIT from a git clone of
//      kysely-org/kysely (KYSELY_GIT, default: this machine's mirror; otherwise
//      `git clone https://github.com/kysely-org/kysely` and point KYSELY_GIT at it);
//   2. puts the published kysely of that commit's version (npm) beside it as
//      dist/, which is what the tests import, and installs the suite's own test
//      dependencies at the versions that package.json pins (cached: the work
//      directory test/.generated/kysely-suite/ is reused while the commit is the same);
//   3. changes one thing in test/node/src/test-setup.ts: the `sqlite` dialect
//      becomes `new ThreadliteDialect({ database: () => open(<fresh file>, { readers: 2 }) })`
//      (a real WAL file with two readers, one per Kysely instance, as `:memory:`
//      gives one per instance), and threadlite resolves `kysely` to that same dist/;
//   4. transpiles the TypeScript tests (this repository's TypeScript, no type check)
//      and runs mocha with DIALECTS=sqlite;
//   5. compares the failures with EXCEPTIONS below (each documented in
//      docs/integrations.md): it fails on any other failure, and on an exception
//      that now passes, so the list stays true.
//
// Prints "kysely suite: N passed, M failed (…)" and exits non-zero on a mismatch.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** kysely-org/kysely at its 0.29.5 release (plus a website-only commit). */
const KYSELY_COMMIT = '478ec67b2de2568f5590a015d3e120644e81bd87';

/**
 * Failing tests we expect, by full title: why (docs/integrations.md says the
 * same), and a check that it failed for that reason and no other.
 */
const beginText = {
  reason: "the query log shows `begin immediate`, the statement threadlite runs (transactionMode 'immediate'); Kysely's own SqliteDriver sends a bare `begin`",
  check: (err) => typeof err.actual === 'string' && err.actual.replaceAll('"begin immediate"', '"begin"') === err.expected,
};
const EXCEPTIONS = new Map([
  ['sqlite: controlled transaction should be able to start and commit a transaction', beginText],
  ['sqlite: controlled transaction should be able to start and rollback a transaction', beginText],
  ['sqlite: controlled transaction should be able to savepoint and rollback to savepoint', beginText],
  ['sqlite: controlled transaction should be able to savepoint and release savepoint', beginText],
  ['sqlite: migration migrateUp should refuse to run migrations using a provided transaction due to lack of support for transactional DDL', {
    reason: 'ThreadliteDialect reports transactional DDL (SQLite has it), so Migrator accepts a transaction; `transactionalDdl: false` restores the refusal',
    check: (err) => /to be an instance of Error/.test(err.message),
  }],
  ['sqlite: transaction should retain the full stack trace', {
    reason: "asserts better-sqlite3's own SqliteError class; threadlite's errors are threadlite's SqliteError (same name, message and code)",
    check: (err) => /to be an instance of SqliteError/.test(err.message),
  }],
  ['sqlite: transaction should not attempt to rollback if transaction failed to begin', {
    reason: "stubs SqliteDriver.prototype.beginTransaction, which ThreadliteDialect's driver is not",
    check: (err) => /begin called/.test(err.message),
  }],
]);

const root = fileURLToPath(new URL('..', import.meta.url));
const git = process.env.KYSELY_GIT ?? '/work/.mirror/kysely-org+kysely/repo';
const work = join(root, 'test', '.generated', 'kysely-suite');
const t0 = performance.now();
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 << 20, ...opts });

if (!existsSync(join(root, 'dist', 'integrations', 'kysely.js'))) throw new Error('run `npm run build` first');
try {
  sh('git', ['--git-dir', git.endsWith('.git') || existsSync(join(git, 'HEAD')) ? git : join(git, '.git'), 'cat-file', '-e', `${KYSELY_COMMIT}^{commit}`]);
} catch {
  console.error(`kysely suite: commit ${KYSELY_COMMIT} not found in ${git}; clone https://github.com/kysely-org/kysely and set KYSELY_GIT`);
  process.exit(2);
}
const gitDir = existsSync(join(git, 'HEAD')) ? git : join(git, '.git');

// 1–2. The suite and its dependencies, cached per commit.
const stamp = join(work, '.stamp');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== KYSELY_COMMIT) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const archive = sh('git', ['--git-dir', gitDir, 'archive', '--format=tar', KYSELY_COMMIT, 'package.json', 'test/node']);
  execFileSync('tar', ['-x', '-C', work], { input: archive });
  const pkg = JSON.parse(readFileSync(join(work, 'package.json'), 'utf8'));
  // The published package of this version: its dist/ is what the tests import as ../../../dist.
  const tarball = sh('npm', ['pack', `kysely@${pkg.version}`, '--silent', '--pack-destination', work], { cwd: work }).toString().trim();
  execFileSync('tar', ['-x', '-z', '-f', join(work, tarball), '-C', work, '--strip-components=1', 'package/dist']);
  rmSync(join(work, tarball));
  // The test dependencies the suite imports, at the versions Kysely pins (better-sqlite3 is ours, below).
  const wanted = ['@electric-sql/pglite', 'chai', 'chai-as-promised', 'mocha', 'mysql2', 'pathe', 'pg', 'pg-cursor',
    'prototype-pollution-vulnerable-lodash.merge-dont-upgrade', 'sinon', 'tarn', 'tedious', 'tsx'];
  const specs = wanted.map((name) => `${name}@${pkg.devDependencies[name]}`);
  // Install into a manifest of our own (Kysely's lists pnpm-only tools), then restore Kysely's.
  const manifest = readFileSync(join(work, 'package.json'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'kysely', version: pkg.version, type: 'module', exports: pkg.exports, private: true }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--ignore-scripts', '--loglevel=error', ...specs], { cwd: work, stdio: 'inherit' });
  writeFileSync(join(work, 'package.json'), manifest);
  writeFileSync(stamp, KYSELY_COMMIT);
}

// 3. This build of threadlite, resolving `kysely` to the suite's own dist/ (one module instance).
const modules = join(work, 'node_modules');
for (const name of ['threadlite', 'kysely', 'better-sqlite3']) rmSync(join(modules, name), { recursive: true, force: true });
mkdirSync(join(modules, 'threadlite'));
cpSync(join(root, 'package.json'), join(modules, 'threadlite', 'package.json'));
for (const entry of JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).files) {
  if (existsSync(join(root, entry))) cpSync(join(root, entry), join(modules, 'threadlite', entry), { recursive: true });
}
symlinkSync(work, join(modules, 'kysely'), 'dir');
symlinkSync(join(root, 'node_modules', 'better-sqlite3'), join(modules, 'better-sqlite3'), 'dir');

const setupFile = join(work, 'test', 'node', 'src', 'test-setup.ts');
const original = execFileSync('git', ['--git-dir', gitDir, 'show', `${KYSELY_COMMIT}:test/node/src/test-setup.ts`]).toString();
const sqliteDialect = `new SqliteDialect({
      database: async () => new Database(DIALECT_CONFIGS.sqlite.databasePath),
    })`;
if (!original.includes(sqliteDialect)) throw new Error('test-setup.ts no longer has the expected sqlite dialect: update this script');
writeFileSync(
  setupFile,
  `import { open as threadliteOpen } from 'threadlite'
import { ThreadliteDialect } from 'threadlite/kysely'
import { mkdtempSync as threadliteTempDir } from 'node:fs'
import { join as threadliteJoin } from 'node:path'
` +
    original.replace(
      sqliteDialect,
      `new ThreadliteDialect({
      database: () => threadliteOpen(threadliteJoin(threadliteTempDir(threadliteJoin(process.env.THREADLITE_SUITE_TMP!, 'db-')), 'test.db'), { readers: 2 }),
    })`,
    ),
);

// 4. Transpile test/node/src → test/node/dist.
const ts = createRequire(import.meta.url)('typescript');
const src = join(work, 'test', 'node', 'src');
const out = join(work, 'test', 'node', 'dist');
rmSync(out, { recursive: true, force: true });
const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
for (const file of walk(src).filter((f) => f.endsWith('.ts'))) {
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const target = join(out, relative(src, file)).replace(/\.ts$/, '.js');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, outputText);
}

// 5. Run mocha (JSON results to a file, spec output hidden unless asked for).
const dbs = mkdtempSync(join(tmpdir(), 'threadlite-kysely-suite-'));
const results = join(work, 'results.json');
rmSync(results, { force: true });
try {
  execFileSync(
    process.execPath,
    [join(modules, 'mocha', 'bin', 'mocha.js'), '--timeout', '15000', '--reporter', 'json', '--reporter-option', `output=${results}`, 'test/node/dist/**/*.test.js'],
    { cwd: work, env: { ...process.env, DIALECTS: 'sqlite', THREADLITE_SUITE_TMP: dbs }, stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 },
  );
} catch {
  // failures are read from the results below
} finally {
  rmSync(dbs, { recursive: true, force: true });
}
const report = JSON.parse(readFileSync(results, 'utf8'));
const failed = new Map(report.failures.map((f) => [f.fullTitle, f.err ?? {}]));
const unexpected = [...failed].filter(([title, err]) => !EXCEPTIONS.get(title)?.check(err));
const fixed = [...EXCEPTIONS.keys()].filter((title) => !failed.has(title));
for (const [title, err] of unexpected) {
  const why = EXCEPTIONS.has(title) ? ' (listed, but it failed for another reason)' : '';
  console.log(`UNEXPECTED FAILURE${why}: ${title}\n    ${String(err.message).split('\n').slice(0, 6).join('\n    ')}`);
}
for (const title of fixed) console.log(`NOW PASSES (remove it from EXCEPTIONS): ${title}`);
for (const [title, { reason }] of EXCEPTIONS) if (failed.has(title)) console.log(`expected exception: ${title}: ${reason}`);
const seconds = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `kysely suite (kysely ${KYSELY_COMMIT.slice(0, 8)}, DIALECTS=sqlite): ${report.stats.passes} passed, ${report.stats.failures} failed ` +
    `(${failed.size - unexpected.length} expected exceptions, ${unexpected.length} unexpected), ${report.stats.pending} pending, ${seconds} s`,
);
process.exit(unexpected.length > 0 || fixed.length > 0 ? 1 : 0);
