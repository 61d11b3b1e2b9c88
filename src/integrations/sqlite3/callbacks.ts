/**
 * Calling user callbacks and emitting events the way node-sqlite3's native
 * code does: synchronously, and an exception thrown by a callback (or an
 * `'error'` event nobody listens to) becomes an uncaught exception rather than
 * a rejected promise inside the facade.
 */
import type { AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

/** A node-sqlite3 callback: any function; `this` is the object the call was made on. */
export type Callback = (this: any, ...args: any[]) => unknown;

/**
 * Calls `cb` with `thisArg` and `args` if it is a function, inside `scope`
 * (the async resource of the call that registered it, so AsyncLocalStorage
 * and async_hooks see the caller's context); rethrows its exception outside the facade.
 * @internal
 */
export function invoke(cb: Callback | undefined, thisArg: unknown, args: unknown[], scope?: AsyncResource): void {
  if (typeof cb !== 'function') return;
  try {
    if (scope === undefined) cb.apply(thisArg, args);
    else scope.runInAsyncScope(cb, thisArg, ...args);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** Emits an event; an exception (an unhandled `'error'` included) is rethrown outside the facade. @internal */
export function emit(emitter: EventEmitter, event: string, ...args: unknown[]): void {
  try {
    emitter.emit(event, ...args);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** Reports an error to `cb` if there is one, else as an `'error'` event on `emitter` (node-sqlite3's rule). @internal */
export function fail(emitter: EventEmitter, cb: Callback | undefined, err: Error, scope?: AsyncResource): void {
  if (typeof cb === 'function') invoke(cb, emitter, [err], scope);
  else if (scope === undefined) emit(emitter, 'error', err);
  else scope.runInAsyncScope(() => emit(emitter, 'error', err));
}

/**
 * Makes a class's own prototype methods enumerable, as node-sqlite3's are
 * (its JavaScript assigns them), so code that walks `for (k in proto)` —
 * node-sqlite3's own tests around `verbose()` do — sees them.
 * @internal
 */
export function enumerableMethods(proto: object): void {
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d !== undefined && typeof d.value === 'function') Object.defineProperty(proto, name, { ...d, enumerable: true });
  }
}

/** Wraps a one-shot call's callback for its statement's prepare step: told only of errors (node-sqlite3's `errBack`). @internal */
export function errorsOnly(callback: Callback): Callback {
  return function (this: unknown, err: unknown) {
    if (err) return callback.call(this, err);
  };
}
