// The synthetic workload: deterministic per seed, every connection's life is well formed (opened
// once, traffic only while open, closed once after its traffic), sizes come from the CDF, transfers
// are separated by idle gaps, and events open and close what they say.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SyntheticWorkload, totalConnections } from '../../src/sim/workload.js';
import { hadoop, record, smallScenario, websearch, type RecordedTick } from './helpers.js';
import { createTickBatch } from '../../src/sim/tick-batch.js';

const test = suite('sim/workload');

/** Checks the life of every connection; returns per-connection bytes and activity runs. */
function lives(ticks: RecordedTick[]) {
  const openedAt = new Map<number, number>();
  const closedAt = new Map<number, number>();
  const bytes = new Map<number, number>();
  const runs = new Map<number, number>();
  const lastActive = new Map<number, number>();
  ticks.forEach((t, tick) => {
    for (const o of t.opened) {
      assert.not.ok(openedAt.has(o.id), `connection ${o.id} opened twice`);
      openedAt.set(o.id, tick);
    }
    const seen = new Set<number>();
    for (const x of t.traffic) {
      assert.ok(openedAt.has(x.id) && !closedAt.has(x.id), `traffic for ${x.id} while not open`);
      assert.not.ok(seen.has(x.id), `${x.id} twice in one tick`);
      seen.add(x.id);
      assert.ok(x.sent >= 0 && x.received >= 0 && x.sent + x.received > 0);
      bytes.set(x.id, (bytes.get(x.id) ?? 0) + x.sent + x.received);
      if (lastActive.get(x.id) !== tick - 1) runs.set(x.id, (runs.get(x.id) ?? 0) + 1);
      lastActive.set(x.id, tick);
    }
    for (const id of t.closed) {
      assert.ok(openedAt.has(id) && !closedAt.has(id), `close of ${id} not open`);
      closedAt.set(id, tick);
    }
  });
  return { openedAt, closedAt, bytes, runs };
}

test('the same seed gives the same ticks; another seed, others', async () => {
  const s = smallScenario();
  const a = await record(new SyntheticWorkload(s, hadoop));
  const b = await record(new SyntheticWorkload(s, hadoop));
  assert.equal(a, b);
  // The address layout (scenarios/README.md): fd01:<interface>:<neighbor>:<path>::1.
  assert.equal(a[0]!.opened[0], { id: 0, ifIndex: 1, priority: 4, localPort: 1024, remotePort: 443, destination: 'fd010000000000010000000100000001' });
  const c = await record(new SyntheticWorkload({ ...s, seed: 4 }, hadoop));
  assert.is.not(JSON.stringify(c), JSON.stringify(a));
});

test('every connection opens once, moves bytes only while open, and closes after its transfers', async () => {
  const s = smallScenario(
    (j) => ((j.connections.transfers = { min: 3, max: 3 }), (j.connections.idleGapMs = { distribution: 'fixed', ms: 450 }), (j.durationMs = 200_000)),
  );
  const ticks = await record(new SyntheticWorkload(s, hadoop));
  assert.is(ticks.length, 2000);
  const { openedAt, closedAt, runs } = lives(ticks);
  assert.is(openedAt.size, totalConnections(s));
  assert.is(totalConnections(s), 650);
  // Three transfers, each a run of busy ticks, separated by idle gaps of 450 ms (5 ticks).
  let closedWithThree = 0;
  for (const [id] of closedAt) {
    assert.is(runs.get(id), 3, `connection ${id}: ${runs.get(id)} transfers`);
    closedWithThree++;
  }
  assert.ok(closedWithThree > 500, `${closedWithThree} closed`);
});

test('burst and close events open and close what they say, at their tick', async () => {
  const s = smallScenario((j) => {
    j.connections.count = 100;
    j.connections.flowSizes = {
      cdf: [
        [1e9, 0],
        [1e9, 100],
      ],
    }; // long flows: nothing closes by itself
    j.events = [
      { atMs: 1000, type: 'burst', count: 40, priority: 200 },
      { atMs: 3050, type: 'close', count: 30 },
    ];
  });
  const ticks = await record(new SyntheticWorkload(s, websearch));
  assert.is(ticks[10]!.opened.filter((o) => o.priority === 200).length, 40);
  assert.is(ticks.flatMap((t) => t.opened).filter((o) => o.priority === 200).length, 40);
  assert.is(ticks[30]!.closed.length, 30);
  assert.is(
    ticks.reduce((n, t) => n + t.closed.length, 0),
    30,
  );
});

test('sizes follow the CDF; rates bound the bytes per tick; keys are unique', async () => {
  const s = smallScenario(
    (j) => (
      (j.durationMs = 600_000),
      (j.connections.arrivalMs = 1000),
      (j.connections.count = 2000),
      (j.connections.transfers = { min: 1, max: 1 }),
      (j.connections.rateBytesPerSecond = { min: 1e6, max: 2e6 }),
      (j.events = [])
    ),
  );
  const ticks = await record(new SyntheticWorkload(s, websearch));
  const { bytes, closedAt } = lives(ticks);
  // 30 MB at 1 MB/s at most: every connection finished and closed (a connection lost from the
  // active list when another one left it would stay open for ever).
  assert.is(closedAt.size, 2000);
  const sizes = [...closedAt.keys()].map((id) => bytes.get(id)!).sort((a, b) => a - b);
  const median = sizes[Math.floor(sizes.length / 2)]!;
  // websearch.cdf: 40% of flows are at most 50,000 bytes, 53% at most 80,000.
  assert.ok(median > 50_000 && median < 80_000, `median ${median}`);
  const perTickMax = Math.ceil((2e6 * 100) / 1000);
  for (const t of ticks) for (const x of t.traffic) assert.ok(x.sent + x.received <= perTickMax);
  const keys = new Set(ticks.flatMap((t) => t.opened.map((o) => `${o.destination}/${o.localPort}/${o.remotePort}`)));
  assert.is(keys.size, 2000);
});

test('random small scenarios: well-formed lives and determinism', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        count: fc.integer({ min: 0, max: 300 }),
        tickMs: fc.integer({ min: 1, max: 500 }),
        min: fc.integer({ min: 1, max: 4 }),
        extra: fc.integer({ min: 0, max: 3 }),
        gap: fc.constantFrom('fixed', 'exponential', 'pareto'),
        keepAliveMs: fc.integer({ min: 0, max: 3000 }),
        closeAt: fc.integer({ min: 0, max: 10_000 }),
        closeCount: fc.integer({ min: 1, max: 400 }),
      }),
      async (r) => {
        const s = smallScenario((j) => {
          Object.assign(j, { seed: r.seed, tickMs: r.tickMs, durationMs: 10_000 });
          j.connections = { ...j.connections, count: r.count, arrivalMs: 5000, transfers: { min: r.min, max: r.min + r.extra }, keepAliveMs: r.keepAliveMs };
          j.connections.idleGapMs =
            r.gap === 'fixed'
              ? { distribution: 'fixed', ms: 300 }
              : r.gap === 'exponential'
                ? { distribution: 'exponential', meanMs: 300 }
                : { distribution: 'pareto', minMs: 50, alpha: 0.8 };
          j.events = [
            { atMs: r.closeAt, type: 'close', count: r.closeCount },
            { atMs: 2000, type: 'burst', count: 7, priority: 1 },
          ];
        });
        const a = await record(new SyntheticWorkload(s, hadoop));
        assert.is(a.length, Math.ceil(10_000 / r.tickMs));
        const { openedAt } = lives(a);
        assert.is(openedAt.size, r.count + 7);
        assert.equal(await record(new SyntheticWorkload(s, hadoop)), a);
      },
    ),
    { numRuns: 60 },
  );
});

test('a reader that tags connections gets its tags back with their traffic, and the same ticks as one that does not', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 0, max: 3 }), (seed, every) => {
      const scenario = smallScenario((s) => (s.seed = seed));
      const plain = new SyntheticWorkload(scenario, hadoop);
      const tagged = new SyntheticWorkload(scenario, hadoop);
      const a = createTickBatch(2);
      const b = createTickBatch(2);
      const tagOf = new Map<number, number>();
      for (let tick = 0, more = true; more; tick++) {
        more = plain.next(tick, a);
        assert.is(tagged.next(tick, b), more);
        assert.equal(Array.from(b.traffic.id.subarray(0, b.traffic.count)), Array.from(a.traffic.id.subarray(0, a.traffic.count)));
        assert.equal(Array.from(b.traffic.sent.subarray(0, b.traffic.count)), Array.from(a.traffic.sent.subarray(0, a.traffic.count)));
        assert.equal(Array.from(b.closed.id.subarray(0, b.closed.count)), Array.from(a.closed.id.subarray(0, a.closed.count)));
        for (let i = 0; i < b.traffic.count; i++) assert.is(b.traffic.tag![i], tagOf.get(b.traffic.id[i]!) ?? 0, `tick ${tick}, connection ${b.traffic.id[i]}`);
        // Tag some of this tick's new connections (a reader may tag any of them, or none).
        const ids: number[] = [];
        const tags: number[] = [];
        for (let i = 0; i < b.opened.count; i++) {
          if (every && b.opened.id[i]! % every !== 0) continue;
          ids.push(b.opened.id[i]!);
          tags.push(1e12 + b.opened.id[i]! * 7);
        }
        tagged.tag(ids, tags, ids.length);
        ids.forEach((id, i) => tagOf.set(id, tags[i]!));
      }
    }),
    { numRuns: 20 },
  );
  assert.throws(() => new SyntheticWorkload(smallScenario(), hadoop).tag([0], [5], 1), /never opened/);
});

test('a transfer is one rate change, a stop and its last bytes, not an entry per tick; rates are well formed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.boolean(), (seed, keepAlive) => {
      const scenario = smallScenario((s) => {
        s.seed = seed;
        s.connections.rateBytesPerSecond = { min: 5000, max: 20_000 };
        if (keepAlive) s.connections.keepAliveMs = 700;
        s.events.push({ atMs: 9000, type: 'close', count: 40 });
      });
      const w = new SyntheticWorkload(scenario, hadoop);
      const b = createTickBatch(2);
      const rate = new Map<number, number>();
      let starts = 0;
      let raw = 0;
      let perTickEntries = 0;
      for (let tick = 0, more = true; more; tick++) {
        more = w.next(tick, b);
        const r = b.rates!;
        const stopped = new Map<number, number>();
        for (let i = 0; i < r.count; i++) {
          const id = r.id[i]!;
          const bytes = r.sent[i]! + r.received[i]!;
          if (bytes > 0) {
            assert.not.ok(rate.has(id), `tick ${tick}: a second rate for connection ${id} without a stop`);
            assert.ok(Number.isInteger(r.sent[i]) && Number.isInteger(r.received[i]));
            rate.set(id, bytes);
            starts++;
          } else {
            assert.ok(rate.has(id), `tick ${tick}: a stop for connection ${id}, which has no rate`);
            stopped.set(id, rate.get(id)!);
            rate.delete(id);
          }
        }
        // One-off bytes only in a transfer's last tick (its rate stops then), at most its rate.
        for (let i = 0; i < b.traffic.count; i++) {
          const id = b.traffic.id[i]!;
          const bytes = b.traffic.sent[i]! + b.traffic.received[i]!;
          assert.ok(stopped.has(id), `tick ${tick}: one-off bytes for connection ${id} whose rate goes on`);
          assert.ok(bytes > 0 && bytes <= stopped.get(id)!, `tick ${tick}: last bytes ${bytes} of a rate of ${stopped.get(id)}`);
        }
        for (let i = 0; i < b.closed.count; i++) assert.not.ok(rate.has(b.closed.id[i]!), `tick ${tick}: connection ${b.closed.id[i]} closes with its rate on`);
        raw += r.count + b.traffic.count;
        perTickEntries += rate.size + b.traffic.count;
      }
      assert.ok(starts > 0);
      // Each transfer: a rate, a stop and at most one one-off entry, whatever its length in ticks.
      assert.ok(raw <= 3 * starts, `${raw} entries for ${starts} transfers`);
      assert.ok(perTickEntries > 3 * raw, `per tick: ${perTickEntries} entries; as rates: ${raw}`);
    }),
    { numRuns: 20 },
  );
  assert.throws(() => new SyntheticWorkload(smallScenario(), hadoop).next(0, { ...createTickBatch(1), rates: undefined }), /no rates section/);
});

test('the workload is read in order, from tick 0', () => {
  const w = new SyntheticWorkload(smallScenario(), hadoop);
  assert.throws(() => w.next(3, { opened: {}, traffic: {}, closed: {} } as never), /expected tick 0, got 3/);
});

test.run();
