// The oracle: checked against a plain brute-force model of its definition (sort every tick, take
// the top `capacity`), and for the properties that make it a bound: never above all bytes, never
// falling as capacity grows, all bytes once capacity covers the busiest tick.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Oracle, runOracle } from '../../src/sim/oracle.js';
import { SyntheticWorkload } from '../../src/sim/workload.js';
import { createTickBatch } from '../../src/sim/tick-batch.js';
import type { TickBatch } from '../../src/sim/source.js';
import { hadoop, record, smallScenario, type RecordedTick } from './helpers.js';

const test = suite('sim/oracle');

/** The oracle's definition, written the obvious way. */
function bruteForce(ticks: RecordedTick[], capacity: number) {
  let held: number[] = [];
  let offloaded = 0,
    initiates = 0,
    terminations = 0;
  for (const t of ticks) {
    const was = new Set(held);
    const ranked = t.traffic
      .map((x, i) => ({ id: x.id, bytes: x.sent + x.received, i }))
      .sort((a, b) => b.bytes - a.bytes || Number(was.has(b.id)) - Number(was.has(a.id)) || a.i - b.i);
    const chosen = ranked.slice(0, capacity).sort((a, b) => a.i - b.i);
    const now = new Set(chosen.map((x) => x.id));
    offloaded += chosen.reduce((s, x) => s + x.bytes, 0);
    const idle = held.filter((id) => !now.has(id)).slice(0, Math.max(0, capacity - chosen.length));
    const next = [...chosen.map((x) => x.id), ...idle];
    const nextSet = new Set(next);
    initiates += next.filter((id) => !was.has(id)).length;
    terminations += held.filter((id) => !nextSet.has(id)).length;
    const closed = new Set(t.closed);
    terminations += next.filter((id) => closed.has(id)).length;
    held = next.filter((id) => !closed.has(id));
  }
  return { offloaded, initiates, terminations };
}

/** Replays recorded ticks as batches. */
function replay(ticks: RecordedTick[], oracle: Oracle): void {
  const b: TickBatch = createTickBatch(1);
  for (const t of ticks) {
    const big = createTickBatch(Math.max(1, t.traffic.length, t.closed.length, t.opened.length));
    Object.assign(b, big);
    b.opened.count = t.opened.length;
    t.traffic.forEach((x, i) => {
      b.traffic.id[i] = x.id;
      b.traffic.sent[i] = x.sent;
      b.traffic.received[i] = x.received;
    });
    b.traffic.count = t.traffic.length;
    t.closed.forEach((id, i) => (b.closed.id[i] = id));
    b.closed.count = t.closed.length;
    oracle.observe(b);
  }
}

test('matches the brute-force definition: bytes, initiates and terminations', async () => {
  const ticks = await record(new SyntheticWorkload(smallScenario(), hadoop));
  const caps = [0, 1, 7, 25, 80, 150, 400, 5000];
  const oracle = new Oracle(caps);
  replay(ticks, oracle);
  const got = oracle.summary(20_000);
  caps.forEach((c, k) => {
    const want = bruteForce(ticks, c);
    const r = got.results[k]!;
    assert.equal({ offloaded: r.offloadedBytes, initiates: r.initiates, terminations: r.terminations }, want, `capacity ${c}`);
  });
});

test('random workloads with ties: same as brute force; monotone; all bytes at the busiest tick', () => {
  const tick = fc.record({
    traffic: fc.uniqueArray(fc.record({ id: fc.integer({ min: 0, max: 40 }), sent: fc.constantFrom(0, 1, 5, 5, 9), received: fc.constantFrom(1, 2, 4, 4) }), {
      selector: (x) => x.id,
      maxLength: 30,
    }),
    closed: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 5 }),
  });
  fc.assert(
    fc.property(fc.array(tick, { maxLength: 30 }), fc.uniqueArray(fc.integer({ min: 0, max: 45 }), { minLength: 1, maxLength: 6 }), (raw, caps) => {
      // A closed id does not come back: later traffic for it is dropped.
      const gone = new Set<number>();
      const ticks: RecordedTick[] = raw.map((t) => {
        const out = { opened: [], traffic: t.traffic.filter((x) => !gone.has(x.id)), closed: t.closed.filter((id) => !gone.has(id)) };
        out.closed.forEach((id) => gone.add(id));
        return out;
      });
      const oracle = new Oracle(caps);
      replay(ticks, oracle);
      const s = oracle.summary(1000);
      const sorted = [...s.results].sort((a, b) => a.capacity - b.capacity);
      for (let i = 0; i < sorted.length; i++) {
        const r = sorted[i]!;
        const want = bruteForce(ticks, r.capacity);
        assert.equal({ offloaded: r.offloadedBytes, initiates: r.initiates, terminations: r.terminations }, want);
        assert.ok(r.offloadedBytes <= s.totalBytes);
        if (i > 0) assert.ok(r.offloadedBytes >= sorted[i - 1]!.offloadedBytes, 'never falls as capacity grows');
        if (r.capacity >= s.peakActive) assert.is(r.offloadedBytes, s.totalBytes);
      }
    }),
    { numRuns: 300 },
  );
});

test('ids reused after the tick that closed them (as a recorded source may): same as brute force', () => {
  const tick = fc.record({
    traffic: fc.uniqueArray(fc.record({ id: fc.integer({ min: 0, max: 12 }), sent: fc.constantFrom(0, 1, 5), received: fc.constantFrom(1, 2, 4) }), {
      selector: (x) => x.id,
      maxLength: 12,
    }),
    closed: fc.uniqueArray(fc.integer({ min: 0, max: 12 }), { maxLength: 6 }),
  });
  fc.assert(
    fc.property(fc.array(tick, { maxLength: 25 }), fc.uniqueArray(fc.integer({ min: 1, max: 14 }), { minLength: 1, maxLength: 4 }), (ticks, caps) => {
      const oracle = new Oracle(caps);
      replay(
        ticks.map((t) => ({ opened: [], ...t })),
        oracle,
      );
      oracle.summary(1000).results.forEach((r) => {
        const want = bruteForce(
          ticks.map((t) => ({ opened: [], ...t })),
          r.capacity,
        );
        assert.equal({ offloaded: r.offloadedBytes, initiates: r.initiates, terminations: r.terminations }, want, `capacity ${r.capacity}`);
      });
    }),
    { numRuns: 300 },
  );
});

test('ratio 1.0 once capacity exceeds the connections alive at any time', async () => {
  const source = new SyntheticWorkload(smallScenario(), hadoop);
  const s = await runOracle(source, [5, 20, 1_000_000]);
  assert.ok(s.peakAlive < 1_000_000 && s.peakAlive >= s.peakActive);
  assert.is(s.results[2]!.offloadRatio, 1);
  assert.ok(s.results[0]!.offloadRatio < s.results[1]!.offloadRatio && s.results[1]!.offloadRatio < 1, JSON.stringify(s));
  assert.is(s.connections, 650);
  assert.ok(s.results[0]!.churnPerSecond > 0);
});

test('bad capacities are refused', () => {
  assert.throws(() => new Oracle([-1]), /capacity must be an integer >= 0, got -1/);
  assert.throws(() => new Oracle([1.5]), /got 1.5/);
});

test.run();
