/**
 * How the pool stays one connection. Statements can change the state of the
 * connection they run on, and better-sqlite3 users expect every later
 * statement to see it. There are two kinds, handled two ways:
 *
 * - **State only the writer can hold** — TEMP tables, views, triggers and
 *   indexes, and databases ATTACHed after `setup`. The writer reports exactly
 *   whether it holds any (it counts its TEMP schema and database list after a
 *   statement that could change them, see `worker/local-state.ts`); while it
 *   does, every statement runs on the writer, which is then the connection.
 * - **Connection settings that change what a read returns** — PRAGMAs such as
 *   `case_sensitive_like` or `reverse_unordered_selects`. When one succeeds on
 *   the writer, it is recorded and replayed on every other connection (readers,
 *   a respawned writer, the main-thread inline reader) before its next
 *   statement, in the order they were set.
 *
 * Both take effect for calls made once the changing call has settled (as a
 * read sees a write once the write has resolved); a statement of a new SQL
 * text is decided in order on the writer even before that.
 */
import { type PragmaSetting, pragmaSettings } from '../sql-text';

/**
 * Connection-level PRAGMAs that change what a read-only connection returns or
 * how it behaves, and that a read-only connection accepts. Settings stored in
 * the file (`user_version`, `journal_mode`, `page_size`, …) need no replay,
 * and write-side settings (`foreign_keys`, `recursive_triggers`, …) concern
 * the writer only.
 */
const REPLAYED = new Set([
  'analysis_limit',
  'automatic_index',
  'busy_timeout',
  'cache_size',
  'cache_spill',
  'case_sensitive_like',
  'cell_size_check',
  'full_column_names',
  'mmap_size',
  'query_only',
  'reverse_unordered_selects',
  'short_column_names',
  'temp_store',
  'threads',
  'trusted_schema',
]);

/** Something the settings are replayed on: a worker, or the inline reader. @internal */
export type StateHolder = object;

/** @internal */
export class ConnectionState {
  /** Whether the writer holds TEMP objects or attached databases: everything runs there. */
  writerOnly = false;
  /** Bumped by every recorded setting. */
  #generation = 0;
  readonly #settings = new Map<string, PragmaSetting>();
  /** The statements that bring a fresh connection up to date (rebuilt per generation). */
  #script: readonly string[] = [];
  /** The generation each connection was last brought to. */
  readonly #applied = new WeakMap<StateHolder, number>();

  /** Records the settings a statement that succeeded on `writer` made (quick exit for SQL without a PRAGMA). */
  observe(sql: string, writer: StateHolder): void {
    if (!/pragma/i.test(sql)) return;
    let changed = false;
    for (const setting of pragmaSettings(sql)) {
      if (!REPLAYED.has(setting.name)) continue;
      // Re-inserted so that the replay keeps the order the settings were made in.
      this.#settings.delete(setting.key);
      this.#settings.set(setting.key, setting);
      changed = true;
    }
    if (!changed) return;
    this.#generation++;
    this.#script = [...this.#settings.values()].map((s) => s.statement);
    // The writer ran it itself: up to date if it was before.
    if ((this.#applied.get(writer) ?? 0) === this.#generation - 1) this.#applied.set(writer, this.#generation);
  }

  /**
   * The settings `holder` has not applied yet (all of them, in order: each is
   * idempotent), or undefined; the holder counts as up to date from now on.
   */
  catchUp(holder: StateHolder): readonly string[] | undefined {
    const applied = this.#applied.get(holder) ?? 0;
    if (applied === this.#generation) return undefined;
    this.#applied.set(holder, this.#generation);
    return this.#script;
  }
}
