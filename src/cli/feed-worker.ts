// simulate's workload thread: opens the run's source (the same SourceSpec the main thread has),
// reads it tick by tick ONCE, feeds the oracle from those batches, and streams the batches to the
// main thread, whose runLab reads them through StreamedWorkload (src/cli/streamed-source.ts). So the
// main thread never runs the workload model, and the oracle costs it nothing.
//
// Messages (this thread -> main):
//   { type: 'hello', tickMs, ticks, name }          the source is open (its properties before tick 0)
//   { type: 'ticks', first, count, bytes, buffer, oracle? }   ticks first..first+count-1 packed
//        (src/sim/tick-pack.ts) in `buffer`, transferred: 1 tick, then 2, 4, ... up to chunkTicks;
//        the last message carries the oracle's summary
//   { type: 'failed', message, traceError? }       reading failed (a TraceError is the input's fault)
// Messages (main -> this thread):
//   { type: 'ack', ticks, buffer? }   the main thread is done with `ticks` more ticks (and hands back
//        a buffer to reuse)
//   'stop'                            end now (the run stopped early)
//
// Flow control: at most `aheadTicks` ticks sent and not yet acknowledged (aheadTicks >= chunkTicks),
// so memory stays bounded by a few ticks whatever the run's length.

import { parentPort, workerData } from 'node:worker_threads';
import { Oracle, type OracleSummary } from '../sim/oracle.js';
import { createTickBatch } from '../sim/tick-batch.js';
import { packedTickBytes, packTick } from '../sim/tick-pack.js';
import { isTraceError } from '../trace/errors.js';
import { openSource, type SourceSpec } from './sources.js';
import { giveWay } from './thread-priority.js';

export interface FeedSettings {
  source: SourceSpec;
  /** The oracle's capacity. */
  capacity: number;
  /** Ticks per message. */
  chunkTicks: number;
  /** Ticks sent and not yet acknowledged before this thread waits. */
  aheadTicks: number;
  /** A test seam: fail when about to read this tick, by throwing, by an uncaught error, or by exiting. */
  failAt?: { tick: number; how: 'throw' | 'crash' | 'exit' };
}

export type FeedMessage =
  | { type: 'hello'; tickMs: number; ticks: number; name: string }
  | { type: 'ticks'; first: number; count: number; bytes: number; buffer: ArrayBuffer; oracle?: OracleSummary }
  | { type: 'failed'; message: string; traceError?: { code: string; offset: number } };

const settings = workerData as FeedSettings;
// Runs ahead of the host: it goes last (src/cli/thread-priority.ts).
giveWay(15);
const port = parentPort!;
let acked = 0;
let stopped = false;
/** Buffers the main thread handed back, to fill again. */
const spare: ArrayBuffer[] = [];
let wake: (() => void) | undefined;

port.on('message', (m: { type: 'ack'; ticks: number; buffer?: ArrayBuffer } | 'stop') => {
  if (m === 'stop') stopped = true;
  else {
    acked += m.ticks;
    if (m.buffer && spare.length < 4) spare.push(m.buffer);
  }
  wake?.();
});

const waitForMessage = () =>
  new Promise<void>((resolve) => {
    wake = resolve;
  });

async function feed(): Promise<void> {
  const { chunkTicks, aheadTicks, failAt } = settings;
  const source = await openSource(settings.source);
  try {
    port.postMessage({ type: 'hello', tickMs: source.tickMs, ticks: source.ticks, name: source.name } satisfies FeedMessage);
    const oracle = new Oracle([settings.capacity]);
    const batch = createTickBatch();
    let buffer = new ArrayBuffer(1 << 20);
    let used = 0;
    let first = 0;
    let sent = 0;
    let tick = 0;
    // Messages of 1, 2, 4, ... ticks up to chunkTicks: the reader waits for the first one only.
    let perMessage = 1;
    for (let more = true; more && !stopped; ) {
      if (failAt?.tick === tick) await fail(failAt.how);
      more = await source.next(tick, batch);
      oracle.observe(batch);
      const need = used + packedTickBytes(batch);
      if (need > buffer.byteLength) {
        const bigger = new ArrayBuffer(Math.max(need, buffer.byteLength * 2));
        new Uint8Array(bigger).set(new Uint8Array(buffer, 0, used));
        buffer = bigger;
      }
      used = packTick(batch, tick, more, source.ticks, buffer, used);
      tick++;
      if (tick - first < perMessage && more) continue;
      const message: FeedMessage = { type: 'ticks', first, count: tick - first, bytes: used, buffer };
      if (!more) message.oracle = oracle.summary(tick * source.tickMs);
      port.postMessage(message, [buffer]);
      sent = tick;
      perMessage = Math.min(chunkTicks, perMessage * 2);
      // The next buffer: one handed back that is as large as this one, else a new one as large.
      const size = buffer.byteLength;
      const i = spare.findIndex((b) => b.byteLength >= size);
      buffer = i >= 0 ? spare.splice(i, 1)[0]! : new ArrayBuffer(size);
      used = 0;
      first = tick;
      // Let 'ack' and 'stop' in; wait while the next message would put more than aheadTicks in flight.
      await new Promise((resolve) => setImmediate(resolve));
      while (more && !stopped && sent - acked + chunkTicks > aheadTicks) await waitForMessage();
    }
  } finally {
    await source.close?.();
  }
}

async function fail(how: 'throw' | 'crash' | 'exit'): Promise<void> {
  const message = 'feed-worker: failing on purpose (test seam failAt)';
  if (how === 'exit') process.exit(7);
  if (how === 'throw') throw new Error(message);
  // An uncaught error ends the thread ('error' on the main side); nothing after it runs.
  setImmediate(() => {
    throw new Error(message);
  });
  await new Promise(() => {});
}

feed().then(
  () => port.close(),
  (error) => {
    // A damaged trace is bad input, not a failure of the thread: it crosses to the main thread whole.
    if (isTraceError(error))
      port.postMessage({ type: 'failed', message: error.message, traceError: { code: error.code, offset: error.offset } } satisfies FeedMessage);
    else port.postMessage({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FeedMessage);
    port.close();
  },
);
