// Sequential point reads by primary key: one query at a time, latency per query.
import { median, now } from '../lib.mjs';

export const title = 'Point read by primary key, sequential';
export const metrics = [
  { key: 'latencyUs', label: 'median latency', unit: 'µs', better: 'lower', target: { max: 1.5 } },
  { key: 'qps', label: 'throughput', unit: 'q/s', better: 'higher' },
];
const SQL = 'SELECT * FROM items WHERE id = ?';

export async function run(driver, { rows, rand, quick }) {
  const durationMs = quick ? 500 : 1500;
  const id = () => 1 + ((rand() * rows) | 0);
  for (let end = now() + 200; now() < end; ) await driver.get(SQL, [id()]); // warm-up
  const lat = [];
  const start = now();
  const deadline = start + durationMs;
  while (now() < deadline) {
    const t = now();
    const row = await driver.get(SQL, [id()]);
    lat.push(now() - t);
    if (row === undefined) throw new Error('missing row');
  }
  return { latencyUs: median(lat) * 1000, qps: lat.length / ((now() - start) / 1000), samples: lat.length };
}
