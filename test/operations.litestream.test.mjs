// Replication with the real Litestream binary (@flydotio/litestream): a
// threadlite application writes under Litestream, closes cleanly once while
// Litestream runs, writes again and is SIGKILLed together with Litestream; the
// replica (a local directory) is restored into a fresh path and checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drill, litestreamBinary } from '../scripts/litestream-drill.mjs';
import { tempDir } from './helpers.mjs';

const binary = litestreamBinary();
const SYNC_MS = 1000;
const MONITOR_MS = 1000;

test(
  'a Litestream replica restores every write acknowledged before the last sync interval',
  { skip: binary === undefined && `no Litestream binary for ${process.platform}-${process.arch}` },
  async (t) => {
    // Litestream's defaults (monitor and sync every second), a steady 1,000 writes/s.
    const result = await drill({ binary, dir: tempDir(t), seconds: 3, sync: `${SYNC_MS}ms`, monitor: `${MONITOR_MS}ms`, rate: 1000 });
    t.diagnostic(
      `acknowledged ${result.acked}, restored ${result.present}; lag at the kill ${result.lagMs} ms; ` +
        `oldest lost write ${result.oldestLostMs} ms before the kill; restore ${result.restoreMs.toFixed(0)} ms`,
    );
    assert.equal(result.integrity, 'ok');
    assert.ok(result.present > result.acked / 2, 'most writes were replicated');
    // A write is at risk until Litestream has noticed it (monitor interval) and shipped it (sync interval).
    assert.ok(result.oldestLostMs <= SYNC_MS + MONITOR_MS, `a write acknowledged ${result.oldestLostMs} ms before the kill was lost`);
    // close() while Litestream runs leaves the WAL to Litestream (its read
    // lock keeps SQLite from deleting it), so replication goes on in the same
    // generation: no new full snapshot.
    assert.ok(result.walAfterClose > 0, 'close() removed the WAL under Litestream');
    assert.equal(result.log.match(/sync: new generation/g)?.length, 1, result.log);
  },
);

test(
  'when only the application is killed, Litestream ships everything it acknowledged',
  { skip: binary === undefined && `no Litestream binary for ${process.platform}-${process.arch}` },
  async (t) => {
    // The WAL is on disk when a write is acknowledged; Litestream, still running, picks it up.
    const result = await drill({ binary, dir: tempDir(t), seconds: 2, sync: '500ms', monitor: '500ms', rate: 1000, kills: 'app', afterMs: 2500 });
    t.diagnostic(`acknowledged ${result.acked}, restored ${result.present}`);
    assert.equal(result.integrity, 'ok');
    assert.equal(result.missing, 0, `${result.missing} acknowledged writes missing from the replica`);
  },
);
