/**
 * `threadlite/prisma`: a Prisma driver adapter (Prisma >= 7) that runs Prisma
 * Client's queries on a threadlite pool. `@prisma/driver-adapter-utils` is a
 * peer dependency: its types at compile time, its runtime (the error class
 * Prisma recognises) loaded on first use.
 */
import type {
  ColumnType,
  ConnectionInfo,
  Error as DriverError,
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
  Transaction as PrismaTransaction,
} from '@prisma/driver-adapter-utils';
import type { Database } from '../database';
import { SqliteError } from '../errors';
import type { Queryable } from '../queryable';
import { PRIMARY_RESULT_CODES, primaryResultCode } from '../sqlite-codes';
import type { ColumnDefinition, TransactionMode } from '../types';
import { HeldTransaction } from './held-transaction';
import { bindArgs, columnTypes, declaredType, resultRow } from './prisma-values';

/** Options of {@link PrismaThreadlite}. */
export interface PrismaThreadliteOptions {
  /**
   * How `DateTime` values are written: ISO 8601 text (the default, as
   * Prisma's own SQLite adapters) or milliseconds since the epoch. Reading
   * accepts both.
   */
  timestampFormat?: 'iso8601' | 'unixepoch-ms';
  /** How Prisma's transactions begin. Default `'immediate'`, as {@link Database.transaction}. */
  transactionMode?: TransactionMode;
  /** Whether `prisma.$disconnect()` closes the pool. Default `false`: the pool is yours. */
  closeOnDisconnect?: boolean;
}

const ADAPTER_NAME = 'threadlite';

/**
 * A Prisma driver adapter factory for threadlite. Prisma's reads run on the
 * pool's readers and its writes on the writer; an interactive or nested-write
 * transaction holds the writer (through {@link Database.transaction}) from
 * BEGIN to COMMIT/ROLLBACK, with threadlite's transaction timeout.
 *
 * ```ts
 * import { PrismaClient } from '@prisma/client';
 * import { open } from 'threadlite';
 * import { PrismaThreadlite } from 'threadlite/prisma';
 *
 * const prisma = new PrismaClient({ adapter: new PrismaThreadlite(await open('app.db')) });
 * ```
 */
export class PrismaThreadlite implements SqlDriverAdapterFactory {
  /** The database Prisma generates SQL for. */
  readonly provider = 'sqlite';
  /** The name Prisma reports for this adapter. */
  readonly adapterName = ADAPTER_NAME;
  readonly #db: Database;
  readonly #options: PrismaThreadliteOptions;

  constructor(database: Database, options: PrismaThreadliteOptions = {}) {
    if (database === null || typeof database !== 'object' || typeof database.transaction !== 'function') {
      throw new TypeError('PrismaThreadlite expects an open threadlite Database');
    }
    const format = options.timestampFormat ?? 'iso8601';
    if (format !== 'iso8601' && format !== 'unixepoch-ms') {
      throw new TypeError(`PrismaThreadlite: timestampFormat must be iso8601 or unixepoch-ms, not ${String(format)}`);
    }
    this.#db = database;
    this.#options = options;
  }

  /** Called by Prisma Client when it connects. */
  async connect(): Promise<SqlDriverAdapter> {
    return new ThreadliteSqlAdapter(this.#db, this.#options);
  }
}

/** Statement facts asked once per SQL text: does it return rows, and its declared column types. */
interface Shape {
  reader: boolean;
  names: string[];
  declared: Array<ColumnType | null>;
}

/** Bound on the per-adapter cache of statement shapes. */
const MAX_SHAPES = 1000;

/** Runs Prisma's queries on a pool or inside a held transaction. */
abstract class ThreadliteQueryable {
  readonly provider = 'sqlite';
  readonly adapterName = ADAPTER_NAME;
  protected readonly settings: PrismaThreadliteOptions;
  /** Shared by an adapter and its transactions. */
  protected readonly shapes: Map<string, Shape>;

  constructor(settings: PrismaThreadliteOptions, shapes: Map<string, Shape>) {
    this.settings = settings;
    this.shapes = shapes;
  }

  /** Where queries go: the pool, or the transaction's handle. */
  protected abstract target(): Queryable;

  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    const target = this.target();
    const args = bindArgs(query, this.settings);
    return translateErrors(async () => {
      const shape = await this.#shape(target, query.sql);
      if (!shape.reader) {
        await target.run(query.sql, args);
        return { columnNames: [], columnTypes: [], rows: [] };
      }
      const rows = await target.prepare<unknown[]>(query.sql).raw().safeIntegers().all(args);
      const types = columnTypes(shape.declared, rows);
      return { columnNames: shape.names, columnTypes: types, rows: rows.map((row) => resultRow(row, types)) };
    });
  }

  async executeRaw(query: SqlQuery): Promise<number> {
    const target = this.target();
    const args = bindArgs(query, this.settings);
    return translateErrors(async () => (await target.run(query.sql, args)).changes);
  }

  async #shape(target: Queryable, sql: string): Promise<Shape> {
    let shape = this.shapes.get(sql);
    if (shape === undefined) {
      const stmt = target.prepare(sql);
      const { reader } = await stmt.info();
      const columns: ColumnDefinition[] = reader ? await stmt.columns() : [];
      shape = { reader, names: columns.map((c) => c.name), declared: columns.map((c) => declaredType(c.type)) };
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(sql, shape);
    }
    return shape;
  }
}

/** The adapter Prisma Client talks to, over the whole pool. */
class ThreadliteSqlAdapter extends ThreadliteQueryable implements SqlDriverAdapter {
  readonly #db: Database;

  constructor(db: Database, settings: PrismaThreadliteOptions) {
    super(settings, new Map());
    this.#db = db;
  }

  protected override target(): Queryable {
    return this.#db;
  }

  async executeScript(script: string): Promise<void> {
    await translateErrors(() => this.#db.exec(script));
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<PrismaTransaction> {
    if (isolationLevel !== undefined && isolationLevel !== 'SERIALIZABLE') {
      throw driverError({ kind: 'InvalidIsolationLevel', level: isolationLevel });
    }
    const held = await translateErrors(() => HeldTransaction.begin(this.#db, this.settings.transactionMode ?? 'immediate'));
    return new ThreadliteTransaction(held, this.settings, this.shapes);
  }

  getConnectionInfo(): ConnectionInfo {
    // SQLITE_MAX_VARIABLE_NUMBER of the SQLite that better-sqlite3 bundles.
    return { maxBindValues: 32766, supportsRelationJoins: false };
  }

  async dispose(): Promise<void> {
    if (this.settings.closeOnDisconnect === true) await this.#db.close();
  }
}

/**
 * A Prisma transaction on a held threadlite transaction. Prisma sends
 * `COMMIT` / `ROLLBACK` as statements, then calls `commit()` / `rollback()`:
 * the statements end the held transaction (so threadlite issues them, and
 * gives the writer back), and the calls that follow only make sure it ended.
 */
class ThreadliteTransaction extends ThreadliteQueryable implements PrismaTransaction {
  /** Not a phantom transaction: BEGIN has run by the time Prisma gets this object. */
  readonly options = { usePhantomQuery: false };
  readonly #held: HeldTransaction;

  constructor(held: HeldTransaction, settings: PrismaThreadliteOptions, shapes: Map<string, Shape>) {
    super(settings, shapes);
    this.#held = held;
  }

  protected override target(): Queryable {
    return this.#held.handle;
  }

  override async executeRaw(query: SqlQuery): Promise<number> {
    const ending = /^\s*(COMMIT|END|ROLLBACK)(\s+TRANSACTION)?\s*;?\s*$/i.exec(query.sql);
    if (ending === null) return super.executeRaw(query);
    await translateErrors(() => this.#held.end(ending[1]?.toUpperCase() !== 'ROLLBACK'));
    return 0;
  }

  async commit(): Promise<void> {
    await translateErrors(() => this.#held.end(true));
  }

  async rollback(): Promise<void> {
    await this.#held.end(false, true);
  }

  async createSavepoint(name: string): Promise<void> {
    await translateErrors(() => this.#held.savepoint(name));
  }

  async rollbackToSavepoint(name: string): Promise<void> {
    await translateErrors(() => this.#held.rollbackTo(name));
  }

  async releaseSavepoint(name: string): Promise<void> {
    await translateErrors(() => this.#held.release(name));
  }
}

/** Runs `fn`; a SqliteError becomes the DriverAdapterError Prisma maps to its own codes (P2002, …). */
async function translateErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SqliteError) throw driverError({ originalCode: err.code, originalMessage: err.message, ...mapSqliteError(err) });
    throw err;
  }
}

function mapSqliteError(err: SqliteError): DriverError {
  const fields = () =>
    err.message
      .split('constraint failed: ')[1]
      ?.split(', ')
      .map((column) => column.split('.').pop() ?? column);
  switch (err.code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY': {
      const names = fields();
      return { kind: 'UniqueConstraintViolation', constraint: names === undefined ? undefined : { fields: names } };
    }
    case 'SQLITE_CONSTRAINT_NOTNULL': {
      const names = fields();
      return { kind: 'NullConstraintViolation', constraint: names === undefined ? undefined : { fields: names } };
    }
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
    case 'SQLITE_CONSTRAINT_TRIGGER':
      return { kind: 'ForeignKeyConstraintViolation', constraint: { foreignKey: {} } };
  }
  if (err.code.startsWith('SQLITE_BUSY')) return { kind: 'SocketTimeout' };
  if (err.message.startsWith('no such table: ')) return { kind: 'TableDoesNotExist', table: err.message.slice(15) };
  if (err.message.startsWith('no such column: ')) return { kind: 'ColumnNotFound', column: err.message.slice(16) };
  return { kind: 'sqlite', extendedCode: PRIMARY_RESULT_CODES[primaryResultCode(err.code)], message: err.message };
}

function driverError(error: DriverError): Error {
  let utils: typeof import('@prisma/driver-adapter-utils');
  try {
    utils = require('@prisma/driver-adapter-utils') as typeof import('@prisma/driver-adapter-utils');
  } catch (err) {
    throw new Error('threadlite/prisma needs @prisma/driver-adapter-utils: npm install @prisma/driver-adapter-utils', { cause: err });
  }
  return new utils.DriverAdapterError(error);
}
