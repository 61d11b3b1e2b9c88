/**
 * Chunks of large results (src/worker/row-stream.ts), taken on the main
 * thread one per event-loop turn.
 *
 * Why: Node hands every message already queued on a port to its listener in
 * one go. When a worker posts a large result faster than the main thread
 * takes it in (the first run of a statement, whose rows are sent after it
 * finished; or a main thread that was busy), all its chunks were deserialized
 * in a single task: a first 100k-row `all()` held the loop 100–200 ms. So the
 * chunks travel on a port of their own that nobody listens to, the worker's
 * port carries a small notice per chunk, and the chunks are taken with
 * `receiveMessageOnPort`, one per turn. An answer batch that arrives while
 * chunks wait is held until they are in: a request's answer must find every
 * row that came before it. Ring answers need nothing: the in-flight list
 * delivers strictly in order, so none passes a held port answer.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { Dispatch } from './inflight';
import type { Response, RowsMessage } from './protocol';
import { keepRows } from './streamed-rows';
import { collectYoungIfFull } from './young-gc';

/** One worker's chunk port and the answers held behind its chunks. @internal */
export class RowsInbox {
  /** The worker's end of the chunk port, sent to it in its `WorkerConfig`. */
  readonly workerPort: MessagePort;
  readonly #port: MessagePort;
  /** Chunks noticed and not yet taken. */
  #waiting = 0;
  #scheduled = false;
  #closed = false;
  readonly #held: Response[][] = [];
  readonly #pending: () => readonly Dispatch[];
  readonly #deliver: (responses: Response[]) => void;

  /** `pending` lists the requests a chunk may belong to; `deliver` takes answer batches, in order. */
  constructor(pending: () => readonly Dispatch[], deliver: (responses: Response[]) => void) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.workerPort = port2;
    this.#pending = pending;
    this.#deliver = deliver;
  }

  /** The worker posted a chunk (it is on the port before its notice arrives). */
  notice(): void {
    // A worker given up on (detached) may still post: its chunks belong to requests already reported.
    if (this.#closed) return;
    this.#waiting++;
    this.#schedule();
  }

  /** A batch of answers by port: delivered now, or once the chunks posted before it are taken. */
  answers(responses: Response[]): void {
    if (this.#waiting === 0) this.#deliver(responses);
    else this.#held.push(responses);
  }

  /** Takes every waiting chunk now, then delivers the held answers (the worker is gone; what it sent is its truth). */
  drain(): void {
    while (this.#waiting > 0) this.#take();
    this.#release();
  }

  /** Closes the main thread's end once the worker is gone or given up on; later notices are ignored. */
  close(): void {
    this.#closed = true;
    this.#waiting = 0;
    this.#port.close();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#turn());
  }

  #turn(): void {
    this.#scheduled = false;
    if (this.#waiting === 0 || this.#closed) return;
    // A turn that collected the young generation takes no chunk: one pause per turn.
    if (!collectYoungIfFull()) this.#take();
    if (this.#waiting > 0) this.#schedule();
    else this.#release();
  }

  #take(): void {
    const got = receiveMessageOnPort(this.#port);
    // The worker posts a chunk before its notice, so a noticed chunk is always there.
    if (got === undefined) throw new Error('threadlite: a noticed chunk of rows is missing (internal error)');
    this.#waiting--;
    keepRows(this.#pending(), got.message as RowsMessage);
  }

  #release(): void {
    while (this.#waiting === 0 && this.#held.length > 0) this.#deliver(this.#held.shift() as Response[]);
  }
}
