/**
 * Public value types. Shared by the main thread and the workers: imports
 * nothing else from `src/`.
 */

/**
 * Values bound to a statement, with better-sqlite3's binding rules: an array
 * binds anonymous parameters (`?`, `?1`) in order; a plain object binds named
 * parameters (`:name`, `@name`, `$name`, written without the prefix). A single
 * primitive binds the one anonymous parameter. Values may be numbers, strings,
 * bigints, Buffers (or any Uint8Array) and `null`.
 */
export type BindParameters = readonly unknown[] | Readonly<Record<string, unknown>> | SqlValue;

/** A value SQLite can store and return. */
export type SqlValue = number | bigint | string | Buffer | Uint8Array | null;

/** What `run()` returns, exactly as better-sqlite3's `RunResult`. */
export interface RunResult {
  /** Rows inserted, updated or deleted by this statement (not by triggers of other tables). */
  changes: number;
  /** The rowid of the last row the writer connection inserted; a `bigint` under `safeIntegers`. */
  lastInsertRowid: number | bigint;
}

/** One result column, as better-sqlite3's `stmt.columns()` describes it. */
export interface ColumnDefinition {
  /** The column's name in the result (after `AS`). */
  name: string;
  /** The table column it comes from, or `null` for an expression. */
  column: string | null;
  /** The table it comes from, or `null` for an expression. */
  table: string | null;
  /** The database (`main`, `temp`, an attached name) it comes from, or `null`. */
  database: string | null;
  /** The declared type, or `null` for an expression. */
  type: string | null;
}

/** How a transaction begins: `BEGIN DEFERRED`, `BEGIN IMMEDIATE` or `BEGIN EXCLUSIVE`. */
export type TransactionMode = 'deferred' | 'immediate' | 'exclusive';

/**
 * Options every call accepts as its last argument.
 *
 * ```ts
 * await db.all('SELECT * FROM big', [], { timeout: 2_000, signal: req.signal });
 * ```
 */
export interface CallOptions {
  /** Cancels the call: a queued call leaves the queue, a running one rejects at once. */
  signal?: AbortSignal;
  /** Milliseconds before the call rejects with `TimeoutError`; `0` = none. Defaults to the pool's `timeout`. */
  timeout?: number;
}

/** Options of {@link Database.iterate} and {@link Statement.iterate}. */
export interface IterateOptions extends CallOptions {
  /** Rows per chunk sent from the worker (default 256). Larger chunks cost fewer hops, smaller ones less memory. */
  batchSize?: number;
}

/**
 * SQL text with its parameters in one value, as the `sql` tagged template
 * builds it. Every method that takes `(sql, params)` also takes one of these
 * in place of both.
 */
export interface SqlQuery {
  /** The SQL text, with `?` placeholders. */
  readonly sql: string;
  /** The values bound to the placeholders, in order. */
  readonly params: readonly unknown[];
}
