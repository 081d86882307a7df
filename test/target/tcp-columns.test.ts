// TcpColumns against a plain model with real segment queues (an object per connection, as the
// simulated target kept it before): random adds, removes, traffic, acknowledgements and
// deliveries give the same delegated state and the same segments, in order, for every connection.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { TcpColumns } from '../../src/target/tcp-columns.js';
import type { Segment } from '../../src/index.js';

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

test.run();
