// A WorkloadSource whose ticks are generated on a worker thread (src/cli/feed-worker.ts), which
// also runs the oracle on those same batches: simulate's main thread then spends its time on the
// host, the core and the target only. Node-only (worker_threads).
//
// The worker sends several ticks per message, packed in one transferable ArrayBuffer
// (src/sim/tick-pack.ts); this reader copies one tick at a time into runLab's batch and, when it
// has read a message's last tick, acknowledges it and hands the buffer back for reuse. The worker
// stays at most `aheadTicks` ticks ahead, so memory is bounded whatever the run's length.
//
// The worker only saves time. If it fails to start, throws, or dies mid-run, this source opens the
// workload again on this thread, reads the ticks already consumed again (feeding a local oracle,
// since the worker's is lost), and goes on from there: sources are deterministic and read in order,
// so the run's figures are the same; `note` gets one line saying what happened. A damaged trace is
// the input's fault, not the thread's: its TraceError is thrown to the reader, as the source itself
// would have thrown it.

import { Worker } from 'node:worker_threads';
import { Oracle, type OracleResult, type OracleSummary } from '../sim/oracle.js';
import type { TickBatch, WorkloadSource } from '../sim/source.js';
import { createTickBatch } from '../sim/tick-batch.js';
import { unpackTick, type PackedTick } from '../sim/tick-pack.js';
import { TraceError, type TraceErrorCode } from '../trace/errors.js';
import type { FeedMessage, FeedSettings } from './feed-worker.js';
import { openSource, type SourceSpec } from './sources.js';

export interface StreamOptions {
  /** The oracle's capacity (the run's). */
  capacity: number;
  /** Ticks per message (default 8). */
  chunkTicks?: number;
  /** Ticks the worker may run ahead of this reader (default 32; at least chunkTicks). */
  aheadTicks?: number;
  /** Told, in one line, when the worker fails and the workload moves to this thread. */
  note: (message: string) => void;
  /** The worker's module (default: feed-worker.js beside this one; tests run from sources point to the build). */
  worker?: URL;
  /** A test seam: the worker fails when about to read this tick. */
  failAt?: FeedSettings['failAt'];
}

type Chunk = Extract<FeedMessage, { type: 'ticks' }>;

/**
 * What a worker said, in order: listened to from its start, so that nothing it says between its
 * hello and the reader's first tick is missed.
 */
class Inbox {
  hello: Extract<FeedMessage, { type: 'hello' }> | undefined;
  readonly chunks: Chunk[] = [];
  failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly worker: Worker) {
    const failed = (error: Error) => {
      this.failure ??= error;
      this.signal();
    };
    worker.on('message', (m: FeedMessage) => {
      if (m.type === 'hello') this.hello = m;
      else if (m.type === 'ticks') this.chunks.push(m);
      else failed(failedError(m));
      this.signal();
    });
    worker.on('error', failed);
    worker.on('messageerror', failed);
    worker.on('exit', (code) => failed(new Error(`it stopped (exit code ${code})`)));
  }

  /** Resolves at the worker's next message, error or exit. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export class StreamedWorkload implements WorkloadSource {
  readonly tickMs: number;
  readonly name: string;
  private estimate: number;

  /** The worker while it feeds this source; undefined once it ended, failed, or was stopped. */
  private inbox: Inbox | undefined;
  private chunk: Chunk | undefined;
  private offset = 0;
  private left = 0;
  private readonly read: PackedTick = { tick: 0, more: true, ticks: 0, end: 0 };
  /** Ticks handed to the reader so far. */
  private consumed = 0;
  private ended = false;
  private summary: OracleSummary | undefined;

  /** After a failure: the workload and the oracle on this thread. */
  private local: WorkloadSource | undefined;
  private localOracle: Oracle | undefined;

  private constructor(
    private readonly spec: SourceSpec,
    private readonly options: StreamOptions,
    inbox: Inbox | undefined,
    first: { tickMs: number; ticks: number; name: string },
  ) {
    this.inbox = inbox;
    this.tickMs = first.tickMs;
    this.estimate = first.ticks;
    this.name = first.name;
  }

  /**
   * Starts the worker and waits until it has opened the source; if it cannot, the source is opened
   * on this thread instead (with a note).
   */
  static async open(spec: SourceSpec, options: StreamOptions): Promise<StreamedWorkload> {
    const chunkTicks = options.chunkTicks ?? 8;
    if (!(Number.isSafeInteger(chunkTicks) && chunkTicks >= 1)) throw new RangeError(`StreamedWorkload: chunkTicks must be an integer >= 1, got ${chunkTicks}`);
    const aheadTicks = Math.max(chunkTicks, options.aheadTicks ?? 32);
    if (!Number.isSafeInteger(aheadTicks)) throw new RangeError(`StreamedWorkload: aheadTicks must be an integer, got ${options.aheadTicks}`);
    const settings: FeedSettings = { source: spec, capacity: options.capacity, chunkTicks, aheadTicks, failAt: options.failAt };
    let inbox: Inbox | undefined;
    let why: string;
    try {
      inbox = new Inbox(new Worker(options.worker ?? new URL('./feed-worker.js', import.meta.url), { workerData: settings }));
      while (!inbox.hello && !inbox.failure) await inbox.changed();
      if (inbox.hello) return new StreamedWorkload(spec, options, inbox, inbox.hello);
      throw inbox.failure;
    } catch (error) {
      if (error instanceof TraceError) {
        stop(inbox?.worker);
        throw error;
      }
      why = error instanceof Error ? error.message : String(error);
    }
    stop(inbox?.worker);
    const source = await openSource(spec);
    const s = new StreamedWorkload(spec, options, undefined, source);
    s.noteFailure(why);
    s.local = source;
    s.localOracle = new Oracle([options.capacity]);
    return s;
  }

  get ticks(): number {
    return this.local ? this.local.ticks : this.estimate;
  }

  /** Ticks received from the worker and not yet read. */
  get buffered(): number {
    return (this.chunk ? this.left : 0) + (this.inbox?.chunks.reduce((n, c) => n + c.count, 0) ?? 0);
  }

  /** Whether the worker is still feeding this source (false once it failed, or after close). */
  get streaming(): boolean {
    return this.inbox !== undefined;
  }

  async next(tick: number, batch: TickBatch): Promise<boolean> {
    if (tick !== this.consumed) throw new RangeError(`ticks come in order: expected tick ${this.consumed}, got ${tick}`);
    if (this.ended) throw new RangeError(`the workload ended after tick ${this.consumed - 1}`);
    for (;;) {
      if (this.local) return this.nextHere(tick, batch);
      if (this.chunk) return this.take(batch);
      const inbox = this.inbox!;
      const queued = inbox.chunks.shift();
      if (queued) {
        this.chunk = queued;
        this.offset = 0;
        this.left = queued.count;
      } else if (inbox.failure instanceof TraceError) throw inbox.failure;
      else if (inbox.failure) await this.fallBack(inbox.failure.message);
      else await inbox.changed();
    }
  }

  /** The oracle's figures for the run, once every tick has been read. */
  oracle(): OracleResult {
    if (!this.ended) throw new Error('StreamedWorkload.oracle(): the workload has not been read to its end');
    const summary = this.localOracle ? this.localOracle.summary(this.consumed * this.tickMs) : this.summary!;
    return summary.results[0]!;
  }

  async close(): Promise<void> {
    if (!this.ended) stop(this.inbox?.worker);
    this.inbox = undefined;
    await this.local?.close?.();
  }

  /** The next tick of the current message. */
  private take(batch: TickBatch): boolean {
    const chunk = this.chunk!;
    const r = unpackTick(chunk.buffer, this.offset, batch, this.read);
    if (r.tick !== this.consumed) throw new Error(`the workload's worker sent tick ${r.tick} where tick ${this.consumed} was due (a bug)`);
    this.offset = r.end;
    this.estimate = r.ticks;
    this.consumed++;
    if (--this.left === 0) {
      this.chunk = undefined;
      if (chunk.oracle) this.summary = chunk.oracle;
      this.inbox?.worker.postMessage({ type: 'ack', ticks: chunk.count, buffer: chunk.buffer }, [chunk.buffer]);
    }
    if (!r.more) this.finish();
    return r.more;
  }

  private async nextHere(tick: number, batch: TickBatch): Promise<boolean> {
    const more = await this.local!.next(tick, batch);
    this.localOracle!.observe(batch);
    this.consumed++;
    if (!more) this.ended = true;
    return more;
  }

  private finish(): void {
    this.ended = true;
    // The worker ends on its own once it has sent its last tick.
    this.inbox = undefined;
  }

  /** The worker failed: the workload on this thread from tick 0, re-reading the ticks already consumed. */
  private async fallBack(why: string): Promise<void> {
    stop(this.inbox?.worker);
    this.inbox = undefined;
    this.noteFailure(why, this.consumed);
    const source = await openSource(this.spec);
    const oracle = new Oracle([this.options.capacity]);
    const scratch = createTickBatch();
    for (let t = 0; t < this.consumed; t++) {
      if (!(await source.next(t, scratch)))
        throw new Error(`the workload ${this.name} ended at tick ${t} on this thread, after tick ${this.consumed - 1} on its worker (a bug)`);
      oracle.observe(scratch);
    }
    this.local = source;
    this.localOracle = oracle;
  }

  /** One line for `note`: the worker failed to start, or at tick `tick` of the run. */
  private noteFailure(why: string, tick?: number): void {
    const where =
      tick !== undefined
        ? `at tick ${tick} (${why.split('\n')[0]}); this thread reads the workload again from tick 0 and goes on`
        : `to start (${why.split('\n')[0]}); this thread generates the workload`;
    this.options.note(`the workload's worker thread failed ${where}, with the oracle alongside (same figures, more time)`);
  }
}

/** The error a 'failed' message stands for: the TraceError itself for a damaged trace. */
function failedError(m: Extract<FeedMessage, { type: 'failed' }>): Error {
  return m.traceError ? new TraceError(m.traceError.code as TraceErrorCode, m.message, m.traceError.offset) : new Error(m.message);
}

/**
 * Asks a worker to stop and terminates it if it has not after a few seconds (terminate() at once
 * can catch V8 compiling in the background, which aborts the process on Node 20: src/cli/pool.ts).
 */
function stop(w: Worker | undefined): void {
  if (!w) return;
  w.removeAllListeners();
  // A worker that already exited ignores both.
  w.on('error', () => {});
  const timer = setTimeout(() => void w.terminate(), 3000);
  timer.unref();
  w.once('exit', () => clearTimeout(timer));
  w.postMessage('stop');
}
