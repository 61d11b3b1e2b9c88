// An HTTP server (fastify) whose heavy report query runs in a worker thread,
// so light requests keep being answered while it runs.
// Run: npm run build && node examples/http-server.mjs            (serves until Ctrl-C)
//      PORT=3000 node examples/http-server.mjs
//      node examples/http-server.mjs --self-test                 (hits both routes, prints, exits)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { open, sql } from 'threadlite';

const ROWS = Number(process.env.ROWS ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'threadlite-example-'));
const db = await open(join(dir, 'shop.db'), { readers: 2 });

// Seed: `ROWS` orders over 500 customers, in batches of 5,000 in one message each.
await db.exec('CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, at INTEGER)');
for (let start = 0; start < ROWS; start += 5000) {
  const batch = [];
  for (let i = start; i < Math.min(ROWS, start + 5000); i++) {
    batch.push(['INSERT INTO orders(customer, amount, at) VALUES (?, ?, ?)', [i % 500, (i * 7919) % 1000 / 10, i]]);
  }
  await db.batch(batch);
}

const app = Fastify();
// Light: one indexed lookup.
app.get('/orders/:id', async (req, reply) => {
  const order = await db.get(sql`SELECT * FROM orders WHERE id = ${Number(req.params.id)}`);
  if (order === undefined) return reply.code(404).send({ error: 'not found' });
  return order;
});
// Heavy: a full scan with grouping and sorting. The event loop stays free while it runs.
app.get('/report', async (req) => {
  const top = Math.min(Number(req.query.top ?? 5), 100);
  return db.all(
    sql`SELECT customer, count(*) AS orders, round(sum(amount), 2) AS total
        FROM orders GROUP BY customer ORDER BY total DESC, customer LIMIT ${top}`,
    { timeout: 10_000 },
  );
});
app.get('/health', async () => db.stats());

async function shutdown() {
  await app.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening on ${url}`);

if (process.argv.includes('--self-test')) {
  try {
    const get = async (path) => {
      const res = await fetch(url + path);
      return { status: res.status, body: await res.json() };
    };
    // Fire reports and light lookups together: the lookups do not wait for the reports.
    const started = performance.now();
    const reports = Array.from({ length: 3 }, () => get('/report?top=3'));
    const lights = [];
    for (let i = 1; i <= 5; i++) lights.push(await get(`/orders/${i * 100}`));
    const lightMs = performance.now() - started;
    const done = await Promise.all(reports);
    const reportMs = performance.now() - started;
    const missing = await get('/orders/0');
    for (const r of lights) if (r.status !== 200) throw new Error(`light route answered ${r.status}`);
    for (const r of done) if (r.status !== 200 || r.body.length !== 3) throw new Error('report route failed');
    if (missing.status !== 404) throw new Error('expected a 404 for a missing order');
    console.log(`light: 5 lookups answered in ${lightMs.toFixed(1)} ms, e.g. ${JSON.stringify(lights[0].body)}`);
    console.log(`report: 3 reports answered in ${reportMs.toFixed(1)} ms, top customer ${JSON.stringify(done[0].body[0])}`);
    console.log('self-test ok');
  } finally {
    await shutdown();
  }
} else {
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => shutdown().then(() => process.exit(0)));
}
