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
    const writer = this.#workers.writer;
    // A transaction the user opened with exec('BEGIN') (not a lease), TEMP
    // objects or attached databases: state readers cannot see.
    if (this.#workers.readers.length === 0 || this.#state.writerOnly || (writer.inTransaction && !writer.leased)) return 'write';
    return this.#costs.readerSafe(sql) === true ? 'read' : 'write';
  }

  /**
   * Where to probe a statement whose route is not known yet, or undefined if
   * it needs no probe. The writer decides in order with the writes before it
   * and bounces what a reader may run; a reader runs what it may and bounces
   * the rest to the writer.
   */
  probeTarget(sql: string): Target | undefined {
    if (this.route(sql) !== 'write' || this.#workers.readers.length === 0 || this.#state.writerOnly || this.#costs.readerSafe(sql) !== undefined) {
      return undefined;
    }
    // While a transaction holds the writer, ask a reader instead: a read must
    // not wait for someone else's transaction to end. Likewise once the
    // writer slot gave up starting: reads must still work.
    return this.#workers.writer.leased || this.#workers.writerFailure !== undefined ? 'read' : 'write';
  }
}
