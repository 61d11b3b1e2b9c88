/**
 * `threadlite/kysely`: a Kysely dialect that runs Kysely's queries on a
 * threadlite pool. Kysely is a peer dependency: only its types are imported
 * at compile time, and its runtime is loaded on first use.
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely' with { 'resolution-mode': 'import' };
import type { Database } from '../database';
import type { Queryable } from '../queryable';
import type { Transaction } from '../transaction';
import type { TransactionMode } from '../types';
import { HeldTransaction, quoteSavepoint } from './held-transaction';

/** Options of {@link ThreadliteDialect}. */
export interface ThreadliteDialectConfig {
  /** An open pool, or a function that opens one (called once, by Kysely's first query). */
  database: Database | (() => Promise<Database>);
  /** How Kysely's transactions begin. Default `'immediate'`, as {@link Database.transaction}. */
  transactionMode?: TransactionMode;
  /**
   * Whether the adapter tells Kysely that DDL is transactional (it is in
   * SQLite), so `Migrator` wraps each migration in a transaction. Default
   * `true`. A migration that must run `PRAGMA foreign_keys = OFF` (a no-op
   * inside a transaction) needs `false`, or `Migrator`'s `disableTransactions`.
   */
  transactionalDdl?: boolean;
  /** Whether `kysely.destroy()` closes the pool. Default `true`, as Kysely's own dialects do. */
  closeOnDestroy?: boolean;
}

/**
 * A Kysely {@link Dialect} for threadlite: SQLite's query compiler, adapter
 * and introspector, with a driver that sends queries to the pool. Reads run
 * on readers, writes on the writer; a Kysely transaction holds the writer
 * (through {@link Database.transaction}) from `begin` to `commit`/`rollback`;
 * `stream()` maps onto {@link Database.iterate}.
 *
 * ```ts
 * import { Kysely } from 'kysely';
 * import { open } from 'threadlite';
 * import { ThreadliteDialect } from 'threadlite/kysely';
 *
 * const kysely = new Kysely<DB>({ dialect: new ThreadliteDialect({ database: await open('app.db') }) });
 * const people = await kysely.selectFrom('person').selectAll().execute();
 * ```
 */
export class ThreadliteDialect implements Dialect {
  readonly #config: Readonly<ThreadliteDialectConfig>;

  constructor(config: ThreadliteDialectConfig) {
    if (config === null || typeof config !== 'object') throw new TypeError('ThreadliteDialect expects { database }');
    const { database } = config;
    if (database === null || (typeof database !== 'object' && typeof database !== 'function')) {
      throw new TypeError('ThreadliteDialect: config.database must be a threadlite Database or a function returning one');
    }
    const mode = config.transactionMode ?? 'immediate';
    if (!['deferred', 'immediate', 'exclusive'].includes(mode)) {
      throw new TypeError(`ThreadliteDialect: config.transactionMode must be deferred, immediate or exclusive, not ${String(mode)}`);
    }
    this.#config = Object.freeze({ ...config });
  }

  /** The driver that sends Kysely's queries to the pool. */
  createDriver(): Driver {
    return new ThreadliteDriver(this.#config);
  }

  /** Kysely's SQLite query compiler. */
  createQueryCompiler(): QueryCompiler {
    return new (kysely().SqliteQueryCompiler)();
  }

  /**
   * Kysely's SQLite adapter, with two answers changed. It reports multiple
   * connections: the pool queues writes for its writer and spreads reads over
   * readers, so Kysely (≥ 0.29, which serialises every query of a
   * single-connection adapter behind one mutex) must not queue a query on
   * `kysely` behind an open transaction. And it reports transactional DDL
   * (SQLite has it), so Kysely's `Migrator` runs each migration in a
   * transaction and a failed one leaves nothing behind; `transactionalDdl:
   * false` restores Kysely's answer.
   */
  createAdapter(): DialectAdapter {
    const adapter = new (kysely().SqliteAdapter)();
    Object.defineProperty(adapter, 'supportsMultipleConnections', { value: true });
    if (this.#config.transactionalDdl !== false) Object.defineProperty(adapter, 'supportsTransactionalDdl', { value: true });
    return adapter;
  }

  /** Kysely's SQLite introspector (`kysely.introspection.getTables()`). */
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new (kysely().SqliteIntrospector)(db);
  }
}

/** Kysely's module namespace (ESM-only since 0.29, so its types are imported in `import` mode). */
type KyselyModule = typeof import('kysely', { with: { 'resolution-mode': 'import' } });

/** Loads Kysely's runtime on first use, so threadlite itself does not depend on it. */
function kysely(): KyselyModule {
  try {
    return require('kysely') as KyselyModule;
  } catch (err) {
    throw new Error('threadlite/kysely needs the kysely package: npm install kysely', { cause: err });
  }
}

/** Bound on the per-driver cache of "does this SQL return rows?" answers. */
const MAX_CACHED_SQL = 1000;

/**
 * Kysely's driver over a threadlite pool. There is no connection mutex: the
 * pool already queues writes for the writer and spreads reads over readers,
 * so every acquired "connection" is a light handle on the pool until it
 * begins a transaction. @internal
 */
export class ThreadliteDriver implements Driver {
  readonly #config: Readonly<ThreadliteDialectConfig>;
  #db: Database | undefined;
  readonly #readers = new Map<string, boolean>();

  constructor(config: Readonly<ThreadliteDialectConfig>) {
    this.#config = config;
  }

  async init(): Promise<void> {
    const { database } = this.#config;
    this.#db = typeof database === 'function' ? await database() : database;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#db === undefined) throw new Error('ThreadliteDriver: init() has not run');
    return new ThreadliteConnection(this.#db, this.#readers);
  }

  // Transaction commands go through the connection's executeQuery, which
  // Kysely wraps with its logger: the query log shows each one as it ran.
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel !== undefined && settings.isolationLevel !== 'serializable') {
      throw new Error(`SQLite transactions are always serializable; isolation level "${settings.isolationLevel}" is not supported`);
    }
    const mode = this.#config.transactionMode ?? 'immediate';
    await asConnection(connection).executeQuery(command(`begin ${mode}`, { op: 'begin', mode }));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await asConnection(connection).executeQuery(command('commit', { op: 'commit' }));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await asConnection(connection).executeQuery(command('rollback', { op: 'rollback' }));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await asConnection(connection).executeQuery(command(`savepoint ${quoteSavepoint(name)}`, { op: 'savepoint', name }));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await asConnection(connection).executeQuery(command(`rollback to ${quoteSavepoint(name)}`, { op: 'rollbackTo', name }));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await asConnection(connection).executeQuery(command(`release ${quoteSavepoint(name)}`, { op: 'release', name }));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Kysely always ends its transactions first; if one is still open (a
    // controlled transaction abandoned by the caller), roll it back rather
    // than hold the writer until transactionTimeout.
    await asConnection(connection).end(false, true);
  }

  async destroy(): Promise<void> {
    if (this.#config.closeOnDestroy !== false) await this.#db?.close();
  }
}

/** A transaction command of the driver, carried by the {@link CompiledQuery} that logs it. */
type Command =
  | { op: 'begin'; mode: TransactionMode }
  | { op: 'commit' | 'rollback' }
  | { op: 'savepoint' | 'rollbackTo' | 'release'; name: string };

/** The commands of queries built by {@link command}: only the driver's own queries are commands. */
const COMMANDS = new WeakMap<CompiledQuery, Command>();

/** A query whose text is the statement threadlite runs for `cmd` (in Kysely's lower case), marked as that command. */
function command(sql: string, cmd: Command): CompiledQuery {
  const query = kysely().CompiledQuery.raw(sql);
  COMMANDS.set(query, cmd);
  return query;
}

function asConnection(connection: DatabaseConnection): ThreadliteConnection {
  if (!(connection instanceof ThreadliteConnection)) throw new TypeError('Not a connection of ThreadliteDriver');
  return connection;
}

/** What a Kysely query returns rows, as far as its operation node tells; `undefined` = ask SQLite. */
function returnsRows(query: { kind: string } | undefined): boolean | undefined {
  switch (query?.kind) {
    case 'SelectQueryNode':
      return true;
    case 'InsertQueryNode':
    case 'UpdateQueryNode':
    case 'DeleteQueryNode':
    case 'MergeQueryNode':
      return (query as { returning?: unknown }).returning !== undefined;
    default:
      return undefined;
  }
}

/**
 * One Kysely connection: the pool itself, or, between `beginTransaction` and
 * `commit`/`rollback`, a threadlite {@link Transaction} pinned to the writer.
 * @internal
 */
export class ThreadliteConnection implements DatabaseConnection {
  readonly #db: Database;
  readonly #readers: Map<string, boolean>;
  #tx: HeldTransaction | undefined;

  constructor(db: Database, readers: Map<string, boolean>) {
    this.#db = db;
    this.#readers = readers;
  }

  /** Where queries go now. */
  get #target(): Queryable {
    return this.#tx?.handle ?? this.#db;
  }

  /** The open transaction, for savepoint commands. */
  inTransaction(what: string): HeldTransaction {
    if (this.#tx === undefined) throw new Error(`${what}() needs an open transaction`);
    return this.#tx;
  }

  /** Runs a transaction command of the driver. */
  async #run(cmd: Command): Promise<void> {
    switch (cmd.op) {
      case 'begin':
        return this.begin(cmd.mode);
      case 'commit':
      case 'rollback':
        return this.end(cmd.op === 'commit');
      case 'savepoint':
        return this.inTransaction('savepoint').savepoint(cmd.name);
      case 'rollbackTo':
        return this.inTransaction('rollbackToSavepoint').rollbackTo(cmd.name);
      case 'release':
        return this.inTransaction('releaseSavepoint').release(cmd.name);
    }
  }

  /** Begins a transaction held until {@link end}. Resolves once BEGIN has run. */
  async begin(mode: TransactionMode): Promise<void> {
    if (this.#tx !== undefined) throw new Error('This connection already has an open transaction');
    this.#tx = await HeldTransaction.begin(this.#db, mode);
  }

  /**
   * Commits (or rolls back) the open transaction and waits for it to end.
   * A failed COMMIT rejects, the transaction rolled back. With `quiet`, does
   * nothing when no transaction is open and never rejects.
   */
  async end(commit: boolean, quiet = false): Promise<void> {
    const tx = this.#tx;
    if (tx === undefined) {
      if (quiet) return;
      throw new Error(`${commit ? 'commit' : 'rollback'} without an open transaction`);
    }
    this.#tx = undefined;
    await tx.end(commit, quiet);
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const cmd = COMMANDS.get(compiledQuery);
    if (cmd !== undefined) {
      await this.#run(cmd);
      return { rows: [] };
    }
    const { sql, parameters } = compiledQuery;
    const target = this.#target;
    if (await this.#returnsRows(target, compiledQuery)) {
      return { rows: await target.all<R>(sql, parameters) };
    }
    const { changes, lastInsertRowid } = await target.run(sql, parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const size = Number.isInteger(chunkSize) && chunkSize > 0 ? chunkSize : 100;
    let rows: R[] = [];
    for await (const row of this.#target.iterate<R>(compiledQuery.sql, compiledQuery.parameters, { batchSize: size })) {
      rows.push(row);
      if (rows.length >= size) {
        yield { rows };
        rows = [];
      }
    }
    if (rows.length > 0) yield { rows };
  }

  /** Whether the statement returns rows: from Kysely's node when it says, else asked once per SQL text. */
  async #returnsRows(target: Queryable, compiledQuery: CompiledQuery): Promise<boolean> {
    const known = returnsRows(compiledQuery.query as { kind: string } | undefined);
    if (known !== undefined) return known;
    const cached = this.#readers.get(compiledQuery.sql);
    if (cached !== undefined) return cached;
    const { reader } = await target.prepare(compiledQuery.sql).info();
    if (this.#readers.size >= MAX_CACHED_SQL) this.#readers.clear();
    this.#readers.set(compiledQuery.sql, reader);
    return reader;
  }
}
