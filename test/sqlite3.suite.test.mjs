// node-sqlite3's own test suite (vendored in test/node-sqlite3/, BSD-3) against
// threadlite/sqlite3: exactly the tests documented in docs/sqlite3.md fail.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Tests that cannot pass, by title prefix, with the reason (the same list as docs/sqlite3.md). */
const EXPECTED = [
  ['backup can backup from temp to main', 'VACUUM temp INTO copies nothing (the backup is VACUUM INTO)'],
  ['backup can backup from main to temp', 'a backup into the open database (filenameIsDest false) is not available'],
  ['error handling throw when calling Database() without new', "V8's class message differs from node-addon-api's"],
  ['limit should support applying limits via configure', "configure('limit') is accepted and ignored"],
];

test("node-sqlite3's test suite passes but for the documented exceptions", { timeout: 240_000 }, () => {
  const script = fileURLToPath(new URL('../scripts/node-sqlite3-suite.mjs', import.meta.url));
  const report = JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8', maxBuffer: 16 << 20 }));
  const unexpected = report.failures.filter((f) => !EXPECTED.some(([prefix]) => f.title.startsWith(prefix)));
  assert.deepEqual(unexpected, []);
  assert.ok(report.passes >= 162, `passes: ${report.passes}`);
});
