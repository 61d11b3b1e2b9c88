// Point reads by primary key with 64 in flight (closed loop): throughput in the first second
// after open and after it (see measureClosedLoop), p99 after it.
import { measureClosedLoop } from '../lib.mjs';

export const title = 'Point reads, 64 in flight';
export const metrics = [
  { key: 'qps', label: 'throughput', unit: 'q/s', better: 'higher', target: { min: 1.1 } },
  { key: 'firstQps', label: 'throughput, first second', unit: 'q/s', better: 'higher' },
  { key: 'p99Ms', label: 'p99 latency', unit: 'ms', better: 'lower' },
];
const SQL = 'SELECT * FROM items WHERE id = ?';

export async function run(driver, { rows, rand, quick }) {
  const op = () => driver.get(SQL, [1 + ((rand() * rows) | 0)]);
  const r = await measureClosedLoop(op, quick);
  if (r.errors) throw new Error(r.firstError);
  return { qps: r.opsPerSec, firstQps: r.firstOpsPerSec, p99Ms: r.p99Ms, samples: r.samples };
}
