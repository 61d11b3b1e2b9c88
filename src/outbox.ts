/**
 * The requests waiting to be posted to one worker's port. Those queued in
 * the same tick travel in one message (pipelining).
 */
import type { Worker } from 'node:worker_threads';
import { type Request, transferList } from './protocol';

/** A request that could not be posted, and why. @internal */
export interface Unsent {
  request: Request;
  error: unknown;
}

/** @internal */
export class Outbox {
  #requests: Request[] = [];

  get size(): number {
    return this.#requests.length;
  }

  push(request: Request): void {
    this.#requests.push(request);
  }

  clear(): void {
    this.#requests = [];
  }

  /**
   * Posts every queued request in one message. If something in one request
   * cannot be cloned (src/params.ts keeps user values from getting here; this
   * is the last line of defence), the requests go one by one and only those
   * that cannot travel fail: each is replaced by a stand-in that does nothing
   * (closing a cursor that does not exist), so the worker's order and its
   * count of requests begun stay whole; the caller answers it with the error.
   */
  post(worker: Worker): Unsent[] | undefined {
    const batch = this.#requests;
    this.#requests = [];
    try {
      worker.postMessage(batch, transferList(batch));
      return undefined;
    } catch {
      const unsent: Unsent[] = [];
      for (const request of batch) {
        try {
          worker.postMessage([request], transferList([request]));
        } catch (error) {
          unsent.push({ request, error });
          const standIn: Request = { id: request.id, op: 'close-cursor', cursor: 0 };
          if (request.seq !== undefined) standIn.seq = request.seq;
          worker.postMessage([standIn]);
        }
      }
      return unsent;
    }
  }
}
