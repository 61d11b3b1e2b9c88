/**
 * What becomes of the calls a worker had when it exited: which run again
 * elsewhere and which fail, decided by what is safe to repeat.
 */
import { WorkerCrashedError } from '../errors';
import type { ExitReport, WorkerHandle } from '../worker-handle';
import type { Job } from './job';

/** The calls of an exited worker, sorted (see {@link triage}). @internal */
export interface Triage {
  /** To run again, in their original order. */
  requeue: Job[];
  /** To settle with the error given. */
  failed: Array<[Job, Error]>;
}

/**
 * Sorts an exited worker's calls. A call it had not begun runs elsewhere; so
 * does a read whose answer was lost (a read can run again), but not the one
 * that was running when it crashed (it may be what crashed it). A write that
 * began fails: it may have committed. Calls bound to that connection (a lease,
 * a cursor) fail, and so does everything once the pool is shutting down.
 * The worker's load counters are reset.
 * @internal
 */
export function triage(worker: WorkerHandle, report: ExitReport, shuttingDown: boolean): Triage {
  // Nothing is on it any more.
  worker.load = 0;
  worker.heavy = 0;
  worker.cancellable = 0;
  const requeue: Job[] = [];
  const failed: Array<[Job, Error]> = [];
  const crashed = report.begun.at(-1) as Job | undefined;
  for (const dispatch of [...report.begun, ...report.notBegun]) {
    const job = dispatch as Job;
    if (job.settled) continue;
    job.worker = undefined;
    const movable = job.lease === undefined && job.pinned === undefined && job.request.op !== 'close';
    const neverRan = report.notBegun.includes(job);
    if (!shuttingDown && movable && job.cancelledBy === undefined && job !== crashed && (neverRan || job.target === 'read')) requeue.push(job);
    else failed.push([job, job.cancelledBy ?? new WorkerCrashedError(job.sql, report.cause)]);
  }
  return { requeue, failed };
}
