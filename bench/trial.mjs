// One trial in a fresh process: opens one driver, runs one scenario, prints
// one line `BENCH_RESULT {json}` on stdout and exits.
// Usage: node bench/trial.mjs '{"scenario":"point-seq","driver":"threadlite","file":"…","rows":1000000,"quick":false,"seed":1}'
import { prng } from './data.mjs';
import { driverNamed } from './drivers.mjs';

const spec = JSON.parse(process.argv[2]);
const scenario = await import(`./scenarios/${spec.scenario}.mjs`);
const rand = prng(spec.seed);
const ctx = { rows: spec.rows, quick: spec.quick, rand };
ctx.prepared = scenario.prepare ? scenario.prepare(ctx) : undefined;
const file = ctx.prepared?.file ?? spec.file;

let result;
if (spec.driver === 'idle') {
  result = await scenario.run('idle', ctx);
} else {
  const driver = await driverNamed(spec.driver).open(file);
  try {
    result = await scenario.run(driver, ctx);
  } finally {
    await driver.close();
  }
}
if (scenario.cleanup && ctx.prepared) scenario.cleanup(ctx.prepared.file);
process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
