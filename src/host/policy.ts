// The policy interface: what an offload policy sees and what it decides.
//
// Every connection the host knows lives in the host from open() to close(), offloaded or in
// software. The host keeps them in columns (typed arrays indexed by a connection's *slot*), updates
// them in batches, and once per tick hands the columns to the policy, which ranks them and returns
// batches of slots: which to offload, which to give up. A policy never gets a callback per
// connection, so its work at a million connections is a few passes over typed arrays.
//
//   open(batch) ──> slot ─┬─ Software ──(policy: offload)──> Offloading ──> Offloaded
//                         │      ^                                               │
//                         │      └──── terminated (any reason), refused, failed ─┘
//                         └─ close(): an offloaded connection is terminated (Reason.Application)
//
// A slot is reused after its connection closed; the host's public connection ids are not slots
// (they are never reused), so a policy must not keep slots across ticks without checking `id`.

import type { Reason } from '../table/enums.js';

/** Where a connection the host knows is. */
export enum ConnectionStatus {
  /** The slot holds no connection. */
  Free = 0,
  /** In the software stack; the policy may offload it. */
  Software = 1,
  /** Handed to the target, initiate not yet complete (takes a target slot). */
  Offloading = 2,
  /** Held by the target. */
  Offloaded = 3,
  /** Being uploaded back; in software again once the target completes (still takes a target slot). */
  Terminating = 4,
}

/** The host's columns, one entry per slot 0..length-1. Read-only for a policy. */
export interface ConnectionColumns {
  /** Slots in use or freed are below `length`; entries at or above it are meaningless. */
  readonly length: number;
  /** The connection's public id (never reused), 0 for a free slot. */
  readonly id: Float64Array;
  readonly status: Uint8Array;
  readonly priority: Uint8Array;
  /** When the connection was opened, ms. */
  readonly openedAt: Float64Array;
  /** When it last moved a byte, ms. */
  readonly lastActiveAt: Float64Array;
  /** Bytes moved both ways since open. */
  readonly bytes: Float64Array;
  /** Bytes moved both ways while offloaded, since open. */
  readonly offloadedBytes: Float64Array;
  /** Bytes moved in the last tick. */
  readonly tickBytes: Float64Array;
  /** Bytes per second, exponentially weighted moving average over the host's rate window. */
  readonly rate: Float32Array;
  /** The table handle while Offloading, Offloaded or Terminating; 0 otherwise. */
  readonly handle: Float64Array;
  /** When it was last offloaded (initiate completed), ms; 0 if never. */
  readonly offloadedAt: Float64Array;
}

/** What a policy sees at a tick. */
export interface PolicyContext {
  /** The host's clock, ms. */
  readonly now: number;
  /** ms since the previous tick. */
  readonly elapsedMs: number;
  /** Connections the target can hold now. */
  readonly capacity: number;
  /** Target slots taken: Offloading + Offloaded + Terminating connections. */
  readonly occupied: number;
  /** False while offloads are paused (host pause, target pause, power transition). */
  readonly canOffload: boolean;
  readonly columns: ConnectionColumns;
  /** Slots opened since the previous tick. */
  readonly arrived: Uint32Array;
  /** Slots in use (Software or on the target), in no particular order; length = connections alive. */
  readonly live: Uint32Array;
  /** Slots that moved bytes since the previous tick (tickBytes > 0), some possibly closed since. */
  readonly active: Uint32Array;
}

/** What a policy decides at a tick. Every field is optional; slots are validated by the host. */
export interface PolicyDecision {
  /** Offloaded slots to give up, carried out before `offload`. */
  terminate?: ArrayLike<number>;
  /** Why (default Reason.HigherPriority). */
  terminateReason?: Reason | number;
  /**
   * Software slots to offload, best first. The host offloads as many as fit in
   * capacity - occupied (a slot freed by `terminate` counts only once its upload completed) and
   * drops the rest: the policy asks again at a later tick.
   */
  offload?: ArrayLike<number>;
}

/** One offload policy. */
export interface OffloadPolicy {
  /** A short name for reports, e.g. 'threshold'. */
  readonly name: string;
  /** Ranks connections and decides; called once per HostStack.tick(). */
  tick(context: PolicyContext): PolicyDecision | undefined | void;
}

/** How a policy is built from options (a built-in's or a user module's default export). */
export interface PolicyFactory<Options = Record<string, unknown>> {
  readonly name: string;
  /** One line on what it does, for --help and reports. */
  readonly description: string;
  /**
   * Checks options and builds the policy; throws OffloadError(InvalidArgument) naming every bad
   * field (all at once, not just the first).
   */
  create(options?: Options): OffloadPolicy;
}
