// Shared by the simulator's tests: small scenarios and a recorded copy of a workload's ticks.
import { readFileSync } from 'node:fs';
import { readScenario, type Scenario } from '../../src/sim/scenario.js';
import { parseCdf } from '../../src/sim/cdf.js';
import { createTickBatch } from '../../src/sim/tick-batch.js';
import { TrafficByTick } from '../../src/sim/standing.js';
import type { WorkloadSource } from '../../src/sim/source.js';

export const websearch = parseCdf(readFileSync(new URL('../../scenarios/websearch.cdf', import.meta.url), 'utf8'));
export const hadoop = parseCdf(readFileSync(new URL('../../scenarios/hadoop.cdf', import.meta.url), 'utf8'));

/** A small valid scenario as JSON, changed by `edit`. */
export function smallScenarioJson(edit: (s: Record<string, any>) => void = () => {}): Record<string, any> {
  const s: Record<string, any> = {
    name: 'small',
    seed: 3,
    durationMs: 20000,
    tickMs: 100,
    interfaces: [
      { ifIndex: 1, neighbors: 2, pathsPerNeighbor: 20 },
      { ifIndex: 2, neighbors: 2, pathsPerNeighbor: 20 },
    ],
    connections: {
      count: 600,
      arrivalMs: 15000,
      flowSizes: 'hadoop',
      rateBytesPerSecond: { min: 20000, max: 400000 },
      priorities: { 0: 3, 4: 1 },
      transfers: { min: 1, max: 3 },
      idleGapMs: { distribution: 'pareto', minMs: 200, alpha: 1.2 },
    },
    target: { capacity: 150, latencyMs: { min: 1, max: 20 }, faults: { initiateFailure: 0.01, uploadRequests: 0.1 } },
    policy: { lowActivity: { thresholdBytesPerSecond: 4096, windowMs: 1000, quietMs: 1000 } },
    compare: { capacities: [25, 50, 150, 400] },
    events: [
      { atMs: 5000, type: 'linkDown', ifIndex: 2 },
      { atMs: 6000, type: 'linkUp', ifIndex: 2 },
      { atMs: 8000, type: 'burst', count: 50, priority: 9 },
    ],
  };
  edit(s);
  return s;
}

export const smallScenario = (edit?: (s: Record<string, any>) => void): Scenario => readScenario(smallScenarioJson(edit));

/** scenarios/million.json at a fiftieth of its connections and capacity, a tenth of its length (web-search sizes). */
export function smallMillionScenario(): Scenario {
  const s = JSON.parse(readFileSync(new URL('../../scenarios/million.json', import.meta.url), 'utf8'));
  s.connections.count = 20_000;
  s.connections.arrivalMs = Math.round(s.connections.arrivalMs / 10);
  s.durationMs = Math.round(s.durationMs / 10);
  s.target.capacity = 400;
  return readScenario(s);
}

/** One tick, copied out of the reusable batch. */
export interface RecordedTick {
  opened: { id: number; ifIndex: number; priority: number; localPort: number; remotePort: number; destination: string }[];
  traffic: { id: number; sent: number; received: number }[];
  closed: number[];
}

/** Reads a whole workload into plain objects, a tick's traffic as TrafficByTick lists it (small workloads only). */
export async function record(source: WorkloadSource): Promise<RecordedTick[]> {
  const b = createTickBatch(4);
  const perTick = new TrafficByTick();
  const out: RecordedTick[] = [];
  for (let tick = 0, more = true; more; tick++) {
    more = await source.next(tick, b);
    const o = b.opened;
    out.push({
      opened: Array.from({ length: o.count }, (_, i) => ({
        id: o.id[i]!,
        ifIndex: o.ifIndex[i]!,
        priority: o.priority[i]!,
        localPort: o.localPort[i]!,
        remotePort: o.remotePort[i]!,
        destination: Buffer.from(o.destination.subarray(i * 16, i * 16 + 16)).toString('hex'),
      })),
      // Each tick's bytes connection by connection: one-off entries and standing rates.
      traffic: ((t) => Array.from({ length: t.count }, (_, i) => ({ id: t.id[i]!, sent: t.sent[i]!, received: t.received[i]! })))(perTick.read(b)),
      closed: Array.from(b.closed.id.subarray(0, b.closed.count)),
    });
  }
  return out;
}
