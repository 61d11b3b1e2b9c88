// Point reads by primary key with 64 in flight (closed loop): throughput and p99.
import { percentile, runLanes } from '../lib.mjs';

export const title = 'Point reads, 64 in flight';
export const metrics = [
  { key: 'qps', label: 'throughput', unit: 'q/s', better: 'higher', target: { min: 1.1 } },
  { key: 'p99Ms', label: 'p99 latency', unit: 'ms', better: 'lower' },
];
const SQL = 'SELECT * FROM items WHERE id = ?';

export async function run(driver, { rows, rand, quick }) {
  const op = () => driver.get(SQL, [1 + ((rand() * rows) | 0)]);
  await runLanes({ inFlight: 64, durationMs: 200, op });
  const r = await runLanes({ inFlight: 64, durationMs: quick ? 500 : 1500, op });
  if (r.errors) throw new Error(r.firstError);
  return { qps: r.latencies.length / (r.elapsedMs / 1000), p99Ms: percentile(r.latencies, 99), samples: r.latencies.length };
}
