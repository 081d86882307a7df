// The benchmark tree: N connections, one path per 10, one neighbor per 1,000 (100 paths each),
// neighbors split evenly over two interfaces so that one interface holds half the tree.
import { encodeAddresses, type OffloadTable } from '../src/index.js';
import type { ReferenceTable } from '../src/reference/index.js';

export type AnyTable = OffloadTable | ReferenceTable;

export interface Shape {
  connections: number;
  paths: number;
  neighbors: number;
}

export function shape(connections: number): Shape {
  return { connections, paths: connections / 10, neighbors: connections / 1000 };
}

/** Keys of the tree, as typed arrays, computed once per size and shared by every workload. */
export interface Keys {
  shape: Shape;
  /** Per path: its neighbor's index, source and destination text. */
  pathNeighbor: Uint32Array;
  pathSource: string[];
  pathDestination: string[];
  /** Per connection: its path's index, ports and priority (0..7). */
  connectionPath: Uint32Array;
  priorities: Uint8Array;
  localPorts: Uint16Array;
  remotePorts: Uint16Array;
  /** Per connection: source and destination, 16 bytes each (for findConnections). */
  sources: Uint8Array;
  destinations: Uint8Array;
}

const ip = (a: number, i: number) => `${a}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

export function keys(connections: number): Keys {
  const s = shape(connections);
  const pathNeighbor = new Uint32Array(s.paths);
  const pathSource: string[] = [];
  const pathDestination: string[] = [];
  for (let p = 0; p < s.paths; p++) {
    pathNeighbor[p] = Math.floor(p / 100);
    pathSource.push(ip(10, pathNeighbor[p]!));
    pathDestination.push(ip(172, p));
  }
  const connectionPath = new Uint32Array(connections);
  const localPorts = new Uint16Array(connections);
  const remotePorts = new Uint16Array(connections).fill(443);
  const priorities = new Uint8Array(connections);
  for (let c = 0; c < connections; c++) {
    connectionPath[c] = Math.floor(c / 10);
    localPorts[c] = 40000 + (c % 10);
    priorities[c] = (c * 7) % 8;
  }
  const pathSources = encodeAddresses(pathSource);
  const pathDestinations = encodeAddresses(pathDestination);
  const sources = new Uint8Array(16 * connections);
  const destinations = new Uint8Array(16 * connections);
  for (let c = 0; c < connections; c++) {
    const p = connectionPath[c]!;
    sources.set(pathSources.subarray(16 * p, 16 * p + 16), 16 * c);
    destinations.set(pathDestinations.subarray(16 * p, 16 * p + 16), 16 * c);
  }
  return { shape: s, pathNeighbor, pathSource, pathDestination, connectionPath, priorities, localPorts, remotePorts, sources, destinations };
}

export interface Built {
  neighbors: Float64Array;
  paths: Float64Array;
  connections: Float64Array;
}

/** Offloads neighbors and paths one call each (there are few), completes them in one call. */
function buildParents(t: AnyTable, k: Keys): Pick<Built, 'neighbors' | 'paths'> {
  const neighbors = new Float64Array(k.shape.neighbors);
  for (let n = 0; n < neighbors.length; n++) neighbors[n] = t.offloadNeighbor({ ifIndex: 1 + (n & 1), address: ip(10, n) });
  const paths = new Float64Array(k.shape.paths);
  for (let p = 0; p < paths.length; p++) {
    paths[p] = t.offloadPath({ source: k.pathSource[p]!, destination: k.pathDestination[p]! }, neighbors[k.pathNeighbor[p]!]!);
  }
  t.completeOffload(neighbors);
  t.completeOffload(paths);
  return { neighbors, paths };
}

/** The whole tree, connections in one batch call, completed in one call. */
export function buildBatch(t: AnyTable, k: Keys): Built {
  const { neighbors, paths } = buildParents(t, k);
  const parents = new Float64Array(k.shape.connections);
  for (let c = 0; c < parents.length; c++) parents[c] = paths[k.connectionPath[c]!]!;
  const connections = t.offloadConnections(parents, k.localPorts, k.remotePorts, k.priorities);
  t.completeOffload(connections);
  return { neighbors, paths, connections };
}

/** The whole tree, one offload call and one completion call per connection. */
export function buildOneByOne(t: AnyTable, k: Keys): Built {
  const { neighbors, paths } = buildParents(t, k);
  const connections = new Float64Array(k.shape.connections);
  const one = [0];
  for (let c = 0; c < connections.length; c++) {
    connections[c] = t.offloadConnection({ localPort: k.localPorts[c]!, remotePort: 443, priority: k.priorities[c]! }, paths[k.connectionPath[c]!]!);
    one[0] = connections[c]!;
    t.completeOffload(one);
  }
  return { neighbors, paths, connections };
}

/** Issue 2's shape: one neighbor, 1,000 paths, `connections` / 1,000 connections on each. */
export function buildOneNeighbor(t: AnyTable, connections: number): Built {
  const neighbor = t.offloadNeighbor({ ifIndex: 9, address: '10.255.0.1' });
  const paths = new Float64Array(1000);
  for (let i = 0; i < 1000; i++) paths[i] = t.offloadPath({ source: '10.255.0.2', destination: `10.254.${i >> 8}.${i & 255}` }, neighbor);
  t.completeOffload([neighbor, ...paths]);
  const parents = new Float64Array(connections);
  const local = new Uint16Array(connections);
  for (let c = 0; c < connections; c++) {
    parents[c] = paths[c % 1000]!;
    local[c] = 1024 + Math.floor(c / 1000);
  }
  const built = t.offloadConnections(parents, local, new Uint16Array(connections).fill(443));
  t.completeOffload(built);
  return { neighbors: Float64Array.of(neighbor), paths, connections: built };
}
