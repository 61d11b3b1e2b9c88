// 100,000 INSERTs in one transaction into a fresh scratch file: threadlite's
// db.batch([...]) against better-sqlite3's db.transaction(). The naive pool
// has no way to keep a transaction on one connection: skipped.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATA_DIR, INDEX, SCHEMA, makeRow } from '../data.mjs';
import { now } from '../lib.mjs';

export const title = '100,000 INSERTs in one transaction (batch vs db.transaction)';
export const skip = ['naive-pool'];
export const metrics = [
  { key: 'timeMs', label: 'time', unit: 'ms', better: 'lower' },
  { key: 'rowsPerSec', label: 'throughput', unit: 'rows/s', better: 'higher', target: { min: 0.95 } },
];
const SQL = 'INSERT INTO items VALUES (?, ?, ?, ?, ?)';

/** The scratch file is prepared before the driver opens it. */
export function prepare({ rand }) {
  const file = join(DATA_DIR, `scratch-${process.pid}.db`);
  cleanup(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  db.exec(INDEX);
  db.close();
  const rows = Array.from({ length: 100_000 }, (_, i) => makeRow(rand, i + 1));
  return { file, rows };
}

export function cleanup(file) {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}

export async function run(driver, { prepared }) {
  const t = now();
  await driver.batchInsert(SQL, prepared.rows);
  const dt = now() - t;
  const { n } = await driver.get('SELECT count(*) AS n FROM items');
  if (n !== prepared.rows.length) throw new Error(`inserted ${n} rows`);
  return { timeMs: dt, rowsPerSec: prepared.rows.length / (dt / 1000) };
}
