/**
 * `threadlite/knex`: Knex's own SQLite client (`client: 'sqlite3'`), driven by
 * `threadlite/sqlite3` instead of node-sqlite3. Knex and its migrations,
 * transactions and schema builder are unchanged; every Knex pool connection
 * is a facade connection on one shared threadlite pool, so the Knex pool can
 * be larger than node-sqlite3's default of one: reads then run in parallel on
 * readers while a transaction holds the writer.
 */
import * as sqlite3 from './sqlite3/index';

/** The constructor Knex accepts as `client` (Knex's `Client_SQLite3` subclass). */
export type ThreadliteKnexClient = new (config: object) => object;

/** Loads Knex's SQLite client; a clear error if knex is not installed. */
function knexSqliteClient(): new (config: object) => object {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('knex/lib/dialects/sqlite3') as new (config: object) => object;
  } catch (err) {
    throw new Error('threadlite/knex needs the knex package: npm install knex', { cause: err });
  }
}

/** The pool Knex gets unless the config sets one: facade connections are cheap. */
const POOL_DEFAULTS = { min: 1, max: 4 };

let client: ThreadliteKnexClient | undefined;

/**
 * Knex's `client: 'sqlite3'` with `threadlite/sqlite3` as its driver. Pass it
 * as `client`; everything else in the config is Knex's as usual
 * (`connection.filename`, `useNullAsDefault`, `pool`, `migrations`).
 * The Knex pool defaults to `{ min: 1, max: 4 }` (node-sqlite3's client uses 1).
 *
 * ```js
 * const knex = require('knex')({
 *   client: require('threadlite/knex').Client,
 *   connection: { filename: './app.db' },
 *   useNullAsDefault: true,
 * });
 * ```
 */
export function ThreadliteClient(): ThreadliteKnexClient {
  if (client !== undefined) return client;
  const Base = knexSqliteClient();
  class Client extends Base {
    /** threadlite/sqlite3 in place of require('sqlite3'). */
    _driver(): typeof sqlite3 {
      return sqlite3;
    }

    /** Knex's pool defaults with more than one connection. */
    poolDefaults(): object {
      const base = (Base.prototype as { poolDefaults(): object }).poolDefaults.call(this);
      return { ...base, ...POOL_DEFAULTS };
    }
  }
  Object.defineProperty(Client, 'name', { value: 'Client_ThreadliteSQLite3' });
  client = Client as ThreadliteKnexClient;
  return client;
}

/**
 * The client class itself, loaded on first access (so importing this module
 * does not load Knex until it is used): `client: require('threadlite/knex').Client`.
 */
export declare const Client: ThreadliteKnexClient;
Object.defineProperty(exports, 'Client', { enumerable: true, get: ThreadliteClient });
