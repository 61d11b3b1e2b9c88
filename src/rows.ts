/**
 * Turns a chunk of rows from a worker back into exactly what better-sqlite3
 * returns on the main thread.
 */
import { RowMode, type RowsPayload } from './protocol';

/**
 * Restores what structured clone loses: BLOBs arrive as plain `Uint8Array`
 * and become `Buffer`s again (without copying); rows sent as arrays because of
 * a `__proto__` column are rebuilt with plain assignment, as better-sqlite3
 * builds them. Only rows the worker flagged are touched.
 * @internal
 */
export function decodeRows(payload: RowsPayload, mode: RowMode): unknown[] {
  const { rows, blobRows, columns, tables } = payload as ExpandedRowsPayload;
  if (blobRows !== undefined) {
    const shape = columns === undefined ? mode : RowMode.raw;
    for (const i of blobRows) rows[i] = restoreBlobs(rows[i], shape);
  }
  if (columns !== undefined && tables !== undefined) {
    for (let i = 0; i < rows.length; i++) rows[i] = expandRow(rows[i] as unknown[], columns, tables);
  } else if (columns !== undefined) {
    for (let i = 0; i < rows.length; i++) {
      const values = rows[i] as unknown[];
      const row: Record<string, unknown> = {};
      // Assignment, not defineProperty: a later duplicate name overwrites an
      // earlier one and `__proto__` sets the prototype, as in better-sqlite3.
      for (let c = 0; c < columns.length; c++) row[columns[c] as string] = values[c];
      rows[i] = row;
    }
  }
  return rows;
}

/**
 * Rows of an `expand()` statement sent as arrays, with `tables[c]` the group
 * of column `c` (`$` for expressions). Set by the worker only when a column or
 * table is named `__proto__`. @internal
 */
export interface ExpandedRowsPayload extends RowsPayload {
  tables?: string[];
}

/** Builds one expanded row as better-sqlite3 does: plain assignment, a new sub-object when the row has no own key for the table. */
function expandRow(values: unknown[], columns: string[], tables: string[]): Record<string, unknown> {
  const row: Record<string, Record<string, unknown>> = {};
  for (let c = 0; c < columns.length; c++) {
    const table = tables[c] as string;
    if (Object.prototype.hasOwnProperty.call(row, table)) {
      (row[table] as Record<string, unknown>)[columns[c] as string] = values[c];
    } else {
      const nested: Record<string, unknown> = {};
      row[table] = nested;
      nested[columns[c] as string] = values[c];
    }
  }
  return row;
}

function toBuffer(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

function restoreBlobs(row: unknown, mode: RowMode): unknown {
  if (mode === RowMode.pluck) return toBuffer(row);
  if (mode === RowMode.raw) {
    const values = row as unknown[];
    for (let i = 0; i < values.length; i++) values[i] = toBuffer(values[i]);
    return values;
  }
  const record = row as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (mode === RowMode.expand && value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
      restoreBlobs(value, RowMode.object);
    } else {
      record[key] = toBuffer(value);
    }
  }
  return record;
}
