// The scale tree (issue 13): `connections` connections, one path per 10, one neighbor per 1,000
// (the benchmark's shape, bench/tree.ts), generated on the fly so that the process holds no
// per-connection keys: connections are offloaded and completed in batches of 1M.
import { Kind, type OffloadTable } from '../src/index.js';

const BATCH = 1 << 20;
const ip = (a: number, i: number) => `${a}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

export interface ScaleTree {
  neighbors: Float64Array;
  paths: Float64Array;
}

/** Source and destination of path `p`, and the ports of connection `c` (its path is c / 10). */
export const pathSource = (p: number) => ip(10, Math.floor(p / 100));
export const pathDestination = (p: number) => `${172 + Math.floor(p / 2 ** 24)}.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}`;
export const localPort = (c: number) => 40000 + (c % 10);

/** Builds the tree; `progress` is called after each batch of connections. */
export function buildScaleTree(t: OffloadTable, connections: number, progress?: (done: number) => void): ScaleTree {
  const pathCount = Math.ceil(connections / 10);
  const neighbors = new Float64Array(Math.ceil(pathCount / 100));
  for (let n = 0; n < neighbors.length; n++) neighbors[n] = t.offloadNeighbor({ ifIndex: 1 + (n & 1), address: ip(10, n) });
  t.completeOffload(neighbors);
  const paths = new Float64Array(pathCount);
  for (let p = 0; p < pathCount; p++) paths[p] = t.offloadPath({ source: pathSource(p), destination: pathDestination(p) }, neighbors[Math.floor(p / 100)]!);
  t.completeOffload(paths);
  const parents = new Float64Array(BATCH);
  const local = new Uint16Array(BATCH);
  const remote = new Uint16Array(BATCH).fill(443);
  const priorities = new Uint8Array(BATCH);
  for (let from = 0; from < connections; from += BATCH) {
    const m = Math.min(BATCH, connections - from);
    for (let i = 0; i < m; i++) {
      const c = from + i;
      parents[i] = paths[Math.floor(c / 10)]!;
      local[i] = localPort(c);
      priorities[i] = (c * 7) % 8;
    }
    const cs = t.offloadConnections(parents.subarray(0, m), local.subarray(0, m), remote.subarray(0, m), priorities.subarray(0, m));
    t.completeOffload(cs);
    progress?.(from + m);
  }
  if (t.count(Kind.Connection) !== connections) throw new Error(`built ${t.count(Kind.Connection)} connections, expected ${connections}`);
  return { neighbors, paths };
}
