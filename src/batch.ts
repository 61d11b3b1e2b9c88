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
import { type BatchGroup, type BatchGroupResult, RowMode } from './protocol';
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
export function encodeBatch(statements: readonly BatchStatement[]): BatchGroup[] {
  const groups: BatchGroup[] = [];
  let last: BatchGroup | undefined;
  for (let i = 0; i < statements.length; i++) {
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
