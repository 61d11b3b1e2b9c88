import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { queryChannel, SqliteError } from 'threadlite';
import { openTemp } from './helpers.mjs';

test('queries are published on the threadlite:query tracing channel', async (t) => {
  // Inline reads off: the trace must name the reader worker (inline reads are traced as 'main',
  // which the inline tests check), and a cheap read may be admitted inline after one cheap run.
  const db = await openTemp(t, { readers: 1, inlineReads: 0 });
  await db.exec('CREATE TABLE t(x)');
  const events = [];
  const handlers = {
    start: (trace) => events.push(['start', trace.op, trace.sql]),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: (trace) => events.push(['asyncEnd', trace.op, trace.worker, trace.rows ?? trace.changes, typeof trace.duration]),
    error: (trace) => events.push(['error', trace.op, trace.error instanceof SqliteError ? trace.error.code : trace.error]),
  };
  const channel = diagnosticsChannel.tracingChannel('threadlite:query');
  assert.equal(channel.start, queryChannel.start, 'the exported channel is the named one');
  channel.subscribe(handlers);
  t.after(() => channel.unsubscribe(handlers));

  await db.run('INSERT INTO t VALUES (?), (?)', [1, 2]);
  for (let i = 0; i < 3; i++) await db.all('SELECT x FROM t');
  await db.get('SELECT x FROM t WHERE x = ?', [2]);
  await db.all('SELECT nope FROM t').catch(() => {});
  for await (const _ of db.iterate('SELECT x FROM t')) break;

  assert.deepEqual(events.slice(0, 2), [
    ['start', 'run', 'INSERT INTO t VALUES (?), (?)'],
    ['asyncEnd', 'run', 'writer', 2, 'number'],
  ]);
  const reads = events.filter((e) => e[0] === 'asyncEnd' && e[1] === 'all');
  assert.equal(reads.length, 4, 'three good reads and the failed one end');
  assert.deepEqual(reads[2].slice(2), ['reader:1', 2, 'number'], 'a learned read runs on the reader');
  assert.ok(events.some((e) => e[0] === 'asyncEnd' && e[1] === 'get' && e[3] === 1));
  assert.ok(events.some((e) => e[0] === 'error' && e[1] === 'all' && e[2] === 'SQLITE_ERROR'));
  assert.ok(events.some((e) => e[0] === 'start' && e[1] === 'iterate'));

  // Without subscribers nothing is published.
  channel.unsubscribe(handlers);
  const before = events.length;
  await db.all('SELECT x FROM t');
  assert.equal(events.length, before);
  channel.subscribe(handlers);
});
