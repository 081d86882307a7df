// ReferenceTable: the offload table in plain TypeScript (objects, Maps, Sets), with the same
// semantics, errors and batches as the Wasm OffloadTable. It is the oracle of the differential
// tests and the baseline of the benchmarks: written to be clear and correct, not slow. Its
// arguments are read, and its refusals worded, by the front end it shares with OffloadTable
// (src/table/front.ts, validate.ts, refusals.ts), so the two differ only in what they hold.
//
// Handles have the core's shape, kind above bit 51 (kind x 2^51), and a serial number below that
// is never reused, so a freed object's handle is stale forever.

import { ErrorCode, Kind, Reason, State } from '../table/enums.js';
import { OffloadError, describeHandle } from '../table/errors.js';
import { formatAddress, formatLinkLayerAddress } from '../table/address.js';
import type * as api from '../table/types.js';
import { readConnectionBatch, readConnectionKeys, readTrafficBatch, readHandleList, notAHandle, isHandleForm, readOptions } from '../table/validate.js';
import * as front from '../table/front.js';
import * as refuse from '../table/refusals.js';

interface Entry {
  readonly handle: number;
  readonly kind: Kind;
  state: State;
  /** Termination requested, waiting for an initiate or for dependents of an earlier batch. */
  pending: boolean;
  reason: number;
  parent: Entry | null;
  /** Linked dependents (paths of a neighbor, connections of a path); the refcount is its size. */
  readonly dependents: Set<Entry>;
  /** Index key: neighbor "ifIndex/address", path "source/destination", connection ports. */
  readonly key: string | number;
  readonly ifIndex: number;
  readonly address: Uint8Array; // neighbor address, or path source
  readonly destination: Uint8Array | null;
  linkLayerAddress: number;
  mtu: number;
  readonly ports: number;
  readonly priority: number;
  /** Connections of a path by ports. */
  readonly connections: Map<number, Entry> | null;
  /** Connection traffic: bytes since the last tick, average rate (single precision, as the core's), quiet ms. */
  bytes: number;
  rate: number;
  quiet: number;
}

const KIND_SHIFT = 2 ** 51;
const EMPTY = new Uint8Array(0);

/** 16 address bytes as a string key (one char per byte). */
function addressKey(bytes: Uint8Array, at = 0): string {
  return String.fromCharCode(...bytes.subarray(at, at + 16));
}

/** A termination batch being built: order of emission, and membership. */
class Batch {
  readonly entries: Entry[] = [];
  readonly reasons: number[] = [];
  readonly members = new Set<Entry>();
  constructor(private readonly victims: Set<Entry>[]) {}
  emit(e: Entry, reason: number): void {
    if (e.kind === Kind.Connection) this.victims[e.priority]!.delete(e);
    e.state = State.Terminating;
    e.pending = false;
    e.reason = reason;
    this.entries.push(e);
    this.reasons.push(reason);
    this.members.add(e);
  }
  /** True if every dependent still linked to `e` is in this batch. */
  holdsAllDependentsOf(e: Entry): boolean {
    for (const d of e.dependents) if (!this.members.has(d)) return false;
    return true;
  }
  /**
   * A parent whose dependents changed: it joins if it is Offloaded, all its dependents are in, and
   * it is pending (keeping its reason) or `orphans` allows pruning it (Reason.Orphaned).
   */
  settle(e: Entry | null, orphans: boolean): void {
    if (!e || e.state !== State.Offloaded || (!e.pending && !orphans) || !this.holdsAllDependentsOf(e)) return;
    this.emit(e, e.pending ? e.reason : Reason.Orphaned);
  }
  /** Settles the parents of the entries from `from` on, including parents that join meanwhile. */
  settleParents(from: number, orphans: boolean): void {
    for (let i = from; i < this.entries.length; i++) this.settle(this.entries[i]!.parent, orphans);
  }
  /** The batch in the design's order: connections, then paths, then neighbors (a post-order). */
  result(): api.TerminateBatch {
    const order = this.entries.map((_, i) => i).sort((a, b) => this.entries[b]!.kind - this.entries[a]!.kind || a - b);
    return {
      handles: Float64Array.from(order, (i) => this.entries[i]!.handle),
      reasons: Uint8Array.from(order, (i) => this.reasons[i]!),
      length: order.length,
    };
  }
}

export class ReferenceTable implements api.OffloadTableApi {
  private readonly objects = new Map<number, Entry>();
  private readonly neighbors = new Map<string, Entry>();
  private readonly paths = new Map<string, Entry>();
  private readonly interfaces = new Map<number, Set<Entry>>();
  private readonly counts = [0, 0, 0, 0];
  private readonly limitsOf: refuse.Limits;
  private serial = 0;
  private readonly scratch = new Uint8Array(32);
  /** Where the front end writes address keys. */
  private readonly keys: front.KeySink = { bytes: () => this.scratch, src: 0, dst: 16 };
  /**
   * Victim order: per priority, the Offloaded, not pending connections, least recently active
   * first (a Set keeps insertion order; delete and add again moves one to the end).
   */
  private readonly victims: Set<Entry>[] = Array.from({ length: 256 }, () => new Set<Entry>());
  private readonly clock = new front.TickClock();

  constructor(options?: api.TableOptions) {
    const o = readOptions(options);
    this.limitsOf = { maxNeighbors: o.maxNeighbors, maxPaths: o.maxPaths, maxConnections: o.maxConnections };
  }

  static async create(options?: api.TableOptions): Promise<ReferenceTable> {
    return new ReferenceTable(options);
  }

  static createSync(options?: api.TableOptions): ReferenceTable {
    return new ReferenceTable(options);
  }

  // ---- offload ---------------------------------------------------------------------------------

  offloadNeighbor(neighbor: api.NeighborInit): number {
    const op = 'offloadNeighbor';
    const a = front.readNeighbor(neighbor, this.keys);
    const key = `${a.ifIndex}/${addressKey(this.scratch)}`;
    const existing = this.neighbors.get(key);
    if (existing) refuse.duplicateKey(op, existing.handle);
    this.checkLimit(Kind.Neighbor, 1, op, false);
    const e = this.add(Kind.Neighbor, null, key, { ifIndex: a.ifIndex, address: this.scratch.slice(0, 16), linkLayerAddress: a.linkLayerAddress });
    this.neighbors.set(key, e);
    let list = this.interfaces.get(a.ifIndex);
    if (!list) this.interfaces.set(a.ifIndex, (list = new Set()));
    list.add(e);
    return e.handle;
  }

  offloadPath(path: api.PathInit, neighbor: number): number {
    const op = 'offloadPath';
    const a = front.readPath(path, neighbor, this.keys);
    const parent = this.parentFor(a.neighbor, Kind.Neighbor, op);
    const key = `${addressKey(this.scratch)}/${addressKey(this.scratch, 16)}`;
    const existing = this.paths.get(key);
    if (existing) refuse.duplicateKey(op, existing.handle);
    this.checkLimit(Kind.Path, 1, op, false);
    const e = this.add(Kind.Path, parent, key, {
      address: this.scratch.slice(0, 16),
      destination: this.scratch.slice(16, 32),
      mtu: a.mtu,
      connections: new Map(),
    });
    this.paths.set(key, e);
    return e.handle;
  }

  offloadConnection(connection: api.ConnectionInit, path: number): number {
    const op = 'offloadConnection';
    const { path: pathHandle, ports, priority } = front.readConnection(connection, path);
    const parent = this.parentFor(pathHandle, Kind.Path, op);
    const existing = parent.connections!.get(ports);
    if (existing) refuse.duplicateKey(op, existing.handle);
    this.checkLimit(Kind.Connection, 1, op, false);
    return this.addConnection(parent, ports, priority).handle;
  }

  offloadConnections(paths: ArrayLike<number>, localPorts: ArrayLike<number>, remotePorts: ArrayLike<number>, priorities?: ArrayLike<number>): Float64Array {
    const op = 'offloadConnections';
    const batch = readConnectionBatch(op, paths, localPorts, remotePorts, priorities);
    const n = batch.n;
    const parents: Entry[] = [];
    const ports = batch.ports;
    const prios = batch.priorities;
    for (let i = 0; i < n; i++) {
      const parent = this.parentFor(batch.paths[i]!, Kind.Path, op, i);
      const existing = parent.connections!.get(ports[i]!);
      if (existing) refuse.duplicateKey(op, existing.handle, i);
      parents.push(parent);
    }
    this.checkLimit(Kind.Connection, n, op, true);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = `${parents[i]!.handle}/${ports[i]}`;
      if (seen.has(key)) refuse.repeatedKey(op, batch.paths, ports, i);
      seen.add(key);
    }
    return Float64Array.from(parents, (parent, i) => this.addConnection(parent, ports[i]!, prios[i]!).handle);
  }

  completeOffload(handles: ArrayLike<number>, ok = true, options?: api.TerminateOptions): api.TerminateBatch {
    const op = 'completeOffload';
    const { ok: succeeded, prune } = front.readCompleteOffload(ok, options);
    const list = this.resolveAll(handles, op, State.Offloading);
    const set = new Set(list);
    const batch = new Batch(this.victims);
    if (succeeded) {
      list.forEach((e, i) => {
        if (e.parent && e.parent.state === State.Offloading && !set.has(e.parent)) refuse.parentInFlight(op, e.handle, e.parent.handle, i);
      });
      for (const e of set) {
        e.state = State.Offloaded;
        if (e.kind === Kind.Connection) this.victims[e.priority]!.add(e);
      }
      // Pending objects go now, dependents first; then parents that this leaves with nothing linked.
      for (const kind of [Kind.Connection, Kind.Path, Kind.Neighbor]) for (const e of set) if (e.kind === kind) batch.settle(e, false);
      batch.settleParents(0, prune);
      return batch.result();
    }
    this.requireDependentsIn(list, set, op);
    for (const e of set) this.remove(e);
    this.settleParentsOfFreed(set, batch, false);
    return batch.result();
  }

  // ---- terminate -------------------------------------------------------------------------------

  terminate(handles: ArrayLike<number>, reason: Reason | number, options?: api.TerminateOptions): api.TerminateBatch {
    const a = front.readTerminate('terminate', reason, options);
    return this.terminateEntries(this.resolveAll(handles, 'terminate'), a.reason, a.prune);
  }

  terminateInterface(ifIndex: number, reason: Reason | number, options?: api.TerminateOptions): api.TerminateBatch {
    const a = front.readTerminateInterface(ifIndex, reason, options);
    return this.terminateEntries([...(this.interfaces.get(a.ifIndex) ?? [])], a.reason, a.prune);
  }

  terminateAll(reason: Reason | number, options?: api.TerminateOptions): api.TerminateBatch {
    const a = front.readTerminate('terminateAll', reason, options);
    return this.terminateEntries(
      [...this.objects.values()].filter((e) => e.kind === Kind.Neighbor),
      a.reason,
      a.prune,
    );
  }

  completeTerminate(handles: ArrayLike<number>, options?: api.TerminateOptions): api.TerminateBatch {
    const op = 'completeTerminate';
    const prune = front.readCompleteTerminate(options);
    const list = this.resolveAll(handles, op, State.Terminating);
    const set = new Set(list);
    this.requireDependentsIn(list, set, op);
    for (const e of set) this.remove(e);
    const batch = new Batch(this.victims);
    this.settleParentsOfFreed(set, batch, prune);
    return batch.result();
  }

  // ---- lookups ---------------------------------------------------------------------------------

  findNeighbor(key: api.NeighborKey): number {
    const ifIndex = front.readNeighborKey(key, this.keys);
    return this.neighbors.get(`${ifIndex}/${addressKey(this.scratch)}`)?.handle ?? 0;
  }

  findPath(key: api.PathKey): number {
    front.readPathKey(key, this.keys);
    return this.paths.get(`${addressKey(this.scratch)}/${addressKey(this.scratch, 16)}`)?.handle ?? 0;
  }

  findConnection(key: api.ConnectionKey): number {
    const ports = front.readConnectionKey(key, this.keys);
    const path = this.paths.get(`${addressKey(this.scratch)}/${addressKey(this.scratch, 16)}`);
    return path?.connections?.get(ports)?.handle ?? 0;
  }

  // ---- lookups ---------------------------------------------------------------------------------

  findConnections(keys: api.ConnectionKeys): Float64Array {
    const op = 'findConnections';
    const k = readConnectionKeys(op, keys);
    const out = new Float64Array(k.n);
    for (let i = 0; i < k.n; i++) {
      const path = this.paths.get(`${addressKey(k.sources, 16 * i)}/${addressKey(k.destinations, 16 * i)}`);
      out[i] = path?.connections?.get(k.ports[i]!)?.handle ?? 0;
    }
    return out;
  }

  // ---- queries ---------------------------------------------------------------------------------

  kind(handle: number): Kind {
    return this.get(handle, 'kind').kind;
  }

  state(handle: number): State {
    return this.get(handle, 'state').state;
  }

  parent(handle: number): number {
    return this.get(handle, 'parent').parent?.handle ?? 0;
  }

  refCount(handle: number): number {
    return this.get(handle, 'refCount').dependents.size;
  }

  dependents(handle: number): Float64Array {
    return Float64Array.from(this.get(handle, 'dependents').dependents, (d) => d.handle);
  }

  pending(handle: number): boolean {
    return this.get(handle, 'pending').pending;
  }

  reason(handle: number): Reason | 0 {
    return this.get(handle, 'reason').reason;
  }

  describe(handle: number): api.ObjectInfo {
    const e = this.get(handle, 'describe');
    let key: api.ObjectInfo['key'];
    if (e.kind === Kind.Neighbor) {
      key = { ifIndex: e.ifIndex, address: formatAddress(e.address), linkLayerAddress: formatLinkLayerAddress(e.linkLayerAddress) };
    } else if (e.kind === Kind.Path) {
      key = { source: formatAddress(e.address), destination: formatAddress(e.destination!), mtu: e.mtu };
    } else {
      const path = e.parent!;
      key = {
        source: formatAddress(path.address),
        destination: formatAddress(path.destination!),
        localPort: e.ports >>> 16,
        remotePort: e.ports & 0xffff,
        priority: e.priority,
      };
    }
    return {
      handle: e.handle,
      kind: e.kind,
      state: e.state,
      pending: e.pending,
      reason: e.reason,
      parent: e.parent?.handle ?? 0,
      refCount: e.dependents.size,
      key,
      ...(e.kind === Kind.Connection ? { traffic: { bytes: e.bytes, rate: e.rate, quietMs: e.quiet } } : {}),
    };
  }

  // ---- traffic and victims ---------------------------------------------------------------------

  recordTraffic(handle: number, sentBytes: number, receivedBytes?: number): void {
    const a = front.readTraffic(handle, sentBytes, receivedBytes);
    this.record(this.connection(a.handle, 'recordTraffic'), a.bytes);
  }

  recordTrafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void {
    const op = 'recordTrafficBatch';
    const batch = readTrafficBatch(op, handles, sentBytes, receivedBytes);
    const entries: Entry[] = [];
    for (let i = 0; i < batch.n; i++) entries.push(this.connection(batch.handles.values[i]!, op, i));
    entries.forEach((e, i) => this.record(e, batch.bytes[i]!));
  }

  tick(now: number, policy?: api.ActivityPolicy): Float64Array {
    const { dt, dtWhole, alpha, policy: p } = this.clock.read(now, policy);
    if (dt === 0) return new Float64Array(0);
    const quiet: number[] = [];
    for (const e of this.objects.values()) {
      if (e.kind !== Kind.Connection) continue;
      const bytes = e.bytes;
      e.bytes = 0;
      if (!this.victims[e.priority]!.has(e)) continue;
      const rate = (bytes * 1000) / dt;
      e.rate = Math.fround(e.rate < 0 ? rate : e.rate + alpha * (rate - e.rate));
      if (e.rate < p.threshold) {
        e.quiet = Math.min(0xffffffff, e.quiet + dtWhole);
        if (e.quiet >= p.quietMs) quiet.push(e.handle);
      } else {
        e.quiet = 0;
      }
    }
    return Float64Array.from(quiet);
  }

  chooseVictims(count: number, priority: number): Float64Array {
    const { count: k, below } = front.readVictims(count, priority);
    const out: number[] = [];
    for (let p = 0; p < below && out.length < k; p++) {
      for (const e of this.victims[p]!) {
        if (out.length === k) break;
        out.push(e.handle);
      }
    }
    return Float64Array.from(out);
  }

  // ---- cached variables ------------------------------------------------------------------------

  updatePath(handle: number, update: { mtu: number }): void {
    const a = front.readPathUpdate(handle, update);
    this.openEntry(a.handle, Kind.Path, 'updatePath', 'update').mtu = a.mtu;
  }

  updateNeighbor(handle: number, update: { linkLayerAddress: string | Uint8Array | readonly number[] }): void {
    const a = front.readNeighborUpdate(handle, update);
    this.openEntry(a.handle, Kind.Neighbor, 'updateNeighbor', 'update').linkLayerAddress = a.linkLayerAddress;
  }

  relinkPath(path: number, neighbor: number): void {
    const op = 'relinkPath';
    const a = front.readRelink(path, neighbor);
    const p = this.openEntry(a.path, Kind.Path, op, 'relink');
    const n = this.openEntry(a.neighbor, Kind.Neighbor, op, 'relink');
    const old = p.parent!;
    if (p.state !== State.Offloaded) refuse.wrongState(op, p.handle, p.state, State.Offloaded);
    if (n.state !== State.Offloaded) refuse.wrongState(op, n.handle, n.state, State.Offloaded);
    if (old.state === State.Terminating || old.pending) refuse.leaving(op, old.handle, old.state === State.Terminating, 'oldNeighbor');
    if (old === n) return;
    old.dependents.delete(p);
    n.dependents.add(p);
    p.parent = n;
  }

  /** Adds traffic; an Offloaded, not pending connection becomes the most recently active. */
  private record(e: Entry, bytes: number): void {
    e.bytes = Math.min(0xffffffff, e.bytes + bytes);
    const list = this.victims[e.priority]!;
    if (list.delete(e)) list.add(e);
  }

  /** A live connection, or the error the core gives. */
  private connection(handle: number, op: string, index?: number): Entry {
    const e = this.lookup(handle, op, index);
    if (e.kind !== Kind.Connection) refuse.wrongKind(op, handle, Kind.Connection, index);
    return e;
  }

  /** A live object of `kind` that is neither Terminating nor pending (what it is for: `role`). */
  private openEntry(handle: number, kind: Kind, op: string, role: refuse.LeavingRole, index?: number): Entry {
    const e = this.lookup(handle, op, index);
    if (e.kind !== kind) refuse.wrongKind(op, handle, kind, index);
    if (e.state === State.Terminating || e.pending) refuse.leaving(op, handle, e.state === State.Terminating, role, index);
    return e;
  }

  count(kind: Kind): number {
    return this.counts[front.readKind('count', kind)]!;
  }

  handles(kind: Kind): Float64Array {
    const k = front.readKind('handles', kind);
    const out: number[] = [];
    for (const e of this.objects.values()) if (e.kind === k) out.push(e.handle);
    return Float64Array.from(out);
  }

  neighborsOn(ifIndex: number): Float64Array {
    return Float64Array.from(this.interfaces.get(front.readIfIndex('neighborsOn', ifIndex)) ?? [], (e) => e.handle);
  }

  check(): void {
    const broken = (what: string, e?: Entry): never => {
      throw new OffloadError(ErrorCode.InvariantBroken, `check: ${what}${e ? ` at ${describeHandle(e.handle)}` : ''}`);
    };
    const counts = [0, 0, 0, 0];
    for (const e of this.objects.values()) {
      counts[e.kind]!++;
      if (e.pending && e.state === State.Terminating) broken('pending while Terminating', e);
      if (e.parent) {
        if (!this.objects.has(e.parent.handle) || !e.parent.dependents.has(e)) broken('linked to a parent that does not list it', e);
        const p = e.parent;
        const fits =
          p.state === State.Terminating
            ? e.state === State.Terminating
            : p.pending
              ? e.pending || e.state === State.Terminating
              : p.state === State.Offloading
                ? e.state === State.Offloading
                : true;
        if (!fits) broken("a dependent's state does not fit its parent's", e);
      }
      for (const d of e.dependents) if (d.parent !== e || !this.objects.has(d.handle)) broken('lists a dependent that is not its own', e);
      const index = e.kind === Kind.Neighbor ? this.neighbors : e.kind === Kind.Path ? this.paths : e.parent!.connections!;
      if ((index as Map<unknown, Entry>).get(e.key) !== e) broken('not found by its own key', e);
    }
    for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) if (counts[k] !== this.counts[k]) broken(`the count of ${Kind[k]} is wrong`);
    if (this.neighbors.size !== counts[Kind.Neighbor] || this.paths.size !== counts[Kind.Path]) broken('an index holds a freed object');
    let onInterfaces = 0;
    for (const [ifIndex, list] of this.interfaces) {
      for (const e of list) if (e.ifIndex !== ifIndex || !this.objects.has(e.handle)) broken('an interface list is wrong', e);
      onInterfaces += list.size;
    }
    if (onInterfaces !== counts[Kind.Neighbor]) broken('an interface list misses a neighbor');
    let listed = 0;
    this.victims.forEach((list, priority) => {
      for (const e of list) {
        if (e.priority !== priority || e.state !== State.Offloaded || e.pending || !this.objects.has(e.handle))
          broken('a victim list holds a connection that is not a victim', e);
      }
      listed += list.size;
    });
    let expected = 0;
    for (const e of this.objects.values()) if (e.kind === Kind.Connection && e.state === State.Offloaded && !e.pending) expected++;
    if (listed !== expected) broken('the victim lists miss an Offloaded connection');
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private add(kind: Kind, parent: Entry | null, key: string | number, fields: Partial<Entry>): Entry {
    const handle = kind * KIND_SHIFT + ++this.serial;
    const e: Entry = {
      handle,
      kind,
      state: State.Offloading,
      pending: false,
      reason: 0,
      parent,
      dependents: new Set(),
      key,
      ifIndex: 0,
      address: EMPTY,
      destination: null,
      linkLayerAddress: 0,
      mtu: 0,
      ports: 0,
      priority: 0,
      connections: null,
      bytes: 0,
      rate: -1,
      quiet: 0,
      ...fields,
    };
    this.objects.set(handle, e);
    parent?.dependents.add(e);
    this.counts[kind]!++;
    return e;
  }

  private addConnection(path: Entry, ports: number, priority: number): Entry {
    const e = this.add(Kind.Connection, path, ports, { ports, priority });
    path.connections!.set(ports, e);
    return e;
  }

  /** Frees an object: out of its index and its parent's dependents. */
  private remove(e: Entry): void {
    this.objects.delete(e.handle);
    this.counts[e.kind]!--;
    if (e.kind === Kind.Neighbor) {
      this.neighbors.delete(e.key as string);
      this.interfaces.get(e.ifIndex)!.delete(e);
    } else if (e.kind === Kind.Path) {
      this.paths.delete(e.key as string);
    } else {
      e.parent!.connections!.delete(e.ports);
    }
    e.parent?.dependents.delete(e);
  }

  /** The shared body of terminate, terminateInterface and terminateAll. */
  private terminateEntries(named: Entry[], why: number, prune: boolean): api.TerminateBatch {
    const batch = new Batch(this.victims);
    // Post-order walk: an object decides after all its dependents have. Terminating or pending
    // objects are skipped with their subtrees, which were handled when they were.
    const visit = (e: Entry): void => {
      if (e.state === State.Terminating || e.pending) return;
      for (const d of e.dependents) visit(d);
      if (e.state === State.Offloaded && batch.holdsAllDependentsOf(e)) batch.emit(e, why);
      else {
        e.pending = true;
        e.reason = why;
      }
    };
    for (const e of named) visit(e);
    // Pruning comes last, so that a named object always gets the batch's reason, never Orphaned.
    batch.settleParents(0, prune);
    return batch.result();
  }

  /** Settles the parents of freed objects: paths first, then neighbors. */
  private settleParentsOfFreed(freed: Set<Entry>, batch: Batch, prune: boolean): void {
    for (const e of freed) if (e.kind === Kind.Connection && !freed.has(e.parent!)) batch.settle(e.parent, prune);
    for (const e of freed) if (e.kind === Kind.Path && !freed.has(e.parent!)) batch.settle(e.parent, prune);
    batch.settleParents(0, prune);
  }

  /** Refuses if a path or neighbor in `list` has a linked dependent outside `set`. */
  private requireDependentsIn(list: Entry[], set: Set<Entry>, op: string): void {
    list.forEach((e, i) => {
      // Names the most recently linked one, as the core does (its dependent lists are newest first).
      let named: Entry | undefined;
      for (const d of e.dependents) if (!set.has(d)) named = d;
      if (named) refuse.hasDependents(op, e.handle, named.handle, i);
    });
  }

  /** The live entries of `handles`, validated in order (and in `state`, if given). */
  private resolveAll(handles: ArrayLike<number>, op: string, state?: State): Entry[] {
    // Read once into a copy; then each entry in order: a handle, live, in `state` (as the core).
    const list = readHandleList(handles, `${op}: handles`);
    const n = list.length;
    const out: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const h = list.values[i]!;
      if (!isHandleForm(h)) notAHandle(list, i, `${op}: handles`);
      const e = this.lookup(h, op, i);
      if (state !== undefined && e.state !== state) refuse.wrongState(op, e.handle, e.state, state, i);
      out.push(e);
    }
    return out;
  }

  /** The live entry of a handle (one of the form isHandleForm checks), or StaleHandle. */
  private lookup(handle: number, op: string, index?: number): Entry {
    const e = this.objects.get(handle);
    if (!e) refuse.staleHandle(op, handle, index);
    return e;
  }

  private get(handle: number, op: string): Entry {
    return this.lookup(front.readHandle(op, handle), op);
  }

  /** A parent for a new object: live, of `kind`, neither Terminating nor pending. */
  private parentFor(handle: number, kind: Kind, op: string, index?: number): Entry {
    return this.openEntry(handle, kind, op, 'parent', index);
  }

  /** Capacity when `n` more objects of `kind` would pass its limit (`batch`: offloadConnections). */
  private checkLimit(kind: Kind, n: number, op: string, batch: boolean): void {
    const limit = [0, this.limitsOf.maxNeighbors, this.limitsOf.maxPaths, this.limitsOf.maxConnections][kind]!;
    if (this.counts[kind]! + n > limit) refuse.capacity(op, kind, this.counts[kind]!, n, this.limitsOf, batch);
  }
}
