// 90% point reads / 10% single-row UPDATEs, 64 in flight: ops/s, p99, errors.
import { measureClosedLoop } from '../lib.mjs';

export const title = '90/10 read/write, 64 in flight';
export const metrics = [
  { key: 'opsPerSec', label: 'throughput', unit: 'ops/s', better: 'higher', target: { min: 1.0 } },
  { key: 'firstOpsPerSec', label: 'throughput, first second', unit: 'ops/s', better: 'higher' },
  { key: 'p99Ms', label: 'p99 latency', unit: 'ms', better: 'lower' },
  { key: 'errors', label: 'errors', unit: '', better: 'lower', noRatio: true },
];
const READ = 'SELECT * FROM items WHERE id = ?';
const WRITE = 'UPDATE items SET score = ? WHERE id = ?';

export async function run(driver, { rows, rand, quick }) {
  const op = () => {
    const id = 1 + ((rand() * rows) | 0);
    return rand() < 0.1 ? driver.run(WRITE, [Math.round(rand() * 1e6) / 100, id]) : driver.get(READ, [id]);
  };
  return measureClosedLoop(op, quick);
}
