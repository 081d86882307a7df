// simulate's target thread: a SimulatedTarget that the main thread's TargetThread (src/cli/
// target-thread.ts) drives by messages. It runs every call in the order the host made it, on a
// clock that moves only when the host's does, so it draws the same random numbers in the same
// order as a SimulatedTarget on the main thread would: the same completions, the same figures.
//
// Messages (main -> this thread): a tape (src/cli/target-tape.ts), the host's calls since the
// last message, ending with the clock's move (or a flush). This thread -> main: the completions
// that the move (or flush) made, as soon as they are in; then, after a move, what the TCP step did
// (its deliveries), which the host needs only before the next completions: so the host waits for
// the completions only, and the step runs while it goes on.

import { parentPort, workerData } from 'node:worker_threads';
import { Kind } from '../table/enums.js';
import { ManualClock } from '../target/clock.js';
import type { BlockStatus, InitiateBlock, TargetEvents, TerminateBlock } from '../target/offload-target.js';
import { SimulatedTarget, type SimulatedTargetOptions } from '../target/simulated-target.js';
import { giveWay } from './thread-priority.js';
import { describe } from '../host/target-calls.js';
import { Call, encodeResult, INITIATE_FIELDS, NumberWriter, Op, type CallKind, type Completions, type Stepped } from './target-tape.js';

// The host waits for it once a tick: after the host, before the workload (src/cli/thread-priority.ts).
giveWay(5);
const port = parentPort!;
const target = new SimulatedTarget({ ...(workerData as SimulatedTargetOptions), clock: new ManualClock() });

/** What the next reply carries: completions, their messages, indications and deliveries. */
const results = new NumberWriter();
let strings: string[] = [];
let indications: unknown[][] = [];
const deliveredHandles = new NumberWriter();
const deliveredBytes = new NumberWriter();

function deliver(handle: number, bytes: number): void {
  deliveredHandles.push(handle);
  deliveredBytes.push(bytes);
}

const events: TargetEvents = {
  delivered: deliver,
  deliveredBatch(handles, bytes, count = handles.length) {
    deliveredHandles.pushAll(handles, count);
    deliveredBytes.pushAll(bytes, count);
  },
  uploadRequested: (...args) => void indications.push(['uploadRequested', ...args]),
  uploadAll: () => void indications.push(['uploadAll']),
  offloadPause: () => void indications.push(['offloadPause']),
  offloadResume: () => void indications.push(['offloadResume']),
  link: (...args) => void indications.push(['link', ...args]),
  // The main thread tells its host about capacity changes itself (TargetThread.setCapacity).
  capacity: () => {},
};
target.attach(events);

/** Starts call `id` with the n blocks on the tape at `at`; its completion goes into the next reply. */
function call(id: number, kind: CallKind, tape: Float64Array, at: number, n: number): void {
  let answer: Promise<BlockStatus[]>;
  if (kind === Call.Initiate) {
    const blocks: InitiateBlock[] = [];
    for (let i = 0; i < n; i++, at += INITIATE_FIELDS) {
      const blockKind = tape[at]!;
      const parent = tape[at + 2]!;
      blocks.push({
        kind: blockKind,
        handle: tape[at + 1]!,
        neighbor: parent,
        path: parent,
        tcp: blockKind === Kind.Connection ? { sndUna: tape[at + 3]!, sndNxt: tape[at + 4]!, rcvNxt: tape[at + 5]! } : undefined,
      } as unknown as InitiateBlock);
    }
    answer = target.initiate(blocks);
  } else {
    const handles = Array.from(tape.subarray(at, at + n));
    const blocks = () => handles.map((handle) => ({ handle }) as TerminateBlock);
    answer =
      kind === Call.Terminate
        ? target.terminate(blocks())
        : kind === Call.Update
          ? target.update(blocks())
          : kind === Call.Query
            ? target.query(handles)
            : target.invalidate(blocks());
  }
  answer.then(
    (value) => {
      results.push(id);
      results.push(1);
      results.push(value.length);
      for (const r of value) encodeResult(results, strings, r);
    },
    (error) => {
      results.push(id);
      results.push(0);
      results.push(strings.length);
      strings.push(describe(error));
    },
  );
}

port.on('message', (tape: Float64Array) => void run(tape));

/** Runs the host's calls on a tape, then answers its completions and steps, if it asks for them. */
async function run(tape: Float64Array): Promise<void> {
  /** Whether to answer the completions (Advance, Prepare, Flush), and the time to step to (Advance, Step; NaN: none). */
  let answer = false;
  let step = Number.NaN;
  for (let i = 0; i < tape.length; ) {
    const op = tape[i++]!;
    if (op === Op.Advance || op === Op.Prepare) {
      const now = tape[i++]!;
      // The calls due complete now, the step after the host has them (SimulatedTarget.completeUntil).
      target.completeUntil(now);
      answer = true;
      if (op === Op.Advance) step = now;
    } else if (op === Op.Step) step = tape[i++]!;
    else if (op === Op.Traffic) {
      target.traffic(tape[i]!, tape[i + 1]!, tape[i + 2]!);
      i += 3;
    } else if (op === Op.TrafficBatch) {
      const n = tape[i]!;
      const hasReceived = tape[i + 1] === 1;
      i += 2;
      target.trafficBatch(tape.subarray(i, i + n), tape.subarray(i + n, i + 2 * n), hasReceived ? tape.subarray(i + 2 * n, i + 3 * n) : undefined);
      i += (hasReceived ? 3 : 2) * n;
    } else if (op === Op.Steady) {
      const n = tape[i++]!;
      target.steady(tape.subarray(i, i + n), tape.subarray(i + n, i + 2 * n), tape.subarray(i + 2 * n, i + 3 * n), n);
      i += 3 * n;
    } else if (op === Op.Call) {
      const id = tape[i]!;
      const kind = tape[i + 1]! as CallKind;
      const n = tape[i + 2]!;
      i += 3;
      call(id, kind, tape, i, n);
      i += (kind === Call.Initiate ? INITIATE_FIELDS : 1) * n;
    } else if (op === Op.Capacity) target.capacity = tape[i++]!;
    else if (op === Op.Flush) {
      target.flush();
      answer = true;
    } else if (op === Op.Crash) throw new Error('crashed on request (a test of the main thread taking over)');
    else throw new Error(`target thread: unknown op ${op} at ${i - 1} of the tape`);
  }
  if (answer) {
    // The completions are recorded by their promises' reactions, which run on the microtask queue
    // before this continuation (no other message is taken in between: messages are macrotasks).
    await undefined;
    const completions: Completions = { kind: 'completions', results: results.take(), strings };
    strings = [];
    port.postMessage(completions, [completions.results.buffer as ArrayBuffer]);
  }
  if (Number.isNaN(step)) return;
  target.advance(step);
  const stepped: Stepped = {
    kind: 'stepped',
    indications,
    count: deliveredHandles.length,
    handles: deliveredHandles.take(),
    bytes: deliveredBytes.take(),
  };
  indications = [];
  port.postMessage(stepped, [stepped.handles.buffer as ArrayBuffer, stepped.bytes.buffer as ArrayBuffer]);
}
