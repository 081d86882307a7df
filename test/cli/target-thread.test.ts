// A SimulatedTarget on a worker thread (TargetThread) gives the very run a SimulatedTarget on this
// thread gives: every RunResult field but wall time, for each built-in policy, with initiate
// faults, every kind of host event a scenario has, low activity and several capacities. It refuses
// the targets it cannot run with the same figures; checks steady() here as SimulatedTarget does;
// and when its worker fails, the run rejects with TargetThreadFailed instead of going on wrong.
//
// The worker is the built one (dist/cli/target-worker.js: a worker thread cannot load TypeScript
// here), so run `npm run build` first, as for the CLI's tests.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eager, rebalance, threshold } from '../../src/host/policies/index.js';
import type { OffloadPolicy } from '../../src/host/policy.js';
import type { RunResult } from '../../src/sim/metrics.js';
import { runLab, type RunSetup } from '../../src/sim/run.js';
import { readScenario, type Scenario } from '../../src/sim/scenario.js';
import { SyntheticWorkload } from '../../src/sim/workload.js';
import { TargetThread, TargetThreadFailed, threadable } from '../../src/cli/target-thread.js';
import { ManualClock } from '../../src/target/clock.js';
import { SimulatedTarget } from '../../src/target/simulated-target.js';
import { ErrorCode, Kind } from '../../src/table/enums.js';
import { OffloadError } from '../../src/table/errors.js';
import { hadoop, smallMillionScenario, smallScenarioJson, websearch } from '../sim/helpers.js';

const test = suite('target-thread');
const worker = new URL('../../dist/cli/target-worker.js', import.meta.url);

// The small scenario with every host event there is, initiate faults only (upload faults refuse a thread).
const small = readScenario(
  smallScenarioJson((s) => {
    s.target.faults = { initiateFailure: 0.02 };
    s.events = [
      { atMs: 3000, type: 'burst', count: 40, priority: 7 },
      { atMs: 4000, type: 'close', count: 20 },
      { atMs: 5000, type: 'linkDown', ifIndex: 2 },
      { atMs: 5200, type: 'linkUp', ifIndex: 2 },
      { atMs: 7000, type: 'uploadRequests', count: 30, reason: 'TimeoutExpiration' },
      { atMs: 8000, type: 'invalidateNeighbor', ifIndex: 1 },
      { atMs: 9000, type: 'pause', ifIndex: 1 },
      { atMs: 10000, type: 'restart' },
      { atMs: 11000, type: 'uploadAll' },
      { atMs: 11500, type: 'offloadResume' },
      { atMs: 12000, type: 'offloadPause' },
      { atMs: 12500, type: 'offloadResume' },
      { atMs: 13000, type: 'powerTransition' },
      { atMs: 14000, type: 'restart' },
    ];
  }),
);
const million = smallMillionScenario();

/** A result without its wall times, as JSON (key order included). */
const figures = (r: RunResult) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'wallMs' ? undefined : v)));

function run(scenario: Scenario, policy: OffloadPolicy, onThread: boolean, capacity?: number): Promise<RunResult> {
  return runLab({
    source: new SyntheticWorkload(scenario, scenario === million ? websearch : hadoop),
    setup: scenario as RunSetup,
    capacity,
    policy,
    target: onThread ? (options) => new TargetThread(options, worker) : undefined,
  });
}

test('every policy, every host event, initiate faults, several capacities: the same RunResult on a thread', async () => {
  for (const [name, make] of [
    ['eager', () => eager.create()],
    ['threshold', () => threshold.create({ bytes: 20_000 })],
    ['rebalance', () => rebalance.create()],
  ] as const) {
    for (const capacity of [25, 150]) {
      const here = figures(await run(small, make(), false, capacity));
      const apart = figures(await run(small, make(), true, capacity));
      assert.ok(here.initiates > 0 && here.terminations > 0 && here.initiateFailures > 0, `${name} at ${capacity}: the run does something`);
      assert.equal(apart, here, `${name} at ${capacity}`);
    }
  }
});

test('a small million.json (standing rates kept by the target, low activity): the same RunResult on a thread', async () => {
  const here = figures(await run(million, eager.create(), false));
  const apart = figures(await run(million, eager.create(), true));
  assert.ok(here.nothingLost && here.offloadedBytes > 0);
  assert.equal(apart, here);
});

test('threadable: refuses what a thread would change (no latency, upload faults, a clock of its own)', () => {
  assert.is(threadable({ latencyMs: { min: 1, max: 30 }, faults: { initiateFailure: 0.5 } }), undefined);
  assert.is(threadable({ latencyMs: 5 }), undefined);
  for (const options of [
    {},
    { latencyMs: 0 },
    { latencyMs: { min: 0, max: 10 } },
    { latencyMs: 1, faults: { hardwareFailure: 0.01 } },
    { latencyMs: 1, faults: { uploadRequests: 0.01 } },
    { latencyMs: 1, clock: new ManualClock() },
  ]) {
    assert.type(threadable(options), 'string', JSON.stringify(options));
    try {
      new TargetThread(options, worker);
      assert.unreachable('made a thread for a target it cannot run');
    } catch (error) {
      assert.instance(error, OffloadError);
      assert.is((error as OffloadError).code, ErrorCode.InvalidArgument);
    }
  }
});

test('steady: bad input throws here, as SimulatedTarget.steady does, and nothing reaches the worker', async () => {
  const thread = new TargetThread({ latencyMs: 1 }, worker);
  const here = new SimulatedTarget({ latencyMs: 1 });
  try {
    for (const args of [
      [[1], [1.5], [0]],
      [[1], [-1], [0]],
      [['x'], [1], [1]],
      [[1, 2], [1], [1]],
    ] as unknown as [number[], number[], number[]][]) {
      const message = (f: () => void) => {
        try {
          f();
        } catch (error) {
          assert.instance(error, OffloadError);
          return (error as Error).message.replace(/^\S+/, '');
        }
        return assert.unreachable('accepted bad steady input');
      };
      assert.is(
        message(() => thread.steady(...args)),
        message(() => here.steady(...args)),
      );
    }
    assert.is((thread as unknown as { tape: { length: number } }).tape.length, 0);
  } finally {
    await thread.close();
  }
});

test('the worker fails mid-run: the run rejects with TargetThreadFailed, and nothing waits for ever', async () => {
  let made: TargetThread | undefined;
  let ticks = 0;
  const failed = await runLab({
    source: new SyntheticWorkload(small, hadoop),
    setup: small as RunSetup,
    policy: eager.create(),
    target: (options) => (made = new TargetThread(options, worker)),
    onSample: () => {
      if (++ticks === 5) made!.crash();
    },
    samples: 200,
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.instance(failed, TargetThreadFailed);
  assert.match((failed as Error).message, /target thread/);
  // Its calls fail too, at once.
  await made!.initiate([]).then(
    () => assert.unreachable('a call to a failed thread was answered'),
    (error: unknown) => assert.instance(error, TargetThreadFailed),
  );
});

test('before a host stack is attached: a flush and a clock step answer as on a SimulatedTarget, never an uncaught throw in the message handler', async () => {
  const uncaught: unknown[] = [];
  const listener = (error: unknown) => uncaught.push(error);
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', listener);
  const t = new TargetThread({ latencyMs: 1 }, worker);
  const s = new SimulatedTarget({ latencyMs: 1 });
  try {
    const block = { kind: Kind.Neighbor, handle: 3 } as never;
    const [fromThread] = await Promise.all([t.initiate([block]), t.flush()]);
    const [onThisThread] = await Promise.all([s.initiate([block]), s.flush()]);
    assert.equal(fromThread, onThisThread);
    t.clock.advance(5);
    await t.idle();
    // The step's reply comes after the completions: give it time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(uncaught, []);
  } finally {
    await t.close();
    process.removeListener('uncaughtException', listener);
    for (const l of listeners) process.on('uncaughtException', l);
  }
});

test('prepare with a time that is not finite changes nothing (the worker refused it and died: the run fell back)', async () => {
  const t = new TargetThread({ latencyMs: 1 }, worker);
  try {
    for (const now of [Number.POSITIVE_INFINITY, Number.NaN, -1]) t.prepare(now);
    await t.flush();
    t.clock.advance(5);
    await t.idle();
    await t.flush();
  } finally {
    await t.close();
  }
});

test.run();
