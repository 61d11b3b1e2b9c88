// Measures what moving a large result costs the main thread (issue 7): for 100k and 1M rows,
// better-sqlite3 all() on the main thread, threadlite all() (chunked, and in one message with
// THREADLITE_TUNING=chunkBytes=0), and threadlite iterate(). Each variant runs in its own child
// process, 3 times; prints medians of: wall time, rows/s, main-thread busy time per row
// (event-loop utilization), longest event-loop stall (1 ms probe), peak heap growth.
//
//   npm run build && node scripts/measure-transfer.mjs [bench/data/items-1000000.db]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const file = process.argv[2] ?? 'bench/data/items-1000000.db';

if (process.env.MEASURE_VARIANT) {
  const [variant, n] = process.env.MEASURE_VARIANT.split(':');
  const limit = Number(n);
  const sql = `SELECT * FROM items WHERE id <= ${limit}`;
  const { performance } = await import('node:perf_hooks');
  let db;
  let bs3;
  if (variant === 'better-sqlite3') {
    const { default: Database } = await import('better-sqlite3');
    bs3 = new Database(file, { readonly: true });
    bs3.prepare(sql).all(); // warm the page cache like the others
  } else {
    const { open } = await import('threadlite');
    db = await open(file, { readers: 1 });
    for (let i = 0; i < 2; i++) await db.all(`${sql} LIMIT 10`);
    await db.all(sql); // learn the route and warm the cache
  }
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let maxGap = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  last = performance.now();
  maxGap = 0;
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let rows = 0;
  if (variant === 'better-sqlite3') rows = bs3.prepare(sql).all().length;
  else if (variant === 'iterate') {
    for await (const _ of db.iterate(sql, [], { batchSize: 1000 })) rows++;
  } else rows = (await db.all(sql)).length;
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(probe);
  peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  await db?.close();
  console.log(JSON.stringify({ rows, wall, busyMs: elu.active, maxGap, peakMB: peak / 1e6 }));
  process.exit(0);
}

const variants = [
  ['better-sqlite3', {}, 'better-sqlite3 all() (main thread)'],
  ['all', {}, 'threadlite all() (chunked)'],
  ['all', { THREADLITE_TUNING: 'chunkBytes=0' }, 'threadlite all() (one message)'],
  ['iterate', {}, 'threadlite iterate() (batchSize 1000)'],
];
const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
for (const n of [100_000, 1_000_000]) {
  console.log(`\n${n.toLocaleString('en-US')} rows`);
  console.log('variant'.padEnd(40), 'time'.padStart(9), 'rows/s'.padStart(11), 'main µs/row'.padStart(12), 'max stall'.padStart(10), 'peak heap'.padStart(10));
  const results = new Map(variants.map((v, i) => [i, []]));
  for (let rep = 0; rep < 3; rep++) {
    for (const [i, [variant, env]] of variants.entries()) {
      const out = execFileSync(process.execPath, ['--expose-gc', self, file], {
        env: { ...process.env, ...env, MEASURE_VARIANT: `${variant}:${n}` },
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      results.get(i).push(JSON.parse(out.trim().split('\n').at(-1)));
    }
  }
  for (const [i, [, , label]] of variants.entries()) {
    const r = results.get(i);
    const wall = median(r.map((x) => x.wall));
    console.log(
      label.padEnd(40),
      `${wall.toFixed(0)} ms`.padStart(9),
      Math.round(n / (wall / 1000)).toLocaleString('en-US').padStart(11),
      (median(r.map((x) => x.busyMs)) * 1000 / n).toFixed(2).padStart(12),
      `${median(r.map((x) => x.maxGap)).toFixed(1)} ms`.padStart(10),
      `${median(r.map((x) => x.peakMB)).toFixed(0)} MB`.padStart(10),
    );
  }
}
