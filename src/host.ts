// HostStack: the policy. It decides when and what to terminate, hands block lists to an
// OffloadTarget, and feeds the target's completions back into the table. Data flows one way:
// events in (application calls, traffic, link, target indications), the table decides in bulk,
// block lists out; completions come back through here into the table.
//
// The table holds every object's state; this class keeps only what is about the host, not an
// object: paused flags, interfaces that are down, and the promises of calls in flight.

import { ErrorCode, Kind, Reason, State, UploadReason } from './enums.js';
import { OffloadError, invalid } from './errors.js';
import { Emitter } from './emitter.js';
import { OffloadTable } from './table.js';
import { typeName } from './address.js';
import { readActivityPolicy, requireInt, requireObject, requireU32, type ResolvedActivityPolicy } from './validate.js';
import type { ActivityPolicy, ObjectInfo, TerminateBatch } from './types.js';
import type {
  OffloadTarget, TargetEvents, InitiateBlock, TerminateBlock, TerminateResult, DelegatedState, Segment, UpdateBlock,
} from './target.js';

/** What the host does, and when. Every field is optional. */
export interface HostPolicy {
  /** Terminate quiet connections at tick() (default on: under 4 KiB/s over 10 s, for 10 s); false: never. */
  lowActivity?: ActivityPolicy | false;
  /** Advisory upload reasons the host honours (default none: it keeps those connections). */
  honorAdvisory?: UploadReason[];
  /** Wait this long after a link goes down before terminating its objects (default 0: at once). */
  mediaDisconnectGraceMs?: number;
  /** At capacity, a new connection may preempt one of strictly lower priority (default true). */
  preempt?: boolean;
}

/** A connection the application wants offloaded. */
export interface OffloadRequest {
  ifIndex: number;
  nextHop: string | Uint8Array;
  source: string | Uint8Array;
  destination: string | Uint8Array;
  localPort: number;
  remotePort: number;
  /** 0..255, higher wins (default 0). */
  priority?: number;
  /** The host's TCP state handed to the target (default all 0). */
  tcp?: { sndUna?: number; sndNxt?: number; rcvNxt?: number };
}

export interface HostEvents extends Record<string, unknown> {
  /** An object's initiate completed: the target holds it. */
  offloaded: { handle: number; kind: Kind; key: ObjectInfo['key'] };
  /** A connection stays in software: why, and what was asked. */
  refused: { request: OffloadRequest; why: string };
  /** An object was terminated and freed; connections hand back their state and data. */
  terminated: {
    handle: number;
    kind: Kind;
    key: ObjectInfo['key'];
    reason: Reason | number;
    delegated?: DelegatedState;
    received?: Segment[];
    unacknowledged?: Segment[];
  };
  /** An interface's link went up or down (reported by the target). */
  link: { ifIndex: number; up: boolean };
  /** Received data of an offloaded connection reached the host. */
  delivered: { handle: number; bytes: number };
  /** Something went wrong that is not the caller's fault (e.g. a completion for an object already gone). */
  error: { message: string; handle?: number; error?: unknown };
}

const MUST_HONOUR = new Set([
  UploadReason.HardwareFailure, UploadReason.InvalidState, UploadReason.ReceivedUrgentData,
  UploadReason.TimeoutExpiration, UploadReason.UploadRequested,
]);
const POLICY_NAMES = new Set(['lowActivity', 'honorAdvisory', 'mediaDisconnectGraceMs', 'preempt']);

interface ResolvedPolicy {
  lowActivity: ResolvedActivityPolicy | false;
  honorAdvisory: Set<UploadReason>;
  mediaDisconnectGraceMs: number;
  preempt: boolean;
}

function readPolicy(policy: HostPolicy | undefined): ResolvedPolicy {
  if (policy !== undefined) requireObject(policy, 'HostStack', 'policy');
  const p = policy ?? {};
  for (const name of Object.keys(p)) if (!POLICY_NAMES.has(name)) invalid(`HostStack policy: unknown field '${name}' (known: ${[...POLICY_NAMES].join(', ')})`);
  const advisory = p.honorAdvisory ?? [];
  if (!Array.isArray(advisory) || advisory.some((r) => !(r in UploadReason) || MUST_HONOUR.has(r))) {
    invalid(`HostStack policy: honorAdvisory must list advisory UploadReasons (HighDropRate .. SmallIO), got ${typeName(advisory)}`);
  }
  if (p.preempt !== undefined && typeof p.preempt !== 'boolean') invalid(`HostStack policy: preempt must be a boolean, got ${typeName(p.preempt)}`);
  return {
    lowActivity: p.lowActivity === false ? false : readActivityPolicy(p.lowActivity, 'HostStack policy: lowActivity'),
    honorAdvisory: new Set(advisory),
    mediaDisconnectGraceMs: p.mediaDisconnectGraceMs === undefined ? 0 : requireInt(p.mediaDisconnectGraceMs, 0, 2 ** 31, 'HostStack policy: mediaDisconnectGraceMs'),
    preempt: p.preempt ?? true,
  };
}

export class HostStack extends Emitter<HostEvents> {
  readonly table: OffloadTable;
  readonly target: OffloadTarget;
  private readonly policy: ResolvedPolicy;
  private capacity: number;
  /** NetEventPause or a power transition: no new offloads until restart(). */
  private paused = false;
  private readonly pausedInterfaces = new Set<number>();
  /** The target asked for a pause (offload pause, upload all): no new offloads until it resumes. */
  private targetPaused = false;
  /** Interfaces whose link is down, with the time their objects go (Infinity: already gone). */
  private readonly linkDown = new Map<number, number>();
  /** Initiates in flight by handle: an offload below an object still Offloading waits for it. */
  private readonly initiating = new Map<number, Promise<void>>();
  /** Terminations in flight by handle: a preempting offload waits for its victim. */
  private readonly terminating = new Map<number, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private now = 0;

  private constructor(target: OffloadTarget, table: OffloadTable, policy: ResolvedPolicy) {
    super();
    this.target = target;
    this.table = table;
    this.policy = policy;
    this.capacity = target.capacity;
    target.attach(this.indications());
  }

  /** A host stack driving `target`, over `table` (default: a new OffloadTable). */
  static async create(options: { target: OffloadTarget; table?: OffloadTable; policy?: HostPolicy }): Promise<HostStack> {
    requireObject(options, 'HostStack.create', 'options');
    const { target } = options;
    if (!target || typeof target.initiate !== 'function' || typeof target.attach !== 'function') {
      invalid('HostStack.create: target must be an OffloadTarget (e.g. new SimulatedTarget())');
    }
    const policy = readPolicy(options.policy);
    return new HostStack(target, options.table ?? (await OffloadTable.create()), policy);
  }

  // ---- offload ---------------------------------------------------------------------------------

  /**
   * Offloads a connection, with its neighbor and path if the target does not hold them yet.
   * Resolves to the connection's handle once the target holds it, or to 0 when it stays in
   * software (no capacity and no lower-priority victim, paused, link down, a parent leaving, the
   * initiate failed; the 'refused' event says why). Throws OffloadError for bad input.
   */
  async offload(request: OffloadRequest): Promise<number> {
    const op = 'offload';
    requireObject(request, op, 'request');
    const ifIndex = requireU32(request.ifIndex, `${op}: ifIndex`);
    const priority = request.priority === undefined ? 0 : requireInt(request.priority, 0, 255, `${op}: priority`);
    const tcp = request.tcp ?? {};
    requireObject(tcp, op, 'tcp');
    const seq = (v: unknown, what: string) => (v === undefined ? 0 : requireInt(v, 0, 2 ** 32 - 1, `${op}: tcp.${what}`));
    const initial = { sndUna: seq(tcp.sndUna, 'sndUna'), sndNxt: seq(tcp.sndNxt ?? tcp.sndUna, 'sndNxt'), rcvNxt: seq(tcp.rcvNxt, 'rcvNxt') };
    const key = { source: request.source, destination: request.destination, localPort: request.localPort, remotePort: request.remotePort };
    // Validates addresses and ports, and refuses a connection the table already has.
    if (this.table.findConnection(key)) {
      throw new OffloadError(ErrorCode.DuplicateKey, `${op}: this connection is already offloaded (or being offloaded)`);
    }
    this.table.findNeighbor({ ifIndex, address: request.nextHop });
    const refuse = (why: string) => {
      this.emit('refused', { request, why });
      return 0;
    };
    for (;;) {
      if (this.paused || this.pausedInterfaces.has(ifIndex)) return refuse('the host paused offloads (restart() resumes them)');
      if (this.targetPaused) return refuse('the target paused offloads');
      if (this.linkDown.has(ifIndex)) return refuse(`the link of interface ${ifIndex} is down`);
      // Parents: reuse what the table has; wait for an initiate in flight; refuse one that is leaving.
      const neighbor = this.table.findNeighbor({ ifIndex, address: request.nextHop });
      const path = this.table.findPath({ source: request.source, destination: request.destination });
      const busy = [path, neighbor].find((h) => h && this.table.state(h) === State.Offloading);
      if (busy) {
        const inFlight = this.initiating.get(busy);
        if (!inFlight) return refuse('its neighbor or path is being offloaded outside this host stack');
        await inFlight;
        continue;
      }
      for (const h of [neighbor, path]) {
        if (h && (this.table.state(h) === State.Terminating || this.table.pending(h))) return refuse('its neighbor or path is being terminated');
      }
      // Capacity: preempt a victim of strictly lower priority, and wait until it is gone.
      if (this.table.count(Kind.Connection) >= this.capacity) {
        const victim = this.policy.preempt ? this.table.chooseVictims(1, priority)[0] : undefined;
        if (!victim) return refuse(`the target is at capacity (${this.capacity} connections) with no lower-priority connection to preempt`);
        await this.send(this.table.terminate([victim], Reason.HigherPriority));
        continue;
      }
      // Everything missing is offloaded in one block list, parents first.
      const blocks: InitiateBlock[] = [];
      const n = neighbor || this.table.offloadNeighbor({ ifIndex, address: request.nextHop });
      if (!neighbor) blocks.push(this.initiateBlock(n));
      const p = path || this.table.offloadPath({ source: request.source, destination: request.destination }, n);
      if (!path) blocks.push(this.initiateBlock(p));
      const c = this.table.offloadConnection({ localPort: request.localPort, remotePort: request.remotePort, priority }, p);
      blocks.push({ kind: Kind.Connection, handle: c, path: p, localPort: request.localPort, remotePort: request.remotePort, tcp: initial });
      await this.initiate(blocks);
      const state = this.stateOf(c);
      if (state === undefined) return refuse('the target failed the initiate');
      return c;
    }
  }

  /** Hands a block list to the target and applies its completion; resolves when applied. */
  private initiate(blocks: InitiateBlock[]): Promise<void> {
    const done = this.track(this.target.initiate(blocks)).then(
      (results) => this.initiated(blocks, results.filter((r) => r.ok).map((r) => r.handle)),
      (error) => {
        this.emit('error', { message: `the target's initiate failed as a whole: ${String(error)}`, error });
        return this.initiated(blocks, []);
      },
    ).catch((error) => this.emit('error', { message: `applying an initiate's completion failed: ${String(error)}`, error }))
      .finally(() => {
        for (const b of blocks) this.initiating.delete(b.handle);
      });
    for (const b of blocks) this.initiating.set(b.handle, done);
    return done;
  }

  private initiated(blocks: InitiateBlock[], okHandles: number[]): void {
    // A block whose parent failed fails too (the target must fail it; a target that did not is
    // corrected here), since the table cannot hold an object below a failed one.
    const ok = new Set(okHandles);
    for (const b of blocks) {
      const parent = b.kind === Kind.Path ? b.neighbor : b.kind === Kind.Connection ? b.path : 0;
      if (parent && blocks.some((x) => x.handle === parent) && !ok.has(parent)) ok.delete(b.handle);
    }
    const good: number[] = [];
    const bad: number[] = [];
    for (const b of blocks) {
      if (this.stateOf(b.handle) !== State.Offloading) this.emit('error', { message: 'an initiate completed for an object that is not being offloaded', handle: b.handle });
      else (ok.has(b.handle) ? good : bad).push(b.handle);
    }
    const infos = good.map((h) => ({ handle: h, kind: this.table.kind(h), key: this.table.describe(h).key }));
    this.applyCompletion(() => this.table.completeOffload(good, true), 'completeOffload');
    if (bad.length) this.applyCompletion(() => this.table.completeOffload(bad, false), 'completeOffload (failed)');
    for (const info of infos) this.emit('offloaded', info);
  }

  // ---- terminate -------------------------------------------------------------------------------

  /** Terminates objects (and everything below them) for the application's reason; resolves when freed. */
  async terminate(handles: ArrayLike<number>, reason: Reason | number = Reason.Application): Promise<void> {
    const batch = this.table.terminate(handles, reason);
    await this.send(batch);
  }

  /** Hands a termination batch to the target; its completion frees the objects and sends orphans. */
  private send(batch: TerminateBatch): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    const blocks: TerminateBlock[] = [];
    const infos = new Map<number, ObjectInfo>();
    for (let i = 0; i < batch.length; i++) {
      const h = batch.handles[i]!;
      const info = this.table.describe(h);
      infos.set(h, info);
      blocks.push({ handle: h, kind: info.kind, reason: batch.reasons[i]! });
    }
    const done = this.track(this.target.terminate(blocks)).then(
      (results) => this.terminated(blocks, infos, results),
      (error) => {
        this.emit('error', { message: `the target's terminate failed as a whole: ${String(error)}`, error });
        return this.terminated(blocks, infos, []);
      },
    ).catch((error) => this.emit('error', { message: `applying a termination's completion failed: ${String(error)}`, error }))
      .finally(() => {
        for (const b of blocks) this.terminating.delete(b.handle);
      });
    for (const b of blocks) this.terminating.set(b.handle, done);
    return done;
  }

  private terminated(blocks: TerminateBlock[], infos: Map<number, ObjectInfo>, results: TerminateResult[]): Promise<void> {
    const byHandle = new Map(results.map((r) => [r.handle, r]));
    // Only objects still Terminating can be freed; a completion for one already gone is reported.
    const live = blocks.filter((b) => {
      if (this.stateOf(b.handle) === State.Terminating) return true;
      this.emit('error', { message: 'a termination completed for an object that is already gone', handle: b.handle });
      return false;
    });
    for (const b of live) {
      const r = byHandle.get(b.handle);
      if (r && !r.ok) this.emit('error', { message: `the target reported a failed termination (${r.error ?? 'no reason'}); the object is freed anyway`, handle: b.handle });
      const info = infos.get(b.handle)!;
      this.emit('terminated', {
        handle: b.handle, kind: b.kind, key: info.key, reason: b.reason,
        ...(r?.delegated ? { delegated: r.delegated } : {}),
        ...(r?.received ? { received: r.received } : {}),
        ...(r?.unacknowledged ? { unacknowledged: r.unacknowledged } : {}),
      });
    }
    const next = this.applyCompletion(() => this.table.completeTerminate(live.map((b) => b.handle)), 'completeTerminate');
    return next;
  }

  /** Runs a table completion; sends what it returns (orphans, pending terminations) as a batch. */
  private applyCompletion(complete: () => TerminateBatch, what: string): Promise<void> {
    try {
      return this.send(complete());
    } catch (error) {
      this.emit('error', { message: `${what} was refused by the table: ${String(error)}`, error });
      return Promise.resolve();
    }
  }

  // ---- traffic and time ------------------------------------------------------------------------

  /** Records application traffic on an offloaded connection (the target sees it too). */
  recordTraffic(handle: number, sentBytes: number, receivedBytes = 0): void {
    this.table.recordTraffic(handle, sentBytes, receivedBytes);
    if (this.table.state(handle) === State.Offloaded && !this.table.pending(handle)) this.target.traffic?.(handle, sentBytes, receivedBytes);
  }

  /** Records traffic on many connections in one table call. */
  recordTrafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void {
    this.table.recordTrafficBatch(handles, sentBytes, receivedBytes);
    if (!this.target.traffic) return;
    for (let i = 0; i < handles.length; i++) {
      const h = handles[i]!;
      if (this.table.state(h) === State.Offloaded && !this.table.pending(h)) this.target.traffic(h, sentBytes[i]!, receivedBytes?.[i] ?? 0);
    }
  }

  /**
   * Moves the host's clock to `now` (ms): the target advances, links down past their grace lose
   * their objects, and connections quiet for long enough are terminated with LowActivity.
   * Returns how many connections the low-activity policy terminated.
   */
  tick(now: number): number {
    if (typeof now !== 'number' || !Number.isFinite(now) || now < this.now) {
      invalid(`tick: now must be a finite time in ms, not before the previous tick (${this.now}), got ${typeName(now)}`);
    }
    this.now = now;
    this.target.advance?.(now);
    for (const [ifIndex, due] of this.linkDown) {
      if (due <= now) {
        this.linkDown.set(ifIndex, Infinity);
        this.send(this.table.terminateInterface(ifIndex, Reason.MediaDisconnect));
      }
    }
    if (!this.policy.lowActivity) return 0;
    const quiet = this.table.tick(now, {
      thresholdBytesPerSecond: this.policy.lowActivity.threshold,
      windowMs: this.policy.lowActivity.windowMs,
      quietMs: this.policy.lowActivity.quietMs,
    });
    if (quiet.length) this.send(this.table.terminate(quiet, Reason.LowActivity));
    return quiet.length;
  }

  // ---- host decisions --------------------------------------------------------------------------

  /** NetEventPause: terminates everything (or everything on one interface); no new offloads until restart(). */
  pause(ifIndex?: number): Promise<void> {
    if (ifIndex === undefined) {
      this.paused = true;
      return this.send(this.table.terminateAll(Reason.Pause));
    }
    const index = requireU32(ifIndex, 'pause: ifIndex');
    this.pausedInterfaces.add(index);
    return this.send(this.table.terminateInterface(index, Reason.Pause));
  }

  /** Ends a pause or a power transition: offloads are accepted again. */
  restart(): void {
    this.paused = false;
    this.pausedInterfaces.clear();
  }

  /** A power transition: everything is terminated; no new offloads until restart(). */
  powerTransition(): Promise<void> {
    this.paused = true;
    return this.send(this.table.terminateAll(Reason.PowerTransition));
  }

  /** A neighbor or path is no longer valid: the target is told, and it and its dependents are terminated. */
  async invalidate(handle: number): Promise<void> {
    const kind = this.table.kind(handle);
    if (kind === Kind.Connection) throw new OffloadError(ErrorCode.WrongKind, 'invalidate: only a neighbor or a path can be invalidated', undefined, handle);
    const batch = this.table.terminate([handle], Reason.Invalidated);
    await this.track(this.target.invalidate([{ handle, kind, reason: Reason.Invalidated }]));
    await this.send(batch);
  }

  // ---- update and query ------------------------------------------------------------------------

  /** Changes a neighbor's link-layer address and pushes it to the target. */
  updateNeighbor(handle: number, linkLayerAddress: string): Promise<void> {
    this.table.updateNeighbor(handle, { linkLayerAddress });
    return this.update({ handle, kind: Kind.Neighbor, linkLayerAddress });
  }

  /** Changes a path's MTU and pushes it to the target. */
  updatePath(handle: number, mtu: number): Promise<void> {
    this.table.updatePath(handle, { mtu });
    return this.update({ handle, kind: Kind.Path, mtu });
  }

  /** Moves a path (and its connections) under another neighbor, and tells the target. */
  relinkPath(path: number, neighbor: number): Promise<void> {
    this.table.relinkPath(path, neighbor);
    return this.update({ handle: path, kind: Kind.Path, neighbor });
  }

  private async update(block: UpdateBlock): Promise<void> {
    const [result] = await this.track(this.target.update([block]));
    if (result && !result.ok) this.emit('error', { message: `the target refused an update: ${result.error ?? 'no reason'}`, handle: block.handle });
  }

  /** A connection's delegated state, read from the target without terminating it. */
  async query(handle: number): Promise<DelegatedState> {
    if (this.table.kind(handle) !== Kind.Connection || this.table.state(handle) !== State.Offloaded) {
      throw new OffloadError(ErrorCode.WrongState, 'query: only an Offloaded connection has delegated state to read', undefined, handle);
    }
    const [result] = await this.track(this.target.query([handle]));
    if (!result?.ok || !result.delegated) throw new OffloadError(ErrorCode.WrongState, `query: the target could not answer (${result?.error ?? 'no result'})`, undefined, handle);
    return result.delegated;
  }

  /** Resolves once no call to the target is in flight (a simulated target needs its clock advanced). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** The host's own state: what limits offloads now. */
  status(): { paused: boolean; targetPaused: boolean; linksDown: number[]; capacity: number; inFlight: number } {
    return { paused: this.paused, targetPaused: this.targetPaused, linksDown: [...this.linkDown.keys()], capacity: this.capacity, inFlight: this.inFlight.size };
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** The target's indications, handled here. */
  private indications(): TargetEvents {
    return {
      uploadRequested: (handle, reason) => {
        if (this.stateOf(handle) === undefined || this.table.kind(handle) !== Kind.Connection) {
          this.emit('error', { message: `the target asked to upload ${handle}, which is not an offloaded connection`, handle });
          return;
        }
        if (MUST_HONOUR.has(reason) || this.policy.honorAdvisory.has(reason)) this.send(this.table.terminate([handle], Reason.TargetRequested));
      },
      uploadAll: () => {
        this.targetPaused = true;
        this.send(this.table.terminateAll(Reason.TargetRequested));
      },
      offloadPause: () => {
        this.targetPaused = true;
      },
      offloadResume: () => {
        this.targetPaused = false;
      },
      link: (ifIndex, up) => {
        this.emit('link', { ifIndex, up });
        if (up) {
          this.linkDown.delete(ifIndex);
          return;
        }
        if (this.linkDown.has(ifIndex)) return;
        this.linkDown.set(ifIndex, this.now + this.policy.mediaDisconnectGraceMs);
        if (this.policy.mediaDisconnectGraceMs === 0) {
          this.linkDown.set(ifIndex, Infinity);
          this.send(this.table.terminateInterface(ifIndex, Reason.MediaDisconnect));
        }
      },
      capacity: (connections) => {
        this.capacity = connections;
      },
      delivered: (handle, bytes) => {
        this.emit('delivered', { handle, bytes });
      },
    };
  }

  /** The state of a handle, or undefined if it is stale. */
  private stateOf(handle: number): State | undefined {
    try {
      return this.table.state(handle);
    } catch (error) {
      if (error instanceof OffloadError && error.code === ErrorCode.StaleHandle) return undefined;
      throw error;
    }
  }

  private initiateBlock(handle: number): InitiateBlock {
    const info = this.table.describe(handle);
    if (info.kind === Kind.Neighbor) {
      const key = info.key as { ifIndex: number; address: string; linkLayerAddress: string };
      return { kind: Kind.Neighbor, handle, ifIndex: key.ifIndex, address: key.address, linkLayerAddress: key.linkLayerAddress };
    }
    const key = info.key as { source: string; destination: string; mtu: number };
    return { kind: Kind.Path, handle, neighbor: info.parent, source: key.source, destination: key.destination, mtu: key.mtu };
  }

  /** Remembers a call in flight until it settles (for idle()). */
  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const forget = () => void this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
