// Reader threads run at a lower priority on Linux (`readerNice`, default 10),
// so that under load the event loop and the writer get the CPU first; the
// main thread, the writer and libuv's thread pool keep the process's.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { test } from 'node:test';
import { open } from 'threadlite';
import { tempFile } from './helpers.mjs';

const setup = new URL('./fixtures/priority-setup.mjs', import.meta.url).href;
const linux = process.platform === 'linux';

/** Nice value of every thread of this process, from /proc (field 19 of each task's stat). */
function threadNices() {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

/** Asks every connection (a read held by each reader at once, the writer, the main thread) for its thread's nice value. */
async function nicePerRole(db, readers) {
  const sql = 'SELECT conn_role() AS role, thread_nice() AS nice';
  const seen = new Map();
  // Reads of a user function have no cost yet and run on workers; several at once reach every reader.
  for (let round = 0; round < 20 && seen.size < 2; round++) {
    for (const row of await Promise.all(Array.from({ length: readers * 4 }, () => db.get(sql)))) seen.set(row.role, row.nice);
  }
  await db.transaction(async (tx) => seen.set('writer', (await tx.get(sql)).nice));
  return seen;
}

test('readers run at nice 10 on Linux; the writer, the main thread and the thread pool do not', { skip: !linux && 'Linux only' }, async (t) => {
  const before = threadNices().filter((n) => n === 10).length;
  const db = await open(tempFile(t), { readers: 2, setup, inlineReads: 0 });
  t.after(() => db.close());
  const nices = await nicePerRole(db, 2);
  assert.equal(nices.get('reader'), 10);
  assert.equal(nices.get('writer'), 0);
  assert.equal(getPriority(), 0, 'the main thread keeps its priority');
  // Exactly the two reader threads: libuv's pool (used by this very test's file reads) was not
  // created at the lowered priority, nor did anything else inherit it.
  assert.equal(threadNices().filter((n) => n === 10).length - before, 2);
});

test('readerNice: 0 keeps readers at the process priority; other values are validated', { skip: !linux && 'Linux only' }, async (t) => {
  const db = await open(tempFile(t), { readers: 1, setup, inlineReads: 0, readerNice: 0 });
  t.after(() => db.close());
  assert.equal((await nicePerRole(db, 1)).get('reader'), 0);
  await assert.rejects(open(tempFile(t, 'b.db'), { readerNice: 20 }), { name: 'RangeError', message: 'options.readerNice must be between 0 and 19' });
  await assert.rejects(open(tempFile(t, 'c.db'), { readerNice: 1.5 }), { name: 'TypeError', message: 'options.readerNice must be an integer' });
});
