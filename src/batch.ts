/**
 * `batch()` on the main thread: turns the caller's statements into the
 * groups the writer runs (src/worker/batch-runner.ts), and its answers back
 * into one result per statement.
 *
 * The wire shape is chosen for the 100k-insert case, where cloning the
 * parameters (once on each thread) costs more than anything else the
 * library adds: positional parameter sets travel as one flat array per group.
 */
import { encodeParams, pushFlat } from './params';
import { MessageChannel } from 'node:worker_threads';
import { type BatchGroup, type BatchGroupResult, type BatchPart, type NewRequest, RowMode } from './protocol';
import { decodeRows } from './rows';
import type { BindParameters, RunResult } from './types';

/** One entry of {@link Queryable.batch}: SQL text alone, or SQL text and its parameters. */
export type BatchStatement = string | readonly [sql: string, params?: BindParameters];

/** One result of {@link Queryable.batch}: rows for a statement that returns data, else a {@link RunResult}. */
export type BatchResult = RunResult | unknown[];

/**
 * Groups consecutive statements with the same SQL text and parameter shape.
 * Throws a `TypeError` naming the first malformed entry, and whatever reading
 * the caller's own parameters throws (a Proxy trap, a getter). @internal
 */
export function encodeBatch(statements: readonly BatchStatement[], start = 0, end = statements.length): BatchGroup[] {
  const groups: BatchGroup[] = [];
  let last: BatchGroup | undefined;
  for (let i = start; i < end; i++) {
    const entry = statements[i];
    let sql: unknown;
    let params: unknown;
    if (typeof entry === 'string') sql = entry;
    else if (Array.isArray(entry)) {
      sql = entry[0];
      params = entry[1];
    }
    if (typeof sql !== 'string') throw new TypeError(`batch[${i}] must be a SQL string or a [sql, params] pair`);
    // No parameters, or a plain positional array: appended to a flat group
    // (run() and run(...[]) bind the same, and so do run([a, b]) and run(a, b)).
    const arity = params === undefined ? 0 : Array.isArray(params) ? params.length : -1;
    if (arity >= 0) {
      if (last?.kind === 'flat' && last.sql === sql && last.arity === arity) {
        if (arity === 0 || pushFlat(params, last.values)) {
          last.count++;
          continue;
        }
      } else {
        const values: unknown[] = [];
        if (arity === 0 || pushFlat(params, values)) {
          groups.push((last = { sql, kind: 'flat', arity, count: 1, values }));
          continue;
        }
      }
    }
    const wire = encodeParams(params);
    if (last?.kind !== 'sets' || last.sql !== sql) groups.push((last = { sql, kind: 'sets', params: [] }));
    if (wire.opaque !== undefined) (last.opaque ??= []).push([last.params.length, wire.opaque]);
    last.params.push(wire.params === undefined ? null : wire.params);
  }
  return groups;
}

/** Batches longer than this are sent in parts (see {@link runBatch}). */
const PIPELINE_MIN = 16_384;
/** Statements in the first part: small, so that the writer starts at once. */
const FIRST_PART = 2_048;
/** Statements in each further part: ~2–4 ms of encoding and cloning on the main thread. */
const PART = 8_192;

/**
 * Encodes and sends a batch with `call`, resolving with the writer's answers
 * per group. A large batch goes in parts: the first with the request, the
 * rest over a channel of its own while the writer already runs the first,
 * inside the same transaction (src/worker/batch-runner.ts). So the main
 * thread's encoding and cloning overlap the writer's work instead of coming
 * before it, and the event loop runs between parts. The writer runs nothing
 * else until the batch ends (it is one request), so no other write can land
 * inside it; a part the main thread cannot encode makes the writer roll back,
 * and the call rejects with the encoding error. @internal
 */
export async function runBatch(statements: readonly BatchStatement[], call: (request: NewRequest) => Promise<unknown>): Promise<BatchGroupResult[]> {
  const total = statements.length;
  if (total <= PIPELINE_MIN) return (await call({ op: 'batch', groups: encodeBatch(statements) })) as BatchGroupResult[];
  const first = encodeBatch(statements, 0, FIRST_PART);
  const { port1, port2 } = new MessageChannel();
  const posted = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const send = (part: BatchPart) => {
    port1.postMessage(part);
    Atomics.add(posted, 0, 1);
    Atomics.notify(posted, 0);
  };
  const parts = Math.ceil((total - FIRST_PART) / PART);
  const answer = call({ op: 'batch', groups: first, more: { port: port2, posted: posted.buffer as SharedArrayBuffer, parts } });
  let settled = false;
  answer.then(
    () => (settled = true),
    () => (settled = true),
  );
  try {
    // Stops early when the call failed before its end (cancelled before it began, pool closed).
    for (let start = FIRST_PART; start < total && !settled; start += PART) {
      // A turn of the event loop: the request leaves first, and timers and I/O run between parts.
      await new Promise((resolve) => setImmediate(resolve));
      let groups: BatchGroup[];
      try {
        groups = encodeBatch(statements, start, Math.min(start + PART, total));
        send({ groups });
      } catch (err) {
        send({ abort: true });
        await answer.catch(() => undefined);
        throw err;
      }
    }
    return (await answer) as BatchGroupResult[];
  } finally {
    port1.close();
  }
}

/** One result per statement, in order, from the writer's answers per group. @internal */
export function decodeBatch(answers: readonly BatchGroupResult[]): BatchResult[] {
  const results: BatchResult[] = [];
  for (const answer of answers) {
    if ('rows' in answer) {
      for (const payload of answer.rows) results.push(decodeRows(payload, RowMode.object));
    } else {
      const { changes, lastInsertRowid } = answer;
      for (let i = 0; i < changes.length; i++) {
        results.push({ changes: changes[i] as number, lastInsertRowid: lastInsertRowid[i] as number | bigint });
      }
    }
  }
  return results;
}

/** The SQL texts of a batch for its trace: each run of the same text once, joined by `;\n`. @internal */
export function summarize(statements: readonly BatchStatement[]): string {
  const texts: string[] = [];
  for (const entry of statements) {
    const sql = typeof entry === 'string' ? entry : Array.isArray(entry) ? entry[0] : undefined;
    if (typeof sql === 'string' && texts[texts.length - 1] !== sql) texts.push(sql);
  }
  return texts.join(';\n');
}
