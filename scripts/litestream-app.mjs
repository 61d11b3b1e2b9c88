// A threadlite application for the Litestream drill (scripts/litestream-drill.mjs):
// writes rows through the pool and prints "<id> <epoch ms>" for every
// acknowledged write, until it is killed or sent "close" on stdin.
// argv: database file, a JSON object of open() options, writes per second (0 or absent: as fast as it can).
import { createInterface } from 'node:readline';
import { open } from 'threadlite';

const [file, optionsJson, rateArg] = process.argv.slice(2);
const rate = Number(rateArg ?? 0);
const db = await open(file, { readers: 1, ...JSON.parse(optionsJson ?? '{}') });
await db.exec('CREATE TABLE IF NOT EXISTS acks(id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
const first = ((await db.get('SELECT max(id) AS m FROM acks')).m ?? 0) + 1;
process.stdout.write('ready\n');

let next = first;
let stopping = false;
const payload = 'p'.repeat(200);
const started = Date.now();
let written = 0;
async function lane() {
  while (!stopping) {
    // Throttled: each lane waits until the schedule allows the next write.
    if (rate > 0 && ++written > ((Date.now() - started) / 1000) * rate) await new Promise((r) => setTimeout(r, 1000 / rate));
    const id = next++;
    await db.run('INSERT INTO acks(id, payload) VALUES (?, ?)', [id, payload]);
    process.stdout.write(`${id} ${Date.now()}\n`);
  }
}
const lanes = [lane(), lane()];
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line !== 'close') return;
  stopping = true;
  await Promise.all(lanes);
  await db.close();
  process.stdout.write('closed\n');
  process.exit(0);
});
