// What `synchronous: 'FULL'` costs (issue 16): single-row autocommit writes through the pool,
// 2 lanes, for 3 s, with the default (WAL + NORMAL) and with FULL, alternated 3 times on a
// real disk; prints writes/s (median) for each.
//
//   npm run build && node scripts/measure-synchronous.mjs [directory on the disk to test]
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'threadlite';

const dir = mkdtempSync(join(process.argv[2] ?? process.cwd(), '.measure-sync-'));
const results = { NORMAL: [], FULL: [] };
try {
  for (let round = 0; round < 3; round++) {
    for (const synchronous of ['NORMAL', 'FULL']) {
      const db = await open(join(dir, `${synchronous}-${round}.db`), { readers: 1, synchronous });
      await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
      let n = 0;
      const until = Date.now() + 3000;
      const lane = async () => {
        while (Date.now() < until) {
          await db.run('INSERT INTO t(v) VALUES (?)', ['x'.repeat(100)]);
          n++;
        }
      };
      await Promise.all([lane(), lane()]);
      results[synchronous].push(n / 3);
      await db.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[1];
for (const [mode, xs] of Object.entries(results)) console.log(`${mode}: ${Math.round(median(xs))} writes/s (${xs.map(Math.round).join(', ')})`);
