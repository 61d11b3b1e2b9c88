// Inline-read benchmark: what inline reads on by default buy, and what the
// watchdog's hard cap holds them to. Same run, interleaved, medians.
//
//   node bench/inline.mjs [--reps N] [--no-docs]      (npm run bench:inline)
//
// For each repetition, one fresh child process per variant, the variants'
// order rotating:
//   better-sqlite3        a main-thread connection (the baseline)
//   threadlite default    open(file) with default options: inline on, cap 2 ms
//   threadlite inline off open(file, { inlineReads: 0 }): every read on a worker
// Each child measures
//   point read      median latency of sequential `SELECT * FROM items WHERE id = ?` (random ids)
//   slow case       a read cheap for most parameters (~5 µs) and ≥ 300 ms for one: a recursive
//                   CTE whose length is the parameter, warmed up with a small one, then run once
//                   with 3,000,000; the time the call blocks the main thread (it runs inline until
//                   the watchdog interrupts it) and the longest gap of a 1 ms interval probe.
// Medians go to docs/benchmark.md (section "inline").
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildItems } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROWS = 100_000;
const POINT_MS = 1500;
const SLOW_RUNS = 5;
const SLOW_N = 3_000_000;
const VARIANTS = ['better-sqlite3', 'threadlite default', 'threadlite inlineReads: 0'];
const POINT = 'SELECT * FROM items WHERE id = ?';
/** Each run its own SQL text: a statement the watchdog stopped never runs inline again. */
const slowSql = (k) => `WITH RECURSIVE c(x) AS (SELECT ${k} UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c`;

/** A driver with `get(sql, params)` returning a promise (better-sqlite3's wrapped), and close(). */
async function openVariant(variant, file) {
  if (variant === 'better-sqlite3') {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(file, { readonly: true });
    const cache = new Map();
    const prepare = (sql) => cache.get(sql) ?? cache.set(sql, db.prepare(sql)).get(sql);
    // Kept referenced (Node 24 finalizer bug, see scripts/keep-better-sqlite3.mjs): the cache holds them.
    return { get: async (sql, params) => prepare(sql).get(...params), close: async () => db.close() };
  }
  const { open } = await import('threadlite');
  const db = await open(file, variant === 'threadlite default' ? { readers: 1 } : { readers: 1, inlineReads: 0 });
  return { get: (sql, params) => db.get(sql, params), close: () => db.close(), stats: () => db.stats() };
}

async function child(variant, file) {
  const db = await openVariant(variant, file);
  let seed = 1;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  // Warm-up: the pool learns the statement's route and cost, the page cache fills.
  for (let i = 0; i < 2000; i++) await db.get(POINT, [1 + Math.floor(rand() * ROWS)]);
  const latencies = [];
  for (const end = performance.now() + POINT_MS; performance.now() < end; ) {
    const id = 1 + Math.floor(rand() * ROWS);
    const start = performance.now();
    await db.get(POINT, [id]);
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const slow = [];
  for (let k = 1; k <= SLOW_RUNS; k++) {
    const sql = slowSql(k);
    for (let i = 0; i < 40; i++) await db.get(sql, [k + 3]);
    let last = performance.now();
    let longest = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    longest = 0;
    last = performance.now();
    const start = performance.now();
    const pending = db.get(sql, [SLOW_N]);
    const blocked = performance.now() - start;
    const row = await pending;
    // One more macrotask, so the probe sees the gap a synchronous call left behind.
    await new Promise((resolve) => setTimeout(resolve, 5));
    clearInterval(probe);
    if (row.n !== SLOW_N - k + 1) throw new Error(`wrong answer ${JSON.stringify(row)}`);
    slow.push({ blocked, longest });
  }
  const inline = db.stats?.().inline ?? null;
  await db.close();
  process.send({ point: latencies[latencies.length >> 1] * 1000, slow, inline });
}

function runChild(variant, file) {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', variant, file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    proc.on('message', (m) => (result = m));
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${variant} child exited with ${code}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const args = process.argv.slice(2);
  const repsAt = args.indexOf('--reps');
  const reps = repsAt === -1 ? 5 : Number(args[repsAt + 1]);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'threadlite-inline-bench-'));
  const file = join(dir, 'items.db');
  buildItems(file, ROWS);
  const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    for (let rep = 0; rep < reps; rep++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length]);
      for (const variant of order) {
        runs[variant].push(await runChild(variant, file));
        console.error(`rep ${rep + 1}/${reps} ${variant} done`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = runs['better-sqlite3'];
  const ms = (v) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
  const rows = VARIANTS.map((v) => {
    const r = runs[v];
    const point = median(r.map((x) => x.point));
    const ratio = median(r.map((x, i) => x.point / base[i].point));
    const blocked = r.flatMap((x) => x.slow.map((s) => s.blocked));
    const longest = r.flatMap((x) => x.slow.map((s) => s.longest));
    const over = blocked.filter((b) => b > 3).length;
    return `| ${v} | ${point.toFixed(1)} µs | ×${ratio.toFixed(2)} | ${ms(median(blocked))} / ${ms(Math.max(...blocked))} | ${over} of ${blocked.length} | ${ms(median(longest))} / ${ms(Math.max(...longest))} |`;
  });
  const { version } = JSON.parse(readFileSync(join(HERE, '..', 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'));
  const section = `## Inline reads by default, under the watchdog's cap

<!-- Generated by \`npm run bench:inline\` (bench/inline.mjs). -->

Sequential point reads by primary key (${ROWS.toLocaleString('en')} rows, random ids, median latency over
${POINT_MS / 1000} s after a warm-up), and a read whose cost depends on its parameter (a recursive CTE of
length \`?\`: ~5 µs warmed up with a small one, then run once with ${SLOW_N.toLocaleString('en')}, ≥ 300 ms in SQLite),
${SLOW_RUNS} times per process. **blocked** is how long the call held the main thread (with inline on,
until the watchdog interrupted it and the read went to a worker); **longest gap** is the longest
interval between ticks of a 1 ms timer around the call. Each variant in a fresh process per
repetition, order rotating; medians of ${reps} repetitions (the ratio paired per repetition), and the
worst of all ${reps * SLOW_RUNS} slow runs. The machine's load average when it started: ${loadavg()[0].toFixed(1)} (2 cores: another
session's tests may share them). ${new Date().toISOString().slice(0, 10)}, Node ${process.version},
better-sqlite3 ${version}, ${((Date.now() - started) / 1000).toFixed(0)} s. Target: the slow case blocks ≤ 3 ms.

| variant | point read, median | ×r | slow case blocked, median / worst | blocked > 3 ms | longest gap, median / worst |
|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

With inline on, **blocked** is the cap (2 ms) plus the watchdog's wake-up and the unwinding of the
interrupted statement; where it passes 3 ms, the watchdog thread was waiting for a core (the
figure rises with the machine's load). The **longest gap** of the two threadlite variants is the
machine's noise while the worker runs the re-run (compare them with each other, not with the cap).
Since this section was first written, reads past a turn's inline time wait for the next turn
instead of going to a worker, and an interrupted read no longer holds back other reads of its SQL
(sections "Hybrid execution" and the ablation); neither changes the slow case.
`;
  console.log(section);
  if (!args.includes('--no-docs')) {
    const path = join(HERE, '..', 'docs', 'benchmark.md');
    writeFileSync(path, replaceSection(readFileSync(path, 'utf8'), 'inline', section));
    console.error(`updated ${path}`);
  }
}

/** Puts `body` between the section's markers in `doc` (appending the section if it is not there). */
function replaceSection(doc, name, body) {
  // A copy of bench/cancel.mjs's: importing that script would run its own --child branch here.
  const start = `<!-- section:${name} -->`;
  const end = `<!-- /section:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from !== -1 && to > from) return doc.slice(0, from) + block + doc.slice(to + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else if (fileURLToPath(import.meta.url) === process.argv[1]) await main();
