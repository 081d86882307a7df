// TcpColumns against a plain model with real segment queues (an object per connection, as the
// simulated target kept it before): random adds, removes, traffic, acknowledgements and
// deliveries give the same delegated state and the same segments, in order, for every connection.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { TcpColumns } from '../../src/target/tcp-columns.js';
import { seededRandom, type Segment } from '../../src/index.js';

/** The oracle: byte queues as segment lists, appended at the tail and taken from the head. */
class Model {
  unacknowledged: Segment[] = [];
  received: Segment[] = [];
  constructor(
    public sndUna: number,
    public sndNxt: number,
    public rcvNxt: number,
  ) {
    if (sndNxt > sndUna) this.unacknowledged.push({ seq: sndUna, length: sndNxt - sndUna });
  }
  static append(q: Segment[], seq: number, length: number) {
    if (length <= 0) return;
    const last = q[q.length - 1];
    if (last && last.seq + last.length === seq) last.length += length;
    else q.push({ seq, length });
  }
  static take(q: Segment[], bytes: number): number {
    let taken = 0;
    while (taken < bytes && q.length) {
      const n = Math.min(q[0]!.length, bytes - taken);
      q[0]!.seq += n;
      q[0]!.length -= n;
      taken += n;
      if (q[0]!.length === 0) q.shift();
    }
    return taken;
  }
  traffic(sent: number, received: number) {
    Model.append(this.unacknowledged, this.sndNxt, sent);
    this.sndNxt += sent;
    Model.append(this.received, this.rcvNxt, received);
    this.rcvNxt += received;
  }
}

const op = fc.oneof(
  fc.record({ type: fc.constant('add' as const), una: fc.nat(1e6), extra: fc.nat(5000), rcv: fc.nat(1e6) }),
  fc.record({ type: fc.constant('remove' as const), i: fc.nat() }),
  fc.record({ type: fc.constant('traffic' as const), i: fc.nat(), sent: fc.nat(10_000), received: fc.nat(10_000) }),
  fc.record({ type: fc.constant('ack' as const), i: fc.nat(), bytes: fc.nat(20_000), rtt: fc.double({ min: 1, max: 51, noNaN: true }) }),
  fc.record({ type: fc.constant('deliver' as const), i: fc.nat(), bytes: fc.nat(20_000) }),
);

const test = suite('tcp columns');

test('the columns hand back exactly what the segment-queue model does', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const t = new TcpColumns();
      const models = new Map<number, Model>();
      let next = 1;
      const at = (i: number) => [...models.keys()][i % models.size]!;
      for (const o of ops) {
        if (o.type === 'add') {
          const h = next++ * 3 + 2 ** 40; // handles beyond 32 bits
          t.add(h, 7, { sndUna: o.una, sndNxt: o.una + o.extra, rcvNxt: o.rcv });
          models.set(h, new Model(o.una, o.una + o.extra, o.rcv));
          continue;
        }
        if (!models.size) continue;
        const h = at(o.i);
        const m = models.get(h)!;
        const s = t.slot(h);
        if (o.type === 'remove') {
          t.remove(h);
          models.delete(h);
          assert.is(t.slot(h), -1);
        } else if (o.type === 'traffic') {
          t.traffic(s, o.sent, o.received);
          m.traffic(o.sent, o.received);
        } else if (o.type === 'ack') {
          t.acknowledge(s, o.bytes, o.rtt);
          m.sndUna += Model.take(m.unacknowledged, o.bytes);
        } else {
          const n = t.deliver(s, o.bytes);
          assert.is(n, Model.take(m.received, o.bytes));
        }
      }
      assert.is(t.count, models.size);
      for (const [h, m] of models) {
        const s = t.slot(h);
        const d = t.delegatedState(s);
        assert.equal([d.sndUna, d.sndNxt, d.rcvNxt], [m.sndUna, m.sndNxt, m.rcvNxt]);
        assert.equal(t.unacknowledged(s), m.unacknowledged);
        assert.equal(t.received(s), m.received);
        assert.is(t.path[s], 7);
      }
    }),
    { numRuns: 300 },
  );
});

test('RTT smoothing and congestion window follow RFC 6298 and slow start', () => {
  const t = new TcpColumns();
  const s = t.add(1, 2, { sndUna: 0, sndNxt: 0, rcvNxt: 0 });
  t.traffic(s, 10_000, 0);
  t.acknowledge(s, 1000, 40);
  let d = t.delegatedState(s);
  assert.equal([d.sRtt, d.rttVar, d.cWnd], [40, 20, 14600 + 1000]);
  t.acknowledge(s, 1000, 20);
  d = t.delegatedState(s);
  assert.equal([d.sRtt, d.rttVar], [0.875 * 40 + 0.125 * 20, 0.75 * 20 + 0.25 * 20]);
  assert.is(d.timers.retransmit, 200, 'a retransmit timer runs while data is outstanding');
  t.acknowledge(s, 1e9, 20);
  assert.is(t.delegatedState(s).timers.retransmit, null);
  assert.is(t.delegatedState(s).sndUna, 10_000, 'never acknowledges more than was sent');
});

test('trafficBatch equals traffic() per held handle, call after call, as lists shift and rows move', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          // Edits to the previous call's list: drop, insert, swap; then rows removed and added.
          drops: fc.array(fc.nat(), { maxLength: 6 }),
          inserts: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 60 })), { maxLength: 6 }),
          swaps: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
          removes: fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
          adds: fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
        }),
        { maxLength: 30 },
      ),
      (calls) => {
        const t = new TcpColumns();
        const model = new Map<number, { sent: number; received: number }>();
        const hold = (h: number) => {
          if (model.has(h)) return;
          t.add(h * 2 ** 33 + 1, 7, { sndUna: 0, sndNxt: 0, rcvNxt: 0 });
          model.set(h, { sent: 0, received: 0 });
        };
        for (let h = 1; h <= 40; h++) hold(h);
        const list = Array.from({ length: 50 }, (_, i) => i + 1);
        calls.forEach((c, round) => {
          for (const d of c.drops) if (list.length) list.splice(d % list.length, 1);
          for (const [at, h] of c.inserts) if (!list.includes(h)) list.splice(at % (list.length + 1), 0, h);
          for (const [a, b] of c.swaps) if (list.length) [list[a % list.length], list[b % list.length]] = [list[b % list.length]!, list[a % list.length]!];
          for (const h of c.removes) {
            t.remove(h * 2 ** 33 + 1);
            model.delete(h);
          }
          for (const h of c.adds) hold(h);
          const sent = list.map((h) => h + round);
          const received = list.map((h) => 2 * h + round);
          t.trafficBatch(
            list.map((h) => h * 2 ** 33 + 1),
            sent,
            received,
          );
          list.forEach((h, i) => {
            const m = model.get(h);
            if (m) {
              m.sent += sent[i]!;
              m.received += received[i]!;
            }
          });
          for (const [h, m] of model) {
            const d = t.delegatedState(t.slot(h * 2 ** 33 + 1));
            assert.equal([d.sndNxt, d.rcvNxt], [m.sent, m.received], `handle ${h} after call ${round}`);
          }
        });
      },
    ),
    { numRuns: 300 },
  );
});

/**
 * The reference step: row by row, the standing rates added with traffic(), then acknowledge() and
 * deliver() one by one with the draws step() documents (what step() inlines).
 */
function referenceStep(t: TcpColumns, rates: Map<number, [number, number]>, random: () => number, p: number, out: [number, number][]): void {
  for (let s = 0; s < t.count; s++) {
    const [a, b] = rates.get(t.handle[s]!) ?? [0, 0];
    t.traffic(s, a, b);
    const outstanding = t.sndNxt[s]! - t.sndUna[s]!;
    if (outstanding > 0) {
      const acked = Math.floor(outstanding * random());
      t.acknowledge(s, acked, 1 + random() * 50);
    }
    const buffered = t.rcvNxt[s]! - t.delivered[s]!;
    if (buffered > 0 && random() < p) {
      const n = t.deliver(s, Math.min(buffered, Math.ceil(buffered * random())));
      if (n > 0) out.push([t.handle[s]!, n]);
    }
  }
}

const rateOp = fc.oneof(
  fc.record({ type: fc.constant('add' as const), una: fc.nat(1e6), extra: fc.nat(5000), rcv: fc.nat(1e6) }),
  fc.record({ type: fc.constant('remove' as const), i: fc.nat() }),
  fc.record({
    type: fc.constant('steady' as const),
    entries: fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(0), fc.nat(50_000)), fc.oneof(fc.constant(0), fc.nat(500_000))), { maxLength: 5 }),
  }),
  fc.record({ type: fc.constant('traffic' as const), i: fc.nat(), sent: fc.nat(10_000), received: fc.nat(10_000) }),
  fc.record({ type: fc.constant('step' as const), p: fc.constantFrom(0, 0.5, 1) }),
  fc.record({ type: fc.constant('step' as const), p: fc.constantFrom(0.5) }),
);

test('steady(): each step() adds the rates before its acknowledgements, draw for draw as the reference step, as rows come and go', () => {
  fc.assert(
    fc.property(fc.array(rateOp, { maxLength: 200 }), fc.nat(), (ops, seed) => {
      const t = new TcpColumns();
      const ref = new TcpColumns();
      const rates = new Map<number, [number, number]>();
      const random = seededRandom(seed);
      const refRandom = seededRandom(seed);
      const held: number[] = [];
      let next = 1;
      for (const o of ops) {
        if (o.type === 'add') {
          const h = next++ * 5 + 2 ** 45;
          const tcp = { sndUna: o.una, sndNxt: o.una + o.extra, rcvNxt: o.rcv };
          t.add(h, 7, tcp);
          ref.add(h, 7, tcp);
          held.push(h);
        } else if (o.type === 'remove') {
          if (!held.length) continue;
          const [h] = held.splice(o.i % held.length, 1);
          t.remove(h!);
          ref.remove(h!);
          rates.delete(h!); // a row that leaves takes its rate with it
        } else if (o.type === 'steady') {
          // Entries apply in order; a handle not held (a removed one, or one never added) is skipped.
          const handles = o.entries.map(([i]) => (held.length && i % 3 ? held[i % held.length]! : 2 ** 45 + 5 * (next + 7)));
          t.steady(
            handles,
            o.entries.map((e) => e[1]),
            o.entries.map((e) => e[2]),
            handles.length,
          );
          o.entries.forEach(([, a, b], k) => {
            if (held.includes(handles[k]!)) rates.set(handles[k]!, [a, b]);
          });
        } else if (o.type === 'traffic') {
          if (!held.length) continue;
          const h = held[o.i % held.length]!;
          t.traffic(t.slot(h), o.sent, o.received);
          ref.traffic(ref.slot(h), o.sent, o.received);
        } else {
          const out: [number, number][] = [];
          referenceStep(ref, rates, refRandom, o.p, out);
          t.step(random, o.p);
          const got = Array.from({ length: t.stepDeliveries }, (_, k): [number, number] => [t.stepHandles[k]!, t.stepBytes[k]!]);
          assert.equal(got, out, 'the same deliveries in the same order');
          assert.is(random(), refRandom(), 'the same number of draws');
        }
      }
      assert.is(t.count, ref.count);
      for (const h of held) {
        const s = t.slot(h);
        const r = ref.slot(h);
        assert.equal(t.delegatedState(s), ref.delegatedState(r));
        assert.equal(t.unacknowledged(s), ref.unacknowledged(r));
        assert.equal(t.received(s), ref.received(r));
      }
    }),
    { numRuns: 300 },
  );
});

test('step() with a delivery callback tells the same deliveries, in row order, as it collects without one', () => {
  const make = () => {
    const t = new TcpColumns();
    for (let i = 1; i <= 50; i++) t.add(i, 1, { sndUna: 0, sndNxt: 0, rcvNxt: 0 });
    t.steady(
      Array.from({ length: 50 }, (_, i) => i + 1),
      Array.from({ length: 50 }, (_, i) => i * 100),
      Array.from({ length: 50 }, (_, i) => 5000 - i * 90),
      50,
    );
    return t;
  };
  const a = make();
  const b = make();
  const ra = seededRandom(3);
  const rb = seededRandom(3);
  for (let round = 0; round < 20; round++) {
    const told: [number, number][] = [];
    a.step(ra, 0.5, (h, n) => told.push([h, n]));
    b.step(rb, 0.5);
    assert.equal(
      told,
      Array.from({ length: b.stepDeliveries }, (_, k) => [b.stepHandles[k], b.stepBytes[k]]),
    );
  }
  assert.equal(a.delegatedState(7), b.delegatedState(7));
});

test.run();
