/**
 * What a node-sqlite3 `Statement` (and a `Backup`) needs from its facade
 * `Database`, and the symbol the database keeps it under.
 */
import type { Callback } from './callbacks';
import type { Connection } from './connection';
import type { ChangeBatch } from '../../settings-protocol';
import type { Scheduler } from './scheduler';

/** What a statement needs from its facade `Database`. @internal */
export interface StatementHost {
  readonly scheduler: Scheduler;
  /** The connection; only called once the database is open. */
  connection(): Connection;
  /** Emits `trace` / `profile` if anyone listens. */
  observe(sql: string, ms: number | undefined): void;
  /** A collector for one call's changes while someone listens to `change` (else undefined), and emitting them before its callback. */
  collectChanges(): ChangeBatch[] | undefined;
  emitChanges(collected: ChangeBatch[] | undefined): void;
  /** Counts statements not yet finalized (close fails while there are some). */
  live(delta: 1 | -1): void;
  /** Reports an error of work the database never ran (it closed): to `callback` with `this` = the database, else as `'error'` on it. */
  refuse(callback: Callback | undefined, err: Error): void;
}

/** Where a facade `Database` keeps its {@link StatementHost}. @internal */
export const HOST = Symbol('threadlite.sqlite3.host');
