// threadlite demo: `npm run demo` (builds the package, then runs this file).
//
// Runs one server-like workload twice on the same SQLite file, first with
// better-sqlite3 on the main thread, then with threadlite, and shows what each
// does to the event loop and to the small requests that share it.
//
// Environment: DEMO_SECONDS (default 6) sets how long each contender runs.
import Database from 'better-sqlite3';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { open } from 'threadlite';
import { ensureDataset, ORDERS, USERS } from './dataset.mjs';
import { HEAVY_QUERIES, LIGHT_EVERY_MS, LIGHT_QUERY, runWorkload, SLOW_MS } from './workload.mjs';

const SECONDS = Number(process.env.DEMO_SECONDS ?? 6);
if (!(SECONDS > 0 && SECONDS <= 120)) throw new RangeError('DEMO_SECONDS must be a number of seconds between 0 and 120');
const FILE = fileURLToPath(new URL('../.demo/demo.db', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);
const num = (n) => n.toLocaleString('en-US');
const ms = (n) => Number.isNaN(n) ? 'n/a' : `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)} ms`;

out();
out('threadlite demo: what a slow SQLite query does to a Node.js server');
out('==================================================================');
out('A Node.js server answers every request on one thread, the event loop. better-sqlite3');
out('is fast but synchronous: while one query runs, nothing else on that thread can.');
out('threadlite runs the same better-sqlite3 connections in worker threads and lets the');
out('main thread await the results, so the event loop stays free.');
out();

// --- 1. the database ------------------------------------------------------
const built = ensureDataset(FILE, progressBar(`Building ${num(USERS)} users + ${num(ORDERS)} orders (seeded)`));
if (built.built) out(`Database ready: .demo/demo.db, built in ${(built.ms / 1000).toFixed(1)} s.`);
else out('Database ready: reusing .demo/demo.db (delete .demo/ to rebuild it).');

// Warm-up, untimed: loads the file into the page cache and shows what "heavy" means here.
const direct = new Database(FILE);
direct.pragma('journal_mode = WAL');
const heavyStatements = new Map(HEAVY_QUERIES.map((sql) => [sql, direct.prepare(sql)]));
const lightStatement = direct.prepare(LIGHT_QUERY);
let warm;
for (let round = 0; round < 2; round++) {
  warm = HEAVY_QUERIES.map((sql) => {
    const t = performance.now();
    heavyStatements.get(sql).all();
    return performance.now() - t;
  });
}
out(`One heavy report query (GROUP BY over all ${num(ORDERS)} orders) takes ${warm.map(ms).join(' / ')} here.`);
out();
out(`The workload, ${SECONDS} s for each contender:`);
out('  - heavy: a reporting client runs those GROUP BY queries back to back;');
out(`  - light: API requests arrive every ${LIGHT_EVERY_MS} ms (${num(1000 / LIGHT_EVERY_MS)}/s), each a lookup of one order by primary key;`);
out('    latency counts from when a request arrived, including time waiting for a busy event loop;');
out('  - probes: a 1 ms timer and perf_hooks.monitorEventLoopDelay watch the event loop.');
out();

// --- 2. contender A: better-sqlite3 on the main thread ---------------------
out('A. better-sqlite3 on the main thread ...');
const directEngine = {
  heavy: async (sql) => heavyStatements.get(sql).all(),
  light: async (id) => lightStatement.get(id),
};
const a = await runWorkload(directEngine, { durationMs: SECONDS * 1000, maxId: ORDERS });
direct.close();

// --- 3. contender B: threadlite --------------------------------------------
const db = await open(FILE);
const workers = db.stats().workers;
const readers = workers.filter((w) => w.role === 'reader').length;
out(`B. threadlite, open(file): 1 writer + ${readers} reader worker threads (default: one reader per core plus one, on ${availableParallelism()} cores here) ...`);
// Warm-up, untimed: the pool learns these statements are read-only (so they may
// run on readers) and which ones are heavy (so they never take every reader).
for (let round = 0; round < 2; round++) {
  for (const sql of HEAVY_QUERIES) await db.all(sql);
  await Promise.all([1, 2, 3, 4].map((id) => db.get(LIGHT_QUERY, [id])));
}
const threadEngine = {
  heavy: (sql) => db.all(sql),
  light: (id) => db.get(LIGHT_QUERY, [id]),
};
const b = await runWorkload(threadEngine, { durationMs: SECONDS * 1000, maxId: ORDERS });
await db.close();

// --- 4. results --------------------------------------------------------------
out();
const rows = [
  ['Event loop (lower is better)'],
  ['  longest stall (1 ms timer gap)', ms(a.longestStallMs), ms(b.longestStallMs)],
  ['  p99 event-loop delay', ms(a.loopDelayP99Ms), ms(b.loopDelayP99Ms)],
  [`Light requests: PK lookups, ${num(1000 / LIGHT_EVERY_MS)}/s`],
  ['  latency p50', ms(a.lightP50Ms), ms(b.lightP50Ms)],
  ['  latency p99', ms(a.lightP99Ms), ms(b.lightP99Ms)],
  [`  slower than ${SLOW_MS} ms`, pct(a.lightSlow, a.lightCompleted), pct(b.lightSlow, b.lightCompleted)],
  ['  answered (per second)', answered(a), answered(b)],
  ['Heavy queries: GROUP BY reports'],
  ['  completed', throughput(a.heavyCompleted, a.wallMs, 1), throughput(b.heavyCompleted, b.wallMs, 1)],
  ['  median duration', ms(a.heavyMedianMs), ms(b.heavyMedianMs)],
];
printTable(['', 'A. better-sqlite3', 'B. threadlite'], ['', '(main thread)', '(worker threads)'], rows);
if (a.lightFailures + b.lightFailures > 0) out(`(light lookups that failed: A ${a.lightFailures}, B ${b.lightFailures})`);
out();
const stallRatio = a.longestStallMs / Math.max(b.longestStallMs, 0.001);
const p99Ratio = a.lightP99Ms / Math.max(b.lightP99Ms, 0.001);
out(
  `Conclusion: with threadlite the longest event-loop stall was ${ratio(stallRatio)} shorter (${ms(a.longestStallMs)} -> ${ms(b.longestStallMs)}) ` +
    `and light-request p99 latency ${ratio(p99Ratio)} lower (${ms(a.lightP99Ms)} -> ${ms(b.lightP99Ms)}).`,
);
out(
  `The heavy reports still ran: ${b.heavyCompleted} completed with threadlite, ${a.heavyCompleted} on the main thread ` +
    `(query times on a busy ${availableParallelism()}-core machine are noisy).`,
);
out();

// --- helpers -------------------------------------------------------------------
function progressBar(title) {
  const width = 30;
  const tty = process.stdout.isTTY === true;
  let shown = -1;
  return (fraction, label) => {
    if (shown === -1) out(title);
    // On a terminal, redraw on every percent; in a log, once per tenth.
    const step = tty ? Math.floor(fraction * 100) : Math.floor(fraction * 10) * 10;
    if (step === shown) return;
    shown = step;
    const filled = Math.round(fraction * width);
    const percent = String(Math.floor(fraction * 100)).padStart(3);
    process.stdout.write(`\r  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}%  ${label.padEnd(26)}`);
    if (fraction >= 1) process.stdout.write('\n');
  };
}

function pct(part, whole) {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

function throughput(count, wallMs, digits = 0) {
  return `${num(count)} (${(count / (wallMs / 1000)).toFixed(digits)}/s)`;
}

function answered(r) {
  return `${num(r.lightCompleted)}/${num(r.lightIssued)} (${(r.lightCompleted / (r.lightSpanMs / 1000)).toFixed(0)}/s)`;
}

function ratio(r) {
  return r >= 10 ? `${Math.round(r)}x` : `${r.toFixed(1)}x`;
}

function printTable(header, subheader, body) {
  const widths = [0, 0, 0];
  for (const row of [header, subheader, ...body]) {
    if (row.length === 1) continue;
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i], cell.length)));
  }
  const line = (row) => (row.length === 1 ? row[0] : row.map((c, i) => (i === 0 ? c.padEnd(widths[0]) : c.padStart(widths[i] + 3))).join(''));
  out(line(header));
  out(line(subheader));
  out('-'.repeat(widths[0] + widths[1] + widths[2] + 6));
  for (const row of body) out(line(row));
}
