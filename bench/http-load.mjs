// Load generator for the HTTP scenario, run in its own process: autocannon
// on the light route (rate-limited, so p99 measures waiting, not saturation)
// and on the heavy route at the same time, both bounded in time; first a
// warm-up round of `warmupSec` that is not reported.
import autocannon from 'autocannon';

const { port, durationSec, lightRate, lightConnections, heavyConnections, warmupSec = 0 } = JSON.parse(process.argv[2]);
const base = `http://127.0.0.1:${port}`;
const load = (path, extra) =>
  new Promise((resolve, reject) => {
    autocannon({ url: base + path, duration: durationSec, timeout: 30, ...extra }, (err, res) => (err ? reject(err) : resolve(res)));
  });

const round = (seconds) =>
  Promise.all([
    load('/light', { connections: lightConnections, overallRate: lightRate, duration: seconds }),
    load('/heavy', { connections: heavyConnections, duration: seconds }),
  ]);
if (warmupSec > 0) await round(warmupSec);
const [light, heavy] = await round(durationSec);
const pick = (r) => ({
  requests: r.requests.total,
  rps: r.requests.total / durationSec,
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  maxMs: r.latency.max,
  errors: r.errors + r.timeouts + r.non2xx,
});
process.stdout.write(JSON.stringify({ light: pick(light), heavy: pick(heavy) }));
