// How cost grows with the work: throughput and p99 latency of point reads
// against requests in flight (1 … 256), and against the number of readers
// (0 … 4, 64 in flight), for better-sqlite3 on the main thread and threadlite
// (default options, and with inline reads off), in the same run.
//
//   node bench/curves.mjs [--reps N] [--no-docs]      (npm run bench:curves)
//   node bench/curves.mjs --hybrid                     (section "hybrid": where cheap
//                         reads go once a turn's inline time is spent)
//
// Each point is one fresh child process; the variants' order rotates per
// repetition; medians over repetitions go to docs/benchmark.md (section "curves").
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildItems, median, percentile, runLanes } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROWS = 100_000;
const RUN_MS = 1000;
const POINT = 'SELECT * FROM items WHERE id = ?';
// CURVES_IN_FLIGHT=1,64 measures only those points (for a quick look; not for the docs).
const IN_FLIGHT = process.env.CURVES_IN_FLIGHT ? process.env.CURVES_IN_FLIGHT.split(',').map(Number) : [1, 4, 16, 64, 256];
/** `--hybrid`: the variants below instead, in flight only, section "hybrid" (passed on to each child). */
const HYBRID = process.argv.includes('--hybrid');
const READERS = [0, 1, 2, 3, 4];
/** A variant: how a child opens its connection. `readers` only applies to threadlite. */
const DEFAULT_VARIANTS = {
  'better-sqlite3': { kind: 'better-sqlite3' },
  'threadlite default': { kind: 'threadlite', options: {} },
  'threadlite inlineReads: 0': { kind: 'threadlite', options: { inlineReads: 0 } },
};
/**
 * `--hybrid`: where cheap reads go when more come than the main thread can
 * run inline. By default the hybrid split (src/inline-hybrid.ts) sends some to
 * a reader once 32 wait at a turn's end; `hybrid=8` starts it at 8, `hybrid=0`
 * switches it off (every cheap read waits for its turn and runs inline).
 */
const HYBRID_VARIANTS = {
  'better-sqlite3': { kind: 'better-sqlite3' },
  'threadlite default (split at 32 waiting)': { kind: 'threadlite', options: {} },
  'split at 8 waiting': { kind: 'threadlite', options: {}, tuning: 'hybrid=8' },
  'no split (hybrid=0)': { kind: 'threadlite', options: {}, tuning: 'hybrid=0' },
  'inlineReads: 0': { kind: 'threadlite', options: { inlineReads: 0 } },
};
const VARIANTS = HYBRID ? HYBRID_VARIANTS : DEFAULT_VARIANTS;

async function openVariant(name, file, readers) {
  const variant = VARIANTS[name];
  if (variant.kind === 'better-sqlite3') {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(file, { readonly: true });
    const stmt = db.prepare(POINT);
    return { get: async (params) => stmt.get(...params), close: async () => db.close() };
  }
  const { open } = await import('threadlite');
  const options = readers === undefined ? variant.options : { ...variant.options, readers };
  const db = await open(file, options);
  return { get: (params) => db.get(POINT, params), close: () => db.close(), stats: () => db.stats().inline };
}

async function child(name, file, inFlight, readers) {
  const db = await openVariant(name, file, readers === 'default' ? undefined : Number(readers));
  let seed = 7;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const op = () => db.get([1 + Math.floor(rand() * ROWS)]);
  await runLanes({ inFlight, durationMs: 300, op });
  const r = await runLanes({ inFlight, durationMs: RUN_MS, op });
  // CURVES_STATS=1: each child prints the inline path's counters (why a point was slow).
  if (process.env.CURVES_STATS) console.error(name, inFlight, JSON.stringify(db.stats?.()));
  await db.close();
  if (r.errors) throw new Error(r.firstError);
  process.send({ qps: r.latencies.length / (r.elapsedMs / 1000), p99: percentile(r.latencies, 99) });
}

function runChild(name, file, inFlight, readers) {
  return new Promise((resolve, reject) => {
    const tuning = VARIANTS[name].tuning;
    const env = tuning === undefined ? process.env : { ...process.env, THREADLITE_TUNING: tuning };
    const argv = ['--child', name, file, String(inFlight), String(readers)];
    if (HYBRID) argv.push('--hybrid');
    const proc = fork(fileURLToPath(import.meta.url), argv, {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result;
    proc.on('message', (m) => (result = m));
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${name} child exited with ${code}`))));
  });
}

const fmtQps = (x) => Math.round(x).toLocaleString('en');
const fmtMs = (x) => (x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));

async function main() {
  const args = process.argv.slice(2);
  const repsAt = args.indexOf('--reps');
  const reps = repsAt === -1 ? 3 : Number(args[repsAt + 1]);
  const started = Date.now();
  const load = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'threadlite-curves-'));
  const file = join(dir, 'items.db');
  buildItems(file, ROWS);
  // Points: every variant at every in-flight count (default readers), and threadlite at every reader count (64 in flight).
  const points = [];
  for (const n of IN_FLIGHT) for (const v of Object.keys(VARIANTS)) points.push({ table: 'inflight', v, n, readers: 'default' });
  if (!HYBRID) for (const r of READERS) for (const v of Object.keys(VARIANTS)) if (v !== 'better-sqlite3') points.push({ table: 'readers', v, n: 64, readers: r });
  const results = new Map(points.map((p) => [p, []]));
  try {
    for (let rep = 0; rep < reps; rep++) {
      const order = points.map((_, i) => points[(i + rep * 3) % points.length]);
      for (const p of order) results.get(p).push(await runChild(p.v, file, p.n, p.readers));
      console.error(`rep ${rep + 1}/${reps} done (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const cell = (p) => {
    const rs = results.get(p);
    return { qps: median(rs.map((r) => r.qps)), p99: median(rs.map((r) => r.p99)) };
  };
  const names = Object.keys(VARIANTS);
  const lines = [];
  lines.push('| in flight | ' + names.map((v) => `${v} q/s · p99 ms`).join(' | ') + ' |');
  lines.push('|---:|' + names.map(() => '---:').join('|') + '|');
  for (const n of IN_FLIGHT) {
    const base = cell(points.find((p) => p.table === 'inflight' && p.n === n && p.v === 'better-sqlite3'));
    const cells = names.map((v) => {
      const c = cell(points.find((p) => p.table === 'inflight' && p.n === n && p.v === v));
      const ratio = v === 'better-sqlite3' ? '' : ` (×${(c.qps / base.qps).toFixed(2)})`;
      return `${fmtQps(c.qps)}${ratio} · ${fmtMs(c.p99)}`;
    });
    lines.push(`| ${n} | ${cells.join(' | ')} |`);
  }
  const readerNames = names.filter((v) => v !== 'better-sqlite3');
  const rlines = [];
  rlines.push('| readers | ' + readerNames.map((v) => `${v} q/s · p99 ms`).join(' | ') + ' |');
  rlines.push('|---:|' + readerNames.map(() => '---:').join('|') + '|');
  for (const r of HYBRID ? [] : READERS) {
    const cells = readerNames.map((v) => {
      const c = cell(points.find((p) => p.table === 'readers' && p.readers === r && p.v === v));
      return `${fmtQps(c.qps)} · ${fmtMs(c.p99)}`;
    });
    rlines.push(`| ${r} | ${cells.join(' | ')} |`);
  }
  const versions = { node: process.version, bs3: createRequire(import.meta.url)('better-sqlite3/package.json').version };
  const key = HYBRID ? 'hybrid' : 'curves';
  const method = `Point reads by primary key (100,000 rows, random ids), closed loop: N callers each awaiting one read
after another for ${RUN_MS / 1000} s after a 0.3 s warm-up. One fresh process per point, the points'
order rotating per repetition; medians of ${reps} repetitions. ${new Date().toISOString().slice(0, 10)},
Node ${versions.node}, better-sqlite3 ${versions.bs3}, 2 cores, load average ${load.toFixed(1)} at the start;
${Math.round((Date.now() - started) / 1000)} s. For better-sqlite3 "in flight" changes nothing but the
queueing of its callers: its p99 is the wait behind the others.`;
  const section = HYBRID
    ? `<!-- section:hybrid -->
## Hybrid execution: where cheap reads go when the main thread cannot run them all

<!-- Generated by \`npm run bench:curves -- --hybrid\` (bench/curves.mjs). -->

${method}

Once inline reads have held the event loop for \`inlineCap\` (2 ms) in one turn, the next cheap
reads wait for the next turn and run inline then. When 32 or more wait at a turn's end, the hybrid
split (the default) sends some to a reader that can start them at once, as many as keep the main
thread just busy (src/inline-hybrid.ts); "split at 8" starts it at 8 waiting (\`THREADLITE_TUNING=hybrid=8\`);
"no split" (\`hybrid=0\`) runs every cheap read inline, waiting for turns; \`inlineReads: 0\` runs
every read on a worker.

${lines.join('\n')}
<!-- /section:hybrid -->`
    : `<!-- section:curves -->
## Cost against the work: requests in flight and readers

<!-- Generated by \`npm run bench:curves\` (bench/curves.mjs). -->

${method}

Against requests in flight (default options: \`readers\` = cores + 1, inline reads on):

${lines.join('\n')}

Against readers, 64 in flight (\`readers: 0\` runs every worker read on the writer, and cheap reads
inline as with readers; \`minReaders\` follows \`readers\` when it is given):

${rlines.join('\n')}

How to read them: with inline reads on (the default), every point read runs on the main thread, and
a caller past a turn's 2 ms of inline time waits for the next turn rather than for a worker, so
throughput stays near the inline rate at any number in flight, with one core; \`inlineReads: 0\` shows
what the hop to a worker costs instead. The readers curve matters only for reads that go to the
workers (its inline column is the same inline path at every reader count; a run whose reads were sent
away for a while, after a preemption, shows as a dip). A single 1 s point moves with the machine's
load: compare the columns of one row.
<!-- /section:curves -->`;
  console.log(section);
  if (!args.includes('--no-docs')) {
    const docPath = join(HERE, '..', 'docs', 'benchmark.md');
    let doc = readFileSync(docPath, 'utf8');
    const re = new RegExp(`<!-- section:${key} -->[\\s\\S]*?<!-- /section:${key} -->`);
    doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
    writeFileSync(docPath, doc);
    console.error(`wrote docs/benchmark.md (section "${key}")`);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]);
else await main();
