/**
 * Young-generation collections in small steps while the chunks of a large
 * result are taken in (see src/rows-inbox.ts).
 *
 * Why: every row of a large `all()` survives, and V8 lets its young
 * generation fill (semi-spaces grow to 16 MB when most objects survive)
 * before one scavenge copies everything live: a 100k-row result stalled the
 * main thread's loop 25–40 ms in a single scavenge, measured here. Collecting
 * the young generation on a turn of its own whenever it holds more than
 * `TUNING.youngGcBytes` copies the same rows in steps of a few
 * milliseconds; a result that fits in one message never triggers it.
 *
 * V8 has no public call for a young collection: the `gc` function of a
 * context created while `--expose-gc` is set is the only one. The flag is set
 * for that one context and unset at once (unless the process was started
 * with it), so no other context gets a `gc` global. Where any of this is
 * unavailable the steps are skipped and V8 collects as it would anyway.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TUNING } from './tuning';

type Collect = (options: { type: 'minor' }) => void;

/** undefined: not looked up yet; null: unavailable. */
let collect: Collect | null | undefined;

/**
 * Collects the young generation if it holds more than the step size; returns
 * whether it did. Called between chunks, on a turn of its own. @internal
 */
export function collectYoungIfFull(): boolean {
  if (TUNING.youngGcBytes === 0 || collect === null || youngBytes() < TUNING.youngGcBytes) return false;
  collect ??= lookup();
  collect?.({ type: 'minor' });
  return collect !== null;
}

function youngBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_used_size;
  return 0;
}

function lookup(): Collect | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as Collect;
  const startedWithFlag = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => /expose[-_]gc/.test(arg));
  let gc: unknown;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  } catch {
    gc = undefined;
  }
  if (!startedWithFlag) {
    try {
      setFlagsFromString('--no-expose-gc');
    } catch {
      // A runtime that refuses flags refused the first one too.
    }
  }
  return typeof gc === 'function' ? (gc as Collect) : null;
}
