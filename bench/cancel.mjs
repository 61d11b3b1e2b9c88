// Cancellation benchmark: what a timeout on a running statement costs, with
// sqlite3_interrupt (the default) against the old path that terminates the
// worker (THREADLITE_TUNING=interrupt=0), in the same run, interleaved.
//
//   node bench/cancel.mjs [--reps N] [--no-docs]      (npm run bench:cancel)
//
// For each statement and mode, in a fresh child process per (repetition, mode):
//   deadline -> rejection          how late the caller learns
//   deadline -> CPU idle           until a 20 ms window in which the process uses < 10% of a core
//   deadline -> next answer        a SELECT issued at the rejection, answered by the same slot
// The statements are bounded (a few seconds of work) so the terminate path,
// which cannot stop them, ends too. Medians over repetitions go to
// docs/benchmark.md (section "cancellation").
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEADLINE = 100;
const IDLE_CAP_MS = 8000;
const STATEMENTS = {
  'recursive CTE, ~4 s': ['get', 'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 40000000) SELECT count(*) AS n FROM r'],
  'all() of 2M rows': ['all', 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT x, x * 2 AS y FROM c'],
  'self-join, 36M pairs': ['get', 'SELECT count(*) AS n FROM nums a, nums b WHERE a.x + b.x = -1'],
};

async function child(mode) {
  const { open } = await import('threadlite');
  const dir = mkdtempSync(join(tmpdir(), 'threadlite-cancel-'));
  const results = {};
  for (const [name, [method, sql]] of Object.entries(STATEMENTS)) {
    const db = await open(join(dir, `${name.replace(/\W+/g, '-')}.db`), { readers: 1 });
    await db.exec('CREATE TABLE nums(x INTEGER)');
    await db.run('INSERT INTO nums WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 6000) SELECT x FROM c');
    await db.get('SELECT 1 AS warm');
    const start = performance.now();
    const deadline = start + DEADLINE;
    let rejectedAt = 0;
    await db[method](sql, [], { timeout: DEADLINE }).then(
      () => {
        throw new Error(`${name} finished before its deadline`);
      },
      (err) => {
        if (err.name !== 'TimeoutError') throw err;
        rejectedAt = performance.now();
      },
    );
    const next = db.get('SELECT 1 AS one').then(() => performance.now());
    // CPU: 20 ms windows until one is (nearly) idle. An idle pool uses ~1-3%; a
    // thread still running its statement stays far above 10% even when other
    // processes share the cores.
    let idleAt;
    for (let at = performance.now(); at - deadline < IDLE_CAP_MS; at = performance.now()) {
      const before = process.cpuUsage();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const used = process.cpuUsage(before);
      if ((used.user + used.system) / 1000 / (performance.now() - at) < 0.1) {
        idleAt = at;
        break;
      }
    }
    const nextAt = await next;
    results[name] = {
      rejection: rejectedAt - deadline,
      idle: idleAt === undefined ? IDLE_CAP_MS : idleAt - deadline,
      next: nextAt - deadline,
      respawns: db.stats().respawns,
      cancellation: db.stats().cancellation,
    };
    await db.close();
  }
  rmSync(dir, { recursive: true, force: true });
  process.send(results);
}

function runChild(mode) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, THREADLITE_TUNING: mode === 'terminate' ? 'interrupt=0' : '' };
    const proc = fork(fileURLToPath(import.meta.url), ['--child', mode], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    proc.on('message', (m) => (result = m));
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${mode} child exited with ${code}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const args = process.argv.slice(2);
  const repsAt = args.indexOf('--reps');
  const reps = repsAt === -1 ? 3 : Number(args[repsAt + 1]);
  const started = Date.now();
  const runs = { interrupt: [], terminate: [] };
  for (let rep = 0; rep < reps; rep++) {
    // Interleaved, order rotating: both modes see the same machine state.
    const order = rep % 2 === 0 ? ['interrupt', 'terminate'] : ['terminate', 'interrupt'];
    for (const mode of order) {
      runs[mode].push(await runChild(mode));
      console.error(`rep ${rep + 1}/${reps} ${mode} done`);
    }
  }
  const fmt = (ms) => (ms >= IDLE_CAP_MS ? `> ${IDLE_CAP_MS / 1000} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
  const rows = [];
  for (const name of Object.keys(STATEMENTS)) {
    const cell = (mode, key) => fmt(median(runs[mode].map((r) => r[name][key])));
    const respawns = (mode) => median(runs[mode].map((r) => r[name].respawns));
    rows.push(
      `| ${name} | ${cell('interrupt', 'rejection')} | ${cell('terminate', 'rejection')} | ${cell('interrupt', 'idle')} | ${cell('terminate', 'idle')} | ${cell('interrupt', 'next')} | ${cell('terminate', 'next')} | ${respawns('interrupt')} / ${respawns('terminate')} |`,
    );
  }
  const { version } = JSON.parse(readFileSync(join(HERE, '..', 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'));
  const section = `## Cancellation: interrupt against terminate

<!-- Generated by \`npm run bench:cancel\` (bench/cancel.mjs). -->

A read with \`{ timeout: ${DEADLINE} }\` on a one-reader pool, for three statements that run for
seconds. **interrupt** is the default (threadlite's native library calls \`sqlite3_interrupt\`
on exactly that statement); **terminate** is the fallback without the library
(\`THREADLITE_TUNING=interrupt=0\`), which rejects at once and replaces the worker but cannot stop
the statement. Medians of ${reps} repetitions, modes interleaved, each in a fresh process;
${new Date().toISOString().slice(0, 10)}, Node ${process.version}, better-sqlite3 ${version}, ${((Date.now() - started) / 1000).toFixed(0)} s.
All times are measured from the deadline.

| statement | rejection: interrupt | rejection: terminate | CPU idle: interrupt | CPU idle: terminate | next answer: interrupt | next answer: terminate | respawns (i / t) |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

"CPU idle" is the first 20 ms window in which the whole process uses under 10% of a core: with
terminate, the abandoned thread runs its statement to the end (the table's statements are bounded
so that it does end; an unbounded one never would, and would keep \`close()\` and \`process.exit()\`
waiting). "next answer" is a \`SELECT 1\` issued when the call rejected: with interrupt the same
reader answers it; with terminate a new worker must start first.
`;
  console.log(section);
  if (!args.includes('--no-docs')) {
    const path = join(HERE, '..', 'docs', 'benchmark.md');
    writeFileSync(path, replaceSection(readFileSync(path, 'utf8'), 'cancellation', section));
    console.error(`updated ${path}`);
  }
}

/** Puts `body` between the section's markers in `doc` (appending the section if it is not there). */
export function replaceSection(doc, name, body) {
  const start = `<!-- section:${name} -->`;
  const end = `<!-- /section:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from !== -1 && to > from) return doc.slice(0, from) + block + doc.slice(to + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else if (fileURLToPath(import.meta.url) === process.argv[1]) await main();
