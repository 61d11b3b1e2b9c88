/**
 * A call's deadline and abort signal: one timer per call, one listener per
 * signal for all the calls that share it (a request-scoped signal shared by
 * thousands of calls would otherwise make each removal O(listeners) and trip
 * Node's MaxListenersExceededWarning at 11 calls).
 */
import { AbortError, TimeoutError } from '../errors';
import { callTimeout } from '../options';
import type { CallOptions } from '../types';

/** What {@link Deadlines.arm} needs of a queue item. @internal */
export interface Armable {
  disarm: (() => void) | undefined;
  reject(err: unknown): void;
  cancellable?: boolean;
}

/** @internal */
export class Deadlines {
  readonly #watches = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();
  readonly #defaultTimeout: number;

  constructor(defaultTimeout: number) {
    this.#defaultTimeout = defaultTimeout;
  }

  /**
   * Sets up the call's timeout and abort listener, calling `cancel` with a
   * `TimeoutError` or `AbortError` when one fires; `item.disarm` undoes both.
   * Returns the error to reject with at once (a bad timeout, an already-aborted
   * signal), or undefined.
   */
  arm(item: Armable, options: CallOptions | undefined, sql: string | undefined, cancel: (err: Error) => void): Error | undefined {
    const signal = options?.signal;
    let timeout: number;
    try {
      timeout = callTimeout(options?.timeout, this.#defaultTimeout);
    } catch (err) {
      return err as Error;
    }
    if (signal?.aborted) return new AbortError(sql, signal.reason);
    if (timeout === 0 && signal === undefined) return undefined;
    if ('cancellable' in item) item.cancellable = true;
    const timer = timeout > 0 ? setTimeout(() => cancel(new TimeoutError(sql, timeout)), timeout) : undefined;
    const unwatch = signal === undefined ? undefined : this.#watch(signal, () => cancel(new AbortError(sql, signal.reason)));
    item.disarm = () => {
      if (timer !== undefined) clearTimeout(timer);
      unwatch?.();
    };
    return undefined;
  }

  /** Calls `onAbort` when `signal` fires; returns the function that stops watching. */
  #watch(signal: AbortSignal, onAbort: () => void): () => void {
    let watch = this.#watches.get(signal);
    if (watch === undefined) {
      const callbacks = new Set<() => void>();
      const listener = () => {
        this.#watches.delete(signal);
        for (const callback of [...callbacks]) callback();
      };
      watch = { callbacks, listener };
      this.#watches.set(signal, watch);
      signal.addEventListener('abort', listener, { once: true });
    }
    const { callbacks, listener } = watch;
    callbacks.add(onAbort);
    return () => {
      callbacks.delete(onAbort);
      if (callbacks.size === 0 && this.#watches.get(signal) === watch) {
        this.#watches.delete(signal);
        signal.removeEventListener('abort', listener);
      }
    };
  }
}
