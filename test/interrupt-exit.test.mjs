// What must hold for the whole process: with an endless statement running,
// process.exit() exits at once and a closed pool leaves nothing running; and
// without the native library, cancellation still works by terminating workers.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempFile } from './helpers.mjs';

const child = fileURLToPath(new URL('./fixtures/interrupt-child.mjs', import.meta.url));

/** Runs the child; resolves with its JSON lines, exit code, and ms from the line `step` to its exit. */
function run(mode, file, env = {}, step) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, mode, file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let stderr = '';
    let stepAt;
    let buffer = '';
    proc.stdout.on('data', (chunk) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        lines.push(line);
        if (line.step === step) stepAt = performance.now();
      }
    });
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ lines, code, signal, stderr, afterStep: stepAt === undefined ? undefined : performance.now() - stepAt });
    });
  });
}

test('process.exit(0) with an endless statement running exits within 1 s', async (t) => {
  const result = await run('exit', tempFile(t), {}, 'exiting');
  assert.equal(result.signal, null, `killed: ${result.stderr}`);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.lines[0].cancellation, 'interrupt');
  t.diagnostic(`exited ${result.afterStep.toFixed(0)} ms after process.exit(0)`);
  assert.ok(result.afterStep < 1000, `exited ${result.afterStep} ms after process.exit(0)`);
});

test('after close() with an endless statement running, the process exits by itself: no thread or timer left', async (t) => {
  const result = await run('natural', tempFile(t), {}, 'closed');
  assert.equal(result.signal, null, `killed: ${result.stderr}`);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.lines[0].runaway, 'PoolClosedError');
  t.diagnostic(`exited ${result.afterStep.toFixed(0)} ms after close() resolved`);
  assert.ok(result.afterStep < 1000, `exited ${result.afterStep} ms after close() resolved`);
});

test('without the native library: one warning, stats say so, and cancellation terminates the worker', async (t) => {
  const result = await run('fallback', tempFile(t), { THREADLITE_NATIVE: '/nonexistent/threadlite.node' }, 'fallback');
  assert.equal(result.code, 0, result.stderr);
  const [line] = result.lines;
  assert.equal(line.cancellation, 'terminate');
  assert.match(line.interruptUnavailable, /could not be loaded/);
  assert.deepEqual(line.interruptible, [false, false]);
  assert.equal(line.read, true);
  assert.ok(line.readMs < 1000, `the read rejected after ${line.readMs} ms`);
  assert.equal(line.write, true);
  assert.equal(line.rows, 0, 'the timed-out write was rolled back');
  assert.equal(line.respawns, 2);
  assert.deepEqual(
    line.warnings.map((w) => w.code),
    ['THREADLITE_NO_INTERRUPT'],
  );
});

test('the cancellation suite passes without the native library too', { timeout: 120_000 }, () => {
  const suite = fileURLToPath(new URL('./reliability-cancel.test.mjs', import.meta.url));
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=dot', suite], {
    env: { ...process.env, THREADLITE_NATIVE: '/nonexistent/threadlite.node' },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
