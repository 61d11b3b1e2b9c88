// What a second busy thread costs this one: a fixed task timed on the main thread alone, then
// while a worker thread runs a task of its own (started and warmed before the timing begins),
// interleaved, 5 times each; medians and their ratio. Tells whether the machine's two cores are
// two cores for SQLite's kind of work (hybrid execution depends on it: see docs/benchmark.md,
// "What a second core is worth here").
//
//   node bench/contention.mjs [--reps 5]
//
// Tasks: `sqlite` 200,000 point reads by primary key on the benchmark's 1M-row table (better-sqlite3,
// read-only connection, default page cache); `sqlite-copy` the same on a copy of the file (no file
// shared with the main thread); `sqlite-cached` the same with a page cache that holds the whole
// table (no pread after warm-up); `chain` an integer loop whose steps depend on each other;
// `wide` six independent integer chains (instruction-level parallelism); `memory` random reads
// of a 256 MB typed array.
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ensureData } from './data.mjs';

const ROWS = 1_000_000;
const POINT_READS = 200_000;

function pointReads(file, cacheAll) {
  const db = new Database(file, { readonly: true });
  const stmt = db.prepare('SELECT * FROM items WHERE id = ?');
  if (cacheAll) {
    db.pragma('cache_size = -400000');
    for (let id = 1; id <= ROWS; id++) stmt.get(id);
  }
  return () => {
    for (let i = 0; i < POINT_READS; i++) stmt.get(1 + ((Math.random() * ROWS) | 0));
  };
}

function chain() {
  let x = 0;
  for (let i = 0; i < 2e8; i++) x = (x * 31 + i) | 0;
  return x;
}

function wide() {
  let a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;
  for (let i = 0; i < 3e8; i++) {
    a = (a + i) ^ (b << 1);
    b = (b + a) ^ (c >>> 3);
    c = (c + i) ^ (d << 2);
    d = (d + c) ^ (e >>> 1);
    e = (e ^ i) + (f << 3);
    f = (f ^ e) + (a >>> 2);
  }
  return a ^ b ^ c ^ d ^ e ^ f;
}

function memory() {
  const big = new Int32Array(64 * 1024 * 1024);
  return () => {
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += big[(Math.random() * big.length) | 0];
    return x;
  };
}

/** The task named `kind`, ready to run (its setup done). */
function task(kind, files) {
  switch (kind) {
    case 'sqlite':
      return pointReads(files.data, false);
    case 'sqlite-copy':
      return pointReads(files.copy, false);
    case 'sqlite-cached':
      return pointReads(files.data, true);
    case 'chain':
      return chain;
    case 'wide':
      return wide;
    case 'memory':
      return memory();
  }
  throw new Error(`unknown task ${kind}`);
}

if (!isMainThread) {
  const run = task(workerData.kind, workerData.files);
  run();
  parentPort.postMessage('ready');
  // Busy until terminated.
  for (;;) run();
} else {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
  const reps = Number(values.reps);
  const data = ensureData(ROWS);
  const copy = join(tmpdir(), `threadlite-contention-${process.pid}.db`);
  copyFileSync(data, copy);
  const files = { data, copy };
  const time = (run) => {
    const t = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const pairs = [
    ['sqlite', 'sqlite'],
    ['sqlite', 'sqlite-copy'],
    ['sqlite-cached', 'sqlite-cached'],
    ['sqlite', 'chain'],
    ['sqlite', 'memory'],
    ['chain', 'chain'],
    ['wide', 'wide'],
    ['memory', 'memory'],
  ];
  console.log(`main thread's task: median ms alone → with a busy sibling thread (${reps} interleaved pairs)`);
  try {
    for (const [mine, sibling] of pairs) {
      const run = task(mine, files);
      run();
      const alone = [];
      const busy = [];
      for (let rep = 0; rep < reps; rep++) {
        alone.push(time(run));
        const worker = new Worker(new URL(import.meta.url), { workerData: { kind: sibling, files } });
        await new Promise((resolve) => worker.once('message', resolve));
        busy.push(time(run));
        await worker.terminate();
      }
      const a = median(alone);
      const b = median(busy);
      console.log(`${mine.padEnd(14)} beside ${sibling.padEnd(14)} ${a.toFixed(0).padStart(6)} → ${b.toFixed(0).padStart(6)} ms  ×${(b / a).toFixed(2)}`);
    }
  } finally {
    rmSync(copy, { force: true });
  }
}
