/**
 * Query tracing on `node:diagnostics_channel`, so APM tools and OpenTelemetry
 * can observe every query with no code from us. Publishing costs nothing
 * while nobody subscribes.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { WorkerHandle } from './worker-handle';

/**
 * What a `threadlite:query` tracing channel event carries. Filled in as the
 * query goes: `worker`, `rows`, `changes` and `duration` are set before the
 * `asyncEnd` event; `error` (on `error`) or `result` as Node's tracing
 * channels do.
 */
export interface QueryTrace {
  /** The method: `all`, `get`, `run`, `exec`, `iterate` or `batch`. */
  op: 'all' | 'get' | 'run' | 'exec' | 'iterate' | 'batch';
  /** The SQL text (for `batch`, the statements joined by `;\n`). */
  sql: string;
  /** The database file, as `db.name` gives it. */
  database: string;
  /** Which connection answered: `writer`, `reader:N`, or `main` (the `inlineReads` path). */
  worker?: string;
  /** Rows returned (`all`, `get`: 0 or 1; `iterate`: rows of the first chunk). */
  rows?: number;
  /** Rows changed (`run`). */
  changes?: number;
  /** Milliseconds from the call to its answer, queueing included. */
  duration?: number;
  /** Set by the channel when the query failed. */
  error?: unknown;
  /** Set by the channel when the query succeeded. */
  result?: unknown;
}

/**
 * The tracing channel `threadlite:query`: subscribe with
 * `diagnostics_channel.tracingChannel('threadlite:query').subscribe({ start, asyncEnd, error })`.
 *
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.tracingChannel('threadlite:query').subscribe({
 *   start() {}, end() {}, asyncStart() {},
 *   asyncEnd(trace) { console.log(trace.op, trace.sql, trace.duration, trace.worker); },
 *   error(trace) { console.error(trace.sql, trace.error); },
 * });
 * ```
 */
export const queryChannel = diagnosticsChannel.tracingChannel<unknown, QueryTrace>('threadlite:query');

/** Runs `fn` as one traced query when someone listens; otherwise just runs it. @internal */
export function traced<R>(
  op: QueryTrace['op'],
  sql: string,
  database: string,
  fn: (trace: QueryTrace | undefined) => Promise<R>,
): Promise<R> {
  if (!queryChannel.hasSubscribers) return fn(undefined);
  const trace: QueryTrace = { op, sql, database };
  const started = performance.now();
  return queryChannel.tracePromise(async () => {
    try {
      return await fn(trace);
    } finally {
      trace.duration = performance.now() - started;
    }
  }, trace);
}

/** How a trace names a worker. @internal */
export function workerName(worker: WorkerHandle): string {
  return worker.role === 'writer' ? 'writer' : `reader:${worker.slot}`;
}
