/**
 * The shape of rows on the wire: better-sqlite3's row-mode toggles, rows that
 * structured clone would change (a column named `__proto__`, BLOBs that
 * arrive as plain Uint8Arrays), and how many rows make one chunk. Runs only
 * inside a worker thread.
 */
import { RowMode, type RowsPayload } from '../protocol';
import type { ExpandedRowsPayload } from '../rows';
import { TUNING } from '../tuning';
import type { CachedStatement } from './statement-cache';

/** Column names (and, for `expand()`, tables) of rows sent as arrays to be rebuilt on the main thread. @internal */
export interface Rebuild {
  columns: string[];
  tables?: string[];
}

/** Puts the cached statement in `mode` (raw, pluck, expand or plain objects). @internal */
export function applyMode(entry: CachedStatement, mode: RowMode): void {
  const { stmt } = entry;
  // better-sqlite3 keeps one mode: turning one toggle on replaces the others,
  // and turning one off only acts if it is the current one.
  if (mode === RowMode.raw) stmt.raw(true);
  else if (mode === RowMode.pluck) stmt.pluck(true);
  else if (mode === RowMode.expand) stmt.expand(true);
  else if (entry.mode === RowMode.raw) stmt.raw(false);
  else if (entry.mode === RowMode.pluck) stmt.pluck(false);
  else if (entry.mode === RowMode.expand) stmt.expand(false);
  entry.mode = mode;
}

/**
 * How rows of `mode` must be rebuilt on the main thread, or undefined if they
 * survive structured clone as they are: a column named `__proto__` (or, for
 * `expand()`, a table named so) gives better-sqlite3's row or sub-object a
 * prototype, which a clone would drop.
 */
/**
 * Whether this better-sqlite3 build gives a flat row a column named
 * `__proto__` as an own property (builds for Node >= 22) rather than setting
 * the row's prototype by assignment (Node 20). Probed once per worker.
 */
let ownProtoColumns = false;

/** Records what the probe at connection open found (see {@link ownProtoColumns}). @internal */
export function setOwnProtoColumns(own: boolean): void {
  ownProtoColumns = own;
}

export function protoRebuild(entry: CachedStatement, mode: RowMode): Rebuild | undefined {
  if (mode !== RowMode.object && mode !== RowMode.expand) return undefined;
  let shape = entry.resultShape;
  if (shape === undefined) {
    const defs = entry.stmt.columns();
    const names = defs.map((c) => c.name);
    const tables = defs.map((c) => c.table ?? '$');
    const protoName = names.includes('__proto__');
    shape = { names, tables, protoName, protoExpanded: protoName || tables.includes('__proto__') };
    entry.resultShape = shape;
  }
  // Where better-sqlite3 makes `__proto__` an own property (its builds for
  // Node >= 22), structured clone keeps the row as it is.
  if (mode === RowMode.object) return shape.protoName && !ownProtoColumns ? { columns: shape.names } : undefined;
  return shape.protoExpanded ? { columns: shape.names, tables: shape.tables } : undefined;
}

/** Target size of one chunk of rows on the wire; deserializing it takes ~1–3 ms on the main thread. */
const CHUNK_BYTES = TUNING.chunkBytes;

/** How many rows make one chunk, estimated from the first row's size. @internal */
export function chunkRows(rows: unknown[], mode: RowMode): number {
  return rows.length === 0 ? 0 : Math.min(rows.length, rowsPerChunk(rows[0], mode));
}

/** How many rows like `first` make one chunk; `Infinity` when chunking is off (`chunkBytes=0`). @internal */
export function rowsPerChunk(first: unknown, mode: RowMode): number {
  if (CHUNK_BYTES === 0) return Infinity;
  const perRow = Math.max(16, estimateBytes(first, mode === RowMode.expand ? 2 : 1));
  return Math.min(16_384, Math.max(64, Math.floor(CHUNK_BYTES / perRow)));
}

function estimateBytes(value: unknown, depth: number): number {
  if (typeof value === 'string') return 8 + value.length;
  if (value instanceof Uint8Array) return 8 + value.byteLength;
  if (value === null || typeof value !== 'object') return 10;
  let total = 8;
  if (Array.isArray(value)) {
    for (const v of value) total += estimateBytes(v, 0);
    return total;
  }
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    total += key.length + (depth > 1 ? estimateBytes(v, depth - 1) : estimateBytes(v, 0));
  }
  return total;
}

/** Indexes of rows that hold a BLOB (structured clone turns Buffers into plain Uint8Arrays). */
export function findBlobRows(rows: unknown[], mode: RowMode): number[] | undefined {
  let found: number[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    if (hasBlob(rows[i], mode)) (found ??= []).push(i);
  }
  return found;
}

function hasBlob(row: unknown, mode: RowMode): boolean {
  if (mode === RowMode.pluck) return row instanceof Uint8Array;
  if (mode === RowMode.raw) {
    for (const v of row as unknown[]) if (v instanceof Uint8Array) return true;
    return false;
  }
  for (const key in row as object) {
    const v = (row as Record<string, unknown>)[key];
    if (v instanceof Uint8Array) return true;
    if (mode === RowMode.expand && v !== null && typeof v === 'object' && hasBlob(v, RowMode.object)) return true;
  }
  return false;
}

/** One chunk of rows as it crosses to the main thread. @internal */
export function rowsPayload(rows: unknown[], mode: RowMode, rebuild: Rebuild | undefined): RowsPayload {
  const payload: ExpandedRowsPayload = { rows };
  if (rebuild !== undefined) {
    payload.columns = rebuild.columns;
    if (rebuild.tables !== undefined) payload.tables = rebuild.tables;
}
  const blobRows = findBlobRows(rows, mode);
  if (blobRows !== undefined) payload.blobRows = blobRows;
  return payload;
}
