// Durability under SIGKILL: a child process writes through the pool and
// reports each acknowledged row; the parent kills it at random moments, then
// checks the file with better-sqlite3 on the main thread.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { tempFile } from './helpers.mjs';

const CHILD = fileURLToPath(new URL('./fixtures/rel-durability-child.mjs', import.meta.url));
const ROUNDS = 24;

/** Runs the child until it has acknowledged rows for a random while, then SIGKILLs it. */
function killedRun(file, firstId, killAfterMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, file, String(firstId)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = [];
    let buffer = '';
    let stderr = '';
    let timer;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop(); // an incomplete line is not an acknowledgement
      for (const line of lines) {
        if (line === 'ready') timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else acked.push(Number(line));
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}/${signal}: ${stderr}`));
      else resolve(acked);
    });
  });
}

test(`every acknowledged write survives SIGKILL (${ROUNDS} rounds)`, async (t) => {
  const file = tempFile(t);
  const acked = new Set();
  for (let round = 0; round < ROUNDS; round++) {
    // Kill at random moments, from right after open to well into the writes.
    const ids = await killedRun(file, round * 1_000_000 + 1, Math.floor(Math.random() * 400));
    for (const id of ids) acked.add(id);
    const db = new Database(file);
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `round ${round}`);
      const present = new Set(db.prepare('SELECT id FROM acks').pluck().all());
      const missing = [...acked].filter((id) => !present.has(id));
      assert.deepEqual(missing, [], `round ${round}: acknowledged rows lost`);
      // Transactions are atomic: the ids of one are all there or none is.
      const torn = db.prepare("SELECT payload FROM acks WHERE payload LIKE 'tx:%' GROUP BY payload HAVING count(*) <> 3").all();
      assert.deepEqual(torn, []);
    } finally {
      db.close();
    }
  }
  assert.ok(acked.size > 100, `only ${acked.size} acknowledged writes`);
  const db = new Database(file, { readonly: true });
  t.diagnostic(`${acked.size} acknowledged rows, ${db.prepare('SELECT count(*) FROM acks').pluck().get()} present`);
  db.close();
});
