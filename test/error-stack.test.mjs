// Engine issue, row 12: an error from a query, caught with Node's default
// stack limit (10 frames), names the caller's own function; threadlite's own
// frames do not use up the limit, and the worker's frames come after the
// caller's, never in their place.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { open, SqliteError, TimeoutError } from 'threadlite';
import { tempFile } from './helpers.mjs';

const ownDir = dirname(createRequire(import.meta.url).resolve('threadlite'));

async function userLevel3(db, sql, options) {
  return await db.get(sql, [], options);
}
async function userLevel2(db, sql, options) {
  return await userLevel3(db, sql, options);
}
async function userLevel1(db, sql, options) {
  return await userLevel2(db, sql, options);
}

for (const [kind, sql, options, cls] of [
  ['a SqliteError', 'SELECT * FROM missing_table', undefined, SqliteError],
  ['a TimeoutError', 'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r', { timeout: 50 }, TimeoutError],
]) {
  test(`${kind} names the caller's frames first, within the default stack limit`, async (t) => {
    assert.equal(Error.stackTraceLimit, 10);
    const db = await open(tempFile(t), { readers: 1 });
    t.after(() => db.close());
    const err = await userLevel1(db, sql, options).catch((e) => e);
    assert.ok(err instanceof cls, String(err));
    const mainFrames = err.stack.split('\n').slice(1);
    for (const name of ['userLevel3', 'userLevel2', 'userLevel1']) {
      assert.ok(mainFrames.some((l) => l.includes(name)), `${name} is missing from\n${err.stack}`);
    }
    assert.ok(!mainFrames.some((l) => l.includes(ownDir)), `threadlite frames left in\n${err.stack}`);
    assert.ok(mainFrames[0].includes('userLevel3'), `the caller's frame is not first:\n${err.stack}`);
    // The stack ends with the caller's own frames (the test's); the worker's frames are the cause's.
    assert.ok(mainFrames.at(-1).includes('TestContext') || mainFrames.at(-1).includes('node:internal/test_runner'), `the stack does not end in the caller's chain:\n${err.stack}`);
    if (cls === SqliteError) {
      assert.match(err.cause.stack, /in the worker thread[\s\S]*worker\//);
      assert.equal(Object.keys(err).includes('cause'), false, 'cause is not enumerable: errors compare as better-sqlite3 errors do');
    }
  });
}
