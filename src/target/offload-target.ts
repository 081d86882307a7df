// The offload target (the NIC) as the host stack sees it: asynchronous calls that take a block
// list and complete later with a result per block, and indications from the target to the host.
// It has no clock: a real device has its own time. A simulated one is given a Clock
// (src/target/clock.ts) that the host moves at every tick.

import type { Kind, Reason, UploadReason } from '../table/enums.js';

/** TCP variables owned by the target while a connection is offloaded (DELEGATED). */
export interface DelegatedState {
  sndUna: number;
  sndNxt: number;
  rcvNxt: number;
  sndWnd: number;
  cWnd: number;
  ssThresh: number;
  sRtt: number;
  rttVar: number;
  /** Running timers, ms until they fire (null: not running). */
  timers: { retransmit: number | null; keepalive: number | null; delayedAck: number | null };
}

/** A run of stream bytes: sequence number of its first byte, and its length. */
export interface Segment {
  seq: number;
  length: number;
}

export interface NeighborBlock {
  kind: Kind.Neighbor;
  handle: number;
  ifIndex: number;
  address: string;
  linkLayerAddress: string;
}
export interface PathBlock {
  kind: Kind.Path;
  handle: number;
  neighbor: number;
  source: string;
  destination: string;
  mtu: number;
}
export interface ConnectionBlock {
  kind: Kind.Connection;
  handle: number;
  path: number;
  localPort: number;
  remotePort: number;
  /** The host's TCP state at offload time: where the target takes over. */
  tcp: { sndUna: number; sndNxt: number; rcvNxt: number };
}
/** One object to offload; a block list has parents before their dependents. */
export type InitiateBlock = NeighborBlock | PathBlock | ConnectionBlock;

/** One object to terminate (upload); a block list has dependents before their parents. */
export interface TerminateBlock {
  handle: number;
  kind: Kind;
  reason: Reason | number;
}

/** A new value for a CACHED variable. */
export interface UpdateBlock {
  handle: number;
  kind: Kind;
  mtu?: number;
  linkLayerAddress?: string;
  /** A path's new neighbor. */
  neighbor?: number;
}

export interface BlockStatus {
  handle: number;
  ok: boolean;
  /** Why it failed, when it did. */
  error?: string;
}

/** What a terminated connection hands back; nothing may be lost on the way. */
export interface TerminateResult extends BlockStatus {
  delegated?: DelegatedState;
  /** Received data not yet delivered to the host, in order. */
  received?: Segment[];
  /** Sent data not yet acknowledged by the peer, in order. */
  unacknowledged?: Segment[];
}

export interface QueryResult extends BlockStatus {
  delegated?: DelegatedState;
}

/** Indications from the target to the host stack. */
export interface TargetEvents {
  /** The target asks the host to upload one connection. */
  uploadRequested(handle: number, reason: UploadReason): void;
  /** The target asks the host to upload everything, and offloads nothing until offloadResume. */
  uploadAll(): void;
  /** The target takes no new offloads until offloadResume (what it holds stays). */
  offloadPause(): void;
  offloadResume(): void;
  /** Media status of an interface; the host decides what to do about it. */
  link(ifIndex: number, up: boolean): void;
  /** The most connections the target can hold changed. */
  capacity(connections: number): void;
  /** Received data of an offloaded connection was delivered to the host. */
  delivered(handle: number, bytes: number): void;
  /**
   * Received data of many offloaded connections was delivered to the host: the same as
   * delivered(handles[i], bytes[i]) for i < count (default: handles.length), in one call. A target
   * that delivers for thousands of connections at a time calls this, when the host has it.
   */
  deliveredBatch?(handles: ArrayLike<number>, bytes: ArrayLike<number>, count?: number): void;
}

export interface OffloadTarget {
  /** The most connections the target can hold. */
  readonly capacity: number;
  /** The host registers its handlers for the target's indications (once). */
  attach(events: TargetEvents): void;
  /** The blocks are the target's to keep or change: the host applies the completion from its own record. */
  initiate(blocks: InitiateBlock[]): Promise<BlockStatus[]>;
  /** The blocks are the target's to keep or change, as for initiate. */
  terminate(blocks: TerminateBlock[]): Promise<TerminateResult[]>;
  update(blocks: UpdateBlock[]): Promise<BlockStatus[]>;
  query(handles: number[]): Promise<QueryResult[]>;
  /** The host's cached state of these neighbors or paths is no longer valid. */
  invalidate(blocks: TerminateBlock[]): Promise<BlockStatus[]>;
  /** Data moves on an offloaded connection: the application sent, the peer sent (optional). */
  traffic?(handle: number, sentBytes: number, receivedBytes: number): void;
  /** Data moves on many offloaded connections at once (optional; preferred over `traffic` when present). */
  trafficBatch?(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void;
  /**
   * Standing traffic (optional; for a target that runs on the host's clock, such as
   * SimulatedTarget): from the next clock step on, each step adds sentBytes[i] and
   * receivedBytes[i] to connection handles[i], for i < count (default: handles.length), until
   * changed by another call; (0, 0) stops it, and it stops by itself when the connection leaves
   * the target. Entries apply in order (a handle given twice keeps its last rate); a handle the
   * target does not hold is skipped. The arrays are the host's scratch: read them during the call.
   *
   * A host that finds it passes an Offloaded connection's standing bytes (HostStack.steady) only as
   * changes: when the connection becomes Offloaded, when its rate changes, and (0, 0) when its
   * termination starts; no standing bytes go through traffic/trafficBatch. The clock must then move
   * only through the host's tick(): a step the host did not make adds bytes the host did not count.
   */
  steady?(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes: ArrayLike<number>, count?: number): void;
}
