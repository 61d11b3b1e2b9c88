/**
 * `sqlite3.verbose()` and `sqlite3.cached`: node-sqlite3's two module-level
 * helpers. `verbose()` wraps the callback-taking methods so that an error
 * passed to a callback carries, in its stack, the call that caused it
 * (`--> in Database#run('UPDATE …')`) and the caller's stack.
 */
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import type { Callback } from './callbacks';
import { Database } from './database';
import { Statement } from './statement';

let verboseOn = false;

/** Extends a method so that errors given to its last-argument callback carry the call site. */
function extendTrace(proto: Record<string, unknown>, className: string, property: string): void {
  const original = proto[property] as (...args: unknown[]) => unknown;
  proto[property] = function (this: unknown, ...args: unknown[]) {
    const site = new Error();
    const name = `${className}#${property}(${args.map((a) => inspect(a, false, 0)).join(', ')})`;
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = function (this: unknown, ...cbArgs: unknown[]) {
        const err = cbArgs[0] as (Error & { __augmented?: boolean }) | null | undefined;
        if (err && err.stack && !err.__augmented) {
          err.stack += `\n--> in ${name}\n${(site.stack ?? '').split('\n').slice(1).join('\n')}`;
          err.__augmented = true;
        }
        return (cb as Callback).apply(this, cbArgs);
      };
    }
    return original.apply(this, args);
  };
}

/**
 * Turns on long stack traces for errors passed to callbacks, once, for the
 * whole module (node-sqlite3's `verbose()`); returns the module object.
 *
 * ```js
 * const sqlite3 = require('threadlite/sqlite3').verbose();
 * ```
 */
export function verbose<T>(this: T): T {
  if (!verboseOn) {
    const db = Database.prototype as unknown as Record<string, unknown>;
    for (const m of ['prepare', 'get', 'run', 'all', 'each', 'map', 'close', 'exec']) extendTrace(db, 'Database', m);
    const st = Statement.prototype as unknown as Record<string, unknown>;
    for (const m of ['bind', 'get', 'run', 'all', 'each', 'map', 'reset', 'finalize']) extendTrace(st, 'Statement', m);
    verboseOn = true;
  }
  return this;
}

const objects: Record<string, Database> = {};

/**
 * node-sqlite3's `cached`: `cached.Database(file, [mode], [callback])` returns
 * the same `Database` object for the same resolved file name (not for
 * `:memory:` or `''`). Facades on one file already share one pool; this also
 * shares the facade connection itself (and so its transaction).
 *
 * ```js
 * const a = sqlite3.cached.Database('app.db');
 * const b = sqlite3.cached.Database('app.db'); // a === b
 * ```
 */
export const cached = {
  /** Returns the cached `Database` for `file`, opening it on first use; `callback(null)` runs once it is open. Works with or without `new`. */
  Database: function cachedDatabase(file: string, mode?: number | Callback, callback?: Callback): Database {
    if (file === '' || file === ':memory:') return new Database(file, mode, callback);
    const key = resolve(file);
    let db = objects[key];
    if (db === undefined) {
      db = objects[key] = new Database(key, mode, callback);
    } else {
      const cb = typeof mode === 'number' ? callback : mode;
      if (typeof cb === 'function') {
        const ready = db;
        const call = () => cb.call(ready, null);
        if (ready.open) process.nextTick(call);
        else ready.once('open', call);
      }
    }
    return db;
  },
  /** The cached databases by resolved file name. */
  objects,
};
