// SELECT * of 100,000 rows through all(): wall time, and the longest stall of
// the main thread's event loop while it runs.
import { median, now, startProbe } from '../lib.mjs';

export const title = 'SELECT * of 100,000 rows via all()';
export const metrics = [
  { key: 'timeMs', label: 'time', unit: 'ms', better: 'lower', target: { max: 1.5 } },
  { key: 'lagMaxMs', label: 'longest loop stall', unit: 'ms', better: 'lower', targetAbs: { max: 20 } },
];
const SQL = 'SELECT * FROM items WHERE id <= ?';

export async function run(driver, { quick }) {
  const times = [];
  const stalls = [];
  const runs = quick ? 3 : 5;
  for (let i = 0; i <= runs; i++) {
    await new Promise((r) => setTimeout(r, 20)); // let the probe settle between runs
    const probe = startProbe();
    const t = now();
    const rows = await driver.all(SQL, [100_000]);
    const dt = now() - t;
    await new Promise((r) => setImmediate(r));
    const lag = probe.stop();
    if (rows.length !== 100_000) throw new Error(`got ${rows.length} rows`);
    if (i === 0) continue; // warm-up
    times.push(dt);
    stalls.push(lag.lagMaxMs);
  }
  return { timeMs: median(times), lagMaxMs: median(stalls), samples: times.length };
}
