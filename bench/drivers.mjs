// The drivers under test, behind one tiny promise-returning interface:
// get / all / run (sql, params), batchInsert(sql, rows), close().
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { open } from 'threadlite';
import { NaivePool } from './naive-pool.mjs';
import { keepBetterSqlite3Objects } from '../scripts/keep-better-sqlite3.mjs';

// Node >= 24: this process's own better-sqlite3 objects must stay reachable (see that file).
keepBetterSqlite3Objects();

export const DRIVERS = {
  'better-sqlite3': {
    label: 'better-sqlite3 (main thread)',
    async open(file) {
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL'); // what threadlite sets with wal: true
      const cache = new Map();
      const stmt = (sql) => {
        let s = cache.get(sql);
        if (!s) cache.set(sql, (s = db.prepare(sql)));
        return s;
      };
      return {
        get: async (sql, params = []) => stmt(sql).get(params),
        all: async (sql, params = []) => stmt(sql).all(params),
        run: async (sql, params = []) => stmt(sql).run(params),
        // better-sqlite3's own idiom for bulk inserts.
        batchInsert: async (sql, rows) => {
          const insert = stmt(sql);
          db.transaction((list) => {
            for (const r of list) insert.run(r);
          })(rows);
        },
        close: async () => db.close(),
      };
    },
  },
  'naive-pool': {
    label: 'naive pool (1 worker/core)',
    async open(file) {
      const pool = new NaivePool(file);
      // Wait until every worker has opened its connection.
      await Promise.all(Array.from({ length: 8 }, () => pool.get('SELECT 1')));
      return {
        get: (sql, params) => pool.get(sql, params),
        all: (sql, params) => pool.all(sql, params),
        run: (sql, params) => pool.run(sql, params),
        batchInsert: null, // no transactions across messages: skipped
        close: () => pool.close(),
      };
    },
  },
  threadlite: {
    label: 'threadlite (default)',
    open: (file) => openThreadlite(file, {}),
  },
  'threadlite-no-inline': {
    label: 'threadlite (inlineReads: 0)',
    open: (file) => openThreadlite(file, { inlineReads: 0 }),
  },
  'threadlite-readers-nice-0': {
    label: 'threadlite (readerNice: 0)',
    open: (file) => openThreadlite(file, { readerNice: 0 }),
  },
  'node-sqlite3': {
    label: 'node-sqlite3 (sqlite3 package)',
    open: async (file) => openSqlite3Api((await import('sqlite3')).default, file),
  },
  'threadlite-sqlite3': {
    label: 'threadlite/sqlite3 (node-sqlite3 API)',
    open: async (file) => openSqlite3Api((await import('threadlite/sqlite3')).default, file),
  },
};

/**
 * threadlite with one mechanism switched off (`THREADLITE_TUNING`, read once
 * by src/tuning.ts at load: the trial's process gets it in its environment).
 * Named `<threadlite driver>:<switch>`, e.g. `threadlite:pipeline=1` or
 * `threadlite-no-inline:ring=0`; see bench/ablation.mjs.
 */
export function tuningOf(driver) {
  const at = driver.indexOf(':');
  return at > 0 && driver.startsWith('threadlite') && DRIVERS[driver.slice(0, at)] !== undefined ? driver.slice(at + 1) : undefined;
}

/** The driver behind a name, switched-off variants included. */
export function driverNamed(name) {
  const tuning = tuningOf(name);
  if (tuning === undefined) return DRIVERS[name];
  const base = DRIVERS[name.slice(0, name.indexOf(':'))];
  return { label: `${base.label.replace(/\)$/, '')}, ${tuning})`, open: base.open };
}

// A previous build of threadlite, for a before/after comparison in one run:
// THREADLITE_BEFORE=<a checkout of the older commit, built> node bench/run.mjs --driver threadlite-before …
if (process.env.THREADLITE_BEFORE) {
  DRIVERS['threadlite-before'] = {
    label: `threadlite (default), before: ${process.env.THREADLITE_BEFORE_LABEL ?? process.env.THREADLITE_BEFORE}`,
    open: (file) => openThreadlite(file, {}, createRequire(import.meta.url)(join(process.env.THREADLITE_BEFORE, 'dist/index.js')).open),
  };
}

/** A node-sqlite3-API module (node-sqlite3 itself, or threadlite/sqlite3) behind the bench interface: one Database, callbacks promisified. */
async function openSqlite3Api(sqlite3, file) {
  const db = await new Promise((resolve, reject) => {
    const d = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(d)));
  });
  const call = (method, sql, params = []) =>
    new Promise((resolve, reject) =>
      db[method](sql, params, function (err, value) {
        if (err) reject(err);
        else resolve(method === 'run' ? { changes: this.changes, lastInsertRowid: this.lastID } : value);
      }),
    );
  // What threadlite sets with wal: true (node-sqlite3 opens in rollback-journal mode).
  await call('run', 'PRAGMA journal_mode = WAL');
  await call('run', 'PRAGMA synchronous = NORMAL');
  await Promise.all(Array.from({ length: 8 }, () => call('get', 'SELECT 1')));
  return {
    get: (sql, params) => call('get', sql, params),
    all: (sql, params) => call('all', sql, params),
    run: (sql, params) => call('run', sql, params),
    // node-sqlite3's idiom: BEGIN, one prepared statement run per row, COMMIT, in serialize mode.
    batchInsert: (sql, rows) =>
      new Promise((resolve, reject) => {
        db.serialize(() => {
          db.run('BEGIN');
          const stmt = db.prepare(sql);
          for (const r of rows) stmt.run(r);
          stmt.finalize();
          db.run('COMMIT', (err) => (err ? reject(err) : resolve()));
        });
      }),
    close: () => new Promise((resolve, reject) => db.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function openThreadlite(file, options, openPool = open) {
  const db = await openPool(file, options);
  // Warm every worker (open + first statement) before timing starts.
  await Promise.all(Array.from({ length: 8 }, () => db.get('SELECT 1')));
  return {
    get: (sql, params) => db.get(sql, params),
    all: (sql, params) => db.all(sql, params),
    run: (sql, params) => db.run(sql, params),
    batchInsert: async (sql, rows) => {
      await db.batch(rows.map((r) => [sql, r]));
    },
    close: () => db.close(),
    db,
  };
}
