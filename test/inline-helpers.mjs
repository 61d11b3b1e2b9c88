// Helpers shared by the inline-path tests: which connection answered each
// query, warming a read until it runs inline, and the longest event-loop gap
// while something runs.
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * Records which connection answered each query, from the tracing channel: `seen` fills with
 * [sql, worker] pairs as queries settle; `stop()` unsubscribes. Child-process fixtures use it too.
 */
export function traceWorkers() {
  const seen = [];
  const handlers = { start() {}, end() {}, asyncStart() {}, error() {}, asyncEnd: (trace) => seen.push([trace.sql, trace.worker]) };
  const channel = diagnosticsChannel.tracingChannel('threadlite:query');
  channel.subscribe(handlers);
  return { seen, stop: () => channel.unsubscribe(handlers) };
}

/** {@link traceWorkers} for a test (unsubscribed after it); returns a lookup by SQL. */
export function watchWorkers(t) {
  const { seen, stop } = traceWorkers();
  t.after(stop);
  return (sql) => seen.filter(([s]) => s === sql).map(([, w]) => w);
}

/** Resolves on a fresh event-loop turn (its check phase). */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs a read until it answers on the main thread (the pool must first learn its route and cost).
 * `patienceMs`: keep trying that long after the first 200 reads, 20 ms apart: a text taken off
 * the inline path (a read the watchdog stopped whose re-run failed or was slow) stays off for a
 * second or more.
 */
export async function warmInline(db, workers, sql, params, { patienceMs = 0 } = {}) {
  const deadline = performance.now() + patienceMs;
  for (let i = 0; i < 200 || performance.now() < deadline; i++) {
    await db.get(sql, params);
    if (workers(sql).at(-1) === 'main') {
      // A fresh turn: the caller's next read starts with the turn's whole inline budget.
      await nextTurn();
      return;
    }
    if (i >= 200) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`${sql} never ran inline: ${workers(sql).slice(-5).join()}`);
}

/** The longest gap between ticks of a 1 ms interval while `fn` runs, and its result. */
export async function longestStall(fn) {
  let last = performance.now();
  let longest = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 5));
  longest = 0;
  last = performance.now();
  try {
    const value = await fn();
    // One more macrotask, so the probe sees a gap that a synchronous call left behind.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { value, longest };
  } finally {
    clearInterval(probe);
  }
}
