// simulate's workload thread, driven by hand through its messages: a hello with the source's
// properties, then chunks of `chunkTicks` ticks in order, never more than `aheadTicks` ticks
// unacknowledged, the oracle's summary with the last chunk (the same as the oracle run here), and
// an early 'stop' ends the thread. Uses the built worker (dist/cli/feed-worker.js): run
// `npm run build` first.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import type { FeedMessage, FeedSettings } from '../../src/cli/feed-worker.js';
import { runOracle } from '../../src/sim/oracle.js';
import { SyntheticWorkload } from '../../src/sim/workload.js';
import { createTickBatch } from '../../src/sim/tick-batch.js';
import { unpackTick } from '../../src/sim/tick-pack.js';
import { hadoop, smallScenario } from '../sim/helpers.js';

const test = suite('feed-worker');
const url = new URL('../../dist/cli/feed-worker.js', import.meta.url);
const scenario = smallScenario();
const settings: FeedSettings = { source: { kind: 'scenario', scenario, cdf: hadoop }, capacity: 50, chunkTicks: 3, aheadTicks: 7 };

/** Messages from a worker, awaited one at a time. */
function inbox(w: Worker) {
  const queue: FeedMessage[] = [];
  let wake: (() => void) | undefined;
  w.on('message', (m: FeedMessage) => {
    queue.push(m);
    wake?.();
  });
  return {
    queue,
    async next(): Promise<FeedMessage> {
      while (!queue.length) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    },
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('hello, chunks in order, at most aheadTicks unacknowledged, the oracle with the last chunk', async () => {
  const w = new Worker(url, { workerData: settings });
  const box = inbox(w);
  const exited = new Promise<number>((r) => w.once('exit', r));
  const hello = await box.next();
  assert.equal(hello, { type: 'hello', tickMs: 100, ticks: 200, name: 'small' });
  const expected = new SyntheticWorkload(scenario, hadoop);
  const want = createTickBatch();
  const got = createTickBatch();
  const read = { tick: 0, more: true, ticks: 0, end: 0 };
  let tick = 0;
  let last: Extract<FeedMessage, { type: 'ticks' }> | undefined;
  let unacked = 0;
  let messages = 0;
  while (!last?.oracle) {
    // Give the worker time to run ahead as far as it may.
    await settle(20);
    const inFlight = box.queue.reduce((n, m) => n + (m.type === 'ticks' ? m.count : 0), 0);
    assert.ok(unacked + inFlight <= 7, `${unacked + inFlight} ticks unacknowledged`);
    const m = await box.next();
    assert.is(m.type, 'ticks');
    last = m as Extract<FeedMessage, { type: 'ticks' }>;
    assert.is(last.first, tick);
    // 1 tick, then 2, then chunkTicks (3) a message; the last one may be shorter.
    const size = Math.min(3, 2 ** messages++);
    assert.ok(last.count === size || (last.oracle && last.count <= size), `message ${messages}: a chunk of ${last.count}`);
    let at = 0;
    for (let i = 0; i < last.count; i++, tick++) {
      const more = expected.next(tick, want);
      unpackTick(last.buffer, at, got, read);
      at = read.end;
      assert.equal([read.tick, read.more], [tick, more]);
      assert.equal(Array.from(got.traffic.id.subarray(0, got.traffic.count)), Array.from(want.traffic.id.subarray(0, want.traffic.count)));
      assert.equal(Array.from(got.opened.id.subarray(0, got.opened.count)), Array.from(want.opened.id.subarray(0, want.opened.count)));
    }
    assert.is(at, last.bytes);
    unacked += last.count;
    // Acknowledge every other chunk late: the worker must wait for it.
    if (messages % 2 === 0 || last.oracle) {
      w.postMessage({ type: 'ack', ticks: unacked });
      unacked = 0;
    }
  }
  assert.is(tick, 200);
  assert.equal(last.oracle, await runOracle(new SyntheticWorkload(scenario, hadoop), [50]));
  assert.is(await exited, 0);
});

test("'stop' while the worker waits for an acknowledgement ends the thread", async () => {
  const w = new Worker(url, { workerData: settings });
  const box = inbox(w);
  const exited = new Promise<number>((r) => w.once('exit', r));
  assert.is((await box.next()).type, 'hello');
  await settle(100);
  assert.is(
    box.queue.reduce((n, m) => n + (m.type === 'ticks' ? m.count : 0), 0),
    6,
  );
  w.postMessage('stop');
  assert.is(await exited, 0);
});

test.run();
