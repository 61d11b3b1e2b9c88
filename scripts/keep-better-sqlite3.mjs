// For the project's own scripts that use better-sqlite3 directly on a thread
// (tests' reference connections, the demo and the benchmark's comparison side).
//
// better-sqlite3 12 built for Node >= 24.19 aborts the process when the
// garbage collector finalizes one of its objects from a background task
// (nodejs/node#65446; see src/worker/native-objects.ts, which guards the
// pool's own connections). On such a Node this keeps every better-sqlite3
// object made on the calling thread reachable for the thread's life: a
// connection once it prepares, executes or closes, statements and iterators
// as they are made. Node deletes them itself at exit. Fine for short-lived
// scripts; a long-running server would rather hold on to what it uses.
import Database from 'better-sqlite3';

const PATCHED = Symbol.for('threadlite.keep-better-sqlite3');

/** Keeps this thread's better-sqlite3 objects reachable, on Node >= 24 only. Idempotent. */
export function keepBetterSqlite3Objects() {
  if (Number(process.versions.node.split('.')[0]) < 24) return;
  const probe = new Database(':memory:');
  const native = Object.getOwnPropertySymbols(probe)
    .map((symbol) => probe[symbol])
    .find((value) => typeof value?.prepare === 'function');
  const databaseProto = Object.getPrototypeOf(native);
  if (databaseProto[PATCHED]) return;
  const kept = new Set([probe]);
  const keepAll = (proto, names) => {
    for (const name of names) {
      const method = proto[name];
      proto[name] = function kept_(...args) {
        kept.add(this);
        const result = method.apply(this, args);
        if (typeof result === 'object' && result !== null) kept.add(result);
        return result;
      };
    }
    proto[PATCHED] = true;
  };
  keepAll(databaseProto, ['prepare', 'exec', 'close']);
  keepAll(Object.getPrototypeOf(probe.prepare('SELECT 1')), ['iterate']);
  probe.close();
}
