/**
 * What the pool queues and sends: a call ({@link Job}) or a request for a
 * lease ({@link LeaseWaiter}), and the {@link Lease} itself. Each settles once.
 */
import type { SerializedError } from '../errors';
import type { Request } from '../protocol';
import type { ChangeBatch } from '../settings-protocol';
import type { Dispatch } from '../inflight';
import type { WorkerHandle } from '../worker-handle';

/** A failure reported by a worker, rebuilt into an error class by the awaiting caller. @internal */
export class RemoteError {
  constructor(readonly wire: SerializedError) {}
}

/** Where a job may run. @internal */
export type Target = 'read' | 'write';

/** Exclusive use of one worker by a transaction or a read snapshot. @internal */
export class Lease {
  /** Set when the lease can no longer be used, with the error its calls get. */
  closedBy: Error | undefined;
  /** Called once if the leased worker dies (closedBy is set by then). */
  onBroken: ((err: Error) => void) | undefined;
  constructor(readonly worker: WorkerHandle) {}
}

/** A call's answer: its value, the worker that gave it, and (for a statement) that worker's milliseconds in it. @internal */
export interface Answer {
  value: unknown;
  worker: WorkerHandle;
  cost?: number;
}

/** One call on its way through the pool. @internal */
export interface Job extends Dispatch {
  readonly request: Request;
  /** Submission order: writes reach the writer in this order (see {@link Queues.hold}). */
  readonly seq: number;
  /** A probe sent to a reader holds back later writes until it is answered (see {@link Queues.hold}). */
  holds: boolean;
  readonly sql: string | undefined;
  readonly target: Target;
  readonly lease: Lease | undefined;
  /** Cursor steps must go to the worker that holds the cursor. */
  readonly pinned: WorkerHandle | undefined;
  /** Waits for an idle reader (cleared if its statement turns out light while it waits). */
  heavy: boolean;
  /** Heavy only because its cost is not known yet (cleared, with `estimate` set, once it is). */
  guessed: boolean;
  estimate: number;
  /** Has a signal or timeout (without interrupt it runs alone on its worker: see the scheduler). */
  cancellable: boolean;
  worker: WorkerHandle | undefined;
  settled: boolean;
  /** Set when the call was cancelled while on a worker that can interrupt: its answer decides the outcome. */
  cancelledBy: Error | undefined;
  /** Terminates the worker if the interrupted statement does not stop (see INTERRUPT_GRACE_MS). */
  graceTimer: NodeJS.Timeout | undefined;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (err: unknown) => void;
  disarm: (() => void) | undefined;
  /** Receives the rows the request changed, before the call settles (see `CHANGE_SINK`). */
  readonly changes: ((changes: ChangeBatch) => void) | undefined;
}

/** A request for a lease, waiting for its worker. @internal */
export interface LeaseWaiter {
  readonly lease: true;
  readonly seq: number;
  readonly target: Target;
  settled: boolean;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (err: unknown) => void;
  disarm: (() => void) | undefined;
}

/** @internal */
export type QueueItem = Job | LeaseWaiter;

/** Whether a queue item asks for a lease rather than runs a statement. @internal */
export function isLeaseWaiter(item: QueueItem): item is LeaseWaiter {
  return 'lease' in item && item.lease === true;
}
