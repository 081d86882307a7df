// SimulatedTarget: the embedded default OffloadTarget. It holds what the host offloads up to a
// capacity, completes calls after a latency (so completions can arrive out of order), injects
// faults, and keeps per-connection TCP state advanced by the traffic the host records: sends wait
// in order until the peer acknowledges them, received data waits in order until it is delivered.
// On terminate it hands back exactly the DELEGATED variables with both queues, in order.
//
// Time is the host's: calls complete when advance(now) passes their due time (at once, on a
// microtask, with no latency). Randomness comes from one seeded generator, so a run replays.

import { Kind, UploadReason } from './enums.js';
import { invalid } from './errors.js';
import { requireInt, requireObject } from './validate.js';
import { seededRandom } from './random.js';
import type {
  OffloadTarget, TargetEvents, InitiateBlock, TerminateBlock, TerminateResult, BlockStatus, UpdateBlock,
  QueryResult, DelegatedState, Segment,
} from './target.js';

export interface SimulatedTargetOptions {
  /** Most connections it holds (default 4096). */
  capacity?: number;
  /** Completion latency in ms, fixed or drawn per call from [min, max] (default 0). */
  latencyMs?: number | { min: number; max: number };
  /** Seed of the generator behind latencies, faults and the traffic model (default 1). */
  seed?: number;
  faults?: {
    /** Probability that one initiate block fails (its dependents in the call fail with it). */
    initiateFailure?: number;
    /** Probability per advance() that one connection reports a hardware failure. */
    hardwareFailure?: number;
    /** Probability per advance() that one connection asks for an upload, for a random reason. */
    uploadRequests?: number;
  };
  /** Probability per advance() that a connection's posted receive buffers take its buffered data (default 0.5). */
  deliverProbability?: number;
}

interface Held {
  kind: Kind;
  parent: number;
}

/** One offloaded connection's TCP state. Sequence numbers are plain numbers (no wrap modelled). */
class TcpConnection {
  sndUna: number;
  sndNxt: number;
  rcvNxt: number;
  /** Received bytes before this were delivered to the host. */
  delivered: number;
  sndWnd = 65535;
  cWnd = 14600;
  ssThresh = 65535;
  sRtt = 0;
  rttVar = 0;
  readonly unacknowledged: Segment[] = [];
  readonly received: Segment[] = [];

  constructor(tcp: { sndUna: number; sndNxt: number; rcvNxt: number }) {
    this.sndUna = tcp.sndUna;
    this.sndNxt = tcp.sndNxt;
    this.rcvNxt = tcp.rcvNxt;
    this.delivered = tcp.rcvNxt;
    // Bytes the host had sent but not had acknowledged come along as unacknowledged data.
    if (tcp.sndNxt > tcp.sndUna) this.unacknowledged.push({ seq: tcp.sndUna, length: tcp.sndNxt - tcp.sndUna });
  }

  /** Appends `length` bytes at the end of a queue of contiguous segments. */
  private static append(queue: Segment[], seq: number, length: number): void {
    if (length <= 0) return;
    const last = queue[queue.length - 1];
    if (last && last.seq + last.length === seq) last.length += length;
    else queue.push({ seq, length });
  }

  /** Takes `bytes` from the head of a queue; returns how many it took. */
  private static take(queue: Segment[], bytes: number): number {
    let taken = 0;
    while (taken < bytes && queue.length) {
      const head = queue[0]!;
      const n = Math.min(head.length, bytes - taken);
      head.seq += n;
      head.length -= n;
      taken += n;
      if (head.length === 0) queue.shift();
    }
    return taken;
  }

  send(bytes: number): void {
    TcpConnection.append(this.unacknowledged, this.sndNxt, bytes);
    this.sndNxt += bytes;
  }

  receive(bytes: number): void {
    TcpConnection.append(this.received, this.rcvNxt, bytes);
    this.rcvNxt += bytes;
  }

  /** The peer acknowledges `bytes` of what is outstanding, after a round trip of `rtt` ms. */
  acknowledge(bytes: number, rtt: number): void {
    const acked = TcpConnection.take(this.unacknowledged, bytes);
    this.sndUna += acked;
    if (acked === 0) return;
    // RFC 6298 smoothing, and slow start / congestion avoidance.
    if (this.sRtt === 0) {
      this.sRtt = rtt;
      this.rttVar = rtt / 2;
    } else {
      this.rttVar = 0.75 * this.rttVar + 0.25 * Math.abs(this.sRtt - rtt);
      this.sRtt = 0.875 * this.sRtt + 0.125 * rtt;
    }
    this.cWnd += this.cWnd < this.ssThresh ? Math.min(acked, 1460) : Math.max(1, Math.floor((1460 * 1460) / this.cWnd));
  }

  /** Delivers buffered received data to the host; returns how many bytes. */
  deliver(bytes: number): number {
    const n = TcpConnection.take(this.received, bytes);
    this.delivered += n;
    return n;
  }

  delegated(): DelegatedState {
    const outstanding = this.sndNxt > this.sndUna;
    return {
      sndUna: this.sndUna, sndNxt: this.sndNxt, rcvNxt: this.rcvNxt, sndWnd: this.sndWnd, cWnd: this.cWnd,
      ssThresh: this.ssThresh, sRtt: this.sRtt, rttVar: this.rttVar,
      timers: {
        retransmit: outstanding ? Math.max(200, Math.round(this.sRtt + 4 * this.rttVar)) : null,
        keepalive: 7_200_000,
        delayedAck: this.received.length ? 200 : null,
      },
    };
  }
}

interface Scheduled {
  due: number;
  order: number;
  run: () => void;
}

const ALL_UPLOAD_REASONS = Object.values(UploadReason).filter((v): v is UploadReason => typeof v === 'number');

export class SimulatedTarget implements OffloadTarget {
  capacity: number;
  private events: TargetEvents | undefined;
  private readonly random: () => number;
  private readonly latency: { min: number; max: number };
  private readonly faults: Required<NonNullable<SimulatedTargetOptions['faults']>>;
  private readonly deliverProbability: number;
  private readonly held = new Map<number, Held>();
  private readonly tcp = new Map<number, TcpConnection>();
  private queue: Scheduled[] = [];
  private order = 0;
  private now = 0;
  /** Calls handed to it so far, by kind, for reports. */
  readonly calls = { initiate: 0, terminate: 0, update: 0, query: 0, invalidate: 0 };
  /** Latency of each terminated block, ms from the terminate call to its completion. */
  readonly terminateLatencies: number[] = [];

  constructor(options: SimulatedTargetOptions = {}) {
    requireObject(options, 'SimulatedTarget', 'options');
    this.capacity = options.capacity === undefined ? 4096 : requireInt(options.capacity, 0, 2 ** 31, 'SimulatedTarget: capacity');
    const latency = options.latencyMs ?? 0;
    this.latency = typeof latency === 'number' ? { min: latency, max: latency } : latency;
    if (!(this.latency.min >= 0 && this.latency.max >= this.latency.min)) invalid('SimulatedTarget: latencyMs must be >= 0, or { min, max } with 0 <= min <= max');
    this.random = seededRandom(options.seed ?? 1);
    const probability = (v: unknown, what: string) => {
      if (v === undefined) return 0;
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) invalid(`SimulatedTarget: ${what} must be a probability 0..1, got ${String(v)}`);
      return v;
    };
    const f = options.faults ?? {};
    this.faults = {
      initiateFailure: probability(f.initiateFailure, 'faults.initiateFailure'),
      hardwareFailure: probability(f.hardwareFailure, 'faults.hardwareFailure'),
      uploadRequests: probability(f.uploadRequests, 'faults.uploadRequests'),
    };
    this.deliverProbability = options.deliverProbability === undefined ? 0.5 : probability(options.deliverProbability, 'deliverProbability');
  }

  attach(events: TargetEvents): void {
    if (this.events) invalid('SimulatedTarget: a host stack is attached already');
    this.events = events;
  }

  // ---- calls from the host ---------------------------------------------------------------------

  initiate(blocks: InitiateBlock[]): Promise<BlockStatus[]> {
    this.calls.initiate++;
    return this.later(() => {
      const failed = new Set<number>();
      return blocks.map((b): BlockStatus => {
        const parent = b.kind === Kind.Path ? b.neighbor : b.kind === Kind.Connection ? b.path : 0;
        const why = parent && (failed.has(parent) || !this.held.has(parent)) ? 'its parent is not offloaded'
          : b.kind === Kind.Connection && this.tcp.size >= this.capacity ? 'no capacity left'
            : this.random() < this.faults.initiateFailure ? 'injected fault' : undefined;
        if (why) {
          failed.add(b.handle);
          return { handle: b.handle, ok: false, error: why };
        }
        this.held.set(b.handle, { kind: b.kind, parent });
        if (b.kind === Kind.Connection) this.tcp.set(b.handle, new TcpConnection(b.tcp));
        return { handle: b.handle, ok: true };
      });
    });
  }

  terminate(blocks: TerminateBlock[]): Promise<TerminateResult[]> {
    this.calls.terminate++;
    const issued = this.now;
    return this.later(() => {
      for (let i = 0; i < blocks.length; i++) this.terminateLatencies.push(this.now - issued);
      return this.complete(blocks);
    });
  }

  /** The results of a terminate call, computed when it completes. */
  private complete(blocks: TerminateBlock[]): TerminateResult[] {
    return blocks.map((b): TerminateResult => {
      if (!this.held.delete(b.handle)) return { handle: b.handle, ok: false, error: 'not offloaded here' };
      const c = this.tcp.get(b.handle);
      if (!c) return { handle: b.handle, ok: true };
      this.tcp.delete(b.handle);
      return {
        handle: b.handle, ok: true, delegated: c.delegated(),
        received: c.received.map((s) => ({ ...s })), unacknowledged: c.unacknowledged.map((s) => ({ ...s })),
      };
    });
  }

  update(blocks: UpdateBlock[]): Promise<BlockStatus[]> {
    this.calls.update++;
    return this.later(() =>
      blocks.map((b) => {
        const held = this.held.get(b.handle);
        if (!held) return { handle: b.handle, ok: false, error: 'not offloaded here' };
        if (b.neighbor !== undefined) held.parent = b.neighbor;
        return { handle: b.handle, ok: true };
      }),
    );
  }

  query(handles: number[]): Promise<QueryResult[]> {
    this.calls.query++;
    return this.later(() =>
      handles.map((h) => {
        const c = this.tcp.get(h);
        return c ? { handle: h, ok: true, delegated: c.delegated() } : { handle: h, ok: false, error: 'no such offloaded connection' };
      }),
    );
  }

  invalidate(blocks: TerminateBlock[]): Promise<BlockStatus[]> {
    this.calls.invalidate++;
    return this.later(() => blocks.map((b) => ({ handle: b.handle, ok: this.held.has(b.handle) })));
  }

  traffic(handle: number, sentBytes: number, receivedBytes: number): void {
    const c = this.tcp.get(handle);
    if (!c) return;
    c.send(sentBytes);
    c.receive(receivedBytes);
  }

  /**
   * Moves the clock to `now`: completes the calls now due (earliest first), lets peers acknowledge
   * and receive buffers take data, and injects the configured faults.
   */
  advance(now: number): void {
    this.runDue(Math.max(this.now, now));
    for (const [handle, c] of this.tcp) {
      const outstanding = c.sndNxt - c.sndUna;
      if (outstanding > 0) c.acknowledge(Math.floor(outstanding * this.random()), 1 + this.random() * 50);
      if (c.received.length && this.random() < this.deliverProbability) {
        const n = c.deliver(Math.ceil((c.rcvNxt - c.delivered) * this.random()));
        if (n) this.events?.delivered(handle, n);
      }
    }
    if (this.tcp.size && this.random() < this.faults.hardwareFailure) this.events?.uploadRequested(this.pick(), UploadReason.HardwareFailure);
    if (this.tcp.size && this.random() < this.faults.uploadRequests) {
      this.events?.uploadRequested(this.pick(), ALL_UPLOAD_REASONS[Math.floor(this.random() * ALL_UPLOAD_REASONS.length)]!);
    }
  }

  /** Completes every call in flight, however far in the future it is due. */
  flush(): void {
    while (this.queue.length) this.runDue(Math.max(this.now, this.queue[this.queue.length - 1]!.due));
  }

  /** Calls waiting for their completion. */
  get pending(): number {
    return this.queue.length;
  }

  /** Connections it holds now. */
  get connections(): number {
    return this.tcp.size;
  }

  // ---- indications, for tests and simulations --------------------------------------------------

  linkDown(ifIndex: number): void {
    this.attached().link(ifIndex, false);
  }
  linkUp(ifIndex: number): void {
    this.attached().link(ifIndex, true);
  }
  requestUpload(handle: number, reason: UploadReason): void {
    this.attached().uploadRequested(handle, reason);
  }
  requestUploadAll(): void {
    this.attached().uploadAll();
  }
  pauseOffload(): void {
    this.attached().offloadPause();
  }
  resumeOffload(): void {
    this.attached().offloadResume();
  }
  setCapacity(connections: number): void {
    this.capacity = requireInt(connections, 0, 2 ** 31, 'setCapacity: connections');
    this.attached().capacity(this.capacity);
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private attached(): TargetEvents {
    if (!this.events) invalid('SimulatedTarget: no host stack is attached (HostStack.create attaches one)');
    return this.events;
  }

  /** A random connection it holds. */
  private pick(): number {
    const i = Math.floor(this.random() * this.tcp.size);
    let n = 0;
    for (const h of this.tcp.keys()) if (n++ === i) return h;
    return 0;
  }

  /** Runs `complete` after the latency (its result computed then) and resolves with it. */
  private later<T>(complete: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const delay = this.latency.min + (this.latency.max - this.latency.min) * this.random();
      const run = () => {
        try {
          resolve(complete());
        } catch (error) {
          reject(error);
        }
      };
      if (delay === 0) {
        queueMicrotask(run);
        return;
      }
      const item = { due: this.now + delay, order: this.order++, run };
      // Keep the queue sorted by due time (then order): completions run earliest first.
      let i = this.queue.length;
      while (i > 0 && (this.queue[i - 1]!.due > item.due || (this.queue[i - 1]!.due === item.due && this.queue[i - 1]!.order > item.order))) i--;
      this.queue.splice(i, 0, item);
    });
  }

  /** Moves the clock to `until`, running the calls due by then, each at its own due time. */
  private runDue(until: number): void {
    while (this.queue.length && this.queue[0]!.due <= until) {
      const item = this.queue.shift()!;
      this.now = Math.max(this.now, item.due);
      item.run();
    }
    this.now = until;
  }
}
