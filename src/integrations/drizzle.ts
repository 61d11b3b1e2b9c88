/**
 * `threadlite/drizzle`: drizzle-orm on a threadlite pool, through drizzle's
 * `sqlite-proxy` driver. drizzle-orm is a peer dependency: only its types
 * are imported at compile time, and its runtime is loaded on first use.
 */
import type { DrizzleConfig } from 'drizzle-orm';
import type { SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import type { Database } from '../database';
import type { Queryable } from '../queryable';
import type { TransactionMode } from '../types';

/** The methods drizzle's proxy asks for. */
type Method = 'run' | 'all' | 'values' | 'get';

/** What a drizzle database made by {@link drizzle} is: drizzle's proxy database with pool-safe transactions. */
export type ThreadliteDrizzleDatabase<TSchema extends Record<string, unknown> = Record<string, never>> =
  SqliteRemoteDatabase<TSchema>;

/**
 * Runs one query for drizzle's proxy on `target`: rows as arrays of values
 * (drizzle maps them to objects itself, and arrays keep duplicate column
 * names of joins apart); `get` answers one row array or `undefined`.
 */
async function execute(target: Queryable, sql: string, params: unknown[], method: Method): Promise<{ rows: any }> {
  switch (method) {
    case 'run': {
      const result = await target.run(sql, params);
      return { rows: [], ...result };
    }
    case 'get':
      return { rows: await target.prepare<unknown[]>(sql).raw().get(params) };
    case 'all':
    case 'values':
      return { rows: await target.prepare<unknown[]>(sql).raw().all(params) };
    default:
      throw new TypeError(`Unknown drizzle query method "${String(method)}"`);
  }
}

/** Loads drizzle's proxy driver on first use, so threadlite itself does not depend on it. */
function proxyModule(): typeof import('drizzle-orm/sqlite-proxy') {
  try {
    return require('drizzle-orm/sqlite-proxy') as typeof import('drizzle-orm/sqlite-proxy');
  } catch (err) {
    throw new Error('threadlite/drizzle needs the drizzle-orm package: npm install drizzle-orm', { cause: err });
  }
}

function rollbackError(): Error {
  const { TransactionRollbackError } = require('drizzle-orm/errors') as typeof import('drizzle-orm/errors');
  return new TransactionRollbackError();
}

const BEHAVIORS: Record<string, TransactionMode> = { deferred: 'deferred', immediate: 'immediate', exclusive: 'exclusive' };

/**
 * A drizzle instance whose queries go to `target`. Its `transaction()` is
 * replaced: drizzle's proxy would send `begin` and `commit` as two
 * independent queries, which a pool may run on different connections and
 * interleave with other callers' writes. Here a transaction is a threadlite
 * transaction pinned to the writer, nested ones are savepoints.
 */
function build<TSchema extends Record<string, unknown>>(
  db: Database,
  target: Queryable,
  config: DrizzleConfig<TSchema> | undefined,
  inTransaction: boolean,
): ThreadliteDrizzleDatabase<TSchema> {
  const { drizzle: proxy } = proxyModule();
  const orm = proxy<TSchema>(
    (sql, params, method) => execute(target, sql, params, method),
    async (queries) => {
      // drizzle's batch: all or nothing, on the writer, one statement after another.
      const run = async (q: Queryable) => {
        const results = [];
        for (const { sql, params, method } of queries) results.push(await execute(q, sql, params, method));
        return results;
      };
      if (inTransaction) return (target as import('../transaction').Transaction).transaction(run);
      return db.transaction(run);
    },
    config ?? {},
  );
  const transaction = async (fn: (tx: any) => Promise<unknown>, txConfig?: { behavior?: string }) => {
    if (inTransaction) {
      const tx = target as import('../transaction').Transaction;
      return tx.transaction(() => fn(withRollback(build(db, tx, config, true))));
    }
    const mode = txConfig?.behavior === undefined ? 'immediate' : BEHAVIORS[txConfig.behavior];
    if (mode === undefined) throw new TypeError(`Unknown transaction behavior "${txConfig?.behavior}"`);
    return db.transaction((tx) => fn(withRollback(build(db, tx, config, true))), { mode });
  };
  Object.defineProperty(orm, 'transaction', { value: transaction, configurable: true, writable: true });
  return orm;
}

/** Adds drizzle's `tx.rollback()`: throws `TransactionRollbackError`, which rolls the transaction back. */
function withRollback<T extends object>(orm: T): T {
  Object.defineProperty(orm, 'rollback', {
    value: () => {
      throw rollbackError();
    },
    configurable: true,
  });
  return orm;
}

/**
 * Makes a drizzle-orm database on a threadlite pool, with drizzle's
 * `sqlite-proxy` driver: the query builder, `returning()`, relational
 * queries (`db.query.*` with a `schema`), `batch()` and `transaction()`.
 *
 * Transactions are threadlite transactions pinned to the writer (other
 * writes wait; reads elsewhere see only committed data), `tx.transaction()`
 * is a savepoint, `tx.rollback()` throws drizzle's `TransactionRollbackError`
 * after rolling back. `batch()` runs its statements in one transaction on the
 * writer. `behavior` is `'immediate'` unless given.
 *
 * ```ts
 * import { open } from 'threadlite';
 * import { drizzle } from 'threadlite/drizzle';
 * import * as schema from './schema';
 *
 * const orm = drizzle(await open('app.db'), { schema });
 * const [user] = await orm.insert(schema.users).values({ name: 'ann' }).returning();
 * ```
 */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>>(
  db: Database,
  config?: DrizzleConfig<TSchema>,
): ThreadliteDrizzleDatabase<TSchema> {
  if (db === null || typeof db !== 'object' || typeof (db as Database).transaction !== 'function') {
    throw new TypeError('drizzle(db): db must be a threadlite Database (from open())');
  }
  return build(db, db, config, false);
}
