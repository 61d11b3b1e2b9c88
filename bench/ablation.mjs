// What each mechanism buys: threadlite with one mechanism switched off at a
// time, against threadlite with everything on and better-sqlite3 on the main
// thread, in the same run (bench/run.mjs, one run per group of mechanisms that
// share workloads, so every ratio is paired with its own baseline).
//
//   node bench/ablation.mjs [--reps N] [--no-docs]      (npm run bench:ablation)
//
// Switches are THREADLITE_TUNING values (src/tuning.ts, benchmark only) or an
// open option; the table goes to docs/benchmark.md, section "ablation".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** One row per (mechanism, workload): `ratio` shows the paired ratio to better-sqlite3, else the median with its unit. */
const GROUPS = [
  {
    scenarios: ['point-64', 'rw-90-10'],
    mechanisms: [
      { name: 'pipelining (64 requests in flight per worker)', driver: 'threadlite:pipeline=1', switch: '`pipeline=1`' },
      { name: 'answering every queued message in one post', driver: 'threadlite:coalesce=0', switch: '`coalesce=0`' },
    ],
    rows: [
      { scenario: 'point-64', key: 'qps', label: 'point reads, 64 in flight (throughput)', ratio: true },
      { scenario: 'rw-90-10', key: 'opsPerSec', label: '90/10 read/write, 64 in flight (throughput)', ratio: true },
    ],
  },
  {
    scenarios: ['http', 'groupby-4'],
    mechanisms: [
      { name: 'cost-aware scheduling (heavy reads get their own readers)', driver: 'threadlite:costAware=0', switch: '`costAware=0`' },
      { name: 'readers at a lower priority (Linux nice 10)', driver: 'threadlite-readers-nice-0', switch: '`readerNice: 0`' },
    ],
    rows: [
      { scenario: 'http', key: 'lightP50Ms', label: 'HTTP light route p50 while heavy runs', unit: 'ms' },
      { scenario: 'http', key: 'lightP99Ms', label: 'HTTP light route p99 while heavy runs', unit: 'ms' },
      { scenario: 'groupby-4', key: 'lagP99Ms', label: 'GROUP BY, 4 in flight: event-loop delay p99', unit: 'ms' },
      { scenario: 'groupby-4', key: 'opsPerSec', label: 'GROUP BY, 4 in flight (throughput)', ratio: true },
    ],
  },
  {
    scenarios: ['all-100k'],
    mechanisms: [
      { name: 'chunked transfer of large `all()` results', driver: 'threadlite:chunkBytes=0', switch: '`chunkBytes=0`' },
      { name: 'young-generation collections in steps between chunks', driver: 'threadlite:youngGc=0', switch: '`youngGc=0`' },
    ],
    rows: [
      { scenario: 'all-100k', key: 'lagMaxMs', label: '100k-row `all()`: longest main-thread stall', unit: 'ms' },
      { scenario: 'all-100k', key: 'timeMs', label: '100k-row `all()`: time', ratio: true },
    ],
  },
  {
    scenarios: ['point-seq', 'point-64', 'rw-90-10'],
    mechanisms: [
      { name: 'inline path for cheap reads (on by default, watchdog-capped)', driver: 'threadlite-no-inline', switch: '`inlineReads: 0`' },
      { name: 'hybrid execution: a reader takes cheap reads the main thread cannot run (a flood)', driver: 'threadlite:hybrid=0', switch: '`hybrid=0`' },
      { name: 'the writer takes the split\'s reads while writes are in the mix', driver: 'threadlite:writerMix=0', switch: '`writerMix=0`' },
    ],
    rows: [
      { scenario: 'point-seq', key: 'latencyUs', label: 'point read latency, sequential', ratio: true },
      { scenario: 'point-64', key: 'qps', label: 'point reads, 64 in flight (throughput)', ratio: true },
      { scenario: 'rw-90-10', key: 'opsPerSec', label: '90/10 read/write, 64 in flight (throughput)', ratio: true },
    ],
  },
  {
    // Reads reach the ring only when they go to a reader: measured with the inline path off.
    baseline: 'threadlite-no-inline',
    scenarios: ['point-seq', 'point-64', 'rw-90-10', 'writes-64'],
    mechanisms: [
      {
        name: 'shared-memory request ring for small reads to readers (with `inlineReads: 0`)',
        driver: 'threadlite-no-inline:ring=0',
        switch: '`ring=0`',
      },
      { name: "the writer's ring for small writes (with `inlineReads: 0`)", driver: 'threadlite-no-inline:writerRing=0', switch: '`writerRing=0`' },
    ],
    rows: [
      { scenario: 'point-seq', key: 'latencyUs', label: 'point read latency, sequential', ratio: true },
      { scenario: 'point-64', key: 'qps', label: 'point reads, 64 in flight (throughput)', ratio: true },
      { scenario: 'rw-90-10', key: 'opsPerSec', label: '90/10 read/write, 64 in flight (throughput)', ratio: true },
      { scenario: 'writes-64', key: 'opsPerSec', label: 'single-row writes, 64 in flight (throughput)', ratio: true },
    ],
  },
];

function runGroup(group, reps, dir, index) {
  const json = join(dir, `group-${index}.json`);
  const args = [join(HERE, 'run.mjs'), '--reps', String(reps), '--no-docs', '--json', json, '--driver', group.baseline ?? 'threadlite'];
  for (const s of group.scenarios) args.push('--scenario', s);
  for (const m of group.mechanisms) args.push('--driver', m.driver);
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(json, 'utf8'));
}

const fmtRatio = (r) => (r === null || r === undefined ? '–' : `×${r >= 10 ? r.toFixed(0) : r.toFixed(2)}`);
const fmtValue = (v, unit) => (v === null || v === undefined ? '–' : `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${unit}`);

function cell(report, row, driver) {
  const metric = report.summary[row.scenario]?.[driver]?.metrics[row.key];
  if (metric === undefined) return '–';
  return row.ratio ? fmtRatio(metric.ratio) : fmtValue(metric.median, row.unit);
}

async function main() {
  const args = process.argv.slice(2);
  const repsAt = args.indexOf('--reps');
  const reps = repsAt === -1 ? 2 : Number(args[repsAt + 1]);
  const started = Date.now();
  const load = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'threadlite-ablation-'));
  const lines = ['| mechanism | switched off with | workload | on | off |', '|---|---|---|---:|---:|'];
  let meta;
  try {
    for (const [i, group] of GROUPS.entries()) {
      const report = runGroup(group, reps, dir, i);
      meta = report.meta;
      for (const m of group.mechanisms) {
        group.rows.forEach((row, r) => {
          const first = r === 0;
          lines.push(
            `| ${first ? m.name : ''} | ${first ? m.switch : ''} | ${row.label} | ${cell(report, row, group.baseline ?? 'threadlite')} | ${cell(report, row, m.driver)} |`,
          );
        });
      }
      console.error(`group ${i + 1}/${GROUPS.length} done (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const section = `<!-- section:ablation -->
## What each mechanism buys (switched off one at a time)

<!-- Generated by \`npm run bench:ablation\` (bench/ablation.mjs). -->

threadlite with everything on ("on"; for the request ring, with \`inlineReads: 0\` on both sides) against threadlite with one mechanism switched off ("off"):
a \`THREADLITE_TUNING\` switch (read once by \`src/tuning.ts\`; for the benchmark only) or an open
option. Mechanisms that share workloads ran in one \`bench/run.mjs\` run (fresh process per trial,
order rotating), ${reps} repetitions, ${meta.rows.toLocaleString('en')} rows; **×r** is the paired ratio to
better-sqlite3 on the main thread in the same run (for latency and time lower is better, for
throughput higher). ${new Date().toISOString().slice(0, 10)}, Node ${meta.node}, ${meta.cores} cores, load
average ${load.toFixed(1)} at the start; ${Math.round((Date.now() - started) / 1000)} s.

${lines.join('\n')}
<!-- /section:ablation -->`;
  console.log(section);
  if (!args.includes('--no-docs')) {
    const docPath = join(HERE, '..', 'docs', 'benchmark.md');
    let doc = readFileSync(docPath, 'utf8');
    const re = /<!-- section:ablation -->[\s\S]*?<!-- \/section:ablation -->/;
    doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
    writeFileSync(docPath, doc);
    console.error('wrote docs/benchmark.md (section "ablation")');
  }
}

await main();
