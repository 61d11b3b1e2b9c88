/**
 * The main thread's handle on threadlite's native library (native/threadlite.c):
 * a SQLite extension that every worker connection loads, and the Node-API
 * addon through which the main thread calls `sqlite3_interrupt` on exactly
 * the request it cancels. Everything that touches native code or
 * process-wide state for cancellation lives here.
 *
 * If the library cannot load (no prebuilt binary for this platform and no
 * compiler at install time), threadlite falls back to terminating the worker
 * of a cancelled call, says so once with a process warning
 * (`THREADLITE_NO_INTERRUPT`) and reports it in `stats().interrupt`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { TUNING } from '../tuning';
import { installedPackageRoot } from '../worker-path';

/** What the addon exports (see native/threadlite.c). @internal */
interface Addon {
  allocate(cells: Int32Array, index: number): number;
  release(slot: number): number;
  interrupt(slot: number, request: number): number;
  interruptAll(waitMs: number): number;
  registered(slot: number): number;
  /** Connections in the process with the update hook installed (see src/worker/connection-settings.ts). */
  changeHooks(): number;
  /** CPU time (ms) of the thread that registered the slot's connection, -1 if unknown (see native/threadlite.c). */
  threadCpu(slot: number): number;
  version: number;
}

/** The library's `version` this code expects (2 added change tracking and limits, 3 threadCpu); another is not loaded. @internal */
export const NATIVE_VERSION = 3;

/** The SQLite entry point of the library (`db.loadExtension(path, ENTRY_POINT)`). @internal */
export const ENTRY_POINT = 'sqlite3_threadlite_init';

/** At process exit, how long to wait for worker threads to leave SQLite before Node terminates them. */
const EXIT_WAIT_MS = 1000;

/** The loaded library, or why it is not there. @internal */
export type NativeStatus = { available: true; path: string; addon: Addon } | { available: false; reason: string };

let status: NativeStatus | undefined;
let warned = false;

/** Where the library may be, most specific first: the `THREADLITE_NATIVE` override, a local build, the prebuilt binary. */
function candidates(): string[] {
  const override = process.env.THREADLITE_NATIVE;
  if (override !== undefined && override !== '') return [override];
  // dist/native/interrupt.js → the package root.
  const root = join(__dirname, '..', '..');
  const paths = [
    join(root, 'build', 'Release', 'threadlite.node'),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'threadlite.node'),
  ];
  // A bundled copy (Next.js) has a rewritten __dirname: also look in the installed package.
  const installed = installedPackageRoot();
  if (installed !== undefined && installed !== root) {
    paths.push(join(installed, 'build', 'Release', 'threadlite.node'), join(installed, 'prebuilds', `${process.platform}-${process.arch}`, 'threadlite.node'));
  }
  return paths;
}

/** Loads the library once per process (later calls return the same status). @internal */
export function nativeStatus(): NativeStatus {
  if (status !== undefined) return status;
  if (!TUNING.interrupt) {
    status = { available: false, reason: 'disabled by THREADLITE_TUNING=interrupt=0' };
    return status;
  }
  const tried: string[] = [];
  for (const path of candidates()) {
    if (!existsSync(path)) {
      tried.push(`${path}: not found`);
      continue;
    }
    try {
      const addon = createRequire(__filename)(path) as Addon;
      if (typeof addon.interrupt !== 'function' || addon.version !== NATIVE_VERSION) throw new Error('not threadlite\'s native library (version mismatch)');
      status = { available: true, path, addon };
      // process.exit() joins worker threads, and a thread inside sqlite3_step
      // never notices termination: stop every statement first, so the
      // process can exit.
      process.on('exit', () => addon.interruptAll(EXIT_WAIT_MS));
      return status;
    } catch (err) {
      tried.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  status = { available: false, reason: `threadlite's native library could not be loaded (${tried.join('; ')})` };
  return status;
}

/**
 * The library's status, warning once per process when it is missing: the
 * pool then cancels running statements by terminating their worker. @internal
 */
export function nativeStatusWarnOnce(): NativeStatus {
  const s = nativeStatus();
  if (!s.available && TUNING.interrupt) warnNativeOnce(s.reason);
  return s;
}

/** Warns once per process that cancellation falls back to terminating workers. @internal */
export function warnNativeOnce(reason: string): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `${reason}. Cancelled statements will stop by terminating their worker thread, which cannot stop a statement inside SQLite; reinstall threadlite with a C compiler available to build it.`,
    { code: 'THREADLITE_NO_INTERRUPT' },
  );
}

/**
 * One worker connection's slot in the library: the worker registers its
 * connection under it, and the main thread interrupts through it. @internal
 */
export class InterruptSlot {
  readonly #addon: Addon;
  /** The slot number the worker passes to `threadlite_register()`. */
  readonly slot: number;
  #released = false;

  private constructor(addon: Addon, slot: number) {
    this.#addon = addon;
    this.slot = slot;
  }

  /** Allocates a slot watching `cells[index]` (the running request) and `cells[index + 1]`; undefined if unavailable. */
  static allocate(cells: Int32Array, index: number): InterruptSlot | undefined {
    const s = nativeStatus();
    if (!s.available) return undefined;
    const slot = s.addon.allocate(cells, index);
    return slot < 0 ? undefined : new InterruptSlot(s.addon, slot);
  }

  /** Interrupts the connection if `request` is the statement it is running now; true if it did. */
  interrupt(request: number): boolean {
    return !this.#released && this.#addon.interrupt(this.slot, request) === 1;
  }

  /** Frees the slot; call once the worker thread has ended. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#addon.release(this.slot);
  }
}
