// The workload both contenders run, and the probes that watch the event loop.
//
// An engine is { heavy(sql) -> Promise<rows>, light(id) -> Promise<row> }.
// - Heavy: one "reporting" client runs GROUP BY queries back to back, yielding
//   to the event loop between them, as a server handling one report request
//   after another would.
// - Light: "API" requests arrive on a fixed schedule (one every LIGHT_EVERY_MS),
//   whatever the server is doing; each does a primary-key lookup. Its latency is
//   measured from the moment it was due, so time spent waiting for a blocked
//   event loop counts (no coordinated omission).
// - Probes: a 1 ms interval timer records the gaps between its ticks (the
//   longest gap is the longest stall), and perf_hooks.monitorEventLoopDelay
//   records the event-loop delay distribution.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export const LIGHT_EVERY_MS = 2;
/** A light request slower than this misses its (illustrative) service-level objective. */
export const SLOW_MS = 10;

export const HEAVY_QUERIES = [
  // Revenue per country: joins every order to its user.
  `SELECT u.country, count(*) AS orders, sum(o.amount_cents) AS revenue
     FROM orders o JOIN users u ON u.id = o.user_id
    WHERE o.status <> 'cancelled'
    GROUP BY u.country ORDER BY revenue DESC`,
  // Best-selling products.
  `SELECT product, count(*) AS orders, sum(amount_cents * quantity) AS revenue, avg(quantity) AS avg_qty
     FROM orders WHERE status IN ('paid', 'shipped')
    GROUP BY product ORDER BY revenue DESC LIMIT 10`,
  // Orders per month.
  `SELECT strftime('%Y-%m', created_at, 'unixepoch') AS month, count(*) AS orders, sum(amount_cents) AS revenue
     FROM orders GROUP BY month ORDER BY month`,
];

/** An order with its customer, by primary key: what an API endpoint would fetch. */
export const LIGHT_QUERY = `SELECT o.id, o.product, o.quantity, o.amount_cents, o.status, u.name, u.email
  FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = ?`;

/**
 * Runs the workload against `engine` for `durationMs` and returns the measurements.
 * `maxId` is the largest order id; light requests look up ids spread over 1..maxId.
 */
export async function runWorkload(engine, { durationMs, maxId }) {
  const lightLatencies = [];
  const heavyDurations = [];
  let lightFailures = 0;
  let pendingLight = 0;
  let issuedLight = 0;
  let lastAnswer = 0;

  // --- event-loop probes -------------------------------------------------
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let lastTick = performance.now();
  let longestGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    if (now - lastTick > longestGap) longestGap = now - lastTick;
    lastTick = now;
  }, 1);

  const start = performance.now();
  const end = start + durationMs;
  histogram.enable();

  // --- light requests on a fixed schedule --------------------------------
  let due = start;
  let n = 0;
  let allLightDone;
  const lightDone = new Promise((resolve) => (allLightDone = resolve));
  const settleLight = () => {
    pendingLight--;
    lastAnswer = performance.now();
    if (pendingLight === 0 && due >= end) allLightDone();
  };
  const issueLight = () => {
    const now = performance.now();
    // Everything that came due while the loop was busy is issued now, late.
    while (due <= now && due < end) {
      const dueAt = due;
      // Knuth's multiplicative hash spreads consecutive requests over the table.
      const id = 1 + ((Math.imul(++n, 2_654_435_761) >>> 0) % maxId);
      pendingLight++;
      issuedLight++;
      engine.light(id).then(
        (row) => {
          if (row === undefined) lightFailures++;
          lightLatencies.push(performance.now() - dueAt);
          settleLight();
        },
        () => {
          lightFailures++;
          settleLight();
        },
      );
      due += LIGHT_EVERY_MS;
    }
    if (due >= end) {
      clearInterval(lightTimer);
      if (pendingLight === 0) allLightDone();
    }
  };
  const lightTimer = setInterval(issueLight, 1);

  // --- heavy queries back to back ----------------------------------------
  let q = 0;
  while (performance.now() < end) {
    const t = performance.now();
    await engine.heavy(HEAVY_QUERIES[q++ % HEAVY_QUERIES.length]);
    heavyDurations.push(performance.now() - t);
    await yieldToLoop();
  }
  const heavyEnd = performance.now();
  await lightDone;

  histogram.disable();
  clearInterval(probe);
  const finalGap = performance.now() - lastTick;
  const lightSorted = lightLatencies.sort((a, b) => a - b);
  return {
    wallMs: heavyEnd - start,
    longestStallMs: Math.max(longestGap, finalGap),
    // A loop blocked for a whole short run may record no sample at all.
    loopDelayP50Ms: histogram.count > 0 ? histogram.percentile(50) / 1e6 : Number.NaN,
    loopDelayP99Ms: histogram.count > 0 ? histogram.percentile(99) / 1e6 : Number.NaN,
    loopDelayMaxMs: histogram.count > 0 ? histogram.max / 1e6 : Number.NaN,
    lightIssued: issuedLight,
    lightCompleted: lightLatencies.length,
    /** From the start until the last light request was answered. */
    lightSpanMs: lastAnswer - start,
    lightFailures,
    lightP50Ms: percentile(lightSorted, 50),
    lightP99Ms: percentile(lightSorted, 99),
    lightMaxMs: lightSorted.at(-1) ?? 0,
    lightSlow: lightSorted.filter((ms) => ms > SLOW_MS).length,
    heavyCompleted: heavyDurations.length,
    heavyMedianMs: percentile(
      heavyDurations.slice().sort((a, b) => a - b),
      50,
    ),
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
