/**
 * A reader thread's lower priority (`OpenOptions.readerNice`). Runs only
 * inside a worker thread.
 */
import { stat } from 'node:fs/promises';
import { setPriority } from 'node:os';

/**
 * Lowers the calling thread's priority to `nice`. Linux only: there the nice
 * value belongs to a thread (setpriority(2) with who = 0 is the caller);
 * elsewhere it would lower the whole process, main thread included. libuv's
 * thread pool is created by its first user, and its threads inherit that
 * thread's nice value: one request goes through the pool first, so the pool
 * that serves the whole process is never created at the lowered priority.
 * @internal
 */
export async function lowerPriority(nice: number): Promise<void> {
  if (nice <= 0 || process.platform !== 'linux') return;
  await stat(process.execPath).catch(() => undefined);
  try {
    setPriority(nice);
  } catch {
    // Not permitted here (a sandbox): the reader runs at the process's priority.
  }
}
