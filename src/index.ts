/**
 * threadlite: non-blocking SQLite for Node.js servers. better-sqlite3
 * connections run in worker threads; this module is the only public entry.
 */
export type { BackupOptions, BackupResult } from './backup';
export { Database, type DatabaseStats, open } from './database';
export type { InlineStats } from './inline-reader';
export {
  AbortError,
  PoolClosedError,
  QueueFullError,
  SqliteError,
  ThreadliteError,
  type ThreadliteErrorCode,
  TimeoutError,
  TransactionClosedError,
  WorkerCrashedError,
  WorkerStartupError,
} from './errors';
export type { CheckpointMode, CheckpointResult, PragmaOptions, SerializeOptions } from './operations';
export { DEFAULTS, type OpenOptions } from './options';
export { closeShared, openShared } from './shared-pool';
export type { PoolStats, WorkerStats } from './pool';
export { type BatchResult, type BatchStatement, Queryable } from './queryable';
export { RowIterator } from './row-iterator';
export { Statement, type StatementInfo } from './statement';
export { type QueryTrace, queryChannel } from './tracing';
export { ReadSnapshot, Transaction, type TransactionOptions } from './transaction';
export type {
  BindParameters,
  CallOptions,
  ColumnDefinition,
  IterateOptions,
  RunResult,
  SqlQuery,
  SqlValue,
  TransactionMode,
} from './types';
export { sql, SqlFragment, type SqlTag } from './sql';
