// Small helpers shared by the scenarios: statistics, the event-loop probe and
// a closed-loop "N in flight" load generator.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

export const now = () => performance.now();

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Measures how late a 1 ms interval fires on this thread. A gap of g ms between
 * two ticks means the loop was blocked for about g - 1 ms. `stallPct` is the
 * share of wall time spent in gaps longer than 10 ms.
 */
export function startProbe() {
  const lags = [];
  let stallMs = 0;
  const start = now();
  let last = start;
  const timer = setInterval(() => {
    const t = now();
    const gap = t - last;
    last = t;
    lags.push(Math.max(0, gap - 1));
    if (gap > 10) stallMs += gap;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      const t = now();
      const tail = t - last; // a stall still in progress when we stop counts too
      lags.push(Math.max(0, tail - 1));
      if (tail > 10) stallMs += tail;
      const elapsed = t - start;
      return {
        lagP50Ms: median(lags),
        lagP99Ms: percentile(lags, 99),
        lagMaxMs: Math.max(...lags),
        stallPct: (stallMs / elapsed) * 100,
      };
    },
  };
}

/**
 * Keeps `inFlight` operations running until `durationMs` has passed: each lane
 * starts its next operation when the previous one settles. Returns per-op
 * latencies (ms), completed count, errors and elapsed time. With
 * `yieldBetween`, each lane waits for a macrotask before its next operation, as
 * a server does between requests, so the event loop gets a turn.
 */
export async function runLanes({ inFlight, durationMs, op, yieldBetween = false }) {
  const latencies = [];
  let errors = 0;
  let firstError;
  const start = now();
  const deadline = start + durationMs;
  const lane = async () => {
    while (now() < deadline) {
      if (yieldBetween) await new Promise((r) => setImmediate(r));
      const t = now();
      try {
        await op();
      } catch (err) {
        errors++;
        firstError ??= `${err?.code ?? ''} ${err?.message ?? err}`;
      }
      latencies.push(now() - t);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { latencies, errors, firstError, elapsedMs: now() - start };
}

/**
 * The trial's first second of a 64-in-flight closed loop (0.3 s with `quick`),
 * from the moment the driver is open, then `durationMs` more (1.5 s; 0.5 s with
 * `quick`): successful operations per second in each, p99 and errors of the
 * second part. Two figures because they measure two things. A fresh process's
 * first half second is mostly the machine faulting new memory in (each
 * connection's page cache, each thread's heap; ~17 µs per 4 KiB page on this
 * VM, 2026-12-01: see docs/benchmark.md), and a pool has more of it to touch
 * than one connection does; after that, what the driver does per operation.
 * Until 2026-12-01 one figure, from 0.2 s to 1.7 s, mixed the two.
 */
export async function measureClosedLoop(op, quick, durationMs = quick ? 500 : 1500) {
  const first = await runLanes({ inFlight: 64, durationMs: quick ? 300 : 1000, op });
  const r = await runLanes({ inFlight: 64, durationMs, op });
  const perSec = (x) => (x.latencies.length - x.errors) / (x.elapsedMs / 1000);
  return {
    opsPerSec: perSec(r),
    firstOpsPerSec: perSec(first),
    p99Ms: percentile(r.latencies, 99),
    errors: r.errors + first.errors,
    firstError: first.firstError ?? r.firstError,
    samples: r.latencies.length,
  };
}

/**
 * Creates the small `items` table the inline and curves benchmarks read
 * (WAL, `rows` rows of ~150 bytes), with better-sqlite3 on this thread.
 */
export function buildItems(file, rows) {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, score REAL, payload TEXT)');
  const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, i % 1000, `name${i}`, i / 7, 'x'.repeat(100));
  })();
  db.close();
}
