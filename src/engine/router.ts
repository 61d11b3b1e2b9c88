/**
 * Where a statement runs: the writer, or a reader. Reads go to readers only
 * once a worker has prepared the SQL and better-sqlite3 called it reader-safe
 * (read-only, returns rows, reads no connection-local state); until then, and
 * whenever the writer's connection holds state readers cannot see (a
 * transaction opened with `exec('BEGIN')`, TEMP objects, attached databases:
 * see connection-state.ts), everything goes to the writer, in order. A
 * statement whose route is unknown is probed (see `StatementRequest.probe`).
 */
import type { ConnectionState } from './connection-state';
import type { CostModel } from './cost-model';
import type { Target } from './job';
import { isBounced, type NewRequest } from '../protocol';
import type { Supervisor } from './supervisor';

/** @internal */
export class Router {
  readonly #workers: Supervisor;
  readonly #costs: CostModel;
  readonly #state: ConnectionState;

  constructor(workers: Supervisor, costs: CostModel, state: ConnectionState) {
    this.#workers = workers;
    this.#costs = costs;
    this.#state = state;
  }

  /** Where a statement of this SQL text runs now. */
  route(sql: string): Target {
    return this.#workers.readers.length > 0 && this.readable(sql) ? 'read' : 'write';
  }

  /**
   * Whether any read-only connection may run this SQL text now and see what
   * the writer would: better-sqlite3 called it a reader, and the writer holds
   * no state the others cannot see — a transaction the user opened with
   * exec('BEGIN') (not a lease), TEMP objects or attached databases. The
   * inline path asks this directly: it needs no reader worker (`readers: 0`).
   */
  readable(sql: string): boolean {
    const writer = this.#workers.writer;
    if (this.#state.writerOnly || (writer.inTransaction && !writer.leased)) return false;
    return this.#costs.readerSafe(sql) === true;
  }

  /**
   * The one routing decision for a statement sent without a connection of
   * its own: where it goes, and whether it goes there as a probe (see
   * the probe rule below). Inline reads ask {@link route} on top of this.
   */
  plan(sql: string): { target: Target; probe: boolean } {
    const probe = this.#probeTarget(sql);
    return probe === undefined ? { target: this.route(sql), probe: false } : { target: probe, probe: true };
  }

  /**
   * Where to probe a statement whose route is not known yet, or undefined if
   * it needs no probe. The writer decides in order with the writes before it
   * and bounces what a reader may run; a reader runs what it may and bounces
   * the rest to the writer.
   */
  #probeTarget(sql: string): Target | undefined {
    if (this.route(sql) !== 'write' || this.#workers.readers.length === 0 || this.#state.writerOnly || this.#costs.readerSafe(sql) !== undefined) {
      return undefined;
    }
    // While a transaction holds the writer, ask a reader instead: a read must
    // not wait for someone else's transaction to end. Likewise once the
    // writer slot gave up starting: reads must still work.
    return this.#workers.writer.leased || this.#workers.writerFailure !== undefined ? 'read' : 'write';
  }
}

/**
 * Runs a statement as a probe on `target`: the worker there runs it if it may,
 * or answers bounced, and then it goes to the other side, within what is left
 * of the call's deadline (`timeout`, ms; 0 = none). The same request object
 * travels both times: callers read the id the pool gave it (cursors are keyed
 * by it). @internal
 */
export async function probeThenRun<R extends { value: unknown }>(
  submit: (request: NewRequest, target: Target, options: { signal?: AbortSignal; timeout?: number } | undefined, continuation: boolean) => Promise<R>,
  request: NewRequest,
  target: Target,
  options: { signal?: AbortSignal; timeout?: number } | undefined,
  timeout: number,
): Promise<R> {
  const flagged = request as NewRequest & { probe?: boolean };
  flagged.probe = true;
  const started = performance.now();
  const probed = await submit(flagged, target, options, false);
  if (!isBounced(probed.value)) return probed;
  delete flagged.probe;
  const rest = timeout > 0 ? { ...options, timeout: Math.max(1, Math.ceil(timeout - (performance.now() - started))) } : options;
  return submit(flagged, target === 'write' ? 'read' : 'write', rest, true);
}
