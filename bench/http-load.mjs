// Load generator for the HTTP scenario, run in its own process: autocannon
// on the light route (rate-limited, so p99 measures waiting, not saturation)
// and on the heavy route at the same time, both bounded in time.
import autocannon from 'autocannon';

const { port, durationSec, lightRate, lightConnections, heavyConnections } = JSON.parse(process.argv[2]);
const base = `http://127.0.0.1:${port}`;
const load = (path, extra) =>
  new Promise((resolve, reject) => {
    autocannon({ url: base + path, duration: durationSec, timeout: 30, ...extra }, (err, res) => (err ? reject(err) : resolve(res)));
  });

const [light, heavy] = await Promise.all([
  load('/light', { connections: lightConnections, overallRate: lightRate }),
  load('/heavy', { connections: heavyConnections }),
]);
const pick = (r) => ({
  requests: r.requests.total,
  rps: r.requests.total / durationSec,
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  maxMs: r.latency.max,
  errors: r.errors + r.timeouts + r.non2xx,
});
process.stdout.write(JSON.stringify({ light: pick(light), heavy: pick(heavy) }));
