// Load generator for the HTTP scenario, run in its own process. The light route gets an
// open-loop load: one request every 1000/lightRate ms on a schedule fixed in advance, over
// `lightConnections` keep-alive sockets, each request's latency counted from the moment the
// schedule meant to send it (so a request the generator or the server held back counts its
// wait: no coordinated omission). The heavy route gets autocannon's closed loop of
// `heavyConnections`. Both for `durationSec`, after a round of `warmupSec` that is not
// reported (connections opening, code compiling in the server and here).
//
// Until 2026-12-01 autocannon drove the light route too; its own p99 with a server that does
// nothing (the heavy route a 250 ms timer) was 11–17 ms on this 2-core machine, over the
// scenario's 10 ms target: it measured the generator. This one's is 2–5 ms (docs/benchmark.md).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { percentile } from './lib.mjs';

const { port, durationSec, lightRate, lightConnections, heavyConnections, warmupSec = 0 } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: lightConnections });

const heavyLoad = (seconds) =>
  new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/heavy`, connections: heavyConnections, duration: seconds, timeout: 30 }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });

/** One light request meant to leave at `due` (performance.now() ms): its latency from then, or an error. */
const lightRequest = (due) =>
  new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/light', agent, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - due, ok: res.statusCode === 200 }));
      res.on('error', () => resolve({ ms: performance.now() - due, ok: false }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ms: performance.now() - due, ok: false }));
  });

/** The light route's schedule for `seconds`: every request sent at its due time (or at once, if late). */
async function lightLoad(seconds) {
  const start = performance.now();
  const interval = 1000 / lightRate;
  const count = Math.round(seconds * lightRate);
  const requests = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    requests.push(lightRequest(due));
  }
  return Promise.all(requests);
}

const round = (seconds) => Promise.all([lightLoad(seconds), heavyLoad(seconds)]);
if (warmupSec > 0) await round(warmupSec);
const [light, heavy] = await round(durationSec);

const latencies = light.filter((r) => r.ok).map((r) => r.ms);
process.stdout.write(
  JSON.stringify({
    light: {
      requests: latencies.length,
      rps: latencies.length / durationSec,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      errors: light.length - latencies.length,
    },
    heavy: {
      requests: heavy.requests.total,
      rps: heavy.requests.total / durationSec,
      p50Ms: heavy.latency.p50,
      p99Ms: heavy.latency.p99,
      maxMs: heavy.latency.max,
      errors: heavy.errors + heavy.timeouts + heavy.non2xx,
    },
  }),
);
