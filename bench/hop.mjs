// A cheaper hop (issue 13): what one point read costs to cross to a worker and
// back, for several transports side by side in the same run. Each trial is a
// fresh child process (bench/hop-child.mjs) running one variant against one
// read-only better-sqlite3 connection in a worker (bench/hop-worker.mjs):
// latency at 1 in flight, throughput and p99 at 64 in flight, and the CPU time
// the main thread and the worker spend per read.
//
//   node bench/hop.mjs [--reps N] [--only a,b]        (npm run bench:hop)
//
// The variants' order rotates per repetition; the table shows medians over the
// repetitions and, for each variant, the range of its per-repetition ratio to
// post-objects (today's shape) measured in the same repetition. Raw figures go
// to bench/results/hop-<time>.json.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildItems, median } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROWS = 100_000;

/** What each variant is; the names are what bench/hop-child.mjs and bench/hop-worker.mjs switch on. */
const VARIANTS = {
  'better-sqlite3': 'better-sqlite3 on the main thread (no hop)',
  threadlite: "threadlite's pool (built dist/), `readers: 1, inlineReads: 0`: today's transport plus the engine; its worker CPU counts every other thread",
  'post-objects': "today's shape: request objects per flush, one response object per answer, object rows",
  'post-raw': 'post-objects, but each row travels as an array of values (raw()) and is rebuilt on the main thread',
  'post-compact': 'request objects; answers as one Float64Array [id, value count, cost] + one flat array of row values (raw rows)',
  'post-spin': 'post-objects, and the worker polls its port (receiveMessageOnPort) 50 µs before sleeping',
  'post-wait': 'post-objects, but the worker loops on receiveMessageOnPort and sleeps in Atomics.wait (main thread notifies a sleeping worker)',
  'ring-async': 'SharedArrayBuffer ring both ways; worker sleeps in Atomics.wait; main thread wakes by Atomics.waitAsync',
  'ring-async-loop': 'ring-async, but the worker stays in its event loop and waits with Atomics.waitAsync too',
  'ring-bell': 'ring; main thread drains the ring after submitting and asks for a doorbell postMessage only when it waits',
  'ring-bell-spin': 'ring-bell, and the worker spins 50 µs on the request counter before Atomics.wait',
};
const BASE = 'post-objects';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

function trial(variant, file) {
  return new Promise((resolve, reject) => {
    const child = fork(join(HERE, 'hop-child.mjs'), [variant, file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('message', (m) => (result = m));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${variant}: child exited with ${signal ?? code}`));
    });
  });
}

const fmt = (n, digits = 0) => (Number.isNaN(n) ? '–' : n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (r) => `×${r.toFixed(2)}`;
const range = (rs) => `${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}`;

async function main() {
  const reps = Number(arg('--reps', '5'));
  const names = arg('--only', Object.keys(VARIANTS).join(',')).split(',');
  if (!names.includes(BASE)) names.unshift(BASE);
  const dir = mkdtempSync(join(tmpdir(), 'threadlite-hop-'));
  const file = join(dir, 'items.db');
  buildItems(file, ROWS);
  const started = new Date();
  const loadAtStart = loadavg();
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let rep = 0; rep < reps; rep++) {
      const order = names.map((_, i) => names[(i + rep) % names.length]);
      for (const name of order) {
        const r = await trial(name, file);
        runs[name].push(r);
        process.stderr.write(`rep ${rep + 1}/${reps} ${name}: 1 in flight p50 ${r.one.p50Us.toFixed(1)} µs; 64 in flight ${fmt(r.many.qps)} q/s, load ${r.load}\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started.getTime()) / 1000);
  const med = (name, pick) => median(runs[name].map(pick).filter((v) => v !== null));
  // Per repetition: this variant's figure over post-objects' figure of the same repetition.
  const perRep = (name, pick) => runs[name].map((r, i) => pick(r) / pick(runs[BASE][i]));
  const lines = [
    `${started.toISOString().slice(0, 16)}Z, Node ${process.version}, ${reps} repetitions, ${seconds} s, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min)`,
    '',
    '| variant | 1 in flight: p50 µs | vs today (range) | p99 µs | 64 in flight: q/s | vs today (range) | p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const cell = (name, pick) => (name === BASE ? '' : `${ratio(median(perRep(name, pick)))} (${range(perRep(name, pick))})`);
  for (const name of names) {
    lines.push(
      `| ${name} | ${fmt(med(name, (r) => r.one.p50Us), 1)} | ${cell(name, (r) => r.one.p50Us)} | ${fmt(med(name, (r) => r.one.p99Us))} | ${fmt(med(name, (r) => r.many.qps))} | ${cell(name, (r) => r.many.qps)} | ${fmt(med(name, (r) => r.many.p99Us) / 1000, 2)} |`,
    );
  }
  lines.push(
    '',
    'CPU per read (µs, from /proc schedstat of each thread) and wake-ups per 100 reads (main: answer messages, doorbells or waitAsync callbacks; worker: sleeps ended, or message events):',
    '',
    '| variant | 1 in flight: main CPU | worker CPU | main · worker wakes | 64 in flight: main CPU | worker CPU | main + worker vs today (range) | main · worker wakes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  const total = (r) => r.many.mainCpuUs + r.many.workerCpuUs;
  for (const name of names) {
    const m = (pick, digits = 1) => fmt(med(name, pick), digits);
    lines.push(
      `| ${name} | ${m((r) => r.one.mainCpuUs)} | ${m((r) => r.one.workerCpuUs)} | ${m((r) => r.one.mainWakesPer100, 0)} · ${m((r) => r.one.workerWakesPer100, 0)} | ${m((r) => r.many.mainCpuUs)} | ${m((r) => r.many.workerCpuUs)} | ${cell(name, total)} | ${m((r) => r.many.mainWakesPer100)} · ${m((r) => r.many.workerWakesPer100)} |`,
    );
  }
  lines.push('', ...names.map((n) => `- \`${n}\`: ${VARIANTS[n]}`));
  console.log(lines.join('\n'));
  mkdirSync(join(HERE, 'results'), { recursive: true });
  const out = join(HERE, 'results', `hop-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ started, loadAtStart, reps, runs }, null, 1));
  console.log(`\nraw figures: ${out}`);
}

await main();
