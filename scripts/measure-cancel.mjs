// Measures what cancelling a running query costs (node scripts/measure-cancel.mjs [runs]):
//  1. deadline -> rejection latency
//  2. rejection -> first answer from the replacement worker
//  3. how long a terminated runaway thread keeps running (close() waits for it),
//     for a statement that never calls into JS, one that calls a user function per
//     row, and one that checks threadlite_interrupted() per row
//  4. what a per-row threadlite_interrupted() check costs, on the main thread
// Prints medians. Needs `npm run build` first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { open } from 'threadlite';
import { createGate, setupModule } from '../test/fixtures/rel-gate.mjs';

const RUNS = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'threadlite-measure-'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n=${xs.length})`;

// ---- the SQL of a runaway, calibrated on the main thread ---------------------
const probe = new Database(':memory:');
probe.function('flag', () => 0);
let rows = 1_000_000;
const cte = (n, extra = '') => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}${extra}) SELECT count(*) AS n FROM c`;
for (;;) {
  const t0 = performance.now();
  probe.prepare(cte(rows)).get();
  const ms = performance.now() - t0;
  if (ms > 300) {
    rows = Math.round((rows * 2000) / ms); // about 2 s when left alone
    break;
  }
  rows *= 2;
}
const timeMain = (sql) => {
  const t0 = performance.now();
  probe.prepare(sql).get();
  return performance.now() - t0;
};
const plainMs = [];
const checkedMs = [];
for (let i = 0; i < 3; i++) {
  // Interleaved: the same count with and without a JS call per row.
  plainMs.push(timeMain(cte(rows)));
  checkedMs.push(timeMain(cte(rows, ' AND flag() = 0')));
}
probe.close();

async function once(kind) {
  const gate = createGate();
  const file = join(dir, `m-${kind}-${Math.random().toString(36).slice(2)}.db`);
  const db = await open(file, { readers: 0, setup: setupModule });
  const sql = {
    block: 'SELECT rel_block() AS x',
    native: cte(rows),
    jscall: cte(rows, " AND rel_role() = 'writer'"),
    interrupted: cte(rows, ' AND threadlite_interrupted() = 0'),
  }[kind];
  const timeout = 50;
  const before = process.cpuUsage();
  const t0 = performance.now();
  let rejectedAt = 0;
  await db.get(sql, [], { timeout }).catch((err) => {
    rejectedAt = performance.now();
    if (err.name !== 'TimeoutError') throw err;
  });
  const lateness = rejectedAt - t0 - timeout;
  await db.get('SELECT 1 AS one');
  const replacementMs = performance.now() - rejectedAt;
  // close() waits for the terminated thread to end.
  const c0 = performance.now();
  await db.close();
  const runawayMs = performance.now() - rejectedAt;
  const closeMs = performance.now() - c0;
  // getrusage(RUSAGE_SELF): includes threads that have exited since.
  const used = process.cpuUsage(before);
  const burned = (used.user + used.system) / 1e6;
  gate.close();
  return { lateness, replacementMs, runawayMs, closeMs, burned };
}

const results = {};
for (const kind of ['block', 'native', 'jscall', 'interrupted']) {
  const runs = kind === 'native' ? Math.min(RUNS, 5) : RUNS;
  const list = [];
  for (let i = 0; i < runs; i++) list.push(await once(kind));
  results[kind] = list;
}
rmSync(dir, { recursive: true, force: true });

console.log(`Node ${process.version}, ${RUNS} runs (native runaway: ${Math.min(RUNS, 5)}), runaway = ${rows.toLocaleString()}-row recursive CTE`);
console.log(`main-thread better-sqlite3, same CTE: plain ${fmt(plainMs)}; with a JS flag() call per row ${fmt(checkedMs)} (x${(median(checkedMs) / median(plainMs)).toFixed(1)})`);
const label = {
  block: 'user function blocked in Atomics.wait',
  native: 'recursive CTE, no JS (native only)',
  jscall: 'recursive CTE calling a JS user function per row',
  interrupted: 'recursive CTE checking threadlite_interrupted() per row',
};
for (const [kind, list] of Object.entries(results)) {
  console.log(`\n${label[kind]}:`);
  console.log(`  deadline -> rejection (lateness):            ${fmt(list.map((r) => r.lateness))}`);
  console.log(`  rejection -> replacement answers SELECT 1:   ${fmt(list.map((r) => r.replacementMs))}`);
  console.log(`  rejection -> terminated thread gone (close): ${fmt(list.map((r) => r.runawayMs))}`);
  console.log(`  CPU s used by the process, submit -> close:  median ${median(list.map((r) => r.burned)).toFixed(2)} s`);
}
