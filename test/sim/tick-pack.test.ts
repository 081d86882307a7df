// Ticks packed into an ArrayBuffer come back as they were: every column's used entries, the
// counts, whether more follow and the source's tick estimate; several ticks share one buffer and
// unpacking into a used, too-small batch grows it and leaves nothing of the old tick behind.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { TickBatch } from '../../src/sim/source.js';
import { createTickBatch } from '../../src/sim/tick-batch.js';
import { packedTickBytes, packTick, unpackTick, type PackedTick } from '../../src/sim/tick-pack.js';
import { SyntheticWorkload } from '../../src/sim/workload.js';
import { hadoop, smallScenario } from './helpers.js';

const test = suite('tick-pack');

/** A batch's used entries as plain arrays (tag left out: it does not travel). */
function plain(b: TickBatch) {
  const o = b.opened;
  const cut = <A extends { subarray(a: number, b: number): ArrayLike<number> }>(a: A, n: number) => Array.from(a.subarray(0, n));
  return {
    opened: {
      id: cut(o.id, o.count),
      ifIndex: cut(o.ifIndex, o.count),
      nextHop: cut(o.nextHop, 16 * o.count),
      source: cut(o.source, 16 * o.count),
      destination: cut(o.destination, 16 * o.count),
      localPort: cut(o.localPort, o.count),
      remotePort: cut(o.remotePort, o.count),
      priority: cut(o.priority, o.count),
    },
    traffic: { id: cut(b.traffic.id, b.traffic.count), sent: cut(b.traffic.sent, b.traffic.count), received: cut(b.traffic.received, b.traffic.count) },
    rates: { id: cut(b.rates!.id, b.rates!.count), sent: cut(b.rates!.sent, b.rates!.count), received: cut(b.rates!.received, b.rates!.count) },
    closed: cut(b.closed.id, b.closed.count),
  };
}

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const bytes = fc.oneof(fc.nat(), fc.double({ min: 0, max: 2 ** 53, noNaN: true }));
const arbTick = fc.record({
  opened: fc.array(
    fc.record({
      id: u32,
      ifIndex: u32,
      port: fc.integer({ min: 0, max: 65535 }),
      priority: fc.integer({ min: 0, max: 255 }),
      addr: fc.uint8Array({ minLength: 48, maxLength: 48 }),
    }),
    { maxLength: 20 },
  ),
  traffic: fc.array(fc.tuple(u32, bytes, bytes), { maxLength: 30 }),
  rates: fc.array(fc.tuple(u32, bytes, bytes), { maxLength: 30 }),
  closed: fc.array(u32, { maxLength: 20 }),
  more: fc.boolean(),
  ticks: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e12, noNaN: true })),
});

type Tick = typeof arbTick extends fc.Arbitrary<infer T> ? T : never;

function batchOf(t: Tick): TickBatch {
  const b = createTickBatch(1);
  // Grown by hand to exactly what is used, so that packing must not read past `count`.
  const o = b.opened;
  o.count = t.opened.length;
  o.id = Uint32Array.from(t.opened.map((x) => x.id));
  o.ifIndex = Uint32Array.from(t.opened.map((x) => x.ifIndex));
  o.localPort = Uint16Array.from(t.opened.map((x) => x.port));
  o.remotePort = Uint16Array.from(t.opened.map((x) => 65535 - x.port));
  o.priority = Uint8Array.from(t.opened.map((x) => x.priority));
  o.nextHop = Uint8Array.from(t.opened.flatMap((x) => Array.from(x.addr.subarray(0, 16))));
  o.source = Uint8Array.from(t.opened.flatMap((x) => Array.from(x.addr.subarray(16, 32))));
  o.destination = Uint8Array.from(t.opened.flatMap((x) => Array.from(x.addr.subarray(32, 48))));
  const cols = (rows: [number, number, number][]) => ({
    count: rows.length,
    id: Uint32Array.from(rows.map((r) => r[0])),
    sent: Float64Array.from(rows.map((r) => r[1])),
    received: Float64Array.from(rows.map((r) => r[2])),
  });
  b.traffic = { ...cols(t.traffic), tag: new Float64Array(t.traffic.length) };
  b.rates = cols(t.rates);
  b.closed = { count: t.closed.length, id: Uint32Array.from(t.closed) };
  return b;
}

test('any ticks, several to a buffer, come back entry for entry', () => {
  fc.assert(
    fc.property(fc.array(arbTick, { minLength: 1, maxLength: 6 }), fc.nat(3), (ticks, slack) => {
      const batches = ticks.map(batchOf);
      const size = batches.reduce((n, b) => n + packedTickBytes(b), 0);
      for (const b of batches) assert.is(packedTickBytes(b) % 8, 0);
      const buffer = new ArrayBuffer(size + 8 * slack);
      let at = 0;
      batches.forEach((b, i) => {
        at = packTick(b, 100 + i, ticks[i]!.more, ticks[i]!.ticks, buffer, at);
      });
      assert.is(at, size);
      // One reused batch, big enough for none of them at first.
      const into = createTickBatch(1);
      const read: PackedTick = { tick: 0, more: false, ticks: 0, end: 0 };
      at = 0;
      batches.forEach((b, i) => {
        const r = unpackTick(buffer, at, into, read);
        assert.is(r, read);
        assert.equal(plain(into), plain(b));
        assert.equal([r.tick, r.more, r.ticks], [100 + i, ticks[i]!.more, ticks[i]!.ticks]);
        at = r.end;
      });
      assert.is(at, size);
    }),
    { numRuns: 200 },
  );
});

test("a workload's own ticks round-trip (the layout of real batches: grown columns, rates)", () => {
  const w = new SyntheticWorkload(smallScenario(), hadoop);
  const b = createTickBatch(4);
  const into = createTickBatch(2);
  const read: PackedTick = { tick: 0, more: false, ticks: 0, end: 0 };
  let rates = 0;
  for (let tick = 0, more = true; more; tick++) {
    more = w.next(tick, b);
    rates += b.rates!.count;
    const buffer = new ArrayBuffer(packedTickBytes(b));
    packTick(b, tick, more, w.ticks, buffer, 0);
    unpackTick(buffer, 0, into, read);
    assert.equal(plain(into), plain(b), `tick ${tick}`);
    assert.equal([read.tick, read.more, read.ticks], [tick, more, w.ticks]);
  }
  assert.ok(rates > 0);
});

test('no room, a misaligned offset, or a buffer cut short: a RangeError, nothing written past the end', () => {
  const w = new SyntheticWorkload(smallScenario(), hadoop);
  const b = createTickBatch();
  w.next(0, b);
  const need = packedTickBytes(b);
  assert.throws(() => packTick(b, 0, true, 1, new ArrayBuffer(need - 8), 0), RangeError);
  assert.throws(() => packTick(b, 0, true, 1, new ArrayBuffer(need + 8), 4), RangeError);
  const buffer = new ArrayBuffer(need);
  packTick(b, 0, true, 1, buffer, 0);
  const read: PackedTick = { tick: 0, more: false, ticks: 0, end: 0 };
  assert.throws(() => unpackTick(buffer.slice(0, need - 8), 0, createTickBatch(), read), /runs past the end/);
  assert.throws(() => unpackTick(buffer, 4, createTickBatch(), read), RangeError);
  const noRates = createTickBatch();
  delete noRates.rates;
  if (b.rates!.count) assert.throws(() => unpackTick(buffer, 0, noRates, read), /rates section/);
});

test.run();
