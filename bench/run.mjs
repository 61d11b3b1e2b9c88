// The benchmark runner. Each (scenario, driver, repetition) runs in a fresh
// child process (bench/trial.mjs); the drivers' order rotates each
// repetition; figures are medians over repetitions, and ratios are paired:
// each repetition's figure divided by better-sqlite3's figure in the same
// repetition, then the median of those ratios.
//
//   node bench/run.mjs [--quick] [--reps N] [--scenario NAME]... [--driver NAME]...
//                      [--json FILE] [--cpu-prof] [--no-docs] [--from RAW.json]
// --from re-renders the table and docs from a saved run's raw figures without running.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ensureData } from './data.mjs';
import { tuningOf } from './drivers.mjs';
import { median } from './lib.mjs';
import { formatText, writeDocs } from './report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCENARIOS = ['point-seq', 'point-64', 'groupby-4', 'all-100k', 'rw-90-10', 'writes-64', 'http', 'insert-100k'];
export const BASELINE = 'better-sqlite3';
const ALL_DRIVERS = ['better-sqlite3', 'naive-pool', 'threadlite', 'threadlite-no-inline', 'node-sqlite3', 'threadlite-sqlite3'];
// Variants only the ablation (bench/ablation.mjs) runs.
const EXTRA_DRIVERS = ['threadlite-readers-nice-0'];
// An older build to compare with in the same run (see bench/drivers.mjs).
if (process.env.THREADLITE_BEFORE) ALL_DRIVERS.push('threadlite-before');

function parseArgs(argv) {
  const opts = { quick: false, reps: undefined, scenarios: [], drivers: [], json: undefined, cpuProf: false, docs: true, from: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') opts.quick = true;
    else if (a === '--reps') opts.reps = Number(value());
    else if (a === '--scenario') opts.scenarios.push(value());
    else if (a === '--driver') opts.drivers.push(value());
    else if (a === '--json') opts.json = value();
    else if (a === '--cpu-prof') opts.cpuProf = true;
    else if (a === '--no-docs') opts.docs = false;
    else if (a === '--from') opts.from = value();
    else if (a === '--help' || a === '-h') {
      console.log('node bench/run.mjs [--quick] [--reps N] [--scenario NAME]... [--driver NAME]... [--json FILE] [--cpu-prof] [--no-docs]');
      console.log(`scenarios: ${SCENARIOS.join(', ')}\ndrivers: ${ALL_DRIVERS.join(', ')}, threadlite:<THREADLITE_TUNING switch>`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const s of opts.scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(', ')})`);
  for (const d of opts.drivers) if (!ALL_DRIVERS.includes(d) && !EXTRA_DRIVERS.includes(d) && tuningOf(d) === undefined) throw new Error(`unknown driver ${d} (${ALL_DRIVERS.join(', ')})`);
  if (opts.reps !== undefined && !(Number.isInteger(opts.reps) && opts.reps > 0)) throw new Error('--reps must be a positive integer');
  return opts;
}

function runTrial(spec, execArgv) {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const tuning = tuningOf(spec.driver);
    const env = tuning === undefined ? process.env : { ...process.env, THREADLITE_TUNING: tuning };
    const child = fork(join(HERE, 'trial.mjs'), [JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      const wallMs = Date.now() - started;
      if (code === 0 && line) resolvePromise({ result: JSON.parse(line.slice('BENCH_RESULT '.length)), wallMs });
      else {
        const lines = err.trim().split('\n');
        const reason = lines.find((l) => /Error|error:/.test(l)) ?? lines.at(-1) ?? '';
        resolvePromise({ error: `exit ${code ?? signal}: ${reason.trim()}`, stderr: err, wallMs });
      }
    });
  });
}

function versions() {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3');
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version() AS v').get().v;
  db.close();
  return {
    node: process.version,
    betterSqlite3: require('better-sqlite3/package.json').version,
    sqlite,
    threadlite: require('threadlite/package.json').version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Medians of every numeric metric and paired ratios to the baseline. */
export function summarize(trials, scenarioNames, modules) {
  const summary = {};
  for (const scenario of scenarioNames) {
    const mod = modules[scenario];
    const mine = trials.filter((t) => t.scenario === scenario && t.result);
    const drivers = [...new Set(trials.filter((t) => t.scenario === scenario).map((t) => t.driver))];
    summary[scenario] = {};
    for (const driver of drivers) {
      const entry = { metrics: {}, errors: trials.filter((t) => t.scenario === scenario && t.driver === driver && t.error).map((t) => t.error) };
      for (const m of mod.metrics) {
        const values = mine.filter((t) => t.driver === driver).map((t) => t.result[m.key]).filter((v) => typeof v === 'number');
        const ratios = [];
        for (const t of mine.filter((t) => t.driver === driver)) {
          const base = mine.find((b) => b.driver === BASELINE && b.rep === t.rep);
          const v = t.result[m.key];
          const b = base?.result[m.key];
          if (typeof v === 'number' && typeof b === 'number' && b !== 0) ratios.push(v / b);
        }
        entry.metrics[m.key] = { median: values.length ? median(values) : null, values, ratio: ratios.length ? median(ratios) : null, ratios };
      }
      summary[scenario][driver] = entry;
    }
  }
  return summary;
}

async function rerender(opts) {
  const saved = JSON.parse(readFileSync(resolve(opts.from), 'utf8'));
  const modules = {};
  for (const s of saved.meta.scenarios) modules[s] = await import(`./scenarios/${s}.mjs`);
  const report = { ...saved, summary: summarize(saved.trials, saved.meta.scenarios, modules) };
  console.log(formatText(report, modules));
  if (opts.docs) writeDocs(report, modules);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.from) return rerender(opts);
  const reps = opts.reps ?? (opts.quick ? 2 : 3);
  const rows = opts.quick ? 200_000 : 1_000_000;
  const scenarioNames = opts.scenarios.length ? opts.scenarios : SCENARIOS;
  // --quick leaves out the inlineReads: 0 variant to stay under two minutes.
  const defaults = opts.quick ? ALL_DRIVERS.filter((d) => d !== 'threadlite-no-inline') : ALL_DRIVERS;
  const drivers = opts.drivers.length ? [...new Set([BASELINE, ...opts.drivers])] : defaults;
  const file = ensureData(rows);
  const modules = {};
  for (const s of scenarioNames) modules[s] = await import(`./scenarios/${s}.mjs`);

  const execArgv = [];
  const profDir = resolve(HERE, 'results', 'prof');
  if (opts.cpuProf) {
    mkdirSync(profDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
  }

  const meta = { ...versions(), mode: opts.quick ? 'quick' : 'full', rows, reps, date: new Date().toISOString(), scenarios: scenarioNames, drivers };
  console.error(`threadlite bench: ${meta.mode} mode, ${rows.toLocaleString('en')} rows, ${reps} repetitions, Node ${meta.node}, ${meta.cores} cores`);
  const trials = [];
  const started = Date.now();
  for (let rep = 0; rep < reps; rep++) {
    for (const scenario of scenarioNames) {
      const mod = modules[scenario];
      const list = [...drivers, ...(mod.extraDrivers ?? [])].filter((d) => !(mod.skip ?? []).includes(d));
      const order = list.map((_, i) => list[(i + rep) % list.length]);
      for (const driver of order) {
        const spec = { scenario, driver, file, rows, quick: opts.quick, seed: 1000 * rep + 1 } // same ids for every driver of a repetition;
        const t = await runTrial(spec, execArgv);
        trials.push({ scenario, driver, rep, position: order.indexOf(driver), ...t });
        const secs = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
        console.error(`[${secs}s] rep ${rep + 1}/${reps} ${scenario.padEnd(12)} ${driver.padEnd(15)} ${t.error ? `ERROR ${t.error}` : 'ok'}`);
      }
      // Trials that skip a driver are recorded so the table can say so.
      for (const d of mod.skip ?? []) if (drivers.includes(d) && rep === 0) trials.push({ scenario, driver: d, rep, skipped: true });
    }
  }
  meta.totalSeconds = (Date.now() - started) / 1000;
  const summary = summarize(trials.filter((t) => !t.skipped), scenarioNames, modules);
  const skipped = trials.filter((t) => t.skipped).map((t) => ({ scenario: t.scenario, driver: t.driver }));
  const report = { meta, summary, skipped, trials: trials.filter((t) => !t.skipped) };

  // Raw figures first: a report that fails to render loses nothing.
  mkdirSync(join(HERE, 'results'), { recursive: true });
  const latest = join(HERE, 'results', 'latest.json');
  writeFileSync(latest, JSON.stringify(report, null, 2));
  if (opts.json) writeFileSync(resolve(opts.json), JSON.stringify(report, null, 2));
  console.log(formatText(report, modules));
  const complete = scenarioNames.length === SCENARIOS.length && defaults.every((d) => drivers.includes(d));
  if (opts.docs && complete) {
    writeDocs(report, modules);
    console.error('wrote docs/benchmark.md and docs/benchmark.svg');
  }
  console.error(`raw figures: ${latest}${opts.cpuProf ? `; CPU profiles: ${profDir}` : ''}; ${meta.totalSeconds.toFixed(0)} s`);
}

await main();
