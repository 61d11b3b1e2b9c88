// One trial of bench/hop.mjs, in its own process: opens one transport variant
// (or better-sqlite3 on this thread), then measures point reads at 1 and at 64
// in flight, with the CPU time of this thread and of the worker thread.
//
//   node bench/hop-child.mjs <variant> <database file>   (started by bench/hop.mjs)
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { median, percentile, runLanes } from './lib.mjs';
import { Ctl, IN_FLIGHT_MAX, RING_BYTES, readAnswer, ringViews, writeRequest } from './hop-ring.mjs';

const SQL = 'SELECT * FROM items WHERE id = ?';
const ROWS = 100_000;
const SPIN_US = 50;

/** CPU nanoseconds a thread of this process has run (/proc schedstat: exact, unlike clock ticks). */
function threadCpuNs(tid) {
  if (tid === undefined) return 0;
  if (tid === 'others') {
    // threadlite's pool: every thread but this one (its writer and reader, and Node's helper threads).
    let sum = 0;
    for (const t of readdirSync('/proc/self/task')) if (Number(t) !== process.pid) sum += threadCpuNs(t);
    return sum;
  }
  return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}

/** Times this thread was called back with answers (a message, a doorbell, a waitAsync). */
let mainWakes = 0;

/** Requests in flight, oldest first, each with its promise's settle functions. */
class Inflight {
  #items = [];
  #head = 0;
  get size() {
    return this.#items.length - this.#head;
  }
  push(item) {
    this.#items.push(item);
  }
  shift(id) {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (item === undefined || item.id !== id) throw new Error(`answer ${id} out of order`);
    if (this.#head > 1024) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/** postMessage transports: request arrays flushed once per tick (src/worker-handle.ts's shape). */
function postClient(worker, columns, compact, raw, ctl) {
  const inflight = new Inflight();
  let outbox = [];
  let queued = false;
  let next = 0;
  const flush = () => {
    queued = false;
    const batch = outbox;
    outbox = [];
    worker.postMessage(batch);
    if (ctl === undefined) return;
    // post-wait: the worker sleeps in Atomics.wait, not in its event loop.
    Atomics.add(ctl, Ctl.reqWritten, 1);
    if (Atomics.load(ctl, Ctl.workerSleeping) === 1 && Atomics.exchange(ctl, Ctl.workerSleeping, 0) === 1) Atomics.notify(ctl, Ctl.reqWritten, 1);
  };
  worker.on('message', (m) => {
    mainWakes++;
    if (m.type === 'responses') {
      for (const r of m.responses) {
        const item = inflight.shift(r.id);
        if (!r.ok) item.reject(Object.assign(new Error(r.error.message), { code: r.error.code }));
        else if (!raw || r.value === undefined) item.resolve(r.value);
        else {
          const row = {};
          for (let j = 0; j < columns.length; j++) row[columns[j]] = r.value[j];
          item.resolve(row);
        }
      }
      return;
    }
    const { meta, values } = m;
    let k = 0;
    for (let i = 0; i < meta.length; i += 3) {
      const item = inflight.shift(meta[i]);
      const n = meta[i + 1];
      if (n === -2) item.reject(Object.assign(new Error(values[k].message), { code: values[k++].code }));
      else if (n === -1) item.resolve(undefined);
      else {
        const row = {};
        for (let j = 0; j < n; j++) row[columns[j]] = values[k + j];
        k += n;
        item.resolve(row);
      }
    }
  });
  const get = (id) =>
    new Promise((resolve, reject) => {
      const reqId = ++next;
      inflight.push({ id: reqId, resolve, reject });
      outbox.push({ id: reqId, op: 'get', sql: SQL, params: [id], mode: 0 });
      if (!queued) {
        queued = true;
        queueMicrotask(flush);
      }
    });
  get.stop = () => {
    if (ctl === undefined) return;
    Atomics.store(ctl, Ctl.stop, 1);
    Atomics.notify(ctl, Ctl.reqWritten);
  };
  return get;
}

/**
 * Ring transports. The main thread publishes each request at once (a spinning
 * worker starts it without a wake-up) and notifies only a sleeping worker. It
 * learns of answers by Atomics.waitAsync (ring-async) or by a doorbell message
 * the worker posts only when this thread said it is waiting (ring-bell*), and
 * in between drains the ring on its own after submitting (at most a few times
 * per wake-up, so a busy worker cannot keep this thread in microtasks forever).
 */
function ringClient(worker, columns, sab, useWaitAsync) {
  const ring = ringViews(sab);
  const { ctl } = ring;
  const inflight = new Inflight();
  let next = 0;
  let reqWritten = 0;
  let resRead = 0;
  let kickQueued = false;
  let waiting = false;
  let drainsLeft = 4;
  const drain = () => {
    const available = Atomics.load(ctl, Ctl.resWritten);
    while (resRead !== available) {
      const answer = readAnswer(ring, resRead, columns);
      resRead++;
      const item = inflight.shift(answer.id);
      if (answer.ok) item.resolve(answer.row);
      else item.reject(new Error(answer.row));
    }
  };
  const onWake = () => {
    waiting = false;
    drainsLeft = 4;
    drain();
    arm();
  };
  const arm = () => {
    if (inflight.size === 0) return;
    if (useWaitAsync) {
      if (waiting) return;
      waiting = true;
      const w = Atomics.waitAsync(ctl, Ctl.resWritten, resRead);
      if (w.async) w.value.then(() => (mainWakes++, onWake()));
      else queueMicrotask(onWake);
      return;
    }
    Atomics.store(ctl, Ctl.mainArmed, 1);
    // Answers published before the flag was seen get no doorbell: take them now.
    if (Atomics.load(ctl, Ctl.resWritten) !== resRead && Atomics.exchange(ctl, Ctl.mainArmed, 0) === 1) queueMicrotask(onWake);
  };
  const kick = () => {
    kickQueued = false;
    if (drainsLeft > 0) {
      drainsLeft--;
      drain();
    }
    arm();
  };
  if (!useWaitAsync) worker.on('message', () => (mainWakes++, onWake()));
  const get = (id) =>
    new Promise((resolve, reject) => {
      if (inflight.size >= IN_FLIGHT_MAX) throw new Error('ring full');
      const reqId = ++next;
      inflight.push({ id: reqId, resolve, reject });
      writeRequest(ring, reqWritten, reqId, 0, id);
      Atomics.store(ctl, Ctl.reqWritten, ++reqWritten);
      if (Atomics.load(ctl, Ctl.workerSleeping) === 1 && Atomics.exchange(ctl, Ctl.workerSleeping, 0) === 1) Atomics.notify(ctl, Ctl.reqWritten, 1);
      if (!kickQueued) {
        kickQueued = true;
        queueMicrotask(kick);
      }
    });
  get.stop = () => {
    Atomics.store(ctl, Ctl.stop, 1);
    Atomics.notify(ctl, Ctl.reqWritten);
  };
  return get;
}

async function open(variant, file) {
  if (variant === 'better-sqlite3') {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const stmt = new Database(file, { readonly: true }).prepare(SQL);
    return { get: async (id) => stmt.get(id), tid: undefined };
  }
  if (variant === 'threadlite') {
    // The whole pool, for reference: engine and transport (one reader, so one worker serves the reads).
    const { open: openPool } = await import('threadlite');
    const pool = await openPool(file, { readers: 1, inlineReads: 0 });
    return { get: (id) => pool.get(SQL, [id]), tid: 'others' };
  }
  const sab = new SharedArrayBuffer(RING_BYTES);
  const spinUs = variant.endsWith('-spin') ? SPIN_US : 0;
  const worker = new Worker(new URL('./hop-worker.mjs', import.meta.url), { workerData: { variant, file, sab, spinUs, sql: SQL } });
  const ready = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const get = variant.startsWith('ring')
    ? ringClient(worker, ready.columns, sab, variant.startsWith('ring-async'))
    : postClient(worker, ready.columns, variant === 'post-compact', variant === 'post-raw', variant === 'post-wait' ? ringViews(sab).ctl : undefined);
  return { get, tid: ready.tid, ctl: ringViews(sab).ctl };
}

/** Runs one phase and returns its figures, CPU per read included. */
async function phase(db, inFlight, durationMs, rand) {
  const op = async () => {
    const id = 1 + ((rand() * ROWS) | 0);
    const row = await db.get(id);
    if (row?.id !== id) throw new Error(`wrong row for ${id}`);
  };
  const elu0 = performance.eventLoopUtilization();
  const main0 = threadCpuNs(process.pid);
  const worker0 = threadCpuNs(db.tid);
  const cpu0 = process.cpuUsage();
  const wakes0 = mainWakes;
  const workerWakes0 = db.ctl ? Atomics.load(db.ctl, Ctl.workerWakes) : 0;
  const r = await runLanes({ inFlight, durationMs, op });
  const cpu = process.cpuUsage(cpu0);
  const reads = r.latencies.length;
  if (r.errors) throw new Error(r.firstError);
  return {
    qps: reads / (r.elapsedMs / 1000),
    p50Us: median(r.latencies) * 1000,
    p99Us: percentile(r.latencies, 99) * 1000,
    mainCpuUs: (threadCpuNs(process.pid) - main0) / 1000 / reads,
    workerCpuUs: (threadCpuNs(db.tid) - worker0) / 1000 / reads,
    processCpuUs: (cpu.user + cpu.system) / reads,
    elu: performance.eventLoopUtilization(elu0).utilization,
    // Not counted inside threadlite's pool.
    mainWakesPer100: db.tid === 'others' ? null : ((mainWakes - wakes0) * 100) / reads,
    workerWakesPer100: db.ctl ? ((Atomics.load(db.ctl, Ctl.workerWakes) - workerWakes0) * 100) / reads : db.tid === 'others' ? null : 0,
  };
}

const [variant, file] = process.argv.slice(2);
const db = await open(variant, file);
let seed = 7;
const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
await runLanes({ inFlight: 64, durationMs: 300, op: () => db.get(1 + ((rand() * ROWS) | 0)) });
const one = await phase(db, 1, 1000, rand);
const many = await phase(db, 64, 1500, rand);
db.get.stop?.();
process.send({ variant, load: loadavg()[0], one, many }, () => process.exit(0));
