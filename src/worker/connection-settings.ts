/**
 * The worker's half of the pool's connection settings (see
 * settings-protocol.ts): before each request it applies what the main thread
 * changed (the update hook on or off, limits), and after each request it
 * takes the changes the update hook recorded and puts them on the response.
 * Runs only inside a worker thread.
 *
 * It calls the native library as a Node-API addon, on this thread, rather
 * than through SQL functions: better-sqlite3 runs no statement while a cursor
 * of the connection is open, and the changes must be taken after every
 * request, cursors or not.
 */
import { createRequire } from 'node:module';
import type { Response, WorkerConfig } from '../protocol';
import { CELL_COUNT } from '../protocol';
import { CHANGE_CAP, type ChangeBatch, LIMIT_IDS, SETTINGS_CELLS, SettingsCell } from '../settings-protocol';

/** What this file calls in the native library (native/threadlite.c). */
interface SettingsAddon {
  trackChanges(slot: number, on: number, cap: number): number;
  drainChanges(slot: number): ChangeBatch | undefined;
  setLimit(slot: number, id: number, value: number): number;
}

/** @internal */
export class WorkerSettings {
  readonly #cells: Int32Array;
  readonly #addon: SettingsAddon | undefined;
  readonly #slot: number;
  readonly #writer: boolean;
  /** The settings version applied last. */
  #version = 0;
  #tracking = false;
  /** Limits applied, as stored in the cells (0 = none). */
  readonly #limits = new Int32Array(LIMIT_IDS);

  /**
   * `bound`: whether the connection registered with the native library (the
   * interrupt guard did). Without it settings are not applied; the main
   * thread knows (the worker is not `interruptible`) and says so.
   */
  constructor(config: WorkerConfig, bound: boolean) {
    this.#cells = new Int32Array(config.cells, CELL_COUNT * Int32Array.BYTES_PER_ELEMENT, SETTINGS_CELLS);
    this.#slot = config.native?.slot ?? -1;
    this.#writer = config.role === 'writer';
    let addon: SettingsAddon | undefined;
    if (bound && config.native !== undefined) {
      try {
        // The same file the connection loaded as an extension: dlopen gives the same globals.
        addon = createRequire(__filename)(config.native.path) as SettingsAddon;
        if (typeof addon.drainChanges !== 'function') addon = undefined;
      } catch {
        addon = undefined;
      }
    }
    this.#addon = addon;
  }

  /** Applies settings changed since the last request (one atomic read when nothing changed). */
  beforeRequest(): void {
    const version = Atomics.load(this.#cells, SettingsCell.version);
    if (version === this.#version) return;
    this.#version = version;
    const addon = this.#addon;
    if (addon === undefined) return;
    // Only the writer changes rows: readers never install the hook.
    const tracking = this.#writer && Atomics.load(this.#cells, SettingsCell.changes) !== 0;
    if (tracking !== this.#tracking) {
      this.#tracking = tracking;
      addon.trackChanges(this.#slot, tracking ? 1 : 0, CHANGE_CAP);
    }
    for (let id = 0; id < LIMIT_IDS; id++) {
      const stored = Atomics.load(this.#cells, SettingsCell.limits + id);
      if (stored === 0 || stored === this.#limits[id]) continue;
      this.#limits[id] = stored;
      addon.setLimit(this.#slot, id, stored - 1);
    }
  }

  /** Puts the changes the request made (if the writer records them and there were any) on its response. */
  afterRequest(response: Response): void {
    if (!this.#tracking) return;
    const changes = (this.#addon as SettingsAddon).drainChanges(this.#slot);
    if (changes !== undefined) response.changes = changes;
  }
}
