/**
 * Large `all()` results leave the worker in chunks posted as they are ready,
 * ahead of the request's answer, without waiting to be asked (see
 * `RowsMessage`). Runs only inside a worker thread.
 *
 * Why: the main thread deserializes each message in one task, so one 100k-row
 * message would stall it for ~100 ms; chunks of about `TUNING.chunkBytes`
 * take 1–3 ms each. Posting them unasked (instead of one round trip per
 * chunk) and, for a statement known to be slow, while still stepping it, lets
 * the worker's row building and serializing overlap the main thread's
 * deserializing: the result is complete about when the last row is read.
 */
import type { RowMode, RowsPayload } from '../protocol';
import type { NativeObjects } from './native-objects';
import { chunkRows, type Rebuild, rowsPayload, rowsPerChunk } from './row-shape';

/** Posts one chunk of a request's rows to the main thread, ahead of its answer. @internal */
export type PostRows = (id: number, payload: RowsPayload) => void;

/** Sends the rows of an `all()` that has already run: every full chunk but the last is posted; the last is returned as the answer. @internal */
export function sendRows(id: number, rows: unknown[], mode: RowMode, rebuild: Rebuild | undefined, post: PostRows): RowsPayload {
  const limit = chunkRows(rows, mode);
  if (rows.length <= limit) return rowsPayload(rows, mode, rebuild);
  let start = 0;
  for (; rows.length - start > limit; start += limit) post(id, rowsPayload(rows.slice(start, start + limit), mode, rebuild));
  return rowsPayload(rows.slice(start), mode, rebuild);
}

/**
 * Steps `iterator` to the end, posting each chunk as soon as it is full; the
 * last (possibly empty) chunk is returned as the answer. A failure midway
 * closes the iterator and throws: the main thread drops the chunks already
 * posted (better-sqlite3's `all()` returns no rows when the statement fails).
 * @internal
 */
export function streamRows(
  id: number,
  iterator: IterableIterator<unknown>,
  mode: RowMode,
  rebuild: Rebuild | undefined,
  post: PostRows,
  natives: NativeObjects,
): RowsPayload {
  let rows: unknown[] = [];
  let limit = 0;
  try {
    for (let step = iterator.next(); !step.done; step = iterator.next()) {
      rows.push(step.value);
      if (limit === 0) limit = rowsPerChunk(step.value, mode);
      if (rows.length === limit) {
        post(id, rowsPayload(rows, mode, rebuild));
        rows = [];
      }
    }
  } catch (err) {
    iterator.return?.();
    throw err;
  } finally {
    natives.release(iterator);
  }
  return rowsPayload(rows, mode, rebuild);
}
