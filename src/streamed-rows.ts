/**
 * Rows a worker posts ahead of its answer (a large `all()`, see
 * src/worker/row-stream.ts), on the main thread: kept with their request as
 * they arrive, handed over with its answer, joined into one result.
 */
import type { Response, RowMode, RowsMessage, RowsPayload } from './protocol';
import { decodeRows } from './rows';
import type { Dispatch } from './inflight';

/** Keeps a chunk with the in-flight request it belongs to (dropped if that request is gone). @internal */
export function keepRows(inflight: readonly Dispatch[], message: RowsMessage): void {
  for (const dispatch of inflight) {
    if (dispatch.request.id !== message.id) continue;
    (dispatch.streamed ??= []).push(message.payload);
    return;
  }
}

/** Hands the chunks kept for a request to its successful answer; a failed one drops them. @internal */
export function attachRows(dispatch: Dispatch, response: Response): void {
  if (dispatch.streamed !== undefined && response.ok) (response.value as RowsPayload).before = dispatch.streamed;
}

/**
 * All the rows of an answer: the chunks posted ahead of it, then its own.
 * Each chunk was deserialized in its own task as it arrived; joining them is
 * one copy. @internal
 */
export function joinRows(last: RowsPayload, mode: RowMode): unknown[] {
  if (last.before === undefined) return decodeRows(last, mode);
  const parts = last.before.map((payload) => decodeRows(payload, mode));
  parts.push(decodeRows(last, mode));
  return ([] as unknown[]).concat(...parts);
}
