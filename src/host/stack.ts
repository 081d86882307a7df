// HostStack: the policy. It decides when and what to terminate, hands block lists to an
// OffloadTarget, and feeds the target's completions back into the table. Data flows one way:
// events in (application calls, traffic, link, target indications), the table decides in bulk,
// block lists out; completions come back through here into the table.
//
// The table holds every object's state; this class keeps only what is about the host, not an
// object: paused flags, interfaces that are down, and the promises of calls in flight.

import { ErrorCode, Kind, Reason, State, UploadReason } from '../table/enums.js';
import { OffloadError, invalid } from '../table/errors.js';
import { Emitter } from '../util/emitter.js';
import { OffloadTable } from '../table/table.js';
import { typeName, writeAddress } from '../table/address.js';
import { readConnectionKey, type KeySink } from '../table/front.js';
import { readActivityPolicy, requireInt, requireObject, requireU32, type ResolvedActivityPolicy } from '../table/validate.js';
import { ManualClock, isClock, type Clock } from '../target/clock.js';
import { TargetCalls, CallFailed, catchRejection, describe, type FaultReport, type TargetFault } from './target-calls.js';
import { readResults, returnedState, returnedNumbers, type ReadResult, type ReturnedState, type ReturnedNumbers } from './target-results.js';
import { readOnce, snapshot } from './read-once.js';
import { isArrayLike } from '../table/validate.js';
import { nextTurn } from './next-turn.js';
import type { ActivityPolicy, ObjectInfo, TerminateBatch } from '../table/types.js';
import type { OffloadTarget, TargetEvents, InitiateBlock, TerminateBlock, DelegatedState, Segment, UpdateBlock } from '../target/offload-target.js';
import { ConnectionEngine, type OpenedColumns } from './engine.js';
import { InFlight } from './in-flight.js';
import { readOffloadPolicy, eager } from './policies/index.js';
import type { ConnectionColumns, OffloadPolicy } from './policy.js';
import type { HostMetrics } from './metrics.js';

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
  /** Decides, at every tick, which connections opened with open() go to the target (default: eager). */
  offload?: OffloadPolicy;
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
    /**
     * A connection whose state did not come back (the target failed, timed out, or answered
     * without valid delegated state): it is freed, and its delegated state and data are lost.
     */
    lost?: true;
  };
  /** An interface's link went up or down (reported by the target). */
  link: { ifIndex: number; up: boolean };
  /** Received data of an offloaded connection reached the host. */
  delivered: { handle: number; bytes: number };
  /**
   * Something went wrong that is not the caller's fault: a target's mistake (`fault` names which),
   * a completion for an object already gone, a listener that threw.
   */
  error: { message: string; handle?: number; fault?: TargetFault | 'listener'; error?: unknown };
}

/** Where offload() checks a key's addresses in its own words (the bytes are not used). */
const KEY_CHECK = new Uint8Array(48);
const KEY_CHECK_SINK: KeySink = { bytes: () => KEY_CHECK, src: 0, dst: 16 };

/** The events a HostStack emits, for checking `on` at the call rather than at the first event. */
const HOST_EVENTS: readonly (keyof HostEvents)[] = ['offloaded', 'refused', 'terminated', 'link', 'delivered', 'error'];

/** How HostStack.create is configured. */
export interface HostStackOptions {
  target: OffloadTarget;
  /** The table to keep the state tree in (default: a new OffloadTable). */
  table?: OffloadTable;
  policy?: HostPolicy;
  /** The host's clock, moved by tick(now) (default: the target's `clock` if it has one, e.g. a SimulatedTarget's; else a new ManualClock). */
  clock?: Clock;
  /**
   * A call to the target not answered within this many ms of the host's clock counts as failed
   * (default 30,000; Infinity: wait for ever). Time moves with tick(now).
   */
  targetTimeoutMs?: number;
  /** An offload of open()'s connections that carried fewer bytes than this before it was terminated counts as wasted (default 65536). */
  wasteThresholdBytes?: number;
  /** Window of the moving average behind the `rate` column of open()'s connections, ms (default 1000). */
  rateWindowMs?: number;
}

/** Default time the host waits for the target to answer a call. */
export const DEFAULT_TARGET_TIMEOUT_MS = 30_000;
const OPTION_NAMES = new Set(['target', 'table', 'policy', 'clock', 'targetTimeoutMs', 'wasteThresholdBytes', 'rateWindowMs']);

const MUST_HONOUR = new Set([
  UploadReason.HardwareFailure,
  UploadReason.InvalidState,
  UploadReason.ReceivedUrgentData,
  UploadReason.TimeoutExpiration,
  UploadReason.UploadRequested,
]);
const POLICY_NAMES = new Set(['lowActivity', 'honorAdvisory', 'mediaDisconnectGraceMs', 'preempt', 'offload']);

interface ResolvedPolicy {
  lowActivity: ResolvedActivityPolicy | false;
  honorAdvisory: Set<UploadReason>;
  mediaDisconnectGraceMs: number;
  preempt: boolean;
  offload: OffloadPolicy;
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
    mediaDisconnectGraceMs:
      p.mediaDisconnectGraceMs === undefined ? 0 : requireInt(p.mediaDisconnectGraceMs, 0, 2 ** 31, 'HostStack policy: mediaDisconnectGraceMs'),
    preempt: p.preempt ?? true,
    offload: p.offload === undefined ? eager.create() : readOffloadPolicy(p.offload, 'HostStack policy: offload'),
  };
}

/**
 * The host's own record of a call's blocks, read once when it starts: the target gets the blocks
 * themselves and may keep or change them; the completion is applied from this record.
 */
class CallRecord {
  readonly handles: Float64Array;
  readonly kinds: Uint8Array;
  /** Initiate: each block's parent handle (0 for a neighbor). */
  readonly parents: Float64Array;
  /** Terminate: each block's reason. */
  readonly reasons: Uint8Array;
  /** Each connection's slot in the engine (-1: not one of its connections), a hint for the completion. */
  readonly slots: Int32Array;
  constructor(n: number) {
    this.handles = new Float64Array(n);
    this.kinds = new Uint8Array(n);
    this.parents = new Float64Array(n);
    this.reasons = new Uint8Array(n);
    this.slots = new Int32Array(n);
  }
}

export class HostStack extends Emitter<HostEvents> {
  /**
   * Calls `listener` for every `name` event; returns a function that removes it. An unknown event
   * name or a listener that is not a function is refused here (OffloadError InvalidArgument), not
   * left to fail at the first event.
   */
  override on<K extends keyof HostEvents>(name: K, listener: (event: HostEvents[K]) => void): () => void {
    if (!HOST_EVENTS.includes(name)) invalid(`HostStack.on: no event ${typeName(name)}; the events are ${HOST_EVENTS.join(', ')}`);
    if (typeof listener !== 'function') invalid(`HostStack.on('${String(name)}'): the listener must be a function, got ${typeName(listener)}`);
    return super.on(name, listener);
  }

  readonly table: OffloadTable;
  readonly target: OffloadTarget;
  /** The host's clock: tick(now) moves it (and a SimulatedTarget running on it). */
  readonly clock: Clock;
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
  private readonly initiating = new InFlight();
  /** Terminations in flight by handle: an offload waits for its victim, or for a parent leaving. */
  private readonly terminating = new InFlight();
  /** Every call to the target, guarded: sync throws, rejections, timeouts and late answers become faults. */
  private readonly calls: TargetCalls;
  /** Connections reported terminated with `lost: true`. */
  private lost = 0;
  private now = 0;
  /** The connections of open()/traffic()/close() and their offload policy (src/host/engine.ts). */
  private readonly engine: ConnectionEngine;

  private constructor(
    target: OffloadTarget,
    table: OffloadTable,
    policy: ResolvedPolicy,
    clock: Clock,
    capacity: number,
    timeoutMs: number,
    lab: { wasteThresholdBytes: number; rateWindowMs: number },
  ) {
    super();
    this.target = target;
    this.table = table;
    this.policy = policy;
    this.clock = clock;
    this.capacity = capacity;
    this.now = clock.now;
    this.calls = new TargetCalls(timeoutMs, (f) => this.fault(f));
    this.engine = new ConnectionEngine(
      {
        table,
        target,
        clock,
        now: () => this.now,
        capacity: () => this.capacity,
        canOffload: () => !this.paused && !this.targetPaused,
        interfaceBlocked: (ifIndex) => this.pausedInterfaces.has(ifIndex) || this.linkDown.has(ifIndex),
        tableTraffic: () => this.policy.lowActivity !== false,
        initiate: (blocks, slots) => void this.initiate(blocks, slots),
        send: (batch) => void this.send(batch),
        emit: (name, event) => this.emit(name, event),
        listening: (name) => this.listening(name),
      },
      { policy: policy.offload, ...lab },
    );
    target.attach(this.indications());
  }

  /** A host stack driving `target`, over `table` (default: a new OffloadTable). */
  static async create(options: HostStackOptions): Promise<HostStack> {
    requireObject(options, 'HostStack.create', 'options');
    for (const name of Object.keys(options))
      if (!OPTION_NAMES.has(name)) invalid(`HostStack.create: unknown option '${name}' (known: ${[...OPTION_NAMES].join(', ')})`);
    const { target } = options;
    if (!target || typeof target.initiate !== 'function' || typeof target.attach !== 'function') {
      invalid('HostStack.create: target must be an OffloadTarget (e.g. new SimulatedTarget())');
    }
    const capacity = requireInt(target.capacity, 0, 2 ** 53, 'HostStack.create: target.capacity');
    if (options.clock !== undefined && !isClock(options.clock))
      invalid(`HostStack.create: clock must be a Clock (e.g. new ManualClock()), got ${typeName(options.clock)}`);
    const own = (target as { clock?: unknown }).clock;
    const clock = options.clock ?? (isClock(own) ? own : new ManualClock());
    const timeout = options.targetTimeoutMs ?? DEFAULT_TARGET_TIMEOUT_MS;
    if (typeof timeout !== 'number' || !(timeout > 0))
      invalid(`HostStack.create: targetTimeoutMs must be a number of ms > 0 (Infinity: no timeout), got ${typeName(timeout)}`);
    const policy = readPolicy(options.policy);
    const lab = {
      wasteThresholdBytes:
        options.wasteThresholdBytes === undefined
          ? 65536
          : requireInt(options.wasteThresholdBytes, 0, Number.MAX_SAFE_INTEGER, 'HostStack.create: wasteThresholdBytes'),
      rateWindowMs: options.rateWindowMs === undefined ? 1000 : requireInt(options.rateWindowMs, 1, 2 ** 31, 'HostStack.create: rateWindowMs'),
    };
    return new HostStack(target, options.table ?? (await OffloadTable.create()), policy, clock, capacity, timeout, lab);
  }

  // ---- offload ---------------------------------------------------------------------------------

  /**
   * Offloads a connection, with its neighbor and path if the target does not hold them yet.
   * Resolves to the connection's handle once the target holds it, or to 0 when it stays in
   * software (no capacity and no lower-priority victim, paused, link down, the initiate failed;
   * the 'refused' event says why). Throws OffloadError for bad input.
   *
   * A parent still being offloaded or terminated by this host is waited for (a parent leaving is
   * offloaded afresh). A path that exists under another neighbor means the route changed: the path
   * moves, with its connections, under the requested neighbor (relinkPath), and the old neighbor
   * goes if nothing else depends on it.
   */
  async offload(original: OffloadRequest): Promise<number> {
    const op = 'offload';
    requireObject(original, op, 'request');
    const request = snapshot(original);
    const ifIndex = requireU32(request.ifIndex, `${op}: ifIndex`);
    const priority = request.priority === undefined ? 0 : requireInt(request.priority, 0, 255, `${op}: priority`);
    const tcp = request.tcp ?? {};
    requireObject(tcp, op, 'tcp');
    const seq = (v: unknown, what: string) => (v === undefined ? 0 : requireInt(v, 0, 2 ** 32 - 1, `${op}: tcp.${what}`));
    const { sndUna, sndNxt, rcvNxt } = tcp;
    const initial = { sndUna: seq(sndUna, 'sndUna'), sndNxt: seq(sndNxt ?? sndUna, 'sndNxt'), rcvNxt: seq(rcvNxt, 'rcvNxt') };
    request.tcp = initial;
    const key = { source: request.source, destination: request.destination, localPort: request.localPort, remotePort: request.remotePort };
    // Ports and addresses are checked in this call's words; then the table refuses a connection it has.
    readConnectionKey(key, KEY_CHECK_SINK, op);
    writeAddress(request.nextHop, KEY_CHECK, 32, `${op}: nextHop`);
    if (this.table.findConnection(key)) {
      throw new OffloadError(ErrorCode.DuplicateKey, `${op}: this connection is already offloaded (or being offloaded)`);
    }
    /** Parents this call offloaded: if it ends without a connection below them, they go. */
    const created: number[] = [];
    const refuse = (why: string) => {
      this.pruneEmpty(created);
      this.emit('refused', { request, why });
      return 0;
    };
    let preempted = false;
    for (;;) {
      if (this.paused || this.pausedInterfaces.has(ifIndex)) return refuse('the host paused offloads (restart() resumes them)');
      if (this.targetPaused) return refuse('the target paused offloads');
      if (this.linkDown.has(ifIndex)) return refuse(`the link of interface ${ifIndex} is down`);
      // Parents: reuse what the table has; wait for one in flight either way; refuse one that waits to leave.
      const neighbor = this.table.findNeighbor({ ifIndex, address: request.nextHop });
      const path = this.table.findPath({ source: request.source, destination: request.destination });
      const wait = this.parentInFlight(neighbor, path);
      if (wait === 'outside') return refuse('its neighbor or path is being offloaded or terminated outside this host stack');
      if (wait) {
        await wait;
        continue;
      }
      if ((neighbor && this.table.pending(neighbor)) || (path && this.table.pending(path))) return refuse('its neighbor or path is being terminated');
      // Route change: the path exists under another neighbor.
      if (path && this.table.parent(path) !== neighbor) {
        if (!neighbor) {
          const n = this.table.offloadNeighbor({ ifIndex, address: request.nextHop });
          created.push(n);
          await this.initiate([this.initiateBlock(n)]);
          if (this.stateOf(n) === undefined) return refuse('the target failed the initiate of its new neighbor');
          continue;
        }
        try {
          void this.relinkPath(path, neighbor);
        } catch (error) {
          return refuse(`the route to its destination changed and its path could not move: ${describe(error)}`);
        }
        continue;
      }
      // Capacity: one offload preempts at most one victim of strictly lower priority, and only if
      // that makes room (after a capacity drop the target may hold more than it can).
      const occupied = this.table.count(Kind.Connection);
      if (occupied >= this.capacity) {
        const full = `the target is at capacity (${occupied} connections held, capacity ${this.capacity})`;
        if (!this.policy.preempt) return refuse(`${full}; preemption is off`);
        if (preempted) return refuse(`${full} again after preempting one connection`);
        if (occupied - 1 >= this.capacity) return refuse(`${full}: more than one would have to go, so none is preempted`);
        const victim = this.table.chooseVictims(1, priority)[0];
        if (!victim) return refuse(`${full} with no lower-priority connection to preempt`);
        preempted = true;
        await this.send(this.table.terminate([victim], Reason.HigherPriority));
        continue;
      }
      // Everything missing is offloaded in one block list, parents first.
      const blocks: InitiateBlock[] = [];
      const n = neighbor || this.table.offloadNeighbor({ ifIndex, address: request.nextHop });
      if (!neighbor) {
        blocks.push(this.initiateBlock(n));
        created.push(n);
      }
      const p = path || this.table.offloadPath({ source: request.source, destination: request.destination }, n);
      if (!path) {
        blocks.push(this.initiateBlock(p));
        created.push(p);
      }
      const c = this.table.offloadConnection({ localPort: request.localPort, remotePort: request.remotePort, priority }, p);
      blocks.push({ kind: Kind.Connection, handle: c, path: p, localPort: request.localPort, remotePort: request.remotePort, tcp: initial });
      await this.initiate(blocks);
      if (this.stateOf(c) === undefined) return refuse('the target failed the initiate');
      return c;
    }
  }

  /** What an offload must wait for before it can use these parents: an initiate or a termination in flight. */
  private parentInFlight(neighbor: number, path: number): Promise<void> | 'outside' | undefined {
    for (const h of [path, neighbor]) {
      if (!h) continue;
      const state = this.table.state(h);
      if (state === State.Offloaded) continue;
      const inFlight = state === State.Offloading ? this.initiating.get(h) : this.terminating.get(h);
      return inFlight ?? 'outside';
    }
    return undefined;
  }

  /**
   * Terminates (Reason.Orphaned) those of `parents` that are Offloaded with nothing linked below
   * them: a parent whose connection's initiate failed, or a neighbor a route change left behind.
   */
  private pruneEmpty(parents: readonly number[]): void {
    const empty = parents.filter((h) => this.stateOf(h) === State.Offloaded && !this.table.pending(h) && this.table.refCount(h) === 0);
    if (empty.length) void this.send(this.table.terminate(empty, Reason.Orphaned));
  }

  /**
   * Hands an initiate block list (parents before their dependents) to the target and applies its
   * completion; resolves when applied. The one initiate path: offload() and the connection
   * engine's batches (src/host/engine.ts) both come through here.
   */
  private initiate(blocks: InitiateBlock[], slots?: Int32Array): Promise<void> {
    // The host's own record of the call: the blocks go to the target, which may keep or change them.
    const call = new CallRecord(blocks.length);
    if (slots) call.slots.set(slots);
    else call.slots.fill(-1);
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      call.handles[i] = b.handle;
      call.kinds[i] = b.kind;
      call.parents[i] = b.kind === Kind.Path ? b.neighbor : b.kind === Kind.Connection ? b.path : 0;
    }
    const handles = call.handles;
    let id = 0;
    const done = this.calls
      .run(
        'initiate',
        this.now,
        () => this.target.initiate(blocks),
        (late) => this.reclaim(call, late),
      )
      .then(
        (answer) => this.initiated(call, readResults('initiate', handles, answer, (f) => this.fault(f)) ?? []),
        (failure) => {
          this.failure(failure, `the initiate of ${handles.length} object(s) failed; they stay in software`);
          this.initiated(call, []);
        },
      )
      .catch((error) => this.emit('error', { message: `applying an initiate's completion failed: ${describe(error)}`, error }))
      .finally(() => this.initiating.finish(id, handles));
    id = this.initiating.add(handles, done);
    return this.calls.track(done);
  }

  /**
   * An initiate the host gave up on (timeout) was answered after all: what the target says it now
   * holds, the host no longer has, so it is terminated again (children first) and its answer ignored.
   */
  private reclaim(call: CallRecord, late: unknown): void {
    const results = readResults('late initiate', call.handles, late, () => undefined);
    const held: TerminateBlock[] = [];
    for (let i = call.handles.length - 1; i >= 0; i--)
      if (results?.[i]?.ok) held.push({ handle: call.handles[i]!, kind: call.kinds[i] as Kind, reason: Reason.Orphaned });
    if (!held.length) return;
    void this.calls
      .run('terminate (objects of an initiate the host gave up on)', this.now, () => this.target.terminate(held))
      .catch((failure) => this.failure(failure, 'the target may still hold them'));
  }

  private initiated(call: CallRecord, results: (ReadResult | undefined)[]): void {
    // A block whose parent in this call failed fails too (the target must fail it; a target that
    // did not is corrected here), since the table cannot hold an object below a failed one.
    let failed: Set<number> | undefined; // blocks of this call that failed (made at the first)
    const good: number[] = [];
    const bad: number[] = [];
    const goodHints: number[] = [];
    const badHints: number[] = [];
    // Parents that may be left with nothing below them: those this call offloaded, and those of failed blocks.
    const offloadedParents: number[] = [];
    const parents: number[] = [];
    for (let i = 0; i < call.handles.length; i++) {
      const handle = call.handles[i]!;
      const kind = call.kinds[i] as Kind;
      const parent = call.parents[i]!;
      const success = results[i]?.ok === true && !(failed !== undefined && failed.has(parent));
      if (this.engine.stateOf(handle, call.slots[i]) !== State.Offloading) {
        this.emit('error', { message: `an initiate completed for ${Kind[kind]} ${handle}, which is not being offloaded`, handle, fault: 'gone' });
        if (!success) (failed ??= new Set()).add(handle);
        continue;
      }
      if (success) {
        good.push(handle);
        goodHints.push(call.slots[i]!);
        if (kind !== Kind.Connection) offloadedParents.push(handle);
      } else {
        (failed ??= new Set()).add(handle);
        bad.push(handle);
        badHints.push(call.slots[i]!);
        if (parent !== 0) parents.push(parent);
      }
    }
    let pending: TerminateBatch;
    try {
      pending = this.table.completeOffload(good, true);
    } catch (error) {
      this.emit('error', { message: `completeOffload was refused by the table: ${describe(error)}`, error });
      return;
    }
    for (let i = 0; i < good.length; i++) this.engine.offloaded(good[i]!, goodHints[i]);
    this.engine.flushRates();
    if (bad.length) {
      this.applyCompletion(() => this.table.completeOffload(bad, false), 'completeOffload (failed)');
      for (let i = 0; i < bad.length; i++) this.engine.initiateFailed(bad[i]!, badHints[i]);
      // A parent left with nothing below it by a failed initiate goes (paths before their neighbors).
      const grandparents = parents.filter((h) => this.stateOf(h) !== undefined && this.table.kind(h) === Kind.Path).map((h) => this.table.parent(h));
      this.pruneEmpty([...new Set([...offloadedParents, ...parents, ...grandparents])]);
    }
    if (this.listening('offloaded')) for (const h of good) this.emit('offloaded', { handle: h, kind: this.table.kind(h), key: this.table.describe(h).key });
    void this.send(pending);
  }

  // ---- terminate -------------------------------------------------------------------------------

  /** Terminates objects (and everything below them) for the application's reason; resolves when freed. */
  async terminate(handlesIn: ArrayLike<number>, reason: Reason | number = Reason.Application): Promise<void> {
    const handles = readOnce(handlesIn, 'terminate: handles');
    const batch = this.table.terminate(handles, reason);
    await this.send(batch);
    // Objects that had to wait (an initiate in flight below or at them) go later: wait for them too.
    for (let i = 0; i < handles.length; i++) {
      const h = handles[i]!;
      for (let inFlight = this.inFlightFor(h); inFlight; inFlight = this.inFlightFor(h)) await inFlight;
    }
  }

  /** The initiate or termination this host has in flight for a live object, if any. */
  private inFlightFor(handle: number): Promise<void> | undefined {
    const state = this.stateOf(handle);
    if (state === undefined) return undefined;
    return state === State.Terminating ? this.terminating.get(handle) : state === State.Offloading ? this.initiating.get(handle) : undefined;
  }

  /**
   * Hands a termination batch to the target; its completion frees the objects and sends orphans.
   * Whatever the target does, the objects are freed once the call ends: a connection whose state
   * did not come back is reported with `lost: true`. The one termination path: HostStack's own
   * decisions, the table's orphans and pending terminations, and the connection engine's policy
   * and close() all come through here.
   */
  private send(batch: TerminateBatch): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    const n = batch.length;
    // The blocks go to the target (which may keep or change them); the host keeps its own record.
    const blocks: TerminateBlock[] = new Array(n);
    const call = new CallRecord(n);
    const handles = call.handles;
    this.engine.terminating(batch, call.kinds, call.slots);
    for (let i = 0; i < n; i++) {
      const h = batch.handles[i]!;
      const kind = (call.kinds[i] as Kind) || this.engine.kindOf(h);
      const reason = batch.reasons[i]!;
      handles[i] = h;
      call.kinds[i] = kind;
      call.reasons[i] = reason;
      blocks[i] = { handle: h, kind, reason };
    }
    // Keys for the 'terminated' events, read now if someone listens (else at completion, if someone listens by then).
    const keys = this.listening('terminated') ? Array.from(handles, (h) => this.table.describe(h).key) : undefined;
    let id = 0;
    const done = this.calls
      .run('terminate', this.now, () => this.target.terminate(blocks))
      .then(
        (answer) => this.terminated(call, keys, readResults('terminate', handles, answer, (f) => this.fault(f)) ?? []),
        (failure) => {
          this.failure(failure, `the termination of ${n} object(s) failed; the host takes them back, and connections' state is lost`);
          return this.terminated(call, keys, []);
        },
      )
      .catch((error) => this.emit('error', { message: `applying a termination's completion failed: ${describe(error)}`, error }))
      .finally(() => this.terminating.finish(id, handles));
    id = this.terminating.add(handles, done);
    return this.calls.track(done);
  }

  private terminated(call: CallRecord, keys: ObjectInfo['key'][] | undefined, results: (ReadResult | undefined)[]): Promise<void> {
    const tell = this.listening('terminated');
    const live: number[] = [];
    const reasons: number[] = [];
    const states: (ReturnedNumbers | undefined)[] = [];
    const errors: (string | undefined)[] = [];
    const hints: number[] = [];
    const events: HostEvents['terminated'][] = [];
    for (let i = 0; i < call.handles.length; i++) {
      const b = { handle: call.handles[i]!, kind: call.kinds[i] as Kind, reason: call.reasons[i]! };
      // Only objects still Terminating can be freed; a completion for one already gone is reported.
      if (this.engine.stateOf(b.handle, call.slots[i]) !== State.Terminating) {
        this.emit('error', { message: `a termination completed for ${Kind[b.kind]} ${b.handle}, which is already gone`, handle: b.handle, fault: 'gone' });
        continue;
      }
      const r = results[i];
      if (r && !r.ok)
        this.emit('error', {
          message: `the target reported a failed termination of ${Kind[b.kind]} ${b.handle} (${r.error ?? 'no reason'}); the host takes it back anyway`,
          handle: b.handle,
          fault: 'failed',
        });
      // What came back, read once: copied for a 'terminated' event if someone listens, else only
      // the numbers the nothing-lost check needs (no object per segment, per connection).
      let state: ReturnedState | undefined;
      let numbers: ReturnedNumbers | undefined;
      if (b.kind === Kind.Connection) {
        if (tell) {
          state = returnedState(r);
          numbers = state && returnedNumbers({ ok: true, ...state });
        } else numbers = returnedNumbers(r);
        if (!numbers) {
          this.lost++;
          if (r?.ok)
            this.emit('error', {
              message: `the target terminated connection ${b.handle} without valid delegated state and data: they are lost`,
              handle: b.handle,
              fault: 'lost',
            });
        }
      }
      if (tell) {
        const event: HostEvents['terminated'] = { handle: b.handle, kind: b.kind, key: keys?.[i] ?? this.table.describe(b.handle).key, reason: b.reason };
        if (b.kind === Kind.Connection) Object.assign(event, state ?? { lost: true });
        events.push(event);
      }
      live.push(b.handle);
      reasons.push(b.reason);
      states.push(numbers);
      errors.push(r?.error);
      hints.push(call.slots[i]!);
    }
    // Free first, send what that orphans, then tell: inside a 'terminated' handler the object is
    // gone (its key can be offloaded again) and a parent leaving is already being terminated.
    const next = this.applyCompletion(() => this.table.completeTerminate(live), 'completeTerminate', live);
    for (let i = 0; i < live.length; i++) this.engine.completed(live[i]!, reasons[i]!, states[i], errors[i], hints[i]);
    for (const event of events) this.emit('terminated', event);
    return next;
  }

  /**
   * Runs a table completion and sends what it returns (orphans, pending terminations) as a batch.
   * If the table refuses the whole call, each of `handles` is completed on its own, in order, so
   * that one bad entry cannot leave the others stuck.
   */
  private applyCompletion(complete: () => TerminateBatch, what: string, handles?: readonly number[]): Promise<void> {
    try {
      return this.send(complete());
    } catch (error) {
      this.emit('error', { message: `${what} was refused by the table: ${describe(error)}`, error });
      if (!handles) return Promise.resolve();
      const sent: Promise<void>[] = [];
      for (const h of handles) {
        try {
          sent.push(this.send(this.table.completeTerminate([h])));
        } catch (e) {
          this.emit('error', { message: `${what} of ${h} was refused by the table: ${describe(e)}`, handle: h, error: e });
        }
      }
      return Promise.all(sent).then(() => undefined);
    }
  }

  // ---- traffic and time ------------------------------------------------------------------------

  /** A target's async traffic or trafficBatch rejected (the table counted the bytes already). */
  private readonly trafficRejected = (error: unknown): void =>
    this.emit('error', { message: `the target's traffic rejected: ${describe(error)}`, fault: 'rejected', error });

  /** Records application traffic on an offloaded connection (the target sees it too). */
  recordTraffic(handle: number, sentBytes: number, receivedBytes = 0): void {
    this.table.recordTraffic(handle, sentBytes, receivedBytes);
    if (!this.target.traffic || this.table.state(handle) !== State.Offloaded || this.table.pending(handle)) return;
    try {
      catchRejection(this.target.traffic(handle, sentBytes, receivedBytes), this.trafficRejected);
    } catch (error) {
      this.emit('error', { message: `the target's traffic threw: ${describe(error)}`, handle, fault: 'threw', error });
    }
  }

  /** Records traffic on many connections in one table call; the target sees that of Offloaded ones (in one call if it has trafficBatch). */
  recordTrafficBatch(handlesIn: ArrayLike<number>, sentIn: ArrayLike<number>, receivedIn?: ArrayLike<number>): void {
    // One read of each entry, so that the table and the target see the same numbers.
    const handles = readOnce(handlesIn, 'recordTrafficBatch: handles');
    const sentBytes = readOnce(sentIn, 'recordTrafficBatch: sentBytes');
    const receivedBytes = receivedIn === undefined ? undefined : readOnce(receivedIn, 'recordTrafficBatch: receivedBytes');
    this.table.recordTrafficBatch(handles, sentBytes, receivedBytes);
    if (!this.target.trafficBatch && !this.target.traffic) return;
    const n = handles.length;
    const h = new Float64Array(n);
    const sent = new Float64Array(n);
    const received = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const handle = handles[i]!;
      if (this.table.state(handle) !== State.Offloaded || this.table.pending(handle)) continue;
      h[k] = handle;
      sent[k] = sentBytes[i]!;
      received[k++] = receivedBytes ? receivedBytes[i]! : 0;
    }
    try {
      if (this.target.trafficBatch)
        catchRejection(this.target.trafficBatch(h.subarray(0, k), sent.subarray(0, k), received.subarray(0, k)), this.trafficRejected);
      else for (let i = 0; i < k; i++) catchRejection(this.target.traffic!(h[i]!, sent[i]!, received[i]!), this.trafficRejected);
    } catch (error) {
      this.emit('error', { message: `the target's traffic threw: ${describe(error)}`, fault: 'threw', error });
    }
  }

  /**
   * Moves the host's clock to `now` (ms): the clock moves (and a target running on it), calls the
   * target has not answered within targetTimeoutMs fail, links down past their grace lose their
   * objects, and connections quiet for long enough are terminated with LowActivity.
   * Returns how many connections the low-activity policy terminated.
   */
  tick(now: number): number {
    this.engine.enter('tick', false);
    if (typeof now !== 'number' || !Number.isFinite(now) || now < this.now) {
      invalid(`tick: now must be a finite time in ms, not before the previous tick (${this.now}), got ${typeName(now)}`);
    }
    this.now = now;
    // Standing traffic (steady()) counts first: as if traffic() had been called just before tick().
    this.engine.applyStanding(now);
    try {
      this.clock.advance(now);
    } catch (error) {
      this.emit('error', { message: `moving the clock to ${now} failed in a subscriber (e.g. the target): ${describe(error)}`, fault: 'threw', error });
    }
    this.calls.expire(now);
    for (const [ifIndex, due] of this.linkDown) {
      if (due <= now) {
        this.linkDown.set(ifIndex, Infinity);
        void this.send(this.table.terminateInterface(ifIndex, Reason.MediaDisconnect));
      }
    }
    let quiet = 0;
    if (this.policy.lowActivity) {
      const handles = this.table.tick(now, {
        thresholdBytesPerSecond: this.policy.lowActivity.threshold,
        windowMs: this.policy.lowActivity.windowMs,
        quietMs: this.policy.lowActivity.quietMs,
      });
      if (handles.length) void this.send(this.table.terminate(handles, Reason.LowActivity));
      quiet = handles.length;
    }
    this.engine.tick(now);
    return quiet;
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

  /**
   * A neighbor or path is no longer valid: the target is told, then it and its dependents are
   * terminated. The termination goes ahead whatever the invalidate call's outcome (a failure is an
   * `error` event).
   */
  async invalidate(handle: number): Promise<void> {
    const kind = this.table.kind(handle);
    if (kind === Kind.Connection) throw new OffloadError(ErrorCode.WrongKind, 'invalidate: only a neighbor or a path can be invalidated', undefined, handle);
    const batch = this.table.terminate([handle], Reason.Invalidated);
    try {
      const answer = await this.calls.run('invalidate', this.now, () => this.target.invalidate([{ handle, kind, reason: Reason.Invalidated }]));
      const r = readResults('invalidate', [handle], answer, (f) => this.fault(f))?.[0];
      if (r && !r.ok)
        this.emit('error', {
          message: `the target refused to invalidate ${Kind[kind]} ${handle} (${r.error ?? 'no reason'}); it is terminated anyway`,
          handle,
          fault: 'failed',
        });
    } catch (failure) {
      this.failure(failure, `the invalidate of ${Kind[kind]} ${handle} failed; it is terminated anyway`);
    }
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

  /**
   * Moves a path (and its connections) under another neighbor, and tells the target. The old
   * neighbor is terminated (Orphaned) if nothing else depends on it.
   */
  relinkPath(path: number, neighbor: number): Promise<void> {
    const old = this.table.parent(path);
    this.table.relinkPath(path, neighbor);
    const told = this.update({ handle: path, kind: Kind.Path, neighbor });
    if (old !== neighbor) this.pruneEmpty([old]);
    return told;
  }

  /**
   * Pushes a CACHED variable to the target. The host owns these, so the table keeps the new value
   * whatever the target says; a refusal or a failed call is an `error` event, and this resolves.
   */
  private async update(block: UpdateBlock): Promise<void> {
    try {
      const answer = await this.calls.run('update', this.now, () => this.target.update([{ ...block }]));
      const r = readResults('update', [block.handle], answer, (f) => this.fault(f))?.[0];
      if (r && !r.ok)
        this.emit('error', {
          message: `the target refused an update of ${Kind[block.kind]} ${block.handle}: ${r.error ?? 'no reason'}`,
          handle: block.handle,
          fault: 'failed',
        });
    } catch (failure) {
      this.failure(failure, `the update of ${Kind[block.kind]} ${block.handle} failed; the host keeps the new value`);
    }
  }

  /** A connection's delegated state, read from the target without terminating it. */
  async query(handle: number): Promise<DelegatedState> {
    if (this.table.kind(handle) !== Kind.Connection || this.table.state(handle) !== State.Offloaded) {
      throw new OffloadError(ErrorCode.WrongState, 'query: only an Offloaded connection has delegated state to read', undefined, handle);
    }
    let state: DelegatedState | undefined;
    let why = 'no result';
    try {
      const answer = await this.calls.run('query', this.now, () => this.target.query([handle]));
      const r = readResults('query', [handle], answer, (f) => this.fault(f))?.[0];
      state = returnedState(r && { ...r, received: undefined, unacknowledged: undefined })?.delegated;
      if (r && !state) why = r.ok ? 'its delegated state is not valid' : (r.error ?? 'it failed');
    } catch (failure) {
      this.failure(failure, `the query of connection ${handle} failed`);
      why = describe(failure);
    }
    if (!state) throw new OffloadError(ErrorCode.WrongState, `query: the target could not answer (${why})`, undefined, handle);
    return state;
  }

  /**
   * Resolves once nothing is in flight: every call to the target answered or failed, and its
   * outcome applied. A call the target never answers fails once tick(now) passes its timeout.
   */
  async idle(): Promise<void> {
    await this.calls.idle();
  }

  /** The host's own state: what limits offloads now, calls in flight, connections reported lost. */
  status(): { paused: boolean; targetPaused: boolean; linksDown: number[]; capacity: number; inFlight: number; lost: number } {
    return {
      paused: this.paused,
      targetPaused: this.targetPaused,
      linksDown: [...this.linkDown.keys()],
      capacity: this.capacity,
      inFlight: this.calls.size,
      lost: this.lost,
    };
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /**
   * The target's indications, handled here. Each checks its arguments (bad ones are an `error`
   * event and change nothing) and never throws back into the target.
   */
  private indications(): TargetEvents {
    const guard =
      <A extends unknown[]>(name: string, handle: (...args: A) => void) =>
      (...args: A): void => {
        try {
          handle(...args);
        } catch (error) {
          this.emit('error', { message: `handling the target's ${name} indication failed: ${describe(error)}`, fault: 'indication', error });
        }
      };
    const bad = (name: string, why: string, handle?: number) => {
      this.emit('error', { message: `the target's ${name} indication was ignored: ${why}`, fault: 'indication', ...(handle !== undefined ? { handle } : {}) });
    };
    const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    return {
      uploadRequested: guard('uploadRequested', (handle: unknown, reason: unknown) => {
        if (typeof reason !== 'number' || !(reason in UploadReason)) return bad('uploadRequested', `${typeName(reason)} is not an UploadReason`);
        if (!this.isConnection(handle)) {
          return bad('uploadRequested', `${typeName(handle)} is not an offloaded connection`, typeof handle === 'number' ? handle : undefined);
        }
        if (MUST_HONOUR.has(reason) || this.policy.honorAdvisory.has(reason)) void this.send(this.table.terminate([handle], Reason.TargetRequested));
      }),
      uploadAll: guard('uploadAll', () => {
        this.targetPaused = true;
        void this.send(this.table.terminateAll(Reason.TargetRequested));
      }),
      offloadPause: guard('offloadPause', () => {
        this.targetPaused = true;
      }),
      offloadResume: guard('offloadResume', () => {
        this.targetPaused = false;
      }),
      link: guard('link', (ifIndex: unknown, up: unknown) => {
        if (typeof ifIndex !== 'number' || !Number.isInteger(ifIndex) || ifIndex < 0 || ifIndex > 0xffffffff)
          return bad('link', `ifIndex ${typeName(ifIndex)} is not an interface index (0..2^32-1)`);
        if (typeof up !== 'boolean') return bad('link', `up must be true or false, got ${typeName(up)}`);
        this.emit('link', { ifIndex, up });
        if (up) {
          this.linkDown.delete(ifIndex);
          return;
        }
        if (this.linkDown.has(ifIndex)) return;
        this.linkDown.set(ifIndex, this.now + this.policy.mediaDisconnectGraceMs);
        if (this.policy.mediaDisconnectGraceMs === 0) {
          this.linkDown.set(ifIndex, Infinity);
          void this.send(this.table.terminateInterface(ifIndex, Reason.MediaDisconnect));
        }
      }),
      capacity: guard('capacity', (connections: unknown) => {
        if (!isCount(connections)) return bad('capacity', `${typeName(connections)} is not a number of connections`);
        this.capacity = connections;
      }),
      // The busiest indication (a simulated target delivers for every offloaded connection at every
      // tick): no rest-argument wrapper, and deliveredBatch for a whole tick's deliveries at once.
      delivered: (handle: unknown, bytes: unknown): void => {
        try {
          this.deliveredOne(handle, bytes, this.listening('delivered'));
        } catch (error) {
          this.emit('error', { message: `handling the target's delivered indication failed: ${describe(error)}`, fault: 'indication', error });
        }
      },
      deliveredBatch: (handles: unknown, bytes: unknown, count?: unknown): void => {
        try {
          if (!isArrayLike(handles) || !isArrayLike(bytes)) {
            bad('deliveredBatch', `handles and bytes must be arrays or typed arrays, got ${typeName(handles)} and ${typeName(bytes)}`);
            return;
          }
          const most = Math.min(handles.length, bytes.length);
          if (count === undefined ? handles.length !== bytes.length : !(Number.isInteger(count) && (count as number) >= 0 && (count as number) <= most)) {
            bad('deliveredBatch', `count must be an integer 0..${most} (or omitted, with arrays of one length), got ${typeName(count)}`);
            return;
          }
          const n = count === undefined ? most : (count as number);
          const tell = this.listening('delivered');
          // The engine takes the run of entries it knows (its connections, a number of bytes) in
          // one loop; anything else (another connection, a bad entry) goes through deliveredOne.
          if (tell) for (let i = 0; i < n; i++) this.deliveredOne(handles[i], bytes[i], true);
          else
            for (let i = this.engine.deliveredBatch(handles, bytes, 0, n); i < n; i = this.engine.deliveredBatch(handles, bytes, i + 1, n))
              this.deliveredOne(this.engine.untakenHandle, this.engine.untakenBytes, false);
        } catch (error) {
          this.emit('error', { message: `handling the target's deliveredBatch indication failed: ${describe(error)}`, fault: 'indication', error });
        }
      },
    };
  }

  /**
   * Received data reached the host: the engine's own connections are known without a table call,
   * and no event object is made unless someone listens (`tell`).
   */
  private deliveredOne(handle: unknown, bytes: unknown, tell: boolean): void {
    let why: string;
    if (!(typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes >= 0)) why = `${typeName(bytes)} is not a number of bytes`;
    else if (this.engine.delivered(handle, bytes) || this.isConnection(handle)) {
      if (tell) this.emit('delivered', { handle: handle as number, bytes });
      return;
    } else why = `${typeName(handle)} is not an offloaded connection`;
    this.emit('error', {
      message: `the target's delivered indication was ignored: ${why}`,
      fault: 'indication',
      ...(typeof handle === 'number' ? { handle } : {}),
    });
  }

  /** A target fault as an `error` event. */
  private fault(f: FaultReport): void {
    this.emit('error', {
      message: f.message,
      fault: f.fault,
      ...(f.handle !== undefined ? { handle: f.handle } : {}),
      ...(f.error !== undefined ? { error: f.error } : {}),
    });
  }

  /** A failed call (CallFailed, or anything thrown while applying it) as an `error` event: what failed, and what the host did. */
  private failure(failure: unknown, consequence: string): void {
    const f = failure instanceof CallFailed ? failure : new CallFailed('threw', describe(failure), failure);
    this.emit('error', { message: `${f.message}: ${consequence}`, fault: f.fault, error: f.cause ?? f });
  }

  /** True if `handle` names a live connection in the table (one table call: delivered data comes often). */
  private isConnection(handle: unknown): handle is number {
    if (typeof handle !== 'number') return false;
    try {
      return this.table.kind(handle) === Kind.Connection;
    } catch (error) {
      if (error instanceof OffloadError) return false;
      throw error;
    }
  }

  /** The state of a handle, or undefined if it is stale (or not a handle at all). */
  private stateOf(handle: number): State | undefined {
    try {
      return this.table.state(handle);
    } catch (error) {
      if (error instanceof OffloadError && (error.code === ErrorCode.StaleHandle || error.code === ErrorCode.InvalidArgument)) return undefined;
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

  // ---- connections that live in the host (the policy lab) --------------------------------------

  /**
   * Opens connections in the host (in software): the `opened` columns of a TickBatch
   * (src/sim/source.ts). Returns their ids, in order; an id is never reused. The offload policy
   * decides at tick() which of them go to the target.
   */
  open(opened: OpenedColumns): Float64Array {
    return this.engine.open(opened);
  }

  /**
   * Bytes moved on open connections since the last call (entry i: ids[i] sent sent[i], received
   * received[i]). They count as offloaded bytes if the connection is Offloaded now, else as software
   * bytes, and reach the target for Offloaded ones. All or none: a bad entry throws and changes nothing.
   */
  traffic(ids: ArrayLike<number>, sent: ArrayLike<number>, received: ArrayLike<number>, count?: number): void {
    this.engine.traffic(ids, sent, received, count);
  }

  /**
   * Standing traffic: from now on every tick() counts `sent[i]` and `received[i]` bytes on
   * connection `ids[i]`, exactly as if traffic() had been called with them just before that tick(),
   * until changed by another steady() call. (0, 0) stops it; close() stops it too. Entries apply in
   * order (an id given twice keeps its last rate). For a connection that moves the same bytes
   * every tick, one call replaces a traffic() entry per tick; traffic() still adds one-off bytes on
   * top. All or none: a bad entry throws OffloadError(InvalidArgument) and changes nothing.
   */
  steady(ids: ArrayLike<number>, sent: ArrayLike<number>, received: ArrayLike<number>, count?: number): void {
    this.engine.steady(ids, sent, received, count);
  }

  /**
   * Closes connections: one in software is gone at once; one on the target is terminated with
   * Reason.Application (after the bytes already passed to traffic()) and gone once handed back.
   */
  close(ids: ArrayLike<number>, count?: number): void {
    this.engine.close(ids, count);
  }

  /** The host's connections as columns (read-only; the arrays are replaced when they grow). */
  get connections(): ConnectionColumns {
    return this.engine.columns;
  }

  /** The offload policy in use. */
  get offloadPolicy(): OffloadPolicy {
    return this.engine.policy;
  }

  /** What the host knows about its connections so far: bytes, churn, waste, time to offload, nothing-lost. */
  metrics(): HostMetrics {
    return this.engine.metrics();
  }

  /**
   * Resolves once the completions the target has delivered so far are applied (one macrotask
   * turn). Call it between ticks: a simulated target completes calls when its clock moves, and
   * their effects reach the host's columns on the microtasks that follow.
   */
  settle(): Promise<void> {
    return nextTurn();
  }
}
