/**
 * Switches for the benchmark only: `THREADLITE_TUNING=pipeline=1,costAware=0`
 * turns a mechanism off so `npm run bench` can measure what it buys. Read
 * once at load; unset, every mechanism is on. Not a public API. Shared by the
 * main thread and the workers: imports nothing from `src/`.
 * @internal
 */
const settings = new Map(
  (process.env.THREADLITE_TUNING ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => pair.split('=', 2).map((s) => s.trim()) as [string, string]),
);

function number(name: string, fallback: number): number {
  const value = Number(settings.get(name));
  return settings.has(name) && Number.isFinite(value) ? value : fallback;
}

/** @internal */
export const TUNING = Object.freeze({
  /** Requests in flight per worker (1 = no pipelining). */
  pipelineDepth: Math.max(1, number('pipeline', 64)),
  /** Cost-aware scheduling of reads (0 = every read is light: least-loaded, pipelined). */
  costAware: number('costAware', 1) !== 0,
  /** Workers answer all queued messages in one post (0 = one post per incoming message). */
  coalesce: number('coalesce', 1) !== 0,
  /** Bytes per chunk of a large `all()` result (0 = the whole result in one message). */
  chunkBytes: number('chunkBytes', 256 * 1024),
  /** Collect the young generation between a large result's chunks once it holds this many bytes (0 = leave it to V8; see young-gc.ts). */
  youngGcBytes: Math.max(0, number('youngGc', 2 * 1024 * 1024)),
  /** Hybrid execution: cheap reads go to the readers while the main thread has more than it can run inline (0 = every cheap read runs inline; see inline-hybrid.ts). */
  hybrid: Math.max(0, number('hybrid', 32)),
  /** The writer takes the hybrid split's reads while a write was sent within this many ms (0 = never; see Scheduler.offloadTarget). */
  writerMix: Math.max(0, number('writerMix', 5)),
  /** Small reads to readers travel through a shared-memory ring (0 = every request by postMessage). */
  ring: number('ring', 1) !== 0,
  /** The writer has a ring too (0 = the writer's requests all by postMessage; needs `ring`). */
  writerRing: number('writerRing', 1) !== 0,
  /** Stop cancelled statements with sqlite3_interrupt (0 = terminate their worker, the fallback path). */
  interrupt: number('interrupt', 1) !== 0,
  /** Keep better-sqlite3 objects from background finalization (1 = on, 0 = off; unset: on Node >= 24). */
  finalizerGuard: settings.has('finalizerGuard') ? number('finalizerGuard', 1) !== 0 : undefined,
});
