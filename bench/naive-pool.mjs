// A deliberately naive worker pool, the "what you would write in an afternoon"
// baseline: one worker per core, each with its own better-sqlite3 connection,
// a FIFO queue on the main thread, one job in flight per worker, rows sent
// back by plain structured clone. No routing, no error classes, no batching.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

if (!isMainThread && workerData?.naivePool) {
  const { default: Database } = await import('better-sqlite3');
  (await import('../scripts/keep-better-sqlite3.mjs')).keepBetterSqlite3Objects(); // Node >= 24 (see that file)
  const db = new Database(workerData.file);
  db.pragma('synchronous = NORMAL'); // as the other drivers, for fair writes
  const cache = new Map();
  parentPort.on('message', ({ id, method, sql, params }) => {
    try {
      let stmt = cache.get(sql);
      if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
      parentPort.postMessage({ id, value: stmt[method](...(params ?? [])) });
    } catch (err) {
      parentPort.postMessage({ id, error: { message: err.message, code: err.code } });
    }
  });
}

export class NaivePool {
  #idle = [];
  #queue = [];
  #jobs = new Map();
  #workers = [];
  #nextId = 0;

  constructor(file, size = availableParallelism()) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL(import.meta.url), { workerData: { naivePool: true, file } });
      worker.on('message', (msg) => this.#done(worker, msg));
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  #done(worker, { id, value, error }) {
    const job = this.#jobs.get(id);
    this.#jobs.delete(id);
    if (error) job.reject(Object.assign(new Error(error.message), { code: error.code }));
    else job.resolve(value);
    const next = this.#queue.shift();
    if (next) this.#send(worker, next);
    else this.#idle.push(worker);
  }

  #send(worker, job) {
    this.#jobs.set(job.msg.id, job);
    worker.postMessage(job.msg);
  }

  #call(method, sql, params) {
    return new Promise((resolve, reject) => {
      const job = { msg: { id: this.#nextId++, method, sql, params }, resolve, reject };
      const worker = this.#idle.pop();
      if (worker) this.#send(worker, job);
      else this.#queue.push(job);
    });
  }

  get(sql, params) { return this.#call('get', sql, params); }
  all(sql, params) { return this.#call('all', sql, params); }
  run(sql, params) { return this.#call('run', sql, params); }
  close() { return Promise.all(this.#workers.map((w) => w.terminate())); }
}
