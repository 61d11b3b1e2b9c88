// Where the CPU goes, per thread, for one closed-loop workload: run time, run-queue wait and
// voluntary sleeps of every thread of this process, per operation, read from Linux's
// /proc/self/task/*/schedstat and stat (not sampled: the kernel's own accounting, so a thread's
// sleeps and preemptions are not mistaken for work, as a wall-clock profile can).
//
//   node bench/thread-cpu.mjs --driver threadlite [--write-share 0.1] [--readers 1]
//        [--inline-reads 0] [--options '{"inlineCap":1}'] [--in-flight 64] [--seconds 3] [--rounds 3]
//
// --driver: better-sqlite3 (one connection on the main thread, the baseline) or threadlite
// (the built package in dist/). Each round runs every listed driver in its own child process,
// interleaved, on the benchmark's 1M-row table (built on first use, as `npm run bench` does).
// Linux only. Figures in docs/benchmark.md ("What a second core is worth here").
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ensureData } from './data.mjs';
import { runLanes } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    driver: { type: 'string', multiple: true, default: ['better-sqlite3', 'threadlite'] },
    'write-share': { type: 'string', default: '0' },
    readers: { type: 'string' },
    'inline-reads': { type: 'string' },
    options: { type: 'string' },
    'in-flight': { type: 'string', default: '64' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'boolean', default: false },
  },
});

const ROWS = 1_000_000;
const READ = 'SELECT * FROM items WHERE id = ?';
const WRITE = 'UPDATE items SET score = ? WHERE id = ?';

/** Run time, run-queue wait (ns), sleeps and user/system ticks of every thread of this process. */
function threads() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [run, wait, slices] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { name, run, wait, slices, user: Number(fields[11]), system: Number(fields[12]) });
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}

async function child() {
  const FILE = ensureData(ROWS);
  const driver = args.driver[0];
  const writeShare = Number(args['write-share']);
  let read;
  let write;
  let close = async () => {};
  if (driver === 'better-sqlite3') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(FILE);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const r = db.prepare(READ);
    const w = db.prepare(WRITE);
    read = async (id) => r.get(id);
    write = async (score, id) => w.run(score, id);
    close = async () => db.close();
  } else {
    const { open } = await import('../dist/index.mjs');
    const options = {};
    if (args.readers !== undefined) options.readers = Number(args.readers);
    if (args['inline-reads'] !== undefined) options.inlineReads = Number(args['inline-reads']);
    if (args.options !== undefined) Object.assign(options, JSON.parse(args.options));
    const db = await open(FILE, options);
    read = (id) => db.get(READ, [id]);
    write = (score, id) => db.run(WRITE, [score, id]);
    close = () => db.close();
  }
  const op = () => {
    const id = 1 + ((Math.random() * ROWS) | 0);
    return Math.random() < writeShare ? write(Math.random(), id) : read(id);
  };
  const inFlight = Number(args['in-flight']);
  await runLanes({ inFlight, durationMs: 1500, op });
  const before = threads();
  const result = await runLanes({ inFlight, durationMs: Number(args.seconds) * 1000, op });
  const after = threads();
  const ops = result.latencies.length;
  const perOp = [];
  for (const [tid, t] of after) {
    const b = before.get(tid);
    if (b === undefined) continue;
    const runUs = (t.run - b.run) / 1000 / ops;
    // Threads that did next to nothing (Node's idle helpers) are left out.
    if (runUs < 0.05) continue;
    perOp.push({
      thread: tid === String(process.pid) ? 'main' : t.name,
      runUs,
      waitUs: (t.wait - b.wait) / 1000 / ops,
      sleepsPer1000: ((t.slices - b.slices) / ops) * 1000,
      systemShare: t.user + t.system - b.user - b.system > 0 ? (t.system - b.system) / (t.user + t.system - b.user - b.system) : 0,
    });
  }
  await close();
  process.stdout.write(JSON.stringify({ driver, opsPerSec: ops / (result.elapsedMs / 1000), perOp }));
}

function label() {
  const parts = [];
  if (args.readers !== undefined) parts.push(`readers ${args.readers}`);
  if (args['inline-reads'] !== undefined) parts.push(`inlineReads ${args['inline-reads']}`);
  if (args.options !== undefined) parts.push(args.options);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

if (args.child) {
  await child();
} else {
  ensureData(ROWS);
  const passThrough = process.argv.slice(2).filter((a, i, all) => a !== '--driver' && all[i - 1] !== '--driver');
  console.log(`${args['in-flight']} in flight, write share ${args['write-share']}, ${args.seconds} s per trial; CPU per operation, µs`);
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const driver of args.driver) {
      const out = execFileSync(process.execPath, [import.meta.filename, '--child', '--driver', driver, ...passThrough], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const { opsPerSec, perOp } = JSON.parse(out);
      const name = driver === 'better-sqlite3' ? driver : `${driver}${label()}`;
      console.log(`round ${round}  ${name}: ${Math.round(opsPerSec).toLocaleString('en-US')} ops/s`);
      for (const t of perOp.sort((a, b) => b.runUs - a.runUs)) {
        console.log(
          `    ${t.thread.padEnd(16)} run ${t.runUs.toFixed(2).padStart(6)}  run-queue wait ${t.waitUs.toFixed(2).padStart(5)}  sleeps/1000 ops ${t.sleepsPer1000.toFixed(0).padStart(4)}  system ${(t.systemShare * 100).toFixed(0)} %`,
        );
      }
    }
  }
}
