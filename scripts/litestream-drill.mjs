// Litestream drill: a threadlite application writes under Litestream
// (replica: a local directory standing in for object storage), both are
// SIGKILLed at once (the machine is lost), the replica is restored into a
// fresh path, and the restore is checked against the writes the application
// had acknowledged. Used by test/operations.litestream.test.mjs and, run
// directly, prints the figures of docs/operations.md:
//   node scripts/litestream-drill.mjs [--seconds 5] [--sync 1s] [--monitor 1s] [--rate writes/s] [--from big.db] [--kills both|app] [--options '{"pragmas":{…}}']
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const APP = fileURLToPath(new URL('./litestream-app.mjs', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The @flydotio/litestream release whose platform package ships the Litestream binary (v0.3.13). */
const LITESTREAM_PACKAGE_VERSION = '1.0.1';

/**
 * The Litestream binary for this platform, or undefined. It comes from npm
 * (@flydotio/litestream-<platform>-<arch>, which ships the binary): an
 * installed copy if there is one, else one installed on first use into a
 * cache directory. Not a devDependency: the package's other platforms are not
 * all on every registry mirror, and `npm ci` refuses a lock file without them.
 */
export function litestreamBinary() {
  const name = `@flydotio/litestream-${process.platform}-${process.arch}`;
  const find = (from) => {
    try {
      const pkg = createRequire(from).resolve(`${name}/package.json`);
      const binary = join(dirname(pkg), 'litestream');
      return existsSync(binary) ? binary : undefined;
    } catch {
      return undefined;
    }
  };
  const installed = find(import.meta.url);
  if (installed !== undefined) return installed;
  const cache = join(tmpdir(), 'threadlite-litestream');
  const cached = find(join(cache, 'package.json'));
  if (cached !== undefined) return cached;
  try {
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', cache, `${name}@${LITESTREAM_PACKAGE_VERSION}`], { stdio: 'ignore', timeout: 120_000 });
  } catch {
    return undefined; // no such package for this platform, or no registry
  }
  return find(join(cache, 'package.json'));
}

/** Writes a Litestream config for `db` replicating to `replica` (a directory). */
export function writeConfig(file, { db, replica, sync = '1s', monitor = '1s' }) {
  writeFileSync(
    file,
    `dbs:\n  - path: ${db}\n    monitor-interval: ${monitor}\n    replicas:\n      - type: file\n        path: ${replica}\n        sync-interval: ${sync}\n`,
  );
}

/**
 * Starts scripts/litestream-app.mjs on `db`; every acknowledged write is pushed
 * onto `acked` as [id, epoch ms]. `.ready` resolves once it writes; `.closed`
 * once a `close()` asked with `.closeCleanly()` has returned.
 */
export function startApp(db, acked, options = {}, rate = 0) {
  const app = spawn(process.execPath, [APP, db, JSON.stringify(options), String(rate)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buffer = '';
  let stderr = '';
  const signals = {};
  app.ready = new Promise((resolve, reject) => {
    signals.ready = resolve;
    app.once('exit', (code, signal) => reject(new Error(`app exited (${code ?? signal}) before it was ready: ${stderr}`)));
  });
  app.ready.catch(() => {});
  app.closed = new Promise((resolve) => (signals.closed = resolve));
  app.stdout.setEncoding('utf8');
  app.stdout.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop(); // an incomplete line is not an acknowledgement
    for (const line of lines) {
      if (line === 'ready') signals.ready();
      else if (line === 'closed') signals.closed();
      else {
        const [id, at] = line.split(' ').map(Number);
        acked.push([id, at]);
      }
    }
  });
  app.stderr.on('data', (chunk) => (stderr += chunk));
  app.closeCleanly = () => {
    app.stdin.write('close\n');
    return app.closed;
  };
  return app;
}

/** Starts `litestream replicate`; `.log` accumulates its output. */
export function startLitestream(binary, config) {
  const ls = spawn(binary, ['replicate', '-config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  ls.log = '';
  ls.stdout.on('data', (chunk) => (ls.log += chunk));
  ls.stderr.on('data', (chunk) => (ls.log += chunk));
  return ls;
}

/** SIGKILLs a child and waits for it to be gone. */
export function kill(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  return gone;
}

/** `litestream restore` of `db` into `output`; returns its duration in ms. Throws with Litestream's output on failure. */
export function restore(binary, config, db, output) {
  const started = performance.now();
  const result = spawnSync(binary, ['restore', '-config', config, '-o', output, db], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`litestream restore failed (${result.status}): ${result.stderr}${result.stdout}`);
  return performance.now() - started;
}

/** Compares a restored database with the acknowledged writes, as seen at `killedAt`. */
export function check(file, acked, killedAt) {
  const db = new Database(file, { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const present = new Set(db.prepare('SELECT id FROM acks').pluck().all());
    const missing = acked.filter(([id]) => !present.has(id));
    const kept = acked.filter(([id]) => present.has(id));
    return {
      integrity,
      present: present.size,
      missing: missing.length,
      /** How long before the kill the oldest lost acknowledged write was acknowledged (0: none lost). */
      oldestLostMs: missing.length === 0 ? 0 : killedAt - Math.min(...missing.map(([, at]) => at)),
      /** How long before the kill the newest restored write was acknowledged: the replication lag at that moment. */
      lagMs: kept.length === 0 ? Number.NaN : killedAt - Math.max(...kept.map(([, at]) => at)),
    };
  } finally {
    db.close();
  }
}

/**
 * The whole drill in a fresh directory: an application run closed cleanly
 * while Litestream runs, a second run under load, then both killed, restored
 * and checked.
 */
export async function drill({
  binary = litestreamBinary(),
  seconds = 5,
  sync = '1s',
  monitor = '1s',
  options = {},
  rate = 0,
  from,
  dir,
  /** 'both': the machine is lost; 'app': only the application dies, Litestream runs on for `afterMs`. */
  kills = 'both',
  afterMs = 3000,
} = {}) {
  if (binary === undefined) throw new Error('no Litestream binary for this platform (npm install @flydotio/litestream)');
  const root = dir ?? mkdtempSync(join(tmpdir(), 'threadlite-litestream-'));
  const db = join(root, 'app.db');
  const config = join(root, 'litestream.yml');
  writeConfig(config, { db, replica: join(root, 'replica'), sync, monitor });
  if (from !== undefined) copyFileSync(from, db); // start from an existing database (restore-time figures)
  const acked = [];
  let ls;
  let app;
  try {
    app = startApp(db, acked, options, rate);
    await app.ready;
    ls = startLitestream(binary, config);
    await sleep(1500);
    await app.closeCleanly();
    const walAfterClose = existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : -1;
    app = startApp(db, acked, options, rate);
    await app.ready;
    const loadStart = Date.now();
    await sleep(seconds * 1000);
    const killedAt = Date.now();
    if (kills === 'app') {
      await kill(app);
      await sleep(afterMs);
      await kill(ls);
    } else {
      await Promise.all([kill(app), kill(ls)]);
    }
    const writesPerSecond = acked.filter(([, at]) => at >= loadStart).length / ((killedAt - loadStart) / 1000);
    const restoreMs = restore(binary, config, db, join(root, 'restored.db'));
    const restoredBytes = statSync(join(root, 'restored.db')).size;
    return { ...check(join(root, 'restored.db'), acked, killedAt), acked: acked.length, writesPerSecond, restoreMs, restoredBytes, walAfterClose, log: ls.log };
  } finally {
    if (app !== undefined) await kill(app);
    if (ls !== undefined) await kill(ls);
    if (dir === undefined) rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '5' }, sync: { type: 'string', default: '1s' }, monitor: { type: 'string', default: '1s' }, options: { type: 'string', default: '{}' }, rate: { type: 'string', default: '0' }, from: { type: 'string' }, kills: { type: 'string', default: 'both' } },
  });
  const result = await drill({ seconds: Number(values.seconds), sync: values.sync, monitor: values.monitor, options: JSON.parse(values.options), rate: Number(values.rate), from: values.from, kills: values.kills });
  const { log, ...figures } = result;
  console.log(JSON.stringify(figures, null, 2));
  console.log(log.split('\n').filter((l) => /generation|WARN|ERROR/.test(l)).join('\n'));
}
