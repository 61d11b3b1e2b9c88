/**
 * The pool's counters and the {@link PoolStats} snapshot a health endpoint reads.
 */
import { AbortError, TimeoutError } from '../errors';
import { nativeStatusWarnOnce } from '../native/interrupt';
import type { WorkerHandle } from '../worker-handle';

/** One connection's state in {@link PoolStats}. */
export interface WorkerStats {
  /** `writer` or `reader`. */
  role: 'writer' | 'reader';
  /** The worker thread's `threadId` (changes when the worker is replaced). */
  threadId: number;
  /** Whether a cancelled statement on this connection is stopped inside SQLite (`sqlite3_interrupt`) rather than by terminating the worker. */
  interruptible: boolean;
  /** `starting`, `ready`, `exited` (being replaced) or `failed` (gave up starting). */
  state: 'starting' | 'ready' | 'exited' | 'failed';
  /** Calls sent to this worker and not yet answered. */
  inflight: number;
  /** Whether a transaction or read snapshot holds it. */
  leased: boolean;
  /** `iterate()` cursors open on this connection. */
  cursors: number;
  /** Calls this worker was sent through its shared-memory request ring rather than by message (small statements; see docs/architecture.md). */
  viaRing: number;
}

/** Counters and per-worker state for health endpoints; see {@link Database.stats}. */
export interface PoolStats {
  /** Calls waiting for a connection. */
  queued: number;
  /** Calls sent to a worker and not yet answered. */
  running: number;
  /** Calls that succeeded. */
  completed: number;
  /** Calls that failed for any reason (SQL errors, timeouts, aborts, crashes). */
  failed: number;
  /** Calls that failed with `TimeoutError`. */
  timedOut: number;
  /** Calls that failed with `AbortError`. */
  aborted: number;
  /** Calls refused with `QueueFullError`. */
  rejected: number;
  /** Workers started to replace one that died or was terminated. */
  respawns: number;
  /** Readers started because reads were waiting (above `minReaders`). */
  readersGrown: number;
  /** Readers closed after `readerIdleTimeout` idle. */
  readersRetired: number;
  /**
   * How cancelled statements stop: `interrupt` (inside SQLite, the worker
   * stays) or `terminate` (threadlite's native library is not available:
   * the worker is replaced; see {@link PoolStats.interruptUnavailable}).
   */
  cancellation: 'interrupt' | 'terminate';
  /** Why cancellation falls back to `terminate`, when it does. */
  interruptUnavailable?: string;
  /** One entry per connection: the writer first, then the readers. */
  workers: WorkerStats[];
}

/** The outcome counters behind {@link PoolStats}. @internal */
export class Counters {
  completed = 0;
  failed = 0;
  timedOut = 0;
  aborted = 0;
  rejected = 0;
  respawns = 0;
  grown = 0;
  retired = 0;

  /** Counts a call that failed with `err`. */
  failure(err: unknown): void {
    if (err instanceof TimeoutError) this.timedOut++;
    else if (err instanceof AbortError) this.aborted++;
    this.failed++;
  }

  /** The snapshot of {@link PoolStats}, given the workers (writer first) and the queue length. */
  snapshot(workers: WorkerHandle[], queued: number, writerFailed: boolean): PoolStats {
    const entries = workers.map((w, i) => ({
      role: w.role,
      threadId: w.threadId,
      interruptible: w.interruptible,
      state: (i === 0 && writerFailed ? 'failed' : w.state) as WorkerStats['state'],
      inflight: w.inflight,
      leased: w.leased,
      cursors: w.cursors,
      viaRing: w.ring?.carried ?? 0,
    }));
    const native = nativeStatusWarnOnce();
    const interruptible = entries.every((w) => w.interruptible || w.state !== 'ready');
    const { completed, failed, timedOut, aborted, rejected, respawns } = this;
    const stats: PoolStats = {
      queued,
      running: entries.reduce((sum, w) => sum + w.inflight, 0),
      completed,
      failed,
      timedOut,
      aborted,
      rejected,
      respawns,
      readersGrown: this.grown,
      readersRetired: this.retired,
      cancellation: native.available && interruptible ? 'interrupt' : 'terminate',
      workers: entries,
    };
    if (!native.available) stats.interruptUnavailable = native.reason;
    else if (!interruptible) stats.interruptUnavailable = 'a worker could not load the native library';
    return stats;
  }
}
