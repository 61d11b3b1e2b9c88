// A ~250 ms GROUP BY with 4 in flight while a 1 ms interval probe measures the
// main thread's event-loop delay. The 'idle' pseudo-driver runs only the probe:
// it is the noise floor of this machine.
import { runLanes, startProbe } from '../lib.mjs';

export const title = 'Heavy GROUP BY (~250 ms), 4 in flight';
export const extraDrivers = ['idle'];
export const metrics = [
  { key: 'opsPerSec', label: 'throughput', unit: 'ops/s', better: 'higher', target: { min: 1.9 } },
  { key: 'lagP50Ms', label: 'loop delay p50', unit: 'ms', better: 'lower' },
  { key: 'lagP99Ms', label: 'loop delay p99', unit: 'ms', better: 'lower' },
  { key: 'lagMaxMs', label: 'loop delay max', unit: 'ms', better: 'lower' },
  { key: 'stallPct', label: 'time in stalls >10 ms', unit: '%', better: 'lower' },
];

/** Scans the first 240k rows (all of them in --quick's 200k table): ~250 ms here. */
export const groupBySql = (rows) => ({
  sql: 'SELECT k % 97 AS g, count(*) AS n, avg(score) AS s, max(length(payload)) AS m FROM items WHERE id <= ? GROUP BY g',
  params: [Math.min(rows, 240_000)],
});

export async function run(driver, { rows, quick }) {
  const { sql, params } = groupBySql(rows);
  const durationMs = quick ? 1500 : 3000;
  if (driver === 'idle') {
    const probe = startProbe();
    await new Promise((r) => setTimeout(r, durationMs));
    return { ...probe.stop() };
  }
  await driver.all(sql, params); // warm-up (page cache, statement)
  const probe = startProbe();
  // Each lane yields a macrotask between queries, as a server would between requests.
  const r = await runLanes({ inFlight: 4, durationMs, op: () => driver.all(sql, params), yieldBetween: true });
  const lag = probe.stop();
  if (r.errors) throw new Error(r.firstError);
  return { opsPerSec: r.latencies.length / (r.elapsedMs / 1000), ...lag, samples: r.latencies.length };
}
