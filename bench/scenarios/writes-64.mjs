// Single-row UPDATEs by primary key, 64 in flight: ops/s, p99, errors. What a write costs end to
// end, with nothing else running (the writer is the one connection that can take them).
import { measureClosedLoop } from '../lib.mjs';

export const title = 'Single-row writes, 64 in flight';
export const metrics = [
  { key: 'opsPerSec', label: 'throughput', unit: 'writes/s', better: 'higher' },
  { key: 'firstOpsPerSec', label: 'throughput, first second', unit: 'writes/s', better: 'higher' },
  { key: 'p99Ms', label: 'p99 latency', unit: 'ms', better: 'lower' },
  { key: 'errors', label: 'errors', unit: '', better: 'lower', noRatio: true },
];
const WRITE = 'UPDATE items SET score = ? WHERE id = ?';

export async function run(driver, { rows, rand, quick }) {
  const op = () => driver.run(WRITE, [Math.round(rand() * 1e6) / 100, 1 + ((rand() * rows) | 0)]);
  return measureClosedLoop(op, quick);
}
