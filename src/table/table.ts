// OffloadTable: the typed, synchronous API over the Wasm core (the contract of the design).
//
// Every method reads its arguments through the front end (front.ts, validate.ts), which checks
// what JS can (types, ranges, address syntax) before the core is called; the core checks the rest
// (handles, states, keys, memory) before changing anything, and its refusals become the messages
// of refusals.ts. Either way a bad call throws OffloadError and leaves the table exactly as it was.

import { ErrorCode, Kind, type Reason, State } from './enums.js';
import { OffloadError, describeHandle, invalid, KIND_SPAN, GENERATION_SPAN } from './errors.js';
import { formatAddress, formatLinkLayerAddress, typeName } from './address.js';
import type * as api from './types.js';
import {
  readConnectionBatch,
  readConnectionKeys,
  readTrafficBatch,
  TrafficScratch,
  readHandleList,
  notAHandle,
  type HandleList,
  notHandle,
  readOptions,
  requireInt,
  SLOT_LIMIT,
  MAX_BATCH,
  type ConnectionBatch,
} from './validate.js';
import * as front from './front.js';
import * as refuse from './refusals.js';
import { Core, compileCore, compileCoreSync } from './core.js';

/** OffloadTable's method for the host's own traffic batches (see there); not exported from the package. */
export const recordCountedTraffic = Symbol('recordCountedTraffic');

/** For stageHandles: no state check (0 is no State; assembly/memory/slab.ts FREE). */
const ANY_STATE = 0;
/** Handles from 2^51 up have a kind; below, WrongState's aux is a state number (assembly/ops/complete.ts). */
const FIRST_HANDLE = KIND_SPAN;

/**
 * What a call expects of the objects it names, so that a core refusal (a code and the header's
 * detail) becomes the message refusals.ts writes for the same refusal of the reference:
 * - `kind`: what the parent or target must be (WrongKind); `relink`: relinkPath's two handles;
 * - `state`: the state staged handles must be in (WrongState with a state number);
 * - `role`: what the call wanted of an object that turned out to be leaving (WrongState, aux 0);
 * - `adds`, `adding`: the kind and number of objects it creates (Capacity);
 * - `batch`: offloadConnections' entries (a key repeated inside the batch);
 * - `handle`: the handle of a one-object call (the core leaves no detail for those).
 */
interface Expect {
  kind?: Kind;
  adds?: Kind;
  state?: State;
  role?: refuse.LeavingRole;
  adding?: number;
  batch?: ConnectionBatch;
  handle?: number;
  relink?: { path: number; neighbor: number };
}
const OFFLOAD_NEIGHBOR: Expect = { adds: Kind.Neighbor, adding: 1 };
const OFFLOAD_PATH: Expect = { kind: Kind.Neighbor, role: 'parent', adds: Kind.Path, adding: 1 };
const OFFLOAD_CONNECTION: Expect = { kind: Kind.Path, role: 'parent', adds: Kind.Connection, adding: 1 };
const NOTHING: Expect = {};

/** Handle lists of at most this many entries are read into a table's own buffer (no allocation). */
const SMALL_LIST = 16;
/** An empty batch's arrays: empty and frozen, so one pair serves every call that returns nothing. */
const NO_HANDLES = Object.freeze(new Float64Array(0)) as Float64Array;
const NO_REASONS = Object.freeze(new Uint8Array(0)) as Uint8Array;

export class OffloadTable implements api.OffloadTableApi {
  private readonly core: Core;
  /** The buffer short handle lists are read into (see stageHandles), and whether a call holds it. */
  private readonly small = new Float64Array(SMALL_LIST);
  private smallBusy = false;
  readonly maxMemoryBytes: number;
  private readonly limitsOf: { maxNeighbors: number; maxPaths: number; maxConnections: number };

  /** `o`: the options as readOptions returned them (read once, by create). */
  private constructor(module: WebAssembly.Module, o: Required<api.TableOptions>) {
    this.maxMemoryBytes = o.maxMemoryBytes;
    this.limitsOf = { maxNeighbors: o.maxNeighbors, maxPaths: o.maxPaths, maxConnections: o.maxConnections };
    this.core = new Core(module, o.initialMemoryBytes, o.maxMemoryBytes, [o.maxNeighbors, o.maxPaths, o.maxConnections]);
    const core = this.core;
    this.keys = { bytes: () => core.u8, src: core.keySource, dst: core.keyDestination };
  }

  /** A new, empty table (compiles the core on first use, asynchronously). */
  static async create(options?: api.TableOptions): Promise<OffloadTable> {
    const o = readOptions(options);
    return new OffloadTable(await compileCore(), o);
  }

  /** A new, empty table, compiled synchronously on first use (fine in Node and workers). */
  static createSync(options?: api.TableOptions): OffloadTable {
    return new OffloadTable(compileCoreSync(), readOptions(options));
  }

  // ---- offload ---------------------------------------------------------------------------------

  /** Where the front end writes address keys: the core's key scratch (assembly/memory/buffers.ts). */
  private readonly keys: front.KeySink;

  /** Offloads a neighbor (State.Offloading). Returns its handle. */
  offloadNeighbor(neighbor: api.NeighborInit): number {
    const a = front.readNeighbor(neighbor, this.keys);
    return this.handleResult(this.core.exports.offloadNeighbor(a.ifIndex, BigInt(a.linkLayerAddress)), 'offloadNeighbor', OFFLOAD_NEIGHBOR);
  }

  /** Offloads a path under `neighbor` (which must not be Terminating). Returns its handle. */
  offloadPath(path: api.PathInit, neighbor: number): number {
    const a = front.readPath(path, neighbor, this.keys);
    return this.handleResult(this.core.exports.offloadPath(a.neighbor, a.mtu), 'offloadPath', OFFLOAD_PATH);
  }

  /** Offloads a connection under `path` (which must not be Terminating). Returns its handle. */
  offloadConnection(connection: api.ConnectionInit, path: number): number {
    const { path: parent, ports, priority } = front.readConnection(connection, path);
    return this.handleResult(this.core.exports.offloadConnection(parent, ports, priority), 'offloadConnection', OFFLOAD_CONNECTION);
  }

  /**
   * Offloads many connections in one call, all or none: entry i goes under paths[i].
   * Returns their handles in order. Every entry is read once; at most MAX_BATCH entries.
   */
  offloadConnections(paths: ArrayLike<number>, localPorts: ArrayLike<number>, remotePorts: ArrayLike<number>, priorities?: ArrayLike<number>): Float64Array {
    const op = 'offloadConnections';
    const batch = readConnectionBatch(op, paths, localPorts, remotePorts, priorities);
    const n = batch.n;
    const expect: Expect = { kind: Kind.Path, role: 'parent', adds: Kind.Connection, adding: n, batch };
    const core = this.core.exports;
    // A chunk through the I/O window: [ path f64 x m | ports u32 x m | priority u8 x m ].
    const chunk = this.core.chunk(13);
    const stageChunk = (from: number, to: number) => {
      const m = to - from;
      const at = this.core.io;
      this.core.f64.set(batch.paths.subarray(from, to), at >>> 3);
      this.core.u32.set(batch.ports.subarray(from, to), (at + 8 * m) >>> 2);
      this.core.u8.set(batch.priorities.subarray(from, to), at + 12 * m);
      return m;
    };
    const out = new Float64Array(n);
    const collect = (from: number, m: number) => {
      const at = this.core.io >>> 3;
      out.set(this.core.f64.subarray(at, at + m), from);
    };
    if (n <= chunk) {
      const r = core.offloadConnections(stageChunk(0, n));
      if (r < 0) this.fail(-r, op, expect);
      collect(0, n);
      return out;
    }
    // A large batch goes in chunks; see assembly/ops/offload.ts.
    for (let from = 0; from < n; from += chunk) {
      const r = core.validateConnections(stageChunk(from, Math.min(n, from + chunk)), from);
      if (r < 0) this.fail(-r, op, expect);
    }
    const reserved = core.reserveConnections(n);
    if (reserved < 0) this.fail(-reserved, op, expect);
    for (let from = 0; from < n; from += chunk) {
      const m = stageChunk(from, Math.min(n, from + chunk));
      const r = core.placeConnections(m, from);
      if (r < 0) {
        // Undo the chunks already placed, last placed first, a window at a time.
        const handleChunk = this.core.chunk(8);
        for (let end = from; end > 0; end -= handleChunk) {
          const start = Math.max(0, end - handleChunk);
          const f64 = this.core.f64;
          const w = this.core.io >>> 3;
          for (let i = 0; i < end - start; i++) f64[w + i] = out[end - 1 - i]!;
          core.unplaceConnections(end - start);
        }
        this.fail(-r, op, expect);
      }
      collect(from, m);
    }
    return out;
  }

  /**
   * Completes the initiate of Offloading objects. ok: they become Offloaded (a child's parent
   * must be Offloaded already or completed in the same call). !ok: the initiate failed and they
   * are freed (every linked dependent must fail in the same call). Returns the objects whose
   * termination was requested meanwhile and that enter Terminating now (usually none).
   */
  completeOffload(handles: ArrayLike<number>, ok = true, options?: api.TerminateOptions): api.TerminateBatch {
    const a = front.readCompleteOffload(ok, options);
    const n = this.stageHandles(handles, 'completeOffload', 'completeOffload: handles', State.Offloading);
    return this.batchResult(this.core.exports.completeOffload(n, a.ok ? 1 : 0, a.prune ? 1 : 0), 'completeOffload');
  }

  // ---- terminate -------------------------------------------------------------------------------

  /**
   * Terminates any mix of objects and everything linked below them. Returns the batch to hand to
   * the target: post-order, a reason each, all now Terminating. Objects already Terminating and
   * duplicates are skipped; objects that cannot go yet (an initiate in flight, dependents from an
   * earlier batch) are marked pending and come back from a later completion.
   */
  terminate(handles: ArrayLike<number>, reason: Reason | number, options?: api.TerminateOptions): api.TerminateBatch {
    const a = front.readTerminate('terminate', reason, options);
    const n = this.stageHandles(handles, 'terminate', 'terminate: handles', ANY_STATE);
    return this.batchResult(this.core.exports.terminate(n, a.reason, a.prune ? 1 : 0), 'terminate');
  }

  /** Terminates every object on one interface (all its neighbors and what hangs below them). */
  terminateInterface(ifIndex: number, reason: Reason | number, options?: api.TerminateOptions): api.TerminateBatch {
    const a = front.readTerminateInterface(ifIndex, reason, options);
    return this.batchResult(this.core.exports.terminateInterface(a.ifIndex, a.reason, a.prune ? 1 : 0), 'terminateInterface');
  }

  /** Terminates every object in the table. */
  terminateAll(reason: Reason | number, options?: api.TerminateOptions): api.TerminateBatch {
    const a = front.readTerminate('terminateAll', reason, options);
    return this.batchResult(this.core.exports.terminateAll(a.reason, a.prune ? 1 : 0), 'terminateAll');
  }

  /**
   * Frees Terminating objects whose termination the target completed, and drops their parents'
   * refcounts. Refuses if one of them still has a linked dependent not freed by the same call.
   * Returns the parents that can go now: pending ones with their reason, and with `prune` (the
   * default) those whose last dependent was just freed, with Reason.Orphaned; all now Terminating.
   */
  completeTerminate(handles: ArrayLike<number>, options?: api.TerminateOptions): api.TerminateBatch {
    const prune = front.readCompleteTerminate(options);
    const n = this.stageHandles(handles, 'completeTerminate', 'completeTerminate: handles', State.Terminating);
    return this.batchResult(this.core.exports.completeTerminate(n, prune ? 1 : 0), 'completeTerminate');
  }

  // ---- traffic and victims ---------------------------------------------------------------------

  /** Records traffic on a connection (for the low-activity policy and the victim order). */
  recordTraffic(handle: number, sentBytes: number, receivedBytes?: number): void {
    const a = front.readTraffic(handle, sentBytes, receivedBytes);
    const r = this.core.exports.recordTraffic(a.handle, a.bytes);
    if (r < 0) this.fail(-r, 'recordTraffic', { kind: Kind.Connection, handle: a.handle });
  }

  /** recordTrafficBatch's reused buffers (typed-array batches: a host records one every tick). */
  private readonly trafficScratch = new TrafficScratch();

  /**
   * Records traffic on many connections in one call, all or none. It never needs memory: the batch
   * goes through the core's I/O window in chunks, all checked before any is applied.
   */
  recordTrafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void {
    const op = 'recordTrafficBatch';
    const batch = readTrafficBatch(op, handles, sentBytes, receivedBytes, this.trafficScratch);
    this.recordChecked(op, batch.handles.values, batch.bytes, batch.n);
  }

  /**
   * recordTrafficBatch for a batch the host built from its own columns (src/host/engine.ts): the
   * handles of its Offloaded connections and their bytes, summed and capped at 2^32 - 1 already.
   * Nothing in it came from a caller, so the entry-by-entry reading and checking is skipped; the
   * core still checks every handle before any is applied (all or none). Not public: the symbol is
   * not exported from the package.
   */
  [recordCountedTraffic](handles: Float64Array, bytes: Uint32Array, n: number): void {
    this.recordChecked('recordTrafficBatch', handles, bytes, n);
  }

  /** n entries (handles, bytes 0..2^32 - 1) through the core: all checked, then all applied. */
  private recordChecked(op: string, handles: Float64Array, bytes: Uint32Array, n: number): void {
    // Its callers pass their own arrays, but the symbol path is reachable by reflection: a count past
    // the arrays would check and apply what the last batch left in the core's I/O window.
    if (!(handles instanceof Float64Array && bytes instanceof Uint32Array && Number.isInteger(n) && n >= 0 && n <= handles.length && n <= bytes.length))
      invalid(`${op}: expected handles (Float64Array) and bytes (Uint32Array) of at least ${typeName(n)} entries`);
    const chunk = this.core.chunk(12);
    const core = this.core.exports;
    // A chunk through the I/O window: [ handle f64 x m | bytes u32 x m ].
    const put = (from: number, m: number, withBytes: boolean) => {
      this.core.f64.set(handles.subarray(from, from + m), this.core.io >>> 3);
      if (withBytes) this.core.u32.set(bytes.subarray(from, from + m), (this.core.io + 8 * m) >>> 2);
    };
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      put(from, m, false);
      const r = core.checkTraffic(m, from);
      if (r < 0) this.fail(-r, op, { kind: Kind.Connection });
    }
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      put(from, m, true);
      core.applyTraffic(m);
    }
  }

  private readonly clock = new front.TickClock();

  /**
   * Folds the traffic recorded since the previous tick into each Offloaded connection's moving
   * average, in one pass, and returns the connections quiet for at least `policy.quietMs` (slot
   * order). The first tick only starts the clock. `now` is in ms and must not go back.
   */
  tick(now: number, policy?: api.ActivityPolicy): Float64Array {
    const a = this.clock.read(now, policy);
    if (a.dt === 0) return new Float64Array(0);
    return this.widenAll(this.core.exports.tick(a.dt, a.dtWhole, a.alpha, a.policy.threshold, a.policy.quietMs), 'tick', NOTHING);
  }

  /**
   * Up to `count` victims for a new connection of `priority`: Offloaded (not pending) connections of
   * strictly lower priority, lowest priority first, least recently active first.
   */
  chooseVictims(count: number, priority: number): Float64Array {
    const a = front.readVictims(count, priority);
    return this.widenAll(this.core.exports.chooseVictims(a.count, a.below), 'chooseVictims', NOTHING);
  }

  // ---- cached variables ------------------------------------------------------------------------

  /** Sets a path's cached MTU (the host owns it; push it to the target with an update). */
  updatePath(handle: number, update: { mtu: number }): void {
    const a = front.readPathUpdate(handle, update);
    const r = this.core.exports.setMtu(a.handle, a.mtu);
    if (r < 0) this.fail(-r, 'updatePath', { kind: Kind.Path, role: 'update', handle: a.handle });
  }

  /** Sets a neighbor's cached link-layer address. */
  updateNeighbor(handle: number, update: { linkLayerAddress: string | Uint8Array | readonly number[] }): void {
    const a = front.readNeighborUpdate(handle, update);
    const r = this.core.exports.setLinkLayerAddress(a.handle, BigInt(a.linkLayerAddress));
    if (r < 0) this.fail(-r, 'updateNeighbor', { kind: Kind.Neighbor, role: 'update', handle: a.handle });
  }

  /** Moves an Offloaded path, with its connections, under another Offloaded neighbor. */
  relinkPath(path: number, neighbor: number): void {
    const a = front.readRelink(path, neighbor);
    const r = this.core.exports.relinkPath(a.path, a.neighbor);
    if (r < 0) this.fail(-r, 'relinkPath', { role: 'relink', relink: a });
  }

  // ---- lookups ---------------------------------------------------------------------------------

  findNeighbor(key: api.NeighborKey): number {
    return this.core.exports.findNeighbor(front.readNeighborKey(key, this.keys));
  }

  findPath(key: api.PathKey): number {
    front.readPathKey(key, this.keys);
    return this.core.exports.findPath();
  }

  findConnection(key: api.ConnectionKey): number {
    return this.core.exports.findConnection(front.readConnectionKey(key, this.keys));
  }

  /**
   * Looks up many connections; 0 where there is none. It never needs memory: keys and results go
   * through the core's I/O window in chunks.
   */
  findConnections(keys: api.ConnectionKeys): Float64Array {
    const op = 'findConnections';
    const k = readConnectionKeys(op, keys);
    const n = k.n;
    const found = new Float64Array(n);
    // A chunk through the I/O window: [ sources 16m | destinations 16m | ports u32 x m ] in,
    // [ handle f64 x m ] out.
    const chunk = this.core.chunk(36);
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      const at = this.core.io;
      const u8 = this.core.u8;
      u8.set(k.sources.subarray(16 * from, 16 * (from + m)), at);
      u8.set(k.destinations.subarray(16 * from, 16 * (from + m)), at + 16 * m);
      this.core.u32.set(k.ports.subarray(from, from + m), (at + 32 * m) >>> 2);
      this.core.exports.findConnections(m);
      found.set(this.core.f64.subarray(at >>> 3, (at >>> 3) + m), from);
    }
    return found;
  }

  // ---- queries ---------------------------------------------------------------------------------

  kind(handle: number): Kind {
    const h = front.readHandle('kind', handle);
    return this.getter(this.core.exports.kindOf(h), 'kind', h);
  }

  state(handle: number): State {
    const h = front.readHandle('state', handle);
    return this.getter(this.core.exports.stateOf(h), 'state', h);
  }

  /** Parent handle (path of a connection, neighbor of a path), 0 for a neighbor. */
  parent(handle: number): number {
    const h = front.readHandle('parent', handle);
    return this.getter(this.core.exports.parentOf(h), 'parent', h);
  }

  /** Dependents linked to a neighbor or path (0 for a connection). */
  refCount(handle: number): number {
    const h = front.readHandle('refCount', handle);
    return this.getter(this.core.exports.refCountOf(h), 'refCount', h);
  }

  /** Handles of the dependents linked to a neighbor or path (none for a connection). */
  dependents(handle: number): Float64Array {
    const h = front.readHandle('dependents', handle);
    return this.listing((from) => this.core.exports.dependentsOf(h, from), 'dependents', { handle: h });
  }

  /** True if termination was requested and waits (see terminate). */
  pending(handle: number): boolean {
    const h = front.readHandle('pending', handle);
    return (this.getter(this.core.exports.statusOf(h), 'pending', h) & 1) === 1;
  }

  /** The termination reason, actual or pending; 0 if none was requested. */
  reason(handle: number): Reason | 0 {
    const h = front.readHandle('reason', handle);
    return this.getter(this.core.exports.statusOf(h), 'reason', h) >>> 8;
  }

  /** Everything about one object: state, links, key and cached variables. */
  describe(handle: number): api.ObjectInfo {
    const h = front.readHandle('describe', handle);
    const kind = this.getter(this.core.exports.keyOf(h), 'describe', h) as Kind;
    const u8 = this.core.u8;
    // The key scratch (assembly/memory/buffers.ts, Key), at the offsets the core exports.
    const at = this.core.contract.key;
    const scratch = new DataView(u8.buffer, this.core.header);
    const source = formatAddress(u8, this.core.keySource);
    let key: api.ObjectInfo['key'];
    let traffic: api.ObjectInfo['traffic'];
    if (kind === Kind.Neighbor) {
      key = {
        ifIndex: scratch.getUint32(at.ifIndex, true),
        address: source,
        linkLayerAddress: formatLinkLayerAddress(Number(scratch.getBigUint64(at.linkLayerAddress, true))),
      };
    } else if (kind === Kind.Path) {
      key = { source, destination: formatAddress(u8, this.core.keyDestination), mtu: scratch.getUint32(at.mtu, true) };
    } else {
      const ports = scratch.getUint32(at.ports, true);
      key = {
        source,
        destination: formatAddress(u8, this.core.keyDestination),
        localPort: ports >>> 16,
        remotePort: ports & 0xffff,
        priority: scratch.getUint32(at.priority, true),
      };
      traffic = { bytes: scratch.getUint32(at.bytes, true), rate: scratch.getFloat32(at.rate, true), quietMs: scratch.getUint32(at.quietMs, true) };
    }
    const status = this.core.exports.statusOf(h);
    return {
      handle: h,
      kind,
      state: this.core.exports.stateOf(h),
      pending: (status & 1) === 1,
      reason: status >>> 8,
      parent: this.core.exports.parentOf(h),
      refCount: this.core.exports.refCountOf(h),
      key,
      ...(traffic ? { traffic } : {}),
    };
  }

  /** Live objects of one kind. */
  count(kind: Kind): number {
    return this.core.exports.count(front.readKind('count', kind));
  }

  /** Handles of every live object of one kind, in slot order. */
  handles(kind: Kind): Float64Array {
    const k = front.readKind('handles', kind);
    return this.listing((from) => this.core.exports.listAll(k, from), 'handles', NOTHING);
  }

  /** Handles of the neighbors on one interface. */
  neighborsOn(ifIndex: number): Float64Array {
    const index = front.readIfIndex('neighborsOn', ifIndex);
    return this.listing((from) => this.core.exports.listInterface(index, from), 'neighborsOn', NOTHING);
  }

  /** Verifies every invariant of the table from scratch; throws InvariantBroken if one fails. */
  check(): void {
    if (this.core.exports.check() === 0) return;
    const handle = this.core.errorHandle();
    const where = handle ? ` at ${describeHandle(handle)}` : '';
    throw new OffloadError(
      ErrorCode.InvariantBroken,
      `check: ${this.core.invariantMessage(this.core.errorAux())}${where}. This is a bug in chimney-host; please report it with the calls that led here.`,
      undefined,
      handle || undefined,
    );
  }

  /** Memory use: linear memory grown, and bytes allocated inside it. */
  memory(): { linearBytes: number; allocatedBytes: number } {
    return { linearBytes: this.core.memory.buffer.byteLength, allocatedBytes: this.core.exports.heapBytes() };
  }

  /**
   * The table's limits: live objects per kind (as configured, at most 67,108,864 each), the
   * memory cap, the largest batch, and how often one slot is reused before it retires (see README).
   */
  limits(): { maxNeighbors: number; maxPaths: number; maxConnections: number; maxMemoryBytes: number; maxBatch: number; slotReuses: number } {
    return { ...this.limitsOf, maxMemoryBytes: this.maxMemoryBytes, maxBatch: MAX_BATCH, slotReuses: GENERATION_SPAN };
  }

  /**
   * The handle layout as the loaded core defines it (README, "a handle carries its object's kind,
   * its slot and the slot's generation"): a handle's low `slotBits` bits are its object's slot
   * among the objects of its kind, `generationBits` bits above them its generation. One live
   * object per slot and kind at a time: an index by slot needs no hashing (src/host/handle-slots.ts).
   */
  handleLayout(): { slotBits: number; generationBits: number } {
    const c = this.core.contract;
    return { slotBits: c.handleSlotBits, generationBits: c.handleGenerationBits };
  }

  /** Slots of `kind` retired because 2^25 objects have used each of them (see README). */
  retiredSlots(kind: Kind): number {
    return this.core.exports.retired(front.readKind('retiredSlots', kind));
  }

  /**
   * TEST ONLY, not part of the API: sets the generation of a live object's slot (0..2^25-1), so a
   * test reaches slot retirement without 2^25 reuses. The object's handle changes: returns the new one.
   */
  debugSetGeneration(handle: number, generation: number): number {
    const h = front.readHandle('debugSetGeneration', handle);
    const g = requireInt(generation, 0, GENERATION_SPAN - 1, 'debugSetGeneration: generation');
    const kind = this.kind(h);
    const slot = h % SLOT_LIMIT;
    this.core.exports.debugSetGeneration(kind, slot, g);
    return kind * FIRST_HANDLE + g * SLOT_LIMIT + slot;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** Collects a chunked listing of the core (see assembly/ops/query.ts, listings). */
  private listing(call: (from: number) => number, op: string, expect: Expect): Float64Array {
    const chunks: Float64Array[] = [];
    let from = 0;
    do {
      const n = call(from);
      if (n < 0) this.fail(-n, op, expect);
      chunks.push(this.widenAll(n, op, expect));
      from = this.core.cursor();
    } while (from !== this.core.contract.listDone);
    if (chunks.length === 1) return chunks[0]!;
    const all = new Float64Array(chunks.reduce((sum, c) => sum + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }

  /**
   * Reads a list of handles once and stages it in the core, chunk by chunk through the I/O window.
   * The core checks each entry in order (a handle, live, in state `want` unless ANY_STATE) and
   * fails at the first bad one. Returns how many were staged.
   */
  private stageHandles(handles: ArrayLike<number>, op: string, what: string, want: number): number {
    // A short list is read into this table's own buffer rather than a new array, unless a call
    // that is still reading one (its argument's getter called this table) has lent it.
    const lend = !this.smallBusy;
    this.smallBusy = true;
    let list: HandleList;
    try {
      list = readHandleList(handles, what, lend ? this.small : undefined);
    } finally {
      if (lend) this.smallBusy = false;
    }
    const n = list.length;
    const values = list.values;
    const chunk = this.core.chunk(8);
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      const f64 = this.core.f64;
      const at = this.core.io >>> 3;
      if (m <= SMALL_LIST) for (let i = 0; i < m; i++) f64[at + i] = values[from + i]!;
      else f64.set(values.subarray(from, from + m), at);
      const r = this.core.exports.stageHandles(m, from, want);
      if (r < 0) {
        if (-r === 1) notAHandle(list, this.core.errorIndex(), what);
        this.fail(-r, op, want === ANY_STATE ? NOTHING : { state: want });
      }
    }
    return n;
  }

  /** Reads the core's `n` output entries as handles, through the I/O window (see widen). */
  private widenAll(n: number, op: string, expect: Expect): Float64Array {
    if (n < 0) this.fail(-n, op, expect);
    const out = new Float64Array(n);
    const chunk = this.core.chunk(8);
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      this.core.exports.widen(from, m, 0);
      const at = this.core.io >>> 3;
      const f64 = this.core.f64;
      // A few entries (one victim, say): copied one by one, as in batchResult.
      if (m <= SMALL_LIST) for (let i = 0; i < m; i++) out[from + i] = f64[at + i]!;
      else out.set(f64.subarray(at, at + m), from);
    }
    return out;
  }

  /** A handle returned by an offload call, or throw for the error code it holds. */
  private handleResult(r: number, op: string, expect: Expect): number {
    if (r < 0) this.fail(-r, op, expect);
    return r;
  }

  /** The answer of a one-object query, or throw for the error code it holds. */
  private getter(r: number, op: string, handle: number): number {
    if (r < 0) this.fail(-r, op, { handle });
    return r;
  }

  /** A termination batch of `r` entries: handles and reasons through the I/O window (see widen). */
  private batchResult(r: number, op: string): api.TerminateBatch {
    if (r < 0) this.fail(-r, op, NOTHING);
    if (r === 0) return { handles: NO_HANDLES, reasons: NO_REASONS, length: 0 };
    const handles = new Float64Array(r);
    const reasons = new Uint8Array(r);
    const chunk = this.core.chunk(9);
    for (let from = 0; from < r; from += chunk) {
      const m = Math.min(chunk, r - from);
      this.core.exports.widen(from, m, 1);
      const at = this.core.io;
      const f64 = this.core.f64;
      const u8 = this.core.u8;
      if (m <= SMALL_LIST) {
        // A few entries: copied one by one (two subarray views would cost more than the copy).
        for (let i = 0; i < m; i++) {
          handles[from + i] = f64[(at >>> 3) + i]!;
          reasons[from + i] = u8[at + 8 * m + i]!;
        }
      } else {
        handles.set(f64.subarray(at >>> 3, (at >>> 3) + m), from);
        reasons.set(u8.subarray(at + 8 * m, at + 9 * m), from);
      }
    }
    return { handles, reasons, length: r };
  }

  /**
   * Throws the refusal of core error `code` (refusals.ts), from the detail the core left in the
   * header (the entry, the handle it is about, and an aux value) and what the call expected.
   */
  private fail(code: number, op: string, expect: Expect): never {
    const errorCode = this.core.errorCode(code);
    // A one-object call names its handle itself: the core left no detail in the header.
    const rawIndex = expect.handle === undefined ? this.core.errorIndex() : -1;
    const index = rawIndex >= 0 ? rawIndex : undefined;
    const subject = expect.handle ?? this.core.errorHandle();
    const aux = this.core.errorAux();
    switch (errorCode) {
      case ErrorCode.InvalidArgument:
        return notHandle(`${op}: handle`, subject, index);
      case ErrorCode.StaleHandle:
        return refuse.staleHandle(op, subject, index);
      case ErrorCode.WrongKind:
        return refuse.wrongKind(op, subject, this.expectedKind(expect, subject), index);
      case ErrorCode.WrongState:
        return this.failState(op, expect, subject, aux, index);
      case ErrorCode.DuplicateKey:
        if (subject) return refuse.duplicateKey(op, subject, index);
        return refuse.repeatedKey(op, expect.batch!.paths, expect.batch!.ports, index!);
      case ErrorCode.HasDependents:
        return refuse.hasDependents(op, subject, aux, index);
      case ErrorCode.Capacity:
        return refuse.capacity(op, expect.adds!, aux, expect.adding!, this.limitsOf, expect.batch !== undefined);
      case ErrorCode.OutOfMemory:
        return refuse.outOfMemory(op, this.maxMemoryBytes, this.core.memory.buffer.byteLength, [
          this.count(Kind.Neighbor),
          this.count(Kind.Path),
          this.count(Kind.Connection),
        ]);
      default:
        throw new OffloadError(ErrorCode.InvariantBroken, `${op}: unexpected core error ${code}. This is a bug in chimney-host; please report it.`);
    }
  }

  /** The kind a call needed of `subject`: relinkPath names two objects, a path and a neighbor. */
  private expectedKind(expect: Expect, subject: number): Kind {
    // The core checks the path first: a path argument that is no path is the one refused.
    if (expect.relink) return subject === expect.relink.path && Math.floor(subject / FIRST_HANDLE) !== Kind.Path ? Kind.Path : Kind.Neighbor;
    return expect.kind!;
  }

  /**
   * WrongState, from the core's aux: a parent handle (a child completed before its parent), a
   * state number (an object not in the state the call needs), or 0 (an object that is leaving).
   */
  private failState(op: string, expect: Expect, subject: number, aux: number, index: number | undefined): never {
    if (aux >= FIRST_HANDLE) return refuse.parentInFlight(op, subject, aux, index);
    if (aux !== 0) return refuse.wrongState(op, subject, aux as State, expect.state ?? State.Offloaded, index);
    const terminating = this.core.exports.stateOf(subject) === State.Terminating;
    const relink = expect.relink;
    const role = relink && subject !== relink.path && subject !== relink.neighbor ? 'oldNeighbor' : expect.role!;
    return refuse.leaving(op, subject, terminating, role, index);
  }
}
