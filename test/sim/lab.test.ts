// runLab end to end, in this process: for random small workloads, policies and capacities, bytes
// are conserved, no policy beats the oracle, nothing is lost and check() holds; the same seed
// gives the same numbers; a policy written in code runs; the timeline adds up to the totals.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SimulatedTarget } from '../../src/target/simulated-target.js';
import { runLab } from '../../src/sim/run.js';
import { SyntheticWorkload } from '../../src/sim/workload.js';
import { policies } from '../../src/host/policies/index.js';
import { ConnectionStatus, type OffloadPolicy } from '../../src/host/policy.js';
import type { Scenario } from '../../src/sim/scenario.js';
import type { WorkloadSource } from '../../src/sim/source.js';
import { createTickBatch } from '../../src/sim/tick-batch.js';
import { TrafficByTick } from '../../src/sim/standing.js';
import { hadoop, smallScenario } from './helpers.js';

const test = suite('sim/lab');

const run = (s: Scenario, policy: OffloadPolicy, capacity?: number) =>
  runLab({ source: new SyntheticWorkload(s, hadoop), setup: s, policy, capacity, oracle: true, yieldEvery: async () => {} });

test('random workloads, policies and capacities: conservation, the oracle bound, nothing lost, check()', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        capacity: fc.integer({ min: 0, max: 200 }),
        policy: fc.constantFrom('eager', 'threshold', 'rebalance'),
        transfers: fc.integer({ min: 1, max: 5 }),
        events: fc.subarray([
          { atMs: 2000, type: 'linkDown', ifIndex: 1 },
          { atMs: 2500, type: 'linkUp', ifIndex: 1 },
          { atMs: 3000, type: 'burst', count: 40, priority: 8 },
          { atMs: 3500, type: 'close', count: 30 },
          { atMs: 4000, type: 'uploadRequests', count: 10, reason: 'HardwareFailure' },
          { atMs: 4500, type: 'pause' },
          { atMs: 5000, type: 'restart' },
          { atMs: 5500, type: 'invalidateNeighbor', ifIndex: 2 },
          { atMs: 6000, type: 'uploadAll' },
          { atMs: 6500, type: 'offloadResume' },
        ]),
      }),
      async (r) => {
        const s = smallScenario((j) => {
          Object.assign(j, { seed: r.seed, durationMs: 8000, events: r.events });
          j.connections = { ...j.connections, count: 200, arrivalMs: 6000, transfers: { min: 1, max: r.transfers } };
        });
        const x = await run(s, policies[r.policy]!.create(), r.capacity);
        assert.is(x.offloadedBytes + x.softwareBytes, x.totalBytes, 'conservation');
        assert.ok(x.conserved);
        assert.ok(
          x.offloadedBytes <= x.oracle!.offloadedBytes,
          `${r.policy} at ${r.capacity} beat the oracle: ${x.offloadedBytes} > ${x.oracle!.offloadedBytes}`,
        );
        assert.ok(x.oracleRatio >= 0 && x.oracleRatio <= 1);
        assert.is(x.check, 'ok');
        assert.ok(x.nothingLost, x.nothingLostDetail.firstFailures.join('; '));
        assert.ok(x.peakOccupied <= r.capacity);
        if (r.capacity === 0) assert.is(x.offloadedBytes, 0);
      },
    ),
    { numRuns: 25 },
  );
});

test('the same seed gives the same numbers; the timeline adds up to the totals', async () => {
  const s = smallScenario();
  const strip = (x: Awaited<ReturnType<typeof run>>) => ({ ...x, wallMs: 0 });
  const a = await run(s, policies.threshold!.create());
  const b = await run(s, policies.threshold!.create());
  assert.equal(strip(a), strip(b));
  assert.is(
    a.timeline.reduce((n, t) => n + t.offloadedBytes, 0),
    a.offloadedBytes,
  );
  assert.is(
    a.timeline.reduce((n, t) => n + t.softwareBytes, 0),
    a.softwareBytes,
  );
  assert.is(a.timeline.at(-1)!.atMs, 20_000);
  assert.ok(a.offloadedBytes > 0 && a.softwareBytes > 0);
});

test('a source that hands back tags gives the same run as one that does not', async () => {
  const s = smallScenario();
  const strip = (x: Awaited<ReturnType<typeof run>>) => ({ ...x, wallMs: 0 });
  const tagged = await run(s, policies.rebalance!.create());
  // The same workload without tag(): the loop maps every traffic entry by id.
  const inner = new SyntheticWorkload(s, hadoop);
  const plain: WorkloadSource = { tickMs: inner.tickMs, ticks: inner.ticks, name: inner.name, next: (t, b) => inner.next(t, b) };
  const untagged = await runLab({ source: plain, setup: s, policy: policies.rebalance!.create(), oracle: true });
  assert.equal(strip(untagged), strip(tagged));
  assert.ok(tagged.initiates > 0);
});

test('standing rates give the same run, byte for byte, as the same bytes sent as traffic every tick', async () => {
  const strip = (x: Awaited<ReturnType<typeof run>>) => ({ ...x, wallMs: 0 });
  for (const [name, capacity] of [
    ['eager', 40],
    ['threshold', 25],
    ['rebalance', 40],
  ] as const) {
    const s = smallScenario();
    const withRates = await run(s, policies[name]!.create(), capacity);
    // The same workload with every tick's bytes as one-off traffic (TrafficByTick's list) and no rates.
    const inner = new SyntheticWorkload(s, hadoop);
    const innerBatch = createTickBatch();
    const perTick = new TrafficByTick();
    const plain: WorkloadSource = {
      tickMs: inner.tickMs,
      ticks: inner.ticks,
      name: inner.name,
      next(tick, b) {
        const more = inner.next(tick, innerBatch);
        const t = perTick.read(innerBatch);
        b.opened = innerBatch.opened;
        b.closed = innerBatch.closed;
        b.rates!.count = 0;
        b.traffic = { count: t.count, id: t.id, sent: t.sent, received: t.received };
        return more;
      },
    };
    const everyTick = await runLab({ source: plain, setup: s, policy: policies[name]!.create(), capacity, oracle: true });
    assert.equal(strip(everyTick), strip(withRates), name);
    assert.ok(withRates.initiates > 0 && withRates.softwareBytes > 0);
  }
});

test('a policy written in code runs: it offloads what it picks and nothing else', async () => {
  const picked = new Set<number>();
  const evenIds: OffloadPolicy = {
    name: 'even ids',
    tick({ columns: c, live }) {
      const offload: number[] = [];
      for (const slot of live) if (c.status[slot] === ConnectionStatus.Software && c.id[slot]! % 2 === 0) offload.push(slot), picked.add(c.id[slot]!);
      return { offload };
    },
  };
  const x = await run(smallScenario(), evenIds, 1000);
  assert.ok(x.initiates > 0 && x.offloadedBytes > 0);
  assert.ok([...picked].every((id) => id % 2 === 0));
  assert.is(x.offloadedBytes + x.softwareBytes, x.totalBytes);
});

test('bad runLab options are one OffloadError naming each, never a TypeError from inside', async () => {
  const s = smallScenario();
  const good = { source: new SyntheticWorkload(s, hadoop), setup: s, policy: policies.eager!.create() };
  const cases: [unknown, RegExp][] = [
    [{}, /runLab: source must be a WorkloadSource .*; setup must be a scenario .*; policy must be an OffloadPolicy/],
    [null, /runLab: expected \{ source, setup, policy \}, got null/],
    [{ ...good, policy: { name: 'x' } }, /^runLab: policy must be an OffloadPolicy/],
    [{ ...good, setup: { target: {} } }, /^runLab: setup must be a scenario/],
    [{ ...good, capacity: -1 }, /^runLab: capacity must be an integer of at least 0, got number -1/],
    [{ ...good, target: new SimulatedTarget() }, /^runLab: target must be a function that makes the run's target/],
    [{ ...good, target: () => 7 }, /^runLab: options.target must return a target .*got number 7/],
    [{ ...good, target: () => ({ flush() {}, clock: {} }) }, /^runLab: the target options.target made has no linkDown, .*setCapacity, clock/],
  ];
  for (const [options, message] of cases) {
    try {
      await runLab(options as never);
      assert.unreachable(String(message));
    } catch (e) {
      assert.is((e as Error).name, 'OffloadError', String(e));
      assert.match((e as Error).message, message);
    }
  }
});

test('a workload source that sends traffic or a rate for a connection it never opened (or already closed) is named', async () => {
  const s = smallScenario();
  const bogus = (mistake: 'traffic' | 'close' | 'rate'): WorkloadSource => ({
    name: 'bogus',
    tickMs: 100,
    ticks: 3,
    next(tick, b) {
      b.opened.count = b.traffic.count = b.closed.count = b.rates!.count = 0;
      if (tick === 0) {
        b.opened.count = 1;
        b.opened.id[0] = 7;
        b.opened.ifIndex[0] = 1;
        b.opened.localPort[0] = 1000;
        b.opened.remotePort[0] = 80;
        b.opened.nextHop[15] = b.opened.source[15] = 1;
        b.opened.destination[15] = 2;
        b.closed.count = 1;
        b.closed.id[0] = 7;
      } else if (mistake === 'close') {
        b.closed.count = 1;
        b.closed.id[0] = 7;
      } else if (mistake === 'rate') {
        b.rates!.count = 1;
        b.rates!.id[0] = 7;
        b.rates!.sent[0] = 5;
      } else {
        b.traffic.count = 1;
        b.traffic.id[0] = 9;
        b.traffic.sent[0] = 5;
      }
      return tick < 2;
    },
  });
  for (const [mistake, message] of [
    ['traffic', /tick 1: traffic for connection 9, which is not open/],
    ['close', /tick 1: closes connection 7, which is not open/],
    ['rate', /tick 1: a rate for connection 7, which is not open/],
  ] as const) {
    try {
      await runLab({ source: bogus(mistake), setup: s, policy: policies.eager!.create() });
      assert.unreachable();
    } catch (e) {
      assert.match(String(e), message);
    }
  }
});

test('a target whose optional prepare/idle/close is not a function is refused up front, never a TypeError mid-run', async () => {
  const s = smallScenario();
  for (const name of ['prepare', 'idle', 'close']) {
    const good = { source: new SyntheticWorkload(s, hadoop), setup: s, policy: policies.eager!.create() };
    let closed = 0;
    const target = (o: ConstructorParameters<typeof SimulatedTarget>[0]) =>
      Object.assign(new SimulatedTarget(o), { [name]: 42, ...(name === 'close' ? {} : { close: () => void closed++ }) });
    try {
      await runLab({ ...good, target } as never);
      assert.unreachable(name);
    } catch (e) {
      assert.is((e as Error).name, 'OffloadError', String(e));
      assert.match((e as Error).message, new RegExp(`^runLab: the target options.target made has .*${name} that is not a function`));
    }
    if (name !== 'close') assert.is(closed, 1, `the refused target (${name}) was closed`);
  }
});

test('a target runLab refuses is closed (a thread it runs on must not outlive the refusal)', async () => {
  const s = smallScenario();
  let closed = 0;
  try {
    await runLab({
      source: new SyntheticWorkload(s, hadoop),
      setup: s,
      policy: policies.eager!.create(),
      target: () => ({ flush() {}, clock: {}, close: () => void closed++ }) as never,
    });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /has no linkDown/);
  }
  assert.is(closed, 1);
});

test('a target whose prepare throws is an error of the run, not the end of it', async () => {
  const s = smallScenario();
  const run = (prepare?: () => void) =>
    runLab({
      source: new SyntheticWorkload(s, hadoop),
      setup: s,
      policy: policies.eager!.create(),
      target: (o) => Object.assign(new SimulatedTarget(o), prepare ? { prepare } : {}),
    });
  const plain = await run();
  const thrown = await run(() => {
    throw new Error('prepare broke');
  });
  assert.ok(thrown.errors.count > plain.errors.count);
  assert.match(thrown.errors.first.join('\n'), /the target's prepare threw: .*prepare broke/);
  assert.is(thrown.offloadedBytes, plain.offloadedBytes);
});

test.run();
