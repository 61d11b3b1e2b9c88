// An HTTP server (node:http on 127.0.0.1) with a light route (one point read)
// and a heavy route (the ~250 ms GROUP BY), loaded at once by autocannon from
// a separate process. Reports the light route's latency while heavy runs,
// after a first round of load that is not counted (connections opening, code
// compiling in the server and the load generator: with a server doing no
// work at all, autocannon's light p99 was 32–42 ms counting that round, 11–17
// ms without it).
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { groupBySql } from './groupby-4.mjs';

export const title = 'HTTP: light route while heavy route runs';
export const metrics = [
  { key: 'lightP50Ms', label: 'light p50', unit: 'ms', better: 'lower' },
  { key: 'lightP99Ms', label: 'light p99', unit: 'ms', better: 'lower', targetAbs: { max: 10 } },
  { key: 'lightRps', label: 'light req/s', unit: 'req/s', better: 'higher' },
  { key: 'heavyRps', label: 'heavy req/s', unit: 'req/s', better: 'higher' },
  { key: 'errors', label: 'errors', unit: '', better: 'lower', noRatio: true },
];
const LOADER = fileURLToPath(new URL('../http-load.mjs', import.meta.url));
// HTTP_LIGHT_WITHOUT_DB=1: the light route answers without the database (the heavy route still
// queries): the floor that the machine and the load generator set for the light route's latency.
const LIGHT_WITHOUT_DB = process.env.HTTP_LIGHT_WITHOUT_DB === '1';

export async function run(driver, { rows, rand, quick }) {
  const heavy = groupBySql(rows);
  const server = createServer(async (req, res) => {
    try {
      let body;
      if (req.url === '/light') body = LIGHT_WITHOUT_DB ? { id: 1 } : await driver.get('SELECT * FROM items WHERE id = ?', [1 + ((rand() * rows) | 0)]);
      else if (req.url === '/heavy') body = await driver.all(heavy.sql, heavy.params);
      else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } catch (err) {
      res.writeHead(500).end(String(err?.message));
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const args = { port, durationSec: quick ? 2 : 4, lightRate: 200, lightConnections: 8, heavyConnections: 4, warmupSec: quick ? 0.5 : 1 };
  const result = await new Promise((resolve, reject) => {
    const child = fork(LOADER, [JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), (args.durationSec + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`load generator exited with ${code}`));
    });
  });
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return {
    lightP50Ms: result.light.p50Ms,
    lightP99Ms: result.light.p99Ms,
    lightRps: result.light.rps,
    heavyRps: result.heavy.rps,
    errors: result.light.errors + result.heavy.errors,
    raw: result,
  };
}
