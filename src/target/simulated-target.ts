// SimulatedTarget: the embedded default OffloadTarget. It holds what the host offloads up to a
// capacity, completes calls after a latency (so completions can arrive out of order), injects
// faults, and keeps per-connection TCP state advanced by the traffic the host records: sends wait
// in order until the peer acknowledges them, received data waits in order until it is delivered.
// On terminate it hands back exactly the DELEGATED variables with both queues, in order.
//
// Time is injected: calls complete when the clock it was given (`options.clock`, shared with the
// HostStack, whose tick(now) moves it) passes their due time; with no latency, on a microtask.
// Randomness comes from one seeded generator, so a run replays. TCP state lives in typed-array
// columns (src/target/tcp-columns.ts), not in an object per connection. The indications it makes
// when told to (linkDown, setCapacity...) are TargetIndications' (src/target/indications.ts).

import { Kind, UploadReason } from '../table/enums.js';
import { invalid } from '../table/errors.js';
import { typeName } from '../table/address.js';
import { batchCount, readIntegers, requireInt, requireObject } from '../table/validate.js';
import { seededRandom, type SeededRandom } from '../util/random.js';
import { ManualClock, isClock, type Clock } from './clock.js';
import { TcpColumns } from './tcp-columns.js';
import { HandleIndex } from './handle-index.js';
import { TargetIndications } from './indications.js';
import type { OffloadTarget, InitiateBlock, TerminateBlock, TerminateResult, BlockStatus, UpdateBlock, QueryResult } from './offload-target.js';

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
    /** Probability per clock step that one connection reports a hardware failure. */
    hardwareFailure?: number;
    /** Probability per clock step that one connection asks for an upload, for a random reason. */
    uploadRequests?: number;
  };
  /** Probability per clock step that a connection's posted receive buffers take its buffered data (default 0.5). */
  deliverProbability?: number;
  /** The clock it runs on (default: its own ManualClock; HostStack.create drives a target's clock). */
  clock?: Clock;
}

interface Scheduled {
  due: number;
  order: number;
  run: () => void;
}

const ALL_UPLOAD_REASONS = Object.values(UploadReason).filter((v): v is UploadReason => typeof v === 'number');
const OPTION_NAMES = new Set(['capacity', 'latencyMs', 'seed', 'faults', 'deliverProbability', 'clock']);

export class SimulatedTarget extends TargetIndications implements OffloadTarget {
  capacity: number;
  /** The clock it runs on; HostStack.create uses it as the host's clock unless given another. */
  readonly clock: Clock;
  private readonly random: SeededRandom;
  private readonly latency: { min: number; max: number };
  private readonly faults: Required<NonNullable<SimulatedTargetOptions['faults']>>;
  private readonly deliverProbability: number;
  /** Neighbors and paths it holds (a set: handle -> 1), typed arrays with no boxed key per lookup. */
  private readonly parents = new HandleIndex();
  private readonly tcp = new TcpColumns();
  private readonly onDelivered = (handle: number, bytes: number) => this.events?.delivered(handle, bytes);
  /** steady()'s entries, read once and checked before any applies. */
  private readonly steadyInput = new SteadyInput();
  private queue: Scheduled[] = [];
  private order = 0;
  private now: number;
  /** Calls handed to it so far, by kind, for reports. */
  readonly calls = { initiate: 0, terminate: 0, update: 0, query: 0, invalidate: 0 };
  /** Latency of each terminated block, ms from the terminate call to its completion. */
  readonly terminateLatencies: number[] = [];

  constructor(options: SimulatedTargetOptions = {}) {
    super('SimulatedTarget');
    requireObject(options, 'SimulatedTarget', 'options');
    for (const name of Object.keys(options))
      if (!OPTION_NAMES.has(name)) invalid(`SimulatedTarget: unknown option '${name}' (known: ${[...OPTION_NAMES].join(', ')})`);
    this.capacity = options.capacity === undefined ? 4096 : requireInt(options.capacity, 0, 2 ** 31, 'SimulatedTarget: capacity');
    const latency = options.latencyMs ?? 0;
    this.latency = typeof latency === 'number' ? { min: latency, max: latency } : latency;
    if (!(this.latency.min >= 0 && this.latency.max >= this.latency.min && Number.isFinite(this.latency.max))) {
      invalid('SimulatedTarget: latencyMs must be a finite number >= 0, or { min, max } with 0 <= min <= max');
    }
    this.random = seededRandom(options.seed === undefined ? 1 : requireInt(options.seed, 0, 2 ** 32 - 1, 'SimulatedTarget: seed'));
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
    if (options.clock !== undefined && !isClock(options.clock))
      invalid(`SimulatedTarget: clock must be a Clock (e.g. new ManualClock()), got ${typeName(options.clock)}`);
    this.clock = options.clock ?? new ManualClock();
    this.now = this.clock.now;
    this.clock.subscribe((now) => this.step(now));
  }

  // ---- calls from the host ---------------------------------------------------------------------

  initiate(blocks: InitiateBlock[]): Promise<BlockStatus[]> {
    this.calls.initiate++;
    return this.later(() => {
      let failed: Set<number> | undefined; // made at the first failure
      return blocks.map((b): BlockStatus => {
        const parent = b.kind === Kind.Path ? b.neighbor : b.kind === Kind.Connection ? b.path : 0;
        // Its index keeps 0 for "empty" and cannot find NaN: such a block would be held for good.
        const why = !(Number.isSafeInteger(b.handle) && b.handle > 0)
          ? 'not a handle (a safe integer above 0)'
          : parent && (failed?.has(parent) || !this.holdsParent(parent))
            ? 'its parent is not offloaded'
            : this.holds(b.handle)
              ? 'offloaded here already'
              : b.kind === Kind.Connection && this.tcp.count >= this.capacity
                ? 'no capacity left'
                : this.random() < this.faults.initiateFailure
                  ? 'injected fault'
                  : undefined;
        if (why) {
          (failed ??= new Set()).add(b.handle);
          return { handle: b.handle, ok: false, error: why };
        }
        if (b.kind === Kind.Connection) this.tcp.add(b.handle, parent, b.tcp);
        else this.parents.set(b.handle, 1);
        return { handle: b.handle, ok: true };
      });
    });
  }

  terminate(blocks: TerminateBlock[]): Promise<TerminateResult[]> {
    this.calls.terminate++;
    const issued = this.now;
    return this.later(() => {
      for (let i = 0; i < blocks.length; i++) this.terminateLatencies.push(this.now - issued);
      return blocks.map((b) => this.upload(b.handle));
    });
  }

  /** Gives one object back: a connection with its delegated state and both queues. */
  private upload(handle: number): TerminateResult {
    const s = this.tcp.slot(handle);
    if (s < 0) return this.holdsParent(handle) && this.parents.delete(handle) ? { handle, ok: true } : { handle, ok: false, error: 'not offloaded here' };
    const result = { handle, ok: true, delegated: this.tcp.delegatedState(s), received: this.tcp.received(s), unacknowledged: this.tcp.unacknowledged(s) };
    this.tcp.remove(handle);
    return result;
  }

  update(blocks: UpdateBlock[]): Promise<BlockStatus[]> {
    this.calls.update++;
    return this.later(() =>
      blocks.map((b) => {
        if (!this.holds(b.handle)) return { handle: b.handle, ok: false, error: 'not offloaded here' };
        return { handle: b.handle, ok: true };
      }),
    );
  }

  query(handles: number[]): Promise<QueryResult[]> {
    this.calls.query++;
    return this.later(() =>
      handles.map((h) => {
        const s = this.tcp.slot(h);
        return s >= 0 ? { handle: h, ok: true, delegated: this.tcp.delegatedState(s) } : { handle: h, ok: false, error: 'no such offloaded connection' };
      }),
    );
  }

  invalidate(blocks: TerminateBlock[]): Promise<BlockStatus[]> {
    this.calls.invalidate++;
    return this.later(() => blocks.map((b) => ({ handle: b.handle, ok: this.holds(b.handle) })));
  }

  traffic(handle: number, sentBytes: number, receivedBytes: number): void {
    const s = this.tcp.slot(handle);
    if (s >= 0) this.tcp.traffic(s, sentBytes, receivedBytes);
  }

  /** Traffic on many connections at once; handles it does not hold are skipped. */
  trafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void {
    this.tcp.trafficBatch(handles, sentBytes, receivedBytes);
  }

  /**
   * Standing traffic (OffloadTarget.steady): from the next clock step on, each step adds
   * sentBytes[i] and receivedBytes[i] to connection handles[i] before the peer's acknowledgements,
   * until changed; (0, 0) stops it, and so does the connection's termination. Handles it does not
   * hold are skipped. Checked first: bad input throws InvalidArgument and changes nothing.
   */
  steady(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes: ArrayLike<number>, count?: number): void {
    const input = this.steadyInput;
    const n = input.read('SimulatedTarget.steady', handles, sentBytes, receivedBytes, count);
    this.tcp.steady(input.handles, input.sent, input.received, n);
  }

  /** Moves its clock to `now` (a shorthand for `clock.advance(now)`). */
  advance(now: number): void {
    this.clock.advance(now);
  }

  /**
   * The clock moved to `now`: completes the calls now due (earliest first), lets peers acknowledge
   * and receive buffers take data, and injects the configured faults.
   */
  private step(now: number): void {
    this.runDue(Math.max(this.now, now));
    const t = this.tcp;
    const random = this.random;
    const events = this.events;
    if (typeof events?.deliveredBatch === 'function') {
      // The same deliveries in the same order, told in one call after the step.
      t.step(random, this.deliverProbability);
      if (t.stepDeliveries) events.deliveredBatch(t.stepHandles, t.stepBytes, t.stepDeliveries);
    } else t.step(random, this.deliverProbability, this.onDelivered);
    if (t.count && random() < this.faults.hardwareFailure) this.events?.uploadRequested(this.pick(), UploadReason.HardwareFailure);
    if (t.count && random() < this.faults.uploadRequests) {
      this.events?.uploadRequested(this.pick(), ALL_UPLOAD_REASONS[Math.floor(random() * ALL_UPLOAD_REASONS.length)]!);
    }
  }

  /**
   * Completes the calls due by `now` (earliest first, each at its due time), as the clock's move to
   * `now` would, but without the TCP step: the move then only steps. For a driver that passes
   * the completions on before the step is done (simulate's target thread); a time not after the
   * target's own does nothing.
   */
  completeUntil(now: number): void {
    if (typeof now !== 'number' || !Number.isFinite(now)) invalid(`SimulatedTarget.completeUntil: now must be a finite time in ms, got ${typeName(now)}`);
    if (now > this.now) this.runDue(now);
  }

  /** Completes every call in flight, however far in the future it is due (the clock does not move). */
  flush(): void {
    while (this.queue.length) this.runDue(Math.max(this.now, this.queue[this.queue.length - 1]!.due));
  }

  /** Calls waiting for their completion. */
  get pending(): number {
    return this.queue.length;
  }

  /** Connections it holds now. */
  get connections(): number {
    return this.tcp.count;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private holds(handle: number): boolean {
    return this.tcp.slot(handle) >= 0 || this.holdsParent(handle);
  }

  /** True if it holds neighbor or path `handle` (0 and non-numbers are never handles: 0 marks an empty index entry). */
  private holdsParent(handle: number): boolean {
    return typeof handle === 'number' && handle > 0 && this.parents.get(handle) >= 0;
  }

  /** A random connection it holds. */
  private pick(): number {
    return this.tcp.handle[Math.floor(this.random() * this.tcp.count)]!;
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

  /** Moves the target's time to `until`, running the calls due by then, each at its own due time. */
  private runDue(until: number): void {
    while (this.queue.length && this.queue[0]!.due <= until) {
      const item = this.queue.shift()!;
      this.now = Math.max(this.now, item.due);
      item.run();
    }
    this.now = until;
  }
}

/**
 * steady()'s entries read once and checked, all before any applies (bad input throws
 * InvalidArgument and changes nothing): the handles as numbers, the bytes as integers 0..2^53-1.
 * One per target, its arrays reused and grown all three or none.
 */
export class SteadyInput {
  handles = new Float64Array(0);
  sent = new Float64Array(0);
  received = new Float64Array(0);

  /** Reads the entries into handles/sent/received; returns how many. */
  read(op: string, handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes: ArrayLike<number>, count?: number): number {
    const n = batchCount(op, count, [
      ['handles', handles],
      ['sentBytes', sentBytes],
      ['receivedBytes', receivedBytes],
    ]);
    if (this.handles.length < n) {
      // All three or none: if one allocation fails, a later call must not find them of different lengths.
      const size = Math.max(n, 2 * this.handles.length);
      const grown = [new Float64Array(size), new Float64Array(size), new Float64Array(size)] as const;
      [this.handles, this.sent, this.received] = grown;
    }
    const h = this.handles;
    for (let i = 0; i < n; i++) {
      const v = handles[i];
      if (typeof v !== 'number') invalid(`${op}: handles[${i}] must be a number, got ${typeName(v)}`, i);
      h[i] = v;
    }
    readIntegers(op, 'sentBytes', sentBytes, n, this.sent, 0, Number.MAX_SAFE_INTEGER);
    readIntegers(op, 'receivedBytes', receivedBytes, n, this.received, 0, Number.MAX_SAFE_INTEGER);
    return n;
  }
}
