// The public types of the table API, shared by OffloadTable and the reference model.

import type { Kind, Reason, State } from './enums.js';
import type { Address } from './address.js';

export type { Address } from './address.js';

/** A neighbor: next-hop address on an interface. */
export interface NeighborKey {
  ifIndex: number;
  address: Address;
}
export interface NeighborInit extends NeighborKey {
  /** Cached link-layer address, 'aa:bb:cc:dd:ee:ff' (default 00:00:00:00:00:00). */
  linkLayerAddress?: string | Uint8Array | readonly number[];
}
/** A path: source to destination. */
export interface PathKey {
  source: Address;
  destination: Address;
}
export interface PathInit extends PathKey {
  /** Cached path MTU, 68..65535 (default 1500). */
  mtu?: number;
}
/** A connection's own key fields; its addresses are its path's. */
export interface ConnectionInit {
  localPort: number;
  remotePort: number;
  /** 0..255, higher wins (default 0). */
  priority?: number;
}
export interface ConnectionKey extends PathKey {
  localPort: number;
  remotePort: number;
}

/** A termination batch: handles in post-order (every dependent before its parent), a reason each. */
export interface TerminateBatch {
  /** Handles are safe integers up to 2^53, so batches of them are Float64Array. */
  readonly handles: Float64Array;
  readonly reasons: Uint8Array;
  readonly length: number;
}

export interface TerminateOptions {
  /** Terminate parents whose every dependent is terminated too, with Reason.Orphaned (default true). */
  prune?: boolean;
}

/** Many connection keys for a batch lookup; addresses are 16 bytes each (see encodeAddresses). */
export interface ConnectionKeys {
  sources: Uint8Array;
  destinations: Uint8Array;
  localPorts: ArrayLike<number>;
  remotePorts: ArrayLike<number>;
}

export interface TableOptions {
  /** Most live neighbors (default and maximum 67,108,864, the handle's slot space). */
  maxNeighbors?: number;
  /** Most live paths (default and maximum 67,108,864). */
  maxPaths?: number;
  /** Most live connections (default and maximum 67,108,864; memory bounds it first, see README). */
  maxConnections?: number;
  /** Cap on the table's linear memory; beyond it calls throw OutOfMemory (default ~4 GiB). */
  maxMemoryBytes?: number;
  /** Linear memory to start with (default 1 MiB). */
  initialMemoryBytes?: number;
}

/** The low-activity policy applied by tick(). */
export interface ActivityPolicy {
  /** A connection is quiet while its average rate (sent + received) is under this (default 4096 B/s). */
  thresholdBytesPerSecond?: number;
  /** Time constant of the moving average (default 10,000 ms). */
  windowMs?: number;
  /** A connection quiet this long is returned by tick() (default 10,000 ms). */
  quietMs?: number;
}

/** Traffic state of a connection, as tick() last folded it. */
export interface TrafficInfo {
  /** Bytes recorded since the last tick. */
  bytes: number;
  /** Moving average in bytes per second, -1 before the first tick. */
  rate: number;
  /** Time its rate has stayed under the threshold, in ms. */
  quietMs: number;
}

/** Everything the table holds about one object. */
export interface ObjectInfo {
  handle: number;
  kind: Kind;
  state: State;
  /** Termination was requested and waits (for an initiate in flight, or dependents of an earlier batch). */
  pending: boolean;
  /** The termination reason (actual or pending), 0 if none. */
  reason: Reason | 0;
  parent: number;
  refCount: number;
  key: NeighborInit | PathInit | (ConnectionKey & { priority: number });
  /** Connections only. */
  traffic?: TrafficInfo;
}

/** The table API that OffloadTable and ReferenceTable both implement (the design's contract and more). */
export interface OffloadTableApi {
  offloadNeighbor(neighbor: NeighborInit): number;
  offloadPath(path: PathInit, neighbor: number): number;
  offloadConnection(connection: ConnectionInit, path: number): number;
  offloadConnections(paths: ArrayLike<number>, localPorts: ArrayLike<number>, remotePorts: ArrayLike<number>, priorities?: ArrayLike<number>): Float64Array;
  completeOffload(handles: ArrayLike<number>, ok?: boolean, options?: TerminateOptions): TerminateBatch;
  terminate(handles: ArrayLike<number>, reason: Reason | number, options?: TerminateOptions): TerminateBatch;
  terminateInterface(ifIndex: number, reason: Reason | number, options?: TerminateOptions): TerminateBatch;
  terminateAll(reason: Reason | number, options?: TerminateOptions): TerminateBatch;
  completeTerminate(handles: ArrayLike<number>, options?: TerminateOptions): TerminateBatch;
  findNeighbor(key: NeighborKey): number;
  findPath(key: PathKey): number;
  findConnection(key: ConnectionKey): number;
  findConnections(keys: ConnectionKeys): Float64Array;
  kind(handle: number): Kind;
  state(handle: number): State;
  parent(handle: number): number;
  refCount(handle: number): number;
  dependents(handle: number): Float64Array;
  pending(handle: number): boolean;
  reason(handle: number): Reason | 0;
  describe(handle: number): ObjectInfo;
  count(kind: Kind): number;
  handles(kind: Kind): Float64Array;
  neighborsOn(ifIndex: number): Float64Array;
  check(): void;
  recordTraffic(handle: number, sentBytes: number, receivedBytes?: number): void;
  recordTrafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void;
  tick(now: number, policy?: ActivityPolicy): Float64Array;
  chooseVictims(count: number, priority: number): Float64Array;
  updatePath(handle: number, update: { mtu: number }): void;
  updateNeighbor(handle: number, update: { linkLayerAddress: string | Uint8Array | readonly number[] }): void;
  relinkPath(path: number, neighbor: number): void;
}
