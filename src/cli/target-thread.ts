// A SimulatedTarget on a worker thread (src/cli/target-worker.ts), for simulate: the target's TCP
// model, its call queue and its answers cost the main thread nothing but the messages. Node-only.
//
// Same figures as a SimulatedTarget on the main thread, because the worker sees every call in the
// order the host made it and the clock moves in the same places: calls go on a tape
// (src/cli/target-tape.ts), sent when runLab announces the clock's move (prepare), when the clock
// moves and when runLab waits in idle(). At the announcement the worker completes what is due and
// answers at once, while the host counts its standing traffic; at the move it steps its TCP model,
// while the host runs its policy and its next tick's calls. Completions reach the host in idle(), in the
// order the target made them, as they would have: a SimulatedTarget resolves its calls inside the
// clock's move, and the host applies completions on the microtask queue, after its tick. The
// step's deliveries follow (they concern no connection whose call that move completed) and reach
// the host before the next completions.
//
// What would differ on a thread, and is therefore refused (threadable() says why): indications
// the target makes inside a clock step (the hardware-failure and upload-request faults), which the
// host would see after its policy ran instead of before; and calls answered with no latency,
// which a SimulatedTarget completes on a microtask.
//
// If the worker fails, every wait rejects with TargetThreadFailed: the caller runs again without it.

import { Worker } from 'node:worker_threads';
import { invalid } from '../table/errors.js';
import { requireInt } from '../table/validate.js';
import { ManualClock } from '../target/clock.js';
import { Kind } from '../table/enums.js';
import type { BlockStatus, InitiateBlock, QueryResult, TargetEvents, TerminateBlock, TerminateResult, UpdateBlock } from '../target/offload-target.js';
import { SteadyInput, type SimulatedTargetOptions } from '../target/simulated-target.js';
import { TargetIndications } from '../target/indications.js';
import type { LabTarget } from '../sim/run.js';
import { Call, INITIATE_FIELDS, NumberWriter, Op, ResultReader, type CallKind, type Reply } from './target-tape.js';

/** The worker thread failed or ended: the run must start again without it. */
export class TargetThreadFailed extends Error {}

/** Why a target with these options cannot run on a thread with the same figures (undefined: it can). */
export function threadable(options: SimulatedTargetOptions): string | undefined {
  const latency = options.latencyMs ?? 0;
  const min = typeof latency === 'number' ? latency : latency.min;
  if (!(min > 0)) return 'its calls complete with no latency (on a microtask)';
  if (options.faults?.hardwareFailure || options.faults?.uploadRequests)
    return 'it injects hardware failures or upload requests, which the host must see inside the clock step';
  if (options.clock !== undefined) return 'it is given a clock of its own';
  return undefined;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class TargetThread extends TargetIndications implements LabTarget {
  capacity: number;
  readonly clock = new ManualClock();
  private readonly worker: Worker;
  private readonly tape = new NumberWriter();
  private readonly calls = new Map<number, Waiting>();
  private lastCall = 0;
  /** Tapes sent with an Advance or a Flush whose reply has not come yet. */
  private unanswered = 0;
  private idleWaiters: Waiting[] = [];
  private failure: TargetThreadFailed | undefined;
  private readonly steadyInput = new SteadyInput();
  /** The time prepare() announced and whose completions the worker answered already (NaN: none). */
  private prepared = Number.NaN;

  /** `worker`: the worker's module (default: target-worker.js beside this one; tests from sources point to the build). */
  constructor(options: SimulatedTargetOptions, worker = new URL('./target-worker.js', import.meta.url)) {
    super('TargetThread');
    const why = threadable(options);
    if (why) invalid(`TargetThread: this target cannot run on a thread with the same figures: ${why}`);
    this.capacity = options.capacity === undefined ? 4096 : requireInt(options.capacity, 0, 2 ** 31, 'TargetThread: capacity');
    this.worker = new Worker(worker, { workerData: options });
    this.worker.on('message', (reply: Reply) => this.answer(reply));
    this.worker.on('error', (error) => this.fail(`the target thread failed: ${error.message}`));
    this.worker.on('exit', (code) => this.fail(`the target thread ended (exit code ${code})`));
    this.clock.subscribe((now) => {
      // Prepared: the calls due are complete (answered), only the step is left.
      const prepared = now === this.prepared;
      this.prepared = Number.NaN;
      this.tape.push(prepared ? Op.Step : Op.Advance);
      this.tape.push(now);
      this.send(!prepared);
    });
  }

  // ---- calls from the host: on the tape, in order --------------------------------------------

  initiate(blocks: InitiateBlock[]): Promise<BlockStatus[]> {
    const n = blocks.length;
    const id = this.startCall(Call.Initiate, n);
    const tape = this.tape;
    tape.reserve(INITIATE_FIELDS * n);
    for (const b of blocks) {
      tape.push(b.kind);
      tape.push(b.handle);
      if (b.kind === Kind.Connection) {
        tape.push(b.path);
        tape.push(b.tcp.sndUna);
        tape.push(b.tcp.sndNxt);
        tape.push(b.tcp.rcvNxt);
      } else {
        tape.push(b.kind === Kind.Path ? b.neighbor : 0);
        tape.push(0);
        tape.push(0);
        tape.push(0);
      }
    }
    return this.answerOf(id);
  }
  terminate(blocks: TerminateBlock[]): Promise<TerminateResult[]> {
    return this.handlesCall(Call.Terminate, blocks);
  }
  update(blocks: UpdateBlock[]): Promise<BlockStatus[]> {
    return this.handlesCall(Call.Update, blocks);
  }
  query(handles: number[]): Promise<QueryResult[]> {
    const id = this.startCall(Call.Query, handles.length);
    this.tape.pushAll(handles, handles.length);
    return this.answerOf(id);
  }
  invalidate(blocks: TerminateBlock[]): Promise<BlockStatus[]> {
    return this.handlesCall(Call.Invalidate, blocks);
  }

  traffic(handle: number, sentBytes: number, receivedBytes: number): void {
    const tape = this.tape;
    tape.push(Op.Traffic);
    tape.push(handle);
    tape.push(sentBytes);
    tape.push(receivedBytes);
  }

  trafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void {
    const n = handles.length;
    const tape = this.tape;
    tape.push(Op.TrafficBatch);
    tape.push(n);
    tape.push(receivedBytes ? 1 : 0);
    tape.pushAll(handles, n);
    tape.pushAll(sentBytes, n);
    if (receivedBytes) tape.pushAll(receivedBytes, n);
  }

  /** As SimulatedTarget.steady: checked here, so bad input throws here and changes nothing. */
  steady(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes: ArrayLike<number>, count?: number): void {
    const input = this.steadyInput;
    const n = input.read('TargetThread.steady', handles, sentBytes, receivedBytes, count);
    const tape = this.tape;
    tape.push(Op.Steady);
    tape.push(n);
    tape.pushAll(input.handles, n);
    tape.pushAll(input.sent, n);
    tape.pushAll(input.received, n);
  }

  /**
   * The clock moves to `now` next (runLab calls this just before the host's tick): the worker
   * completes the calls due by then at once, while the host counts its standing traffic. What the
   * host does in between (its tick's first step) passes only standing-rate changes, which change
   * no answer of those calls (the rates are not part of what a connection hands back), and come
   * before the step either way; so the completions and the draws are those of the clock's move.
   */
  prepare(now: number): void {
    // Only a finite time ahead: the worker's completeUntil refuses any other, and its thread would die of it.
    if (this.failure || !(now > this.clock.now) || !Number.isFinite(now) || now === this.prepared) return;
    this.tape.push(Op.Prepare);
    this.tape.push(now);
    this.prepared = now;
    this.send(true);
  }

  /** Completes every call in flight, however far in the future it is due (the clock does not move). */
  flush(): Promise<void> {
    this.tape.push(Op.Flush);
    this.send(true);
    return this.idle();
  }

  /**
   * Resolves once the replies to every Advance and Flush sent are applied. The calls made since
   * the last one go to the worker first: it is awake (stepping), and takes them before it sleeps.
   * It waits for the replies as events: on two cores, a thread that spun here would take from the
   * workers the core it leaves them while it waits.
   */
  idle(): Promise<void> {
    if (this.tape.length) this.send(false);
    if (this.failure) return Promise.reject(this.failure);
    if (this.unanswered === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.idleWaiters.push({ resolve: () => resolve(), reject });
    });
  }

  async close(): Promise<void> {
    this.failure ??= new TargetThreadFailed('the target thread was closed');
    await this.worker.terminate();
  }

  /** The worker's target takes the new capacity before any call the host makes about it. */
  protected override capacityChanged(connections: number): void {
    this.tape.push(Op.Capacity);
    this.tape.push(connections);
  }

  /** A test seam: the worker fails at its next message. */
  crash(): void {
    this.tape.push(Op.Crash);
    this.send(false);
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** Puts a call's header on the tape (its blocks follow); returns its id. */
  private startCall(kind: CallKind, n: number): number {
    const id = ++this.lastCall;
    const tape = this.tape;
    tape.push(Op.Call);
    tape.push(id);
    tape.push(kind);
    tape.push(n);
    return id;
  }

  /** A call whose blocks go on the tape as their handles (all the worker's target reads of them). */
  private handlesCall<T>(kind: CallKind, blocks: readonly { handle: number }[]): Promise<T> {
    const id = this.startCall(kind, blocks.length);
    const tape = this.tape;
    tape.reserve(blocks.length);
    for (const b of blocks) tape.push(b.handle);
    return this.answerOf(id);
  }

  private answerOf<T>(id: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.failure) reject(this.failure);
      else this.calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private send(answered: boolean): void {
    if (this.failure) {
      this.tape.length = 0;
      return;
    }
    const tape = this.tape.take();
    if (answered) this.unanswered++;
    this.worker.postMessage(tape, [tape.buffer as ArrayBuffer]);
  }

  /** A reply: the completions of a clock move or a flush (in the order made), or what a step did. */
  private answer(reply: Reply): void {
    if (reply.kind === 'stepped') {
      // Not attached yet: as a SimulatedTarget, tell no one (completions need no host at all; a
      // throw here would be uncaught, in a message handler, and leave its waiters for ever).
      const events = this.events;
      if (!events) return;
      // The step's deliveries, then its indications, before the next completions, as on the main
      // thread; they concern no connection whose call the move completed, since the move completes
      // calls before it steps (an uploaded connection has no row left to deliver for).
      const { handles, bytes, count } = reply;
      if (count) {
        if (typeof events.deliveredBatch === 'function') events.deliveredBatch(handles, bytes, count);
        else for (let i = 0; i < count; i++) events.delivered(handles[i]!, bytes[i]!);
      }
      for (const [name, ...args] of reply.indications) (events[name as keyof TargetEvents] as (...a: unknown[]) => void)(...args);
      return;
    }
    const read = new ResultReader(reply.results, reply.strings);
    while (read.at < reply.results.length) {
      const id = read.next();
      const fulfilled = read.next() === 1;
      const waiting = this.calls.get(id);
      this.calls.delete(id);
      if (fulfilled) {
        const n = read.next();
        const value: TerminateResult[] = [];
        for (let i = 0; i < n; i++) value.push(read.result());
        waiting?.resolve(value);
      } else waiting?.reject(new Error(reply.strings[read.next()]));
    }
    if (--this.unanswered === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w.resolve(undefined);
    }
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new TargetThreadFailed(message);
    for (const w of this.idleWaiters) w.reject(this.failure);
    this.idleWaiters = [];
    for (const c of this.calls.values()) c.reject(this.failure);
    this.calls.clear();
  }
}
