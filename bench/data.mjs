// Builds the benchmark table once into bench/data/ and reuses it afterwards.
// Deterministic: a seeded PRNG (mulberry32) makes the same file every time.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { keepBetterSqlite3Objects } from '../scripts/keep-better-sqlite3.mjs';

// Node >= 24: this process's own better-sqlite3 objects must stay reachable (see that file).
keepBetterSqlite3Objects();

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'data');
const FORMAT = 1; // bump to force a rebuild when the schema or generator changes

/** mulberry32: a small, fast, seedable 32-bit PRNG; returns floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';

export function randomText(rand, length) {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[(rand() * ALPHABET.length) | 0];
  return s;
}

export const SCHEMA = `CREATE TABLE items (
  id      INTEGER PRIMARY KEY,
  k       INTEGER NOT NULL,
  name    TEXT NOT NULL,
  score   REAL NOT NULL,
  payload TEXT NOT NULL
)`;
export const INDEX = 'CREATE INDEX items_k ON items(k)';

/** One generated row as positional parameters (id, k, name, score, payload). */
export function makeRow(rand, id) {
  return [id, (rand() * 100_000) | 0, `user-${(rand() * 1e6) | 0}`, Math.round(rand() * 1e6) / 100, randomText(rand, 90 + ((rand() * 20) | 0))];
}

function progress(label, done, total) {
  if (!process.stderr.isTTY && done !== total && done % (total / 10) !== 0) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${((done / total) * 100).toFixed(0).padStart(3)}%`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
  else process.stderr.write(`${line}\n`);
}

/** Returns the path of a ready database with `rows` rows, building it if needed. */
export function ensureData(rows) {
  mkdirSync(DATA_DIR, { recursive: true });
  const file = join(DATA_DIR, `items-${rows}.db`);
  if (existsSync(file)) {
    try {
      const db = new Database(file, { readonly: true });
      const meta = db.prepare('SELECT format, rows FROM meta').get();
      db.close();
      if (meta && meta.format === FORMAT && meta.rows === rows) return file;
    } catch {
      /* unreadable or old: rebuild */
    }
  }
  const tmp = `${file}.building`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const db = new Database(tmp);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(SCHEMA);
  db.exec('CREATE TABLE meta (format INTEGER, rows INTEGER)');
  const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?)');
  const chunk = db.transaction((from, to, rand) => {
    for (let id = from; id < to; id++) insert.run(makeRow(rand, id));
  });
  const rand = prng(0x5eed);
  const step = Math.max(1, rows / 100);
  for (let from = 1; from <= rows; from += step) {
    chunk(from, Math.min(rows + 1, from + step), rand);
    progress(`building ${rows.toLocaleString('en')} rows`, Math.min(rows, from + step - 1), rows);
  }
  process.stderr.write('indexing…\n');
  db.exec(INDEX);
  db.prepare('INSERT INTO meta VALUES (?, ?)').run(FORMAT, rows);
  db.exec('ANALYZE');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  rmSync(`${tmp}-wal`, { force: true });
  rmSync(`${tmp}-shm`, { force: true });
  renameSync(tmp, file);
  // Reopen once so the file is in WAL mode under its final name.
  const check = new Database(file);
  check.pragma('journal_mode = WAL');
  check.close();
  return file;
}
