// The worker side of bench/hop.mjs: one read-only better-sqlite3 connection
// answering point reads over the transport named by workerData.variant.
//   post-*  : request arrays by postMessage (as src/worker/main.ts receives them),
//             answered with response objects (post-objects, post-raw, post-spin)
//             or one typed array of ids and costs plus one flat array of values (post-compact)
//             post-wait takes its messages synchronously and sleeps in Atomics.wait
//   ring-*  : fixed slots in a SharedArrayBuffer (bench/hop-ring.mjs); the
//             worker runs a synchronous loop and sleeps in Atomics.wait, except
//             ring-async-loop, which stays in its event loop (Atomics.waitAsync)
import { readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { Ctl, readRequest, ringViews, writeAnswer } from './hop-ring.mjs';

const Database = createRequire(import.meta.url)('better-sqlite3');
const { variant, file, sab, spinUs, sql } = workerData;
const port = parentPort;
const db = new Database(file, { readonly: true, fileMustExist: true });
const ring = ringViews(sab);
const { ctl } = ring;

// A statement cache keyed by SQL text, as the worker's statement-cache.ts is.
const objectStatements = new Map();
const rawStatements = new Map();
function prepared(text, raw) {
  const cache = raw ? rawStatements : objectStatements;
  let stmt = cache.get(text);
  if (stmt === undefined) {
    stmt = db.prepare(text);
    if (raw) stmt.raw(true);
    cache.set(text, stmt);
  }
  return stmt;
}
// Statement indexes for the ring (its requests carry an index, not the text).
const byIndex = [sql];

/** Today's shape: one object per response, the row an object (post-raw: an array of values). */
function serveObject(request, raw) {
  Atomics.add(ctl, Ctl.started, 1);
  const t0 = performance.now();
  try {
    const value = prepared(request.sql, raw).get(...request.params);
    return { id: request.id, ok: true, value, readerSafe: true, cost: performance.now() - t0, inTransaction: false };
  } catch (err) {
    return { id: request.id, ok: false, error: { name: err.name, message: err.message, code: err.code }, cost: performance.now() - t0, inTransaction: false };
  }
}

/** Compact: per answer [id, value count (-1 no row, -2 error), cost] in one list, values flat in another. */
function serveCompact(request, meta, values) {
  Atomics.add(ctl, Ctl.started, 1);
  const t0 = performance.now();
  try {
    const row = prepared(request.sql, true).get(...request.params);
    meta.push(request.id, row === undefined ? -1 : row.length, performance.now() - t0);
    if (row !== undefined) for (const v of row) values.push(v);
  } catch (err) {
    meta.push(request.id, -2, performance.now() - t0);
    values.push({ name: err.name, message: err.message, code: err.code });
  }
}

/** post-objects, post-compact, post-spin: answers coalesced per setImmediate, as today. */
function runPosted() {
  const compact = variant === 'post-compact';
  const raw = variant === 'post-raw';
  let pending = [];
  let meta = [];
  let values = [];
  let queued = false;
  const flush = () => {
    queued = false;
    if (compact) {
      if (meta.length === 0) return;
      port.postMessage({ type: 'compact', meta: Float64Array.from(meta), values });
      meta = [];
      values = [];
    } else {
      if (pending.length === 0) return;
      port.postMessage({ type: 'responses', responses: pending });
      pending = [];
    }
  };
  const serveAll = (requests) => {
    for (const request of requests) {
      if (compact) serveCompact(request, meta, values);
      else pending.push(serveObject(request, raw));
    }
  };
  port.on('message', (requests) => {
    Atomics.add(ctl, Ctl.workerWakes, 1);
    serveAll(requests);
    if (variant !== 'post-spin') {
      if (!queued) {
        queued = true;
        setImmediate(flush);
      }
      return;
    }
    // Fewer wake-ups of the worker: take what is already queued, answer, then
    // poll the port for spinUs before going back to sleep in the event loop.
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) serveAll(m.message);
    flush();
    let until = performance.now() + spinUs / 1000;
    while (performance.now() < until) {
      const m = receiveMessageOnPort(port);
      if (m === undefined) continue;
      serveAll(m.message);
      for (let more = receiveMessageOnPort(port); more !== undefined; more = receiveMessageOnPort(port)) serveAll(more.message);
      flush();
      until = performance.now() + spinUs / 1000;
    }
  });
}

/**
 * post-wait: the requests and answers of post-objects, but the worker never
 * returns to its event loop: it takes messages with receiveMessageOnPort and,
 * when there are none, sleeps in Atomics.wait on a counter the main thread
 * bumps after each post (a futex wake instead of the event loop's).
 */
function runPostWait() {
  let pending = [];
  const take = () => {
    const m = receiveMessageOnPort(port);
    if (m === undefined) return false;
    for (const request of m.message) pending.push(serveObject(request, false));
    return true;
  };
  for (;;) {
    if (take()) continue;
    if (pending.length > 0) {
      port.postMessage({ type: 'responses', responses: pending });
      pending = [];
    }
    Atomics.store(ctl, Ctl.workerSleeping, 1);
    const seen = Atomics.load(ctl, Ctl.reqWritten);
    if (!take() && Atomics.wait(ctl, Ctl.reqWritten, seen) === 'ok') Atomics.add(ctl, Ctl.workerWakes, 1);
    Atomics.store(ctl, Ctl.workerSleeping, 0);
    if (Atomics.load(ctl, Ctl.stop) === 1) return;
  }
}

/**
 * Runs the ring request in slot `read` and publishes its answer in slot
 * `written` (both ring variants serve requests this way).
 */
function serveSlot(read, written) {
  const [id, stmt, param] = readRequest(ring, read);
  Atomics.add(ctl, Ctl.started, 1);
  const t0 = performance.now();
  try {
    const row = prepared(byIndex[stmt], true).get(param);
    writeAnswer(ring, written, id, true, performance.now() - t0, row);
  } catch (err) {
    writeAnswer(ring, written, id, false, performance.now() - t0, err.message);
  }
  Atomics.store(ctl, Ctl.resWritten, written + 1);
}

/** ring-*: a synchronous loop over the request ring; answers go into the answer ring. */
function runRing() {
  let read = 0;
  let written = 0;
  let signalled = 0;
  const bell = variant !== 'ring-async';
  const signal = () => {
    if (written === signalled) return;
    signalled = written;
    // ring-async: the main thread holds an Atomics.waitAsync on resWritten.
    // ring-bell*: post a doorbell only if the main thread said it is waiting.
    if (!bell) Atomics.notify(ctl, Ctl.resWritten);
    else if (Atomics.load(ctl, Ctl.mainArmed) === 1 && Atomics.exchange(ctl, Ctl.mainArmed, 0) === 1) port.postMessage(0);
  };
  for (;;) {
    let available = Atomics.load(ctl, Ctl.reqWritten);
    if (available === read) {
      // Idle: whatever was answered is announced now (one signal per burst).
      signal();
      if (spinUs > 0) {
        const until = performance.now() + spinUs / 1000;
        while ((available = Atomics.load(ctl, Ctl.reqWritten)) === read && performance.now() < until);
      }
      if (available === read) {
        Atomics.store(ctl, Ctl.workerSleeping, 1);
        // Re-check after announcing the sleep: a request published in between is seen here or notified.
        if (Atomics.load(ctl, Ctl.reqWritten) === read && Atomics.wait(ctl, Ctl.reqWritten, read) === 'ok') Atomics.add(ctl, Ctl.workerWakes, 1);
        Atomics.store(ctl, Ctl.workerSleeping, 0);
        if (Atomics.load(ctl, Ctl.stop) === 1) return;
        continue;
      }
    }
    while (read !== available) serveSlot(read++, written++);
  }
}

/**
 * ring-async-loop: the ring of ring-async, but the worker stays in its event
 * loop and waits with Atomics.waitAsync (timers, immediates and messages keep
 * working there, which threadlite's worker relies on).
 */
function runRingInLoop() {
  let read = 0;
  let written = 0;
  // A pending waitAsync does not keep a thread's event loop alive; a listening port does.
  port.on('message', () => {});
  const serve = () => {
    Atomics.store(ctl, Ctl.workerSleeping, 0);
    if (Atomics.load(ctl, Ctl.stop) === 1) return;
    for (let available = Atomics.load(ctl, Ctl.reqWritten); read !== available; available = Atomics.load(ctl, Ctl.reqWritten)) {
      while (read !== available) serveSlot(read++, written++);
    }
    Atomics.notify(ctl, Ctl.resWritten);
    Atomics.store(ctl, Ctl.workerSleeping, 1);
    const w = Atomics.waitAsync(ctl, Ctl.reqWritten, read);
    if (w.async) w.value.then(() => (Atomics.add(ctl, Ctl.workerWakes, 1), serve()));
    else setImmediate(serve);
  };
  serve();
}

// The thread's own id, so the main thread can read its CPU time from /proc.
const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
port.postMessage({ type: 'ready', tid, columns: db.prepare(sql).columns().map((c) => c.name) });
if (variant === 'ring-async-loop') runRingInLoop();
else if (variant.startsWith('ring')) setImmediate(runRing);
else if (variant === 'post-wait') setImmediate(runPostWait);
else runPosted();
