// The messages between TargetThread (src/cli/target-thread.ts) and its worker
// (src/cli/target-worker.ts), as numbers in one transferable Float64Array each way: cloning block
// and result objects cost the main thread more than the target's whole work did.
//
// Tape (main -> worker), the host's calls in the order made, each an op code and its operands:
//   ADVANCE now                  the clock moved: complete what is due (answered), then step
//   PREPARE now                  the clock moves to `now` next: complete what is due (answered)
//   STEP now                     the clock moved to the time of the PREPARE before: step
//   TRAFFIC handle sent received
//   TRAFFIC_BATCH n hasReceived  handles x n, sent x n, (received x n)
//   STEADY n                     handles x n, sent x n, received x n (checked already)
//   CALL id call n               n blocks: INITIATE 6 numbers each (kind handle parent sndUna
//                                sndNxt rcvNxt), the others 1 (handle): the fields a SimulatedTarget reads
//   CAPACITY connections
//   FLUSH                        complete every call in flight (answered)
//   CRASH                        a test seam: the worker fails
//
// Completions (worker -> main), per completed call, in the order the calls completed:
//   id fulfilled  then, if fulfilled: n and n results, else the index of its message in `strings`
//   a result:  handle flags [error index] [delegated: 8 numbers, 3 timers (NaN: null)]
//              [received: m, (seq length) x m] [unacknowledged: m, (seq length) x m]
//   flags: which of the optional parts follow (the F_ constants), and `ok`.

import type { DelegatedState, Segment, TerminateResult } from '../target/offload-target.js';

/** Op codes of the tape. */
export const Op = { Advance: 1, Traffic: 2, TrafficBatch: 3, Steady: 4, Call: 5, Capacity: 6, Flush: 7, Crash: 8, Prepare: 9, Step: 10 } as const;
/** The target's calls that answer with a promise. */
export const Call = { Initiate: 1, Terminate: 2, Update: 3, Query: 4, Invalidate: 5 } as const;
export type CallKind = (typeof Call)[keyof typeof Call];

/** Numbers per block of an initiate on the tape (one for the other calls). */
export const INITIATE_FIELDS = 6;

const F_OK = 1;
const F_ERROR = 2;
const F_DELEGATED = 4;
const F_RECEIVED = 8;
const F_UNACKNOWLEDGED = 16;

/**
 * The worker's answers. To a tape with an Advance, a Prepare or a Flush: the calls it completed, as
 * soon as they are (before the step, so the host waits for no step). After an Advance's or a Step's step: what the
 * step did, which the host needs only before the next completions.
 */
export type Reply = Completions | Stepped;

export interface Completions {
  kind: 'completions';
  /** Completions, encoded as above, and their messages. */
  results: Float64Array;
  strings: string[];
}

export interface Stepped {
  kind: 'stepped';
  /** Indications the target made in the step, in order: [name, ...arguments]. */
  indications: unknown[][];
  /** Deliveries to the host, in order: handles and bytes, `count` entries. */
  handles: Float64Array;
  bytes: Float64Array;
  count: number;
}

/** A growable Float64Array written front to back (a tape, or the results of a reply). */
export class NumberWriter {
  data = new Float64Array(1024);
  length = 0;

  /** Room for n more numbers. */
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    const bigger = new Float64Array(Math.max(this.data.length * 2, this.length + n));
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }

  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1);
    this.data[this.length++] = v;
  }

  /** The first n entries of `a`, as numbers (non-numbers become NaN). */
  pushAll(a: ArrayLike<number>, n: number): void {
    this.reserve(n);
    const d = this.data;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      const v = a[i];
      d[at++] = typeof v === 'number' ? v : Number.NaN;
    }
    this.length = at;
  }

  /** What was written, in an array of its own (to transfer); the writer starts again empty. */
  take(): Float64Array {
    const out = this.data.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** Appends one result (of any of the target's calls) to `out`. */
export function encodeResult(out: NumberWriter, strings: string[], r: TerminateResult): void {
  const d = r.delegated;
  const flags =
    (r.ok ? F_OK : 0) |
    (r.error !== undefined ? F_ERROR : 0) |
    (d !== undefined ? F_DELEGATED : 0) |
    (r.received !== undefined ? F_RECEIVED : 0) |
    (r.unacknowledged !== undefined ? F_UNACKNOWLEDGED : 0);
  out.push(r.handle);
  out.push(flags);
  if (r.error !== undefined) {
    out.push(strings.length);
    strings.push(String(r.error));
  }
  if (d !== undefined) {
    out.pushAll([d.sndUna, d.sndNxt, d.rcvNxt, d.sndWnd, d.cWnd, d.ssThresh, d.sRtt, d.rttVar], 8);
    const t = d.timers;
    out.push(t.retransmit ?? Number.NaN);
    out.push(t.keepalive ?? Number.NaN);
    out.push(t.delayedAck ?? Number.NaN);
  }
  if (r.received !== undefined) encodeSegments(out, r.received);
  if (r.unacknowledged !== undefined) encodeSegments(out, r.unacknowledged);
}

function encodeSegments(out: NumberWriter, segments: Segment[]): void {
  out.push(segments.length);
  for (const s of segments) {
    out.push(s.seq);
    out.push(s.length);
  }
}

/** Reads a reply's results back, front to back. */
export class ResultReader {
  at = 0;

  constructor(
    private readonly data: Float64Array,
    private readonly strings: string[],
  ) {}

  next(): number {
    return this.data[this.at++]!;
  }

  /** One result, as the target made it: the same fields in the same order. */
  result(): TerminateResult {
    const handle = this.next();
    const flags = this.next();
    const r: TerminateResult = { handle, ok: (flags & F_OK) !== 0 };
    if (flags & F_ERROR) r.error = this.strings[this.next()]!;
    if (flags & F_DELEGATED) r.delegated = this.delegated();
    if (flags & F_RECEIVED) r.received = this.segments();
    if (flags & F_UNACKNOWLEDGED) r.unacknowledged = this.segments();
    return r;
  }

  private delegated(): DelegatedState {
    const sndUna = this.next();
    const sndNxt = this.next();
    const rcvNxt = this.next();
    const sndWnd = this.next();
    const cWnd = this.next();
    const ssThresh = this.next();
    const sRtt = this.next();
    const rttVar = this.next();
    const timer = () => {
      const v = this.next();
      return Number.isNaN(v) ? null : v;
    };
    const retransmit = timer();
    const keepalive = timer();
    const delayedAck = timer();
    return { sndUna, sndNxt, rcvNxt, sndWnd, cWnd, ssThresh, sRtt, rttVar, timers: { retransmit, keepalive, delayedAck } };
  }

  private segments(): Segment[] {
    const m = this.next();
    const out: Segment[] = [];
    for (let i = 0; i < m; i++) {
      const seq = this.next();
      out.push({ seq, length: this.next() });
    }
    return out;
  }
}
