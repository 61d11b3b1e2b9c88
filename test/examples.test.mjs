// Runs each example in its own process, as a user would, and checks its exit code and output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(file, args = [], env = {}) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file, ...args],
      { cwd: root, timeout: 60_000, killSignal: 'SIGKILL', env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }),
    );
  });
}

const cases = [
  ['examples/basic.mjs', [], /^basic example ok$/m, /^adults: ann, o'brien$/m],
  ['examples/kysely.mjs', [], /^kysely example ok$/m, /^streamed 2 books$/m],
  ['examples/drizzle.mjs', [], /^drizzle example ok$/m, /^Italo Calvino: Invisible Cities; /m],
  ['examples/sqlite3-orms.mjs', [], /^sqlite3 orms example ok$/m, /^knex: ann, bob$/m],
  ['examples/http-server.mjs', ['--self-test'], /^self-test ok$/m, /^listening on http:\/\/127\.0\.0\.1:\d+$/m],
];

for (const [file, args, done, detail] of cases) {
  test(`${file} ${args.join(' ')}`.trim(), async () => {
    const { code, stdout, stderr } = await run(file, args, { ROWS: '20000' });
    assert.equal(code, 0, `exit code ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    assert.match(stdout, done);
    assert.match(stdout, detail);
  });
}
