// Builds the demo database: a shop with users and orders, filled from a seeded
// pseudo-random generator so every machine gets the same file. The file is
// built under a temporary name and renamed when complete; PRAGMA user_version
// marks a finished build, so a later run reuses it and an interrupted one does not.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { keepBetterSqlite3Objects } from '../scripts/keep-better-sqlite3.mjs';

// Node >= 24: this process's own better-sqlite3 objects must stay reachable (see that file).
keepBetterSqlite3Objects();

export const USERS = 50_000;
export const ORDERS = 300_000;
/** Bump when the schema, the sizes or the generator change: older files are rebuilt. */
const DATASET_VERSION = 3;
const SEED = 20_240_601;
const BATCH = 5_000;

const COUNTRIES = ['US', 'DE', 'FR', 'JP', 'BR', 'IN', 'GB', 'CA', 'AU', 'ES', 'IT', 'NL', 'SE', 'MX', 'KR'];
const STATUSES = ['paid', 'paid', 'paid', 'shipped', 'shipped', 'refunded', 'cancelled'];
const PRODUCTS = Array.from({ length: 500 }, (_, i) => `product-${String(i).padStart(3, '0')}`);
const EPOCH = 1_600_000_000; // September 2020, in Unix seconds
const SPAN = 100_000_000; // about three years

/** mulberry32: a small, fast, seedable 32-bit generator; returns floats in [0, 1). */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** True if `file` holds a complete build of this dataset version. */
function isComplete(file) {
  if (!existsSync(file)) return false;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.pragma('user_version', { simple: true }) === DATASET_VERSION;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/**
 * Makes sure `file` holds the demo dataset, building it if needed.
 * `onProgress(fraction, label)` is called while building.
 * Returns `{ built, ms }`.
 */
export function ensureDataset(file, onProgress = () => {}) {
  if (isComplete(file)) return { built: false, ms: 0 };
  const started = performance.now();
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  for (const f of [file, `${file}-wal`, `${file}-shm`, partial]) rmSync(f, { force: true });

  const db = new Database(partial);
  // Nothing to protect while building: a crash leaves only the .partial file.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.exec(`
    CREATE TABLE users (
      id           INTEGER PRIMARY KEY,
      name         TEXT NOT NULL,
      email        TEXT NOT NULL,
      country      TEXT NOT NULL,
      signed_up_at INTEGER NOT NULL
    );
    CREATE TABLE orders (
      id           INTEGER PRIMARY KEY,
      user_id      INTEGER NOT NULL REFERENCES users(id),
      product      TEXT NOT NULL,
      quantity     INTEGER NOT NULL,
      amount_cents INTEGER NOT NULL,
      status       TEXT NOT NULL,
      created_at   INTEGER NOT NULL
    );
  `);

  const random = generator(SEED);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const insertUser = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)');
  const insertOrder = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)');
  // Inserting rows is ~90% of the work, building the index the rest.
  const totalRows = USERS + ORDERS;
  const report = (rows, label) => onProgress((0.9 * rows) / totalRows, label);

  const insertUsers = db.transaction((from, to) => {
    for (let id = from; id < to; id++) {
      insertUser.run(id, `user ${id}`, `user${id}@example.com`, pick(COUNTRIES), EPOCH + Math.floor(random() * SPAN));
    }
  });
  const insertOrders = db.transaction((from, to) => {
    for (let id = from; id < to; id++) {
      const userId = 1 + Math.floor(random() * USERS);
      const quantity = 1 + Math.floor(random() * 5);
      const amount = 100 + Math.floor(random() * 20_000);
      insertOrder.run(id, userId, pick(PRODUCTS), quantity, amount, pick(STATUSES), EPOCH + Math.floor(random() * SPAN));
    }
  });

  for (let from = 1; from <= USERS; from += BATCH) {
    const to = Math.min(from + BATCH, USERS + 1);
    insertUsers(from, to);
    report(to - 1, `users  ${fmt(to - 1)} / ${fmt(USERS)}`);
  }
  for (let from = 1; from <= ORDERS; from += BATCH) {
    const to = Math.min(from + BATCH, ORDERS + 1);
    insertOrders(from, to);
    report(USERS + to - 1, `orders ${fmt(to - 1)} / ${fmt(ORDERS)}`);
  }
  onProgress(0.9, 'index  orders(user_id)');
  db.exec('CREATE INDEX orders_by_user ON orders(user_id)');
  db.exec('ANALYZE');
  // The marker goes in last: only a file that got this far counts as complete.
  db.pragma(`user_version = ${DATASET_VERSION}`);
  db.pragma('journal_mode = WAL');
  db.close();
  renameSync(partial, file);
  onProgress(1, 'done');
  return { built: true, ms: performance.now() - started };
}

function fmt(n) {
  return n.toLocaleString('en-US');
}
