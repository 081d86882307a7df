// OffloadTable: the typed, synchronous API over the Wasm core (the contract of the design).
//
// Every method validates what JS can check (types, ranges, address syntax) before calling the
// core; the core validates the rest (handles, states, keys, memory) before changing anything.
// Either way a bad call throws OffloadError and leaves the table exactly as it was.

import { ErrorCode, Kind, Reason, State } from './enums.js';
import { OffloadError, describeHandle, invalid, KIND_SPAN, GENERATION_SPAN } from './errors.js';
import { writeAddress, formatAddress, parseLinkLayerAddress, formatLinkLayerAddress, typeName } from './address.js';
import type {
  NeighborInit,
  NeighborKey,
  PathInit,
  PathKey,
  ConnectionInit,
  ConnectionKey,
  ConnectionKeys,
  TerminateBatch,
  TerminateOptions,
  TableOptions,
  ObjectInfo,
  OffloadTableApi,
  ActivityPolicy,
} from './types.js';
import {
  readConnectionBatch,
  readConnectionKeys,
  readTrafficBatch,
  readHandleList,
  notAHandle,
  requireBytes,
  readActivityPolicy,
  tickStep,
  readOptions,
  requireObject,
  requireInt,
  requireU32,
  requireHandle,
  requireKind,
  requireReason,
  readPrune,
  packPorts,
  SLOT_LIMIT,
  MAX_BATCH,
  MAX_MEMORY_BYTES,
} from './validate.js';
import { Core, compileCore, compileCoreSync } from './core.js';

export type {
  Address,
  NeighborKey,
  NeighborInit,
  PathKey,
  PathInit,
  ConnectionInit,
  ConnectionKey,
  TerminateBatch,
  TerminateOptions,
  ConnectionKeys,
  TableOptions,
  ObjectInfo,
  OffloadTableApi,
} from './types.js';

/** For stageHandles: no state check (0 is no State; assembly/memory/slab.ts FREE). */
const ANY_STATE = 0;
/** Handles from 2^51 up have a kind; below, WrongState's aux is a state number (assembly/ops/complete.ts). */
const FIRST_HANDLE = KIND_SPAN;

export class OffloadTable implements OffloadTableApi {
  private readonly core: Core;
  readonly maxMemoryBytes: number;
  private readonly limitsOf: { maxNeighbors: number; maxPaths: number; maxConnections: number };

  private constructor(module: WebAssembly.Module, options: TableOptions | undefined) {
    const o = readOptions(options);
    this.maxMemoryBytes = o.maxMemoryBytes;
    this.limitsOf = { maxNeighbors: o.maxNeighbors, maxPaths: o.maxPaths, maxConnections: o.maxConnections };
    this.core = new Core(module, o.initialMemoryBytes, o.maxMemoryBytes, [o.maxNeighbors, o.maxPaths, o.maxConnections]);
  }

  /** A new, empty table (compiles the core on first use, asynchronously). */
  static async create(options?: TableOptions): Promise<OffloadTable> {
    readOptions(options);
    return new OffloadTable(await compileCore(), options);
  }

  /** A new, empty table, compiled synchronously on first use (fine in Node and workers). */
  static createSync(options?: TableOptions): OffloadTable {
    readOptions(options);
    return new OffloadTable(compileCoreSync(), options);
  }

  // ---- offload ---------------------------------------------------------------------------------

  /** Offloads a neighbor (State.Offloading). Returns its handle. */
  offloadNeighbor(neighbor: NeighborInit): number {
    const op = 'offloadNeighbor';
    requireObject(neighbor, op, 'neighbor');
    const ifIndex = requireU32(neighbor.ifIndex, `${op}: ifIndex`);
    const lladdr = neighbor.linkLayerAddress === undefined ? 0 : parseLinkLayerAddress(neighbor.linkLayerAddress, `${op}: linkLayerAddress`);
    writeAddress(neighbor.address, this.core.u8, this.core.keySource, `${op}: address`);
    return this.handleResult(this.core.exports.offloadNeighbor(ifIndex, BigInt(lladdr)), op);
  }

  /** Offloads a path under `neighbor` (which must not be Terminating). Returns its handle. */
  offloadPath(path: PathInit, neighbor: number): number {
    const op = 'offloadPath';
    requireObject(path, op, 'path');
    const parent = requireHandle(neighbor, `${op}: neighbor`);
    const mtu = path.mtu === undefined ? 1500 : requireInt(path.mtu, 68, 65535, `${op}: mtu`);
    const u8 = this.core.u8;
    writeAddress(path.source, u8, this.core.keySource, `${op}: source`);
    writeAddress(path.destination, u8, this.core.keyDestination, `${op}: destination`);
    return this.handleResult(this.core.exports.offloadPath(parent, mtu), op, Kind.Neighbor);
  }

  /** Offloads a connection under `path` (which must not be Terminating). Returns its handle. */
  offloadConnection(connection: ConnectionInit, path: number): number {
    const op = 'offloadConnection';
    requireObject(connection, op, 'connection');
    const parent = requireHandle(path, `${op}: path`);
    const ports = packPorts(connection.localPort, connection.remotePort, op);
    const priority = connection.priority === undefined ? 0 : requireInt(connection.priority, 0, 255, `${op}: priority`);
    return this.handleResult(this.core.exports.offloadConnection(parent, ports, priority), op, Kind.Path);
  }

  /**
   * Offloads many connections in one call, all or none: entry i goes under paths[i].
   * Returns their handles in order. Every entry is read once; at most MAX_BATCH entries.
   */
  offloadConnections(paths: ArrayLike<number>, localPorts: ArrayLike<number>, remotePorts: ArrayLike<number>, priorities?: ArrayLike<number>): Float64Array {
    const op = 'offloadConnections';
    const batch = readConnectionBatch(op, paths, localPorts, remotePorts, priorities);
    const n = batch.n;
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
      if (r < 0) this.fail(-r, op, Kind.Path);
      collect(0, n);
      return out;
    }
    // A large batch goes in chunks; see assembly/ops/offload.ts.
    for (let from = 0; from < n; from += chunk) {
      const r = core.validateConnections(stageChunk(from, Math.min(n, from + chunk)), from);
      if (r < 0) this.fail(-r, op, Kind.Path);
    }
    const reserved = core.reserveConnections(n);
    if (reserved < 0) this.fail(-reserved, op);
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
        this.fail(-r, op, Kind.Path);
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
  completeOffload(handles: ArrayLike<number>, ok = true, options?: TerminateOptions): TerminateBatch {
    const op = 'completeOffload';
    if (typeof ok !== 'boolean') invalid(`${op}: ok must be a boolean, got ${typeName(ok)}`);
    const prune = readPrune(options, op);
    const n = this.stageHandles(handles, op, State.Offloading);
    return this.batchResult(this.core.exports.completeOffload(n, ok ? 1 : 0, prune), op);
  }

  // ---- terminate -------------------------------------------------------------------------------

  /**
   * Terminates any mix of objects and everything linked below them. Returns the batch to hand to
   * the target: post-order, a reason each, all now Terminating. Objects already Terminating and
   * duplicates are skipped; objects that cannot go yet (an initiate in flight, dependents from an
   * earlier batch) are marked pending and come back from a later completion.
   */
  terminate(handles: ArrayLike<number>, reason: Reason | number, options?: TerminateOptions): TerminateBatch {
    const op = 'terminate';
    const why = requireReason(reason, op);
    const prune = readPrune(options, op);
    const n = this.stageHandles(handles, op, ANY_STATE);
    return this.batchResult(this.core.exports.terminate(n, why, prune), op);
  }

  /** Terminates every object on one interface (all its neighbors and what hangs below them). */
  terminateInterface(ifIndex: number, reason: Reason | number, options?: TerminateOptions): TerminateBatch {
    const op = 'terminateInterface';
    const index = requireU32(ifIndex, `${op}: ifIndex`);
    const why = requireReason(reason, op);
    const prune = readPrune(options, op);
    return this.batchResult(this.core.exports.terminateInterface(index, why, prune), op);
  }

  /** Terminates every object in the table. */
  terminateAll(reason: Reason | number, options?: TerminateOptions): TerminateBatch {
    const op = 'terminateAll';
    const why = requireReason(reason, op);
    const prune = readPrune(options, op);
    return this.batchResult(this.core.exports.terminateAll(why, prune), op);
  }

  /**
   * Frees Terminating objects whose termination the target completed, and drops their parents'
   * refcounts. Refuses if one of them still has a linked dependent not freed by the same call.
   * Returns the parents that can go now: pending ones with their reason, and with `prune` (the
   * default) those whose last dependent was just freed, with Reason.Orphaned; all now Terminating.
   */
  completeTerminate(handles: ArrayLike<number>, options?: TerminateOptions): TerminateBatch {
    const op = 'completeTerminate';
    const prune = readPrune(options, op);
    const n = this.stageHandles(handles, op, State.Terminating);
    return this.batchResult(this.core.exports.completeTerminate(n, prune), op);
  }

  // ---- traffic and victims ---------------------------------------------------------------------

  /** Records traffic on a connection (for the low-activity policy and the victim order). */
  recordTraffic(handle: number, sentBytes: number, receivedBytes = 0): void {
    const op = 'recordTraffic';
    const h = requireHandle(handle, `${op}: handle`);
    const bytes = Math.min(0xffffffff, requireBytes(sentBytes, `${op}: sentBytes`) + requireBytes(receivedBytes, `${op}: receivedBytes`));
    const r = this.core.exports.recordTraffic(h, bytes);
    if (r < 0) this.fail(-r, op, Kind.Connection, h);
  }

  /** Records traffic on many connections in one call, all or none. */
  /**
   * Records traffic on many connections in one call, all or none. It never needs memory: the batch
   * goes through the core's I/O window in chunks, all checked before any is applied.
   */
  recordTrafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void {
    const op = 'recordTrafficBatch';
    const batch = readTrafficBatch(op, handles, sentBytes, receivedBytes);
    const n = batch.n;
    const chunk = this.core.chunk(12);
    const core = this.core.exports;
    // A chunk through the I/O window: [ handle f64 x m | bytes u32 x m ].
    const put = (from: number, m: number, bytes: boolean) => {
      this.core.f64.set(batch.handles.values.subarray(from, from + m), this.core.io >>> 3);
      if (bytes) this.core.u32.set(batch.bytes.subarray(from, from + m), (this.core.io + 8 * m) >>> 2);
    };
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      put(from, m, false);
      const r = core.checkTraffic(m, from);
      if (r < 0) this.fail(-r, op, Kind.Connection);
    }
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      put(from, m, true);
      core.applyTraffic(m);
    }
  }

  private lastTick: number | undefined;

  /**
   * Folds the traffic recorded since the previous tick into each Offloaded connection's moving
   * average, in one pass, and returns the connections quiet for at least `policy.quietMs` (slot
   * order). The first tick only starts the clock. `now` is in ms and must not go back.
   */
  tick(now: number, policy?: ActivityPolicy): Float64Array {
    const op = 'tick';
    const p = readActivityPolicy(policy, op);
    const { dt, dtWhole, alpha } = tickStep(now, this.lastTick, p, op);
    this.lastTick = now;
    if (dt === 0) return new Float64Array(0);
    return this.widenAll(this.core.exports.tick(dt, dtWhole, alpha, p.threshold, p.quietMs), op);
  }

  /**
   * Up to `count` victims for a new connection of `priority`: Offloaded (not pending) connections of
   * strictly lower priority, lowest priority first, least recently active first.
   */
  chooseVictims(count: number, priority: number): Float64Array {
    const op = 'chooseVictims';
    const k = requireInt(count, 0, 0xffffffff, `${op}: count`);
    const p = requireInt(priority, 0, 256, `${op}: priority (0..255, or 256 for any connection)`);
    return this.widenAll(this.core.exports.chooseVictims(k, p), op);
  }

  // ---- cached variables ------------------------------------------------------------------------

  /** Sets a path's cached MTU (the host owns it; push it to the target with an update). */
  updatePath(handle: number, update: { mtu: number }): void {
    const op = 'updatePath';
    const h = requireHandle(handle, `${op}: handle`);
    requireObject(update, op, 'update');
    const mtu = requireInt(update.mtu, 68, 65535, `${op}: mtu`);
    const r = this.core.exports.setMtu(h, mtu);
    if (r < 0) this.fail(-r, op, Kind.Path, h);
  }

  /** Sets a neighbor's cached link-layer address. */
  updateNeighbor(handle: number, update: { linkLayerAddress: string | Uint8Array | readonly number[] }): void {
    const op = 'updateNeighbor';
    const h = requireHandle(handle, `${op}: handle`);
    requireObject(update, op, 'update');
    const ll = parseLinkLayerAddress(update.linkLayerAddress, `${op}: linkLayerAddress`);
    const r = this.core.exports.setLinkLayerAddress(h, BigInt(ll));
    if (r < 0) this.fail(-r, op, Kind.Neighbor, h);
  }

  /** Moves an Offloaded path, with its connections, under another Offloaded neighbor. */
  relinkPath(path: number, neighbor: number): void {
    const op = 'relinkPath';
    const h = requireHandle(path, `${op}: path`);
    const n = requireHandle(neighbor, `${op}: neighbor`);
    const r = this.core.exports.relinkPath(h, n);
    if (r < 0) this.fail(-r, op, this.core.errorHandle() === n ? Kind.Neighbor : Kind.Path, this.core.errorHandle());
  }

  // ---- lookups ---------------------------------------------------------------------------------

  findNeighbor(key: NeighborKey): number {
    const op = 'findNeighbor';
    requireObject(key, op, 'key');
    const ifIndex = requireU32(key.ifIndex, `${op}: ifIndex`);
    writeAddress(key.address, this.core.u8, this.core.keySource, `${op}: address`);
    return this.core.exports.findNeighbor(ifIndex);
  }

  findPath(key: PathKey): number {
    const op = 'findPath';
    requireObject(key, op, 'key');
    const u8 = this.core.u8;
    writeAddress(key.source, u8, this.core.keySource, `${op}: source`);
    writeAddress(key.destination, u8, this.core.keyDestination, `${op}: destination`);
    return this.core.exports.findPath();
  }

  findConnection(key: ConnectionKey): number {
    const op = 'findConnection';
    requireObject(key, op, 'key');
    const ports = packPorts(key.localPort, key.remotePort, op);
    const u8 = this.core.u8;
    writeAddress(key.source, u8, this.core.keySource, `${op}: source`);
    writeAddress(key.destination, u8, this.core.keyDestination, `${op}: destination`);
    return this.core.exports.findConnection(ports);
  }

  /**
   * Looks up many connections; 0 where there is none. It never needs memory: keys and results go
   * through the core's I/O window in chunks.
   */
  findConnections(keys: ConnectionKeys): Float64Array {
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
    return this.getter(this.core.exports.kindOf(requireHandle(handle, 'kind: handle')), 'kind', handle);
  }

  state(handle: number): State {
    return this.getter(this.core.exports.stateOf(requireHandle(handle, 'state: handle')), 'state', handle);
  }

  /** Parent handle (path of a connection, neighbor of a path), 0 for a neighbor. */
  parent(handle: number): number {
    const r = this.core.exports.parentOf(requireHandle(handle, 'parent: handle'));
    if (r < 0) this.fail(-r, 'parent', undefined, handle);
    return r;
  }

  /** Dependents linked to a neighbor or path (0 for a connection). */
  refCount(handle: number): number {
    return this.getter(this.core.exports.refCountOf(requireHandle(handle, 'refCount: handle')), 'refCount', handle);
  }

  /** Handles of the dependents linked to a neighbor or path (none for a connection). */
  dependents(handle: number): Float64Array {
    const h = requireHandle(handle, 'dependents: handle');
    return this.listing((from) => this.core.exports.dependentsOf(h, from), 'dependents', h);
  }

  /** True if termination was requested and waits (see terminate). */
  pending(handle: number): boolean {
    return (this.getter(this.core.exports.statusOf(requireHandle(handle, 'pending: handle')), 'pending', handle) & 1) === 1;
  }

  /** The termination reason, actual or pending; 0 if none was requested. */
  reason(handle: number): Reason | 0 {
    return this.getter(this.core.exports.statusOf(requireHandle(handle, 'reason: handle')), 'reason', handle) >>> 8;
  }

  /** Everything about one object: state, links, key and cached variables. */
  describe(handle: number): ObjectInfo {
    const h = requireHandle(handle, 'describe: handle');
    const kind = this.getter(this.core.exports.keyOf(h), 'describe', h) as Kind;
    const u8 = this.core.u8;
    // The key scratch (assembly/memory/buffers.ts, Key), at the offsets the core exports.
    const at = this.core.contract.key;
    const scratch = new DataView(u8.buffer, this.core.header);
    const source = formatAddress(u8, this.core.keySource);
    let key: ObjectInfo['key'];
    let traffic: ObjectInfo['traffic'];
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
    return this.core.exports.count(requireKind(kind, 'count'));
  }

  /** Handles of every live object of one kind, in slot order. */
  handles(kind: Kind): Float64Array {
    const k = requireKind(kind, 'handles');
    return this.listing((from) => this.core.exports.listAll(k, from), 'handles');
  }

  /** Handles of the neighbors on one interface. */
  neighborsOn(ifIndex: number): Float64Array {
    const index = requireU32(ifIndex, 'neighborsOn: ifIndex');
    return this.listing((from) => this.core.exports.listInterface(index, from), 'neighborsOn');
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

  /** Slots of `kind` retired because 2^25 objects have used each of them (see README). */
  retiredSlots(kind: Kind): number {
    return this.core.exports.retired(requireKind(kind, 'retiredSlots'));
  }

  /**
   * TEST ONLY, not part of the API: sets the generation of a live object's slot (0..2^25-1), so a
   * test reaches slot retirement without 2^25 reuses. The object's handle changes: returns the new one.
   */
  debugSetGeneration(handle: number, generation: number): number {
    const h = requireHandle(handle, 'debugSetGeneration: handle');
    const g = requireInt(generation, 0, GENERATION_SPAN - 1, 'debugSetGeneration: generation');
    const kind = this.kind(h);
    const slot = h % SLOT_LIMIT;
    this.core.exports.debugSetGeneration(kind, slot, g);
    return kind * FIRST_HANDLE + g * SLOT_LIMIT + slot;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** Collects a chunked listing of the core (see assembly/ops/query.ts, listings). */
  private listing(call: (from: number) => number, op: string, handle?: number): Float64Array {
    const chunks: Float64Array[] = [];
    let from = 0;
    do {
      const n = call(from);
      if (n < 0) this.fail(-n, op, undefined, handle);
      chunks.push(this.widenAll(n, op));
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
  private stageHandles(handles: ArrayLike<number>, op: string, want: number): number {
    const list = readHandleList(handles, `${op}: handles`);
    const n = list.values.length;
    const chunk = this.core.chunk(8);
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      this.core.f64.set(list.values.subarray(from, from + m), this.core.io >>> 3);
      const r = this.core.exports.stageHandles(m, from, want);
      if (r < 0) {
        if (-r === 1) notAHandle(list, this.core.errorIndex(), `${op}: handles`);
        this.fail(-r, op);
      }
    }
    return n;
  }

  /** Reads the core's `n` output entries as handles, through the I/O window (see widen). */
  private widenAll(n: number, op: string): Float64Array {
    if (n < 0) this.fail(-n, op);
    const out = new Float64Array(n);
    const chunk = this.core.chunk(8);
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      this.core.exports.widen(from, m, 0);
      const at = this.core.io >>> 3;
      out.set(this.core.f64.subarray(at, at + m), from);
    }
    return out;
  }

  /** A handle returned by an offload call, or throw for the error code it holds. */
  private handleResult(r: number, op: string, parentKind?: Kind): number {
    if (r < 0) this.fail(-r, op, parentKind);
    return r;
  }

  private getter(r: number, op: string, handle: number): number {
    if (r < 0) this.fail(-r, op, undefined, handle);
    return r;
  }

  /** A termination batch of `r` entries: handles and reasons through the I/O window (see widen). */
  private batchResult(r: number, op: string): TerminateBatch {
    if (r < 0) this.fail(-r, op);
    const handles = new Float64Array(r);
    const reasons = new Uint8Array(r);
    const chunk = this.core.chunk(9);
    for (let from = 0; from < r; from += chunk) {
      const m = Math.min(chunk, r - from);
      this.core.exports.widen(from, m, 1);
      const at = this.core.io;
      handles.set(this.core.f64.subarray(at >>> 3, (at >>> 3) + m), from);
      reasons.set(this.core.u8.subarray(at + 8 * m, at + 9 * m), from);
    }
    return { handles, reasons, length: r };
  }

  /** Throws the OffloadError for core error `code`, with a message built from the header detail. */
  private fail(code: number, op: string, parentKind?: Kind, handle?: number): never {
    const errorCode = this.core.errorCode(code);
    // A handle passed in means a getter: the error is about that handle, never a batch entry.
    const index = handle === undefined ? this.core.errorIndex() : -1;
    const subject = handle ?? this.core.errorHandle();
    const aux = this.core.errorAux();
    const at = index >= 0 ? ` (entry ${index})` : '';
    const who = subject ? describeHandle(subject) : 'handle';
    let message: string;
    switch (errorCode) {
      case ErrorCode.InvalidArgument:
        message = `${op}${at}: ${subject} is not a handle (0 means none; handles come from offload calls)`;
        break;
      case ErrorCode.StaleHandle:
        message = `${op}${at}: ${who} is stale: its object was freed, or it never belonged to this table`;
        break;
      case ErrorCode.WrongKind:
        message = `${op}${at}: ${who} is not a ${Kind[parentKind ?? 0]?.toLowerCase() ?? 'valid parent'}`;
        break;
      case ErrorCode.WrongState:
        if (aux >= FIRST_HANDLE)
          message = `${op}${at}: ${who} cannot complete before its parent ${describeHandle(aux)}, whose initiate is still in flight; complete them in the same call or the parent first`;
        else if (aux !== 0) message = `${op}${at}: ${who} is ${State[aux]}, expected ${op === 'completeOffload' ? 'Offloading' : 'Terminating'}`;
        else message = `${op}${at}: ${who} is Terminating or has a termination pending; nothing new can be offloaded under it`;
        break;
      case ErrorCode.DuplicateKey:
        message = subject
          ? `${op}${at}: an object with this key is already in the table: ${describeHandle(subject)}`
          : `${op}${at}: this key appears earlier in the same batch`;
        break;
      case ErrorCode.HasDependents:
        message = `${op}${at}: ${who} still has a linked dependent${aux ? ` (${describeHandle(aux)})` : ''} that this call does not free; include its dependents in the same call, or complete them first`;
        break;
      case ErrorCode.Capacity:
        message =
          `${op}: the table holds its configured maximum of ${aux} objects of this kind ` +
          `(limits: ${this.limitsOf.maxNeighbors} neighbors, ${this.limitsOf.maxPaths} paths, ${this.limitsOf.maxConnections} connections; ` +
          `at most ${SLOT_LIMIT} each); terminate some or raise the limit in OffloadTable.create()`;
        break;
      case ErrorCode.OutOfMemory:
        message =
          `${op}: linear memory is exhausted (cap ${this.maxMemoryBytes} bytes, in use ${this.core.memory.buffer.byteLength}; ` +
          `live: ${this.count(Kind.Neighbor)} neighbors, ${this.count(Kind.Path)} paths, ${this.count(Kind.Connection)} connections); ` +
          `the table is unchanged. Terminate objects or raise maxMemoryBytes (at most ${MAX_MEMORY_BYTES}, WebAssembly's 4 GiB less a page)`;
        break;
      default:
        message = `${op}: unexpected core error ${code}`;
    }
    throw new OffloadError(errorCode, message, index >= 0 ? index : undefined, subject || undefined);
  }
}
