// What a run will cost, estimated from the scenario before anything runs, so that a scenario
// inside the field limits but beyond one machine (10 million connections opening in one tick, a
// day at 1 ms ticks) is refused up front with a message that says what to change, instead of
// exhausting the heap or running for a day.
//
// The figures are per-connection and per-tick costs measured on the lab (BENCHMARKS.md, "policy
// lab"), rounded up; the estimate is meant to be within a factor of two, which is enough to tell
// a 10-second run from a 10-hour one.

import type { Scenario } from './scenario.js';
import { totalConnections } from './workload.js';

/** Bytes per connection the run keeps for the whole run (workload columns, id map, oracle flags). */
const BYTES_PER_CONNECTION = 80;
/** Bytes per connection alive at once (host columns, key index, staging). */
const BYTES_PER_ALIVE = 240;
/** Bytes per connection on the target (table slab, indexes, simulated TCP state). */
const BYTES_PER_OFFLOADED = 700;
/** Bytes per connection opened in one tick (tick batch columns and the host's staging). */
const BYTES_PER_ARRIVAL = 200;
const BYTES_PER_TICK = 8;
const BASE_BYTES = 64 * 2 ** 20;

const SECONDS_PER_TICK = 40e-6;
const SECONDS_PER_CONNECTION = 6e-6;
const SECONDS_PER_ACTIVE_TICK = 0.25e-6;

export interface Estimate {
  connections: number;
  ticks: number;
  /** Connections opening in the busiest tick. */
  peakArrivals: number;
  /** Connection-ticks with traffic (the per-tick work). */
  activeTicks: number;
  /** Peak memory of one run, bytes. */
  bytes: number;
  /** Wall time of one run, seconds. */
  seconds: number;
}

/** Mean of a piecewise-linear CDF of [bytes, percent] points. */
function cdfMean(cdf: readonly (readonly [number, number])[]): number {
  let mean = 0;
  for (let i = 1; i < cdf.length; i++) mean += ((cdf[i]![0] + cdf[i - 1]![0]) / 2) * ((cdf[i]![1] - cdf[i - 1]![1]) / 100);
  return mean;
}

export function estimate(s: Scenario, namedCdf: readonly (readonly [number, number])[], capacity = s.target.capacity): Estimate {
  const connections = totalConnections(s);
  const ticks = Math.ceil(s.durationMs / s.tickMs);
  const c = s.connections;
  let largestBurst = 0;
  for (const e of s.events) if (e.type === 'burst' && e.count > largestBurst) largestBurst = e.count;
  const peakArrivals = Math.min(c.count, Math.ceil((c.count * s.tickMs) / c.arrivalMs) * 3 + 16) + largestBurst;
  const cdf = typeof c.flowSizes === 'object' ? c.flowSizes.cdf : namedCdf;
  const rate = (c.rateBytesPerSecond.min + c.rateBytesPerSecond.max) / 2;
  const perTransferTicks = Math.min(ticks, Math.max(1, cdfMean(cdf) / ((rate * s.tickMs) / 1000)));
  const transfers = (c.transfers.min + c.transfers.max) / 2;
  const activeTicks = Math.min(connections * ticks, connections * transfers * perTransferTicks);
  const alive = Math.min(connections, Math.max(peakArrivals, (activeTicks / Math.max(1, ticks)) * 4));
  const bytes =
    BASE_BYTES +
    connections * BYTES_PER_CONNECTION +
    alive * BYTES_PER_ALIVE +
    Math.min(capacity, connections) * BYTES_PER_OFFLOADED +
    peakArrivals * BYTES_PER_ARRIVAL +
    ticks * BYTES_PER_TICK;
  const seconds = ticks * SECONDS_PER_TICK + connections * SECONDS_PER_CONNECTION + activeTicks * SECONDS_PER_ACTIVE_TICK;
  return { connections, ticks, peakArrivals, activeTicks, bytes, seconds };
}

/** Why this machine should not run it, or undefined. `runs` run at once (worker threads). */
export function refusal(e: Estimate, budget: { bytes: number; seconds: number; runs: number }): string | undefined {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const total = e.bytes * budget.runs;
  if (total > budget.bytes) {
    return (
      `this would need about ${gib(total)} of memory (${budget.runs > 1 ? `${budget.runs} runs at once, ${gib(e.bytes)} each` : 'one run'}; ${e.connections.toLocaleString('en-US')} connections, up to ${e.peakArrivals.toLocaleString('en-US')} opening in one tick, ${e.ticks.toLocaleString('en-US')} ticks) and this machine allows ${gib(budget.bytes)}. ` +
      `Lower connections.count or a burst's count, spread arrivals over a longer connections.arrivalMs, raise tickMs${budget.runs > 1 ? ', or run fewer at once with --workers' : ''}.`
    );
  }
  if (e.seconds > budget.seconds) {
    const minutes = (x: number) => (x >= 120 ? `${Math.round(x / 60).toLocaleString('en-US')} minutes` : `${Math.round(x)} s`);
    return (
      `one run would take about ${minutes(e.seconds)} here (${e.ticks.toLocaleString('en-US')} ticks, ${e.connections.toLocaleString('en-US')} connections, ${Math.round(e.activeTicks).toLocaleString('en-US')} connection-ticks of traffic), over the limit of ${minutes(budget.seconds)}. ` +
      'Raise tickMs, shorten durationMs or lower connections.count; or pass --max-minutes N to allow it.'
    );
  }
  return undefined;
}
