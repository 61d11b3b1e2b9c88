// Measures an online backup of a large database while a write load runs (issue 16), in
// three ways, each in its own child process:
//   threadlite  db.backup(): SQLite's backup API from a reader's snapshot, paced by the main thread
//               ("threadlite:1000": with pagesPerStep 1000)
//   vacuum-into db.exec("VACUUM INTO …"): what users had before; it runs on the writer
//   bs3-main    better-sqlite3's own backup() on a main-thread connection, beside the pool's writer
// For each: copy time, write throughput and main-thread event-loop delay before and during the
// copy, and whether the copy has every write acknowledged before it began and passes
// integrity_check. Prints a markdown table (docs/benchmark.md).
//
//   npm run build && node scripts/measure-backup.mjs [--mb 200] [--file /tmp/threadlite-backup-200mb.db] [--only threadlite,threadlite:1000]
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const { values } = parseArgs({ options: { mb: { type: 'string', default: '200' }, file: { type: 'string' }, only: { type: 'string' } } });
const mb = Number(values.mb);
const source = values.file ?? `/tmp/threadlite-backup-${mb}mb.db`;
const BASELINE_MS = 2000;
/** better-sqlite3's backup restarts whenever another connection commits: give up after this long. */
const CAP_MS = 60_000;

if (process.env.MEASURE_VARIANT) {
  const variant = process.env.MEASURE_VARIANT;
  const { open } = await import('threadlite');
  const { default: Database } = await import('better-sqlite3');
  const dest = `${source}.${variant.replace(':', '-')}.copy`;
  rmSync(dest, { force: true });
  const db = await open(source, { readers: 2 });
  await db.exec('CREATE TABLE IF NOT EXISTS w(id INTEGER PRIMARY KEY, at REAL)');
  const first = ((await db.get('SELECT max(id) AS m FROM w')).m ?? 0) + 1;
  let next = first;
  let stop = false;
  const acked = [];
  const lane = async () => {
    while (!stop) {
      const id = next++;
      await db.run('INSERT INTO w(id, at) VALUES (?, ?)', [id, Date.now()]);
      acked.push(id);
    }
  };
  const lanes = [lane(), lane()];
  const h = monitorEventLoopDelay({ resolution: 1 });
  // Baseline: the write load alone.
  h.enable();
  let mark = acked.length;
  await new Promise((r) => setTimeout(r, BASELINE_MS));
  h.disable();
  const baseline = { writesPerSec: ((acked.length - mark) / BASELINE_MS) * 1000, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
  h.reset();
  const ackedBefore = acked.length;
  const lastAckedBefore = Math.max(...acked);
  mark = acked.length;
  h.enable();
  const started = performance.now();
  let outcome = 'ok';
  if (variant.startsWith('threadlite')) {
    // "threadlite:1000" = pagesPerStep 1000.
    await db.backup(dest, { pagesPerStep: Number(variant.split(':')[1] ?? 100) });
  } else if (variant === 'vacuum-into') {
    await db.exec(`VACUUM INTO '${dest}'`);
  } else {
    const bs3 = new Database(source, { readonly: true });
    outcome = await Promise.race([
      bs3.backup(dest).then(() => 'ok'),
      new Promise((r) => setTimeout(() => r(`gave up after ${CAP_MS / 1000} s (the copy restarts at every commit)`), CAP_MS)),
    ]);
    if (outcome !== 'ok') process.stdout.write(''); // the backup keeps running; the process exits below
  }
  const elapsed = performance.now() - started;
  h.disable();
  const during = { writesPerSec: ((acked.length - mark) / elapsed) * 1000, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
  stop = true;
  await Promise.all(lanes);
  await db.close();
  let verdict = outcome;
  if (outcome === 'ok') {
    const copy = new Database(dest, { readonly: true });
    const integrity = copy.pragma('integrity_check', { simple: true });
    const have = copy.prepare('SELECT count(*) FROM w WHERE id BETWEEN ? AND ?').pluck().get(first, lastAckedBefore);
    const expected = acked.slice(0, ackedBefore).length;
    verdict = `integrity ${integrity}; ${have}/${expected} writes acknowledged before the copy`;
    copy.close();
  }
  rmSync(dest, { force: true });
  rmSync(`${dest}-wal`, { force: true });
  rmSync(`${dest}-shm`, { force: true });
  console.log(JSON.stringify({ variant, elapsed, baseline, during, verdict }));
  process.exit(0);
}

// ---- parent -------------------------------------------------------------
if (!existsSync(source)) {
  console.error(`building ${source} (${mb} MB of 1 KiB BLOB rows)…`);
  const { open } = await import('threadlite');
  const db = await open(source, { readers: 0 });
  await db.exec('CREATE TABLE big(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
  const rows = mb * 1000;
  for (let done = 0; done < rows; done += 50_000) {
    await db.exec(
      `WITH RECURSIVE c(i) AS (SELECT ${done + 1} UNION ALL SELECT i + 1 FROM c WHERE i < ${Math.min(rows, done + 50_000)}) INSERT INTO big SELECT i, randomblob(1000) FROM c`,
    );
  }
  await db.checkpoint('TRUNCATE');
  await db.close();
}
console.error(`source: ${source}, ${(statSync(source).size / 1e6).toFixed(0)} MB`);
const variants = values.only ? values.only.split(',') : ['threadlite', 'vacuum-into', 'bs3-main'];
const rows = [];
for (const variant of variants) {
  console.error(`running ${variant}…`);
  const out = execFileSync(process.execPath, [self, ...process.argv.slice(2)], { env: { ...process.env, MEASURE_VARIANT: variant }, encoding: 'utf8', maxBuffer: 1 << 20 });
  rows.push(JSON.parse(out.trim().split('\n').at(-1)));
}
const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log('| variant | copy time | writes/s before → during | event loop max (p99) before → during | copy |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows) {
  console.log(
    `| ${r.variant} | ${f(r.elapsed / 1000, 1)} s | ${f(r.baseline.writesPerSec)} → ${f(r.during.writesPerSec)} | ` +
      `${f(r.baseline.maxMs, 1)} (${f(r.baseline.p99Ms, 1)}) → ${f(r.during.maxMs, 1)} (${f(r.during.p99Ms, 1)}) ms | ${r.verdict} |`,
  );
}
