/**
 * The cancel set: cells of a worker's shared Int32Array where the main thread
 * lists requests it cancelled before the worker began them (see
 * {@link Cell.cancelSet}). The main thread fills and clears it; the worker
 * only reads it, right after it publishes the request it begins.
 */
import { CANCEL_SLOTS, Cell } from './protocol';

/** @internal */
export class CancelSet {
  readonly #cells: Int32Array;
  /** Cell of each listed request. */
  readonly #listed = new Map<number, number>();

  constructor(cells: Int32Array) {
    this.#cells = cells;
  }

  /** How many requests are listed. */
  get size(): number {
    return this.#listed.size;
  }

  /** Lists request `id`; false when every cell is taken (it will then run, and its answer is the truth). */
  add(id: number): boolean {
    if (this.#listed.has(id)) return true;
    const cells = this.#cells;
    for (let i = Cell.cancelSet; i < Cell.cancelSet + CANCEL_SLOTS; i++) {
      if (Atomics.load(cells, i) !== 0) continue;
      Atomics.store(cells, i, id);
      Atomics.add(cells, Cell.cancelCount, 1);
      this.#listed.set(id, i);
      return true;
    }
    return false;
  }

  /** Unlists request `id` once the worker has answered it. */
  remove(id: number): void {
    const cell = this.#listed.get(id);
    if (cell === undefined) return;
    this.#listed.delete(id);
    Atomics.store(this.#cells, cell, 0);
    Atomics.sub(this.#cells, Cell.cancelCount, 1);
  }
}

/**
 * What `WorkerHandle.cancel` did: `skipped` (the worker had not begun
 * the request and will answer it without running it), `interrupted` (SQLite
 * was interrupted while running it), or `pending` (it is finishing or
 * finished: its answer, the truth, is on its way).
 * @internal
 */
export type CancelOutcome = 'skipped' | 'interrupted' | 'pending';
