/**
 * The part of better-sqlite3 the worker uses, as a structural interface. Keeping
 * it this small documents exactly what we rely on, and would let another engine
 * (`node:sqlite`) be dropped in.
 *
 * Note what is missing: better-sqlite3 (12 and 13) has no `interrupt()`, and its
 * bundled SQLite has no progress handler. threadlite reaches `sqlite3_interrupt`
 * through its own SQLite extension, loaded with `loadExtension` (see
 * src/native/interrupt.ts); without it, the pool stops a runaway by
 * terminating its worker (docs/architecture.md).
 */
import type { ColumnDefinition, RunResult } from '../types';

/** @internal */
export interface SqliteStatement {
  readonly reader: boolean;
  readonly readonly: boolean;
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  raw(on?: boolean): this;
  pluck(on?: boolean): this;
  expand(on?: boolean): this;
  safeIntegers(on?: boolean): this;
  columns(): ColumnDefinition[];
}

/** @internal */
export interface SqliteDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  function(name: string, options: { varargs?: boolean; deterministic?: boolean }, fn: (...args: unknown[]) => unknown): unknown;
  defaultSafeIntegers(on?: boolean): unknown;
  loadExtension(path: string, entryPoint?: string): unknown;
  close(): unknown;
}
