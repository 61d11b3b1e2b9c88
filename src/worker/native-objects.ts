/**
 * Keeps better-sqlite3's native objects from being finalized outside JavaScript.
 *
 * better-sqlite3 12 builds its Database, Statement and StatementIterator on
 * `node::ObjectWrap`. Compiled against Node >= 24.19 headers, ObjectWrap's
 * destructor looks up the current Node environment and aborts the process when
 * there is none (nodejs/node#65446, "Assertion failed: (env) != nullptr"). There
 * is none when V8 collects garbage from a background task (the memory reducer,
 * incremental marking) rather than from running JavaScript. So any statement or
 * iterator that simply becomes garbage can kill the whole process at some later
 * moment. Measured here on Node 24.21 with better-sqlite3 12.11.1: a pool whose
 * statement cache churns aborts within seconds; with every object kept
 * reachable, the same load, a worker's exit and `terminate()` all run clean.
 *
 * The cure is that no such object ever becomes unreachable on its own. Every
 * object made on a guarded connection is kept here; the code that owns one
 * says when it is done with it ({@link NativeObjects.release}); once enough are
 * done, a sweep drops them and collects garbage from JavaScript at once, where
 * finalizing them is safe. Objects nobody releases (the connection, what a
 * `setup` module prepared) live as long as the thread, and at the thread's end
 * Node deletes them itself while its environment still exists.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TUNING } from '../tuning';
import type { SqliteDatabase } from './sqlite-api';

/**
 * Whether this runtime needs the guard: Node >= 24, whose ObjectWrap header
 * carries the abort (a build against 24.18 headers or older would not, but
 * the guard costs such a build nothing that matters). `THREADLITE_TUNING=
 * finalizerGuard=1` forces it on, so its tests also run on Node 20 and 22.
 * @internal
 */
export const GUARD_NEEDED = TUNING.finalizerGuard ?? Number(process.versions.node.split('.')[0]) >= 24;

/**
 * Released weight that triggers a sweep (two full collections of the
 * worker's heap: ~10-25 ms measured under load). A statement weighs 32 (its
 * compiled program stays in memory until it is finalized), an iterator 1 (a
 * hundred-odd bytes): at most ~1,000 dead statements or ~32,000 dead
 * iterators (~4 MB) wait at a time. Measured on Node 20 with the guard forced
 * on, 60,000 one-row `iterate()` calls on one reader: a sweep per 1,024
 * iterators cost 31% of their throughput, per 8,192 about 20%.
 */
const SWEEP_AT = 32_768;
const STATEMENT_WEIGHT = 32;

/** @internal */
export class NativeObjects {
  /** Objects kept reachable, with how many owners each still has. */
  readonly #owners = new Map<object, number>();
  /** Objects with no owner left, waiting for a sweep, and their weight. */
  #released: object[] = [];
  #releasedWeight = 0;
  #sweepQueued = false;
  readonly #sweeps: boolean;
  /** Sweeps done so far. */
  sweepCount = 0;

  /**
   * @param sweeps Whether released objects may be collected by forced garbage
   *   collections. Only a worker may: on the main thread a full collection
   *   would stall the event loop, so what is kept there stays (bounded by the
   *   inline reader's statement cache).
   */
  constructor(sweeps: boolean) {
    this.#sweeps = sweeps;
  }

  /**
   * Guards a connection: keeps it, and everything its `prepare` makes
   * (including the statements `pragma()` prepares inside better-sqlite3), each
   * with one owner: the caller of `prepare`. With `iterators`, also every
   * iterator a statement of this thread makes (it patches better-sqlite3's
   * statement prototype, so only a worker, whose thread is ours alone, may ask
   * for it). Does nothing where the guard is not needed.
   */
  adopt(db: SqliteDatabase, options: { iterators: boolean }): void {
    if (!GUARD_NEEDED) return;
    this.hold(db);
    const native = nativeOf(db);
    // A better-sqlite3 laid out otherwise: the connection is still held, its
    // statements are not (the suite's Node 24 run would show the aborts).
    if (native === undefined) return;
    const prepare = native.prepare;
    let patchIterators = options.iterators;
    native.prepare = (...args: unknown[]) => {
      const stmt = prepare.apply(native, args) as object;
      this.hold(stmt);
      if (patchIterators) {
        patchIterators = false;
        this.#keepIterators(Object.getPrototypeOf(stmt) as IteratorMaker);
      }
      return stmt;
    };
  }

  /** Adds an owner to `object`: it stays reachable until every owner released it. */
  hold(object: object): void {
    if (!GUARD_NEEDED) return;
    this.#owners.set(object, (this.#owners.get(object) ?? 0) + 1);
  }

  /** One owner of `object` (a statement or an iterator) will not use it again. */
  release(object: object | undefined): void {
    if (!GUARD_NEEDED || object === undefined) return;
    const owners = this.#owners.get(object);
    if (owners === undefined) return;
    if (owners > 1) {
      this.#owners.set(object, owners - 1);
      return;
    }
    this.#owners.delete(object);
    this.#released.push(object);
    this.#releasedWeight += typeof (object as { next?: unknown }).next === 'function' ? 1 : STATEMENT_WEIGHT;
    if (this.#sweeps && this.#releasedWeight >= SWEEP_AT && !this.#sweepQueued) {
      this.#sweepQueued = true;
      // Between messages, never inside a request: the thread is idle for the
      // pause, and what a request still uses is not dropped under it.
      setImmediate(() => this.#sweep());
    }
  }

  #sweep(): void {
    this.#sweepQueued = false;
    this.#released = [];
    this.#releasedWeight = 0;
    const gc = collector();
    // Two collections: if incremental marking had already reached the
    // released objects, the first one finishes that cycle with them alive;
    // the second starts from the roots and finds them unreachable.
    gc();
    gc();
    this.sweepCount++;
  }

  #keepIterators(proto: IteratorMaker): void {
    const iterate = proto.iterate;
    const keep = (iterator: object) => this.hold(iterator);
    proto.iterate = function keptIterate(this: unknown, ...args: unknown[]) {
      const iterator = iterate.apply(this, args);
      keep(iterator);
      return iterator;
    };
  }
}

type IteratorMaker = { iterate: (...args: unknown[]) => object };

type NativeDatabase = { prepare: (...args: unknown[]) => unknown };

/** The addon object behind better-sqlite3's Database wrapper (held under a private symbol). */
function nativeOf(db: SqliteDatabase): NativeDatabase | undefined {
  for (const symbol of Object.getOwnPropertySymbols(db)) {
    const value = (db as unknown as Record<symbol, unknown>)[symbol];
    if (typeof value === 'object' && value !== null && typeof (value as NativeDatabase).prepare === 'function') {
      return value as NativeDatabase;
    }
  }
  return undefined;
}

let gcFunction: (() => void) | undefined;

/**
 * V8's `gc()`: the global one if the process runs with `--expose-gc`, else
 * one taken from a fresh context while the flag is set for a moment (V8 flags
 * are process-wide, so it is turned off again at once).
 */
function collector(): () => void {
  const global = (globalThis as { gc?: () => void }).gc;
  if (typeof global === 'function') return global;
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    try {
      gcFunction = runInNewContext('gc') as () => void;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  return gcFunction;
}
