// The inline watchdog stops a read for what it does, not for what the machine does to the main
// thread (src/inline-watchdog.ts): a cheap read whose thread was preempted in the middle is left to
// finish, a read that keeps the thread busy past the cap is still interrupted. The main thread is
// made to lose its CPU inside reads by test/fixtures/preempt-child.mjs (spinning threads on every
// core, the main thread at the lowest priority); each read spends a set amount of the main thread's
// own CPU time inside SQLite. Linux only (the watchdog reads the thread's CPU clock and /proc).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempFile } from './helpers.mjs';

const child = fileURLToPath(new URL('./fixtures/preempt-child.mjs', import.meta.url));
const linux = process.platform === 'linux';

/** Runs the child: `reads` reads, each spending `cpuMs` of the main thread's CPU inside SQLite. */
function run(file, cpuMs, reads) {
  return new Promise((resolve, reject) => {
    // One GC thread: a parallel scavenge inside a read would have the main thread wait (asleep) for
    // helper threads the spinners starve, which the watchdog rightly does not count as preemption.
    execFile(process.execPath, ['--single-threaded-gc', child, file, String(cpuMs), String(reads)], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

test('a cheap inline read preempted in the middle is not interrupted: it finishes on the main thread', { skip: !linux && 'Linux only' }, async (t) => {
  const file = tempFile(t);
  let preempted = [];
  for (let attempt = 1; attempt <= 5 && preempted.length === 0; attempt++) {
    const { interrupted, results } = await run(file, 0.05, 40);
    assert.ok(results.every((r) => r.ok), 'every read returned its row');
    // Preempted inside the read for longer than the cap (2 ms) and its probes: the old watchdog
    // interrupted each of these and sent it to a worker.
    preempted = results.filter((r) => r.hookMs > 4);
    t.diagnostic(`attempt ${attempt}: ${preempted.length} of 40 reads preempted (${preempted.map((r) => r.hookMs.toFixed(0)).join(', ')} ms), ${interrupted} interrupted`);
    assert.equal(interrupted, 0);
    assert.deepEqual(preempted.map((r) => r.by), preempted.map(() => 'main'));
  }
  if (preempted.length === 0) t.skip('the main thread was never preempted inside a read');
});

test('a read that keeps the main thread busy past the cap is interrupted even while the thread is starved', { skip: !linux && 'Linux only' }, async (t) => {
  // 10 ms of the thread's own CPU per read (five times the cap: room for a watchdog that first sees
  // the read late), with the thread getting little CPU: hundreds of ms each.
  const { interrupted, results } = await run(tempFile(t), 10, 4);
  assert.ok(results.every((r) => r.ok), 'every read returned its row');
  assert.equal(interrupted, 4);
  // Re-run on a worker, which answered.
  assert.ok(results.every((r) => r.by.startsWith('reader') || r.by === 'writer'), results.map((r) => r.by).join());
});
