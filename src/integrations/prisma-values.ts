/**
 * Values between Prisma and SQLite, for `threadlite/prisma`: how Prisma's
 * arguments bind (it sends some scalars as strings), and which Prisma column
 * type each result column gets (declared types, else the values).
 */
import type { ArgType, ColumnType, SqlQuery } from '@prisma/driver-adapter-utils';

/** The adapter options values depend on (see `PrismaThreadliteOptions`). @internal */
export interface ValueOptions {
  timestampFormat?: 'iso8601' | 'unixepoch-ms';
}

/** Prisma's arguments as SQLite binds them (Prisma sends some scalars as strings). @internal */
export function bindArgs(query: SqlQuery, options: ValueOptions): unknown[] {
  return query.args.map((arg, i) => bindArg(arg, query.argTypes[i], options));
}

function bindArg(arg: unknown, type: ArgType | undefined, options: ValueOptions): unknown {
  if (arg === null || arg === undefined) return null;
  if (typeof arg === 'boolean') return arg ? 1 : 0;
  const scalar = type?.scalarType;
  if (typeof arg === 'string') {
    switch (scalar) {
      case 'int':
      case 'bigint':
        // Integers arrive as decimal text; BigInt keeps all 64 bits.
        return BigInt(arg);
      case 'float':
      case 'decimal':
        return Number.parseFloat(arg);
      case 'bytes':
        return Buffer.from(arg, 'base64');
      case 'datetime':
        return bindDate(new Date(arg), options);
    }
  }
  if (arg instanceof Date) return bindDate(arg, options);
  if (arg instanceof Uint8Array && !Buffer.isBuffer(arg)) return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
  return arg;
}

function bindDate(date: Date, options: ValueOptions): string | number {
  if (options.timestampFormat === 'unixepoch-ms') return date.getTime();
  return date.toISOString().replace('Z', '+00:00');
}

/** Prisma's column type for a declared SQLite type, or null to infer it from the values. @internal */
export function declaredType(declared: string | null): ColumnType | null {
  switch (declared?.toUpperCase()) {
    case 'DECIMAL':
      return COLUMN.Numeric;
    case 'FLOAT':
      return COLUMN.Float;
    case 'REAL':
    case 'DOUBLE':
    case 'DOUBLE PRECISION':
    case 'NUMERIC':
      return COLUMN.Double;
    case 'TINYINT':
    case 'SMALLINT':
    case 'MEDIUMINT':
    case 'INT':
    case 'INTEGER':
    case 'SERIAL':
    case 'INT2':
      return COLUMN.Int32;
    case 'BIGINT':
    case 'UNSIGNED BIG INT':
    case 'INT8':
      return COLUMN.Int64;
    case 'DATETIME':
    case 'TIMESTAMP':
      return COLUMN.DateTime;
    case 'DATE':
      return COLUMN.Date;
    case 'TIME':
      return COLUMN.Time;
    case 'TEXT':
    case 'CLOB':
    case 'CHARACTER':
    case 'VARCHAR':
    case 'VARYING CHARACTER':
    case 'NCHAR':
    case 'NATIVE CHARACTER':
    case 'NVARCHAR':
      return COLUMN.Text;
    case 'BLOB':
      return COLUMN.Bytes;
    case 'BOOLEAN':
      return COLUMN.Boolean;
    case 'JSONB':
      return COLUMN.Json;
    default:
      return null;
  }
}

/** Values of `ColumnTypeEnum` (a const object in the peer package; its numbers are Prisma's protocol). */
const COLUMN = {
  Int32: 0,
  Int64: 1,
  Float: 2,
  Double: 3,
  Numeric: 4,
  Boolean: 5,
  Text: 7,
  Date: 8,
  Time: 9,
  DateTime: 10,
  Json: 11,
  Bytes: 13,
  UnknownNumber: 128,
} as const satisfies Record<string, ColumnType>;

/** Declared types, with expression columns typed by their first non-NULL value. @internal */
export function columnTypes(declared: Array<ColumnType | null>, rows: unknown[][]): ColumnType[] {
  return declared.map((type, column) => {
    if (type !== null) return type;
    for (const row of rows) {
      const value = row[column];
      if (value === null) continue;
      if (typeof value === 'bigint') return COLUMN.Int64;
      if (typeof value === 'number') return COLUMN.UnknownNumber;
      if (typeof value === 'string') return COLUMN.Text;
      if (value instanceof Uint8Array) return COLUMN.Bytes;
    }
    return COLUMN.Int32; // all NULL: any type reads NULL
  });
}

/** One row as Prisma reads it: 64-bit integers as numbers when exact, else as text. @internal */
export function resultRow(row: unknown[], types: ColumnType[]): unknown[] {
  return row.map((value, i) => {
    if (typeof value === 'bigint') {
      if (types[i] === COLUMN.DateTime) return new Date(Number(value)).toISOString();
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    }
    if (typeof value === 'number') {
      if (types[i] === COLUMN.DateTime) return new Date(value).toISOString();
      if ((types[i] === COLUMN.Int32 || types[i] === COLUMN.Int64) && !Number.isInteger(value)) return Math.trunc(value);
    }
    return value;
  });
}

