/**
 * Worker entry: opens one connection, then executes request arrays from the
 * main thread and answers each with one response array, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../errors';
import { Cell, type Request, type Response, type RowsMessage, type RowsNotice, type RowsPayload, type StartupMessage, type WorkerConfig } from '../protocol';
import { TUNING } from '../tuning';
import { Connection } from './connection';
import { WorkerSettings } from './connection-settings';
import { lowerPriority } from './priority';
import { type RingRequest, WorkerRing } from './ring';

/** Ring requests the worker runs before it lets its event loop turn (see `pump`). */
const RING_RUN = 256;

const port = parentPort;
if (port === null) throw new Error('threadlite/worker must be started as a worker thread');
const config = workerData as WorkerConfig;
const cells = new Int32Array(config.cells);

function post(responses: Response[]): void {
  port?.postMessage({ type: 'responses', responses });
}

async function start(): Promise<void> {
  // Answers wait here until every message already queued has been served,
  // then leave in one message: under load a whole pipeline of requests is
  // answered with one postMessage (one wake-up of the main thread).
  let pending: Response[] = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (pending.length === 0) return;
    post(pending);
    pending = [];
  };
  // Chunks of a large result go at once, after the answers already computed,
  // each on the chunk port and then noticed on this one: the main thread
  // meets every message in the order it was produced, and takes the chunks
  // one per turn (src/rows-inbox.ts).
  const postRows = (id: number, payload: RowsPayload) => {
    flush();
    config.rowsPort.postMessage({ id, payload } satisfies RowsMessage);
    port?.postMessage({ type: 'rows' } satisfies RowsNotice);
  };
  let connection: Connection;
  try {
    connection = await Connection.open(config, cells, postRows);
  } catch (err) {
    port?.postMessage({ type: 'startup-error', error: serializeError(err) } satisfies StartupMessage);
    return;
  }
  await lowerPriority(config.nice);
  const settings = new WorkerSettings(config, connection.interruptible);
  const ring = config.ring === undefined ? undefined : new WorkerRing(config.ring);
  // Port requests waiting for their turn: with a ring, requests carry the
  // order the main thread sent them in, and ring requests may come first.
  const queue: Request[] = [];
  let queueHead = 0;
  let next = 0;
  let closed = false;
  const run = (request: Request, taken: RingRequest | undefined): void => {
    // Answer what is done before a request that may take long, so that
    // light results never wait behind a heavy one.
    if (pending.length > 0 && connection.isHeavy(request)) flush();
    Atomics.add(cells, Cell.started, 1);
    settings.beforeRequest();
    const response = connection.execute(request);
    settings.afterRequest(response);
    // A change answered in the ring is acknowledged the moment it is stored there; answers
    // computed before it, still waiting to be posted, must not be lost behind it if this
    // worker ends next (the main thread takes answers in order): post them first.
    if (taken !== undefined && config.role === 'writer' && !response.readerSafe && pending.length > 0) flush();
    if (taken !== undefined && ring?.answer(taken, response) === true) return;
    pending.push(response);
    // A ring request's answer that did not fit goes at once: the main thread takes answers in
    // order, so every later answer in the ring waits for this one.
    if (taken !== undefined) flush();
    // The writer acknowledges every change at once: a change that committed
    // must be reported even if this worker is terminated a moment later.
    if (config.role === 'writer' && request.op !== 'next' && !response.readerSafe) flush();
    if (request.op === 'close') {
      flush();
      closed = true;
      port?.close();
    }
  };
  const pump = (): void => {
    // Ring requests run in one go (no event-loop turn between them) up to a bound, then the loop
    // turns once: the worker's timers, immediates and messages must not wait behind a steady load.
    let budget = RING_RUN;
    while (!closed) {
      const head = queue[queueHead];
      if (head !== undefined && (head.seq === undefined || head.seq === next)) {
        queue[queueHead++] = undefined as unknown as Request;
        if (head.seq !== undefined) next = head.seq + 1;
        run(head, undefined);
      } else if (ring !== undefined && budget > 0 && ring.nextSeq() === next) {
        budget--;
        next++;
        const taken = ring.take();
        run(taken.request, taken);
      } else break;
    }
    if (queueHead === queue.length) {
      queue.length = 0;
      queueHead = 0;
    }
    if (closed) return;
    ring?.notify();
    if (budget === 0) setImmediate(pump);
    else ring?.wait(pump);
    if (!TUNING.coalesce) flush();
    else if (pending.length > 0 && !flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  };
  port?.on('message', (requests: Request[]) => {
    for (const request of requests) queue.push(request);
    pump();
  });
  // Requests may already wait in the ring (sent while the connection opened).
  pump();
  const ready: StartupMessage = { type: 'ready', interruptible: connection.interruptible };
  if (connection.nativeError !== undefined) ready.nativeError = connection.nativeError;
  port?.postMessage(ready);
}

void start();
