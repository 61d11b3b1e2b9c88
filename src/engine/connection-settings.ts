/**
 * The main thread's half of the pool's connection settings (see
 * settings-protocol.ts): one record of what every connection must have
 * (change tracking on or off, limits), written into each worker's settings
 * cells when it changes and into each new worker's cells when it starts, so a
 * respawned writer or a replaced reader gets the same settings.
 */
import type { CallOptions } from '../types';
import { type ChangeBatch, LIMIT_IDS, SettingsCell } from '../settings-protocol';

/**
 * The key of a hidden call option: a function that receives the changes the
 * call's request made (its response's `changes`), before the call settles.
 * threadlite/sqlite3 sets it on the calls of a `Database` that listens to `change`. @internal
 */
export const CHANGE_SINK: unique symbol = Symbol('threadlite.changeSink');

/** Call options that may carry a {@link CHANGE_SINK}. @internal */
export type ChangeSinkOptions = CallOptions & { [CHANGE_SINK]?: (changes: ChangeBatch) => void };

/** The change sink of a call's options, if any. @internal */
export function changeSinkOf(options: CallOptions | undefined): ((changes: ChangeBatch) => void) | undefined {
  return (options as ChangeSinkOptions | undefined)?.[CHANGE_SINK];
}

/** @internal */
export class ConnectionSettings {
  /** How many parties want changes recorded (each `Database` facade with a `change` listener counts once). */
  #watchers = 0;
  /** Limits set, by id. */
  readonly #limits = new Map<number, number>();
  #version = 0;
  /** The pool's workers now (each new one gets {@link writeTo} from the supervisor). */
  readonly #workers: () => Iterable<{ settingsCells: Int32Array }>;

  constructor(workers: () => Iterable<{ settingsCells: Int32Array }>) {
    this.#workers = workers;
  }

  /** Whether the writer records changes. */
  get tracking(): boolean {
    return this.#watchers > 0;
  }

  /** Whether any limit was set (the main thread's inline reader has none, so it steps aside). */
  get limited(): boolean {
    return this.#limits.size > 0;
  }

  /**
   * One more (`on`) or one fewer party wants the writer to record the rows
   * each request changes; recording is on while at least one does, and
   * survives a writer respawn.
   */
  watchChanges(on: boolean): void {
    const before = this.tracking;
    this.#watchers = Math.max(0, this.#watchers + (on ? 1 : -1));
    if (before !== this.tracking) this.#publish();
  }

  /**
   * Records `sqlite3_limit(db, id, value)` for every connection. As SQLite, an
   * unknown id or a negative value changes nothing (false).
   */
  setLimit(id: number, value: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id >= LIMIT_IDS || !Number.isInteger(value) || value < 0) return false;
    // SQLite caps a value at its compile-time bound itself; the cells hold value + 1.
    this.#limits.set(id, Math.min(value, 2 ** 31 - 2));
    this.#publish();
    return true;
  }

  /** Writes the settings into one worker's settings cells, version last (the worker reads it first). */
  writeTo(cells: Int32Array): void {
    Atomics.store(cells, SettingsCell.changes, this.tracking ? 1 : 0);
    for (const [id, value] of this.#limits) Atomics.store(cells, SettingsCell.limits + id, value + 1);
    Atomics.store(cells, SettingsCell.version, this.#version);
  }

  /** After a change: a new version, written into each worker's cells. */
  #publish(): void {
    this.#version = (this.#version + 1) | 0 || 1;
    for (const worker of this.#workers()) this.writeTo(worker.settingsCells);
  }
}
