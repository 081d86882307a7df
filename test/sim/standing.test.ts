// TrafficByTick (src/sim/standing.ts): a tick's bytes, connection by connection, from one-off
// entries and standing rates, listed in the order of a per-tick source whose transfers are a
// swap-remove list (the order the oracle breaks ties by).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { TrafficByTick } from '../../src/sim/standing.js';
import { createTickBatch, resetTickBatch, roomForRates, roomForTraffic, roomToClose } from '../../src/sim/tick-batch.js';
import type { TickBatch } from '../../src/sim/source.js';

const test = suite('sim/standing');

type Entry = [id: number, sent: number, received: number];

function put(b: TickBatch, traffic: Entry[], rates: Entry[], closed: number[]): TickBatch {
  resetTickBatch(b);
  roomForTraffic(b, traffic.length);
  roomForRates(b, rates.length);
  roomToClose(b, closed.length);
  for (const [id, s, r] of traffic) {
    const i = b.traffic.count++;
    b.traffic.id[i] = id;
    b.traffic.sent[i] = s;
    b.traffic.received[i] = r;
  }
  for (const [id, s, r] of rates) {
    const i = b.rates!.count++;
    b.rates!.id[i] = id;
    b.rates!.sent[i] = s;
    b.rates!.received[i] = r;
  }
  for (const id of closed) b.closed.id[b.closed.count++] = id;
  return b;
}

const list = (t: ReturnType<TrafficByTick['read']>): Entry[] => Array.from({ length: t.count }, (_, i) => [t.id[i]!, t.sent[i]!, t.received[i]!]);

test('rates count every tick until stopped; one-off bytes add on top; a close stops a rate; one-offs without a rate follow in batch order', () => {
  const b = createTickBatch(2);
  const t = new TrafficByTick();
  assert.equal(
    list(
      t.read(
        put(
          b,
          [[9, 1, 1]],
          [
            [1, 10, 5],
            [2, 3, 0],
          ],
          [],
        ),
      ),
    ),
    [
      [1, 10, 5],
      [2, 3, 0],
      [9, 1, 1],
    ],
  );
  assert.equal(
    list(
      t.read(
        put(
          b,
          [
            [7, 4, 4],
            [2, 1, 1],
          ],
          [],
          [],
        ),
      ),
    ),
    [
      [1, 10, 5],
      [2, 4, 1],
      [7, 4, 4],
    ],
  );
  assert.is(t.standing, 2);
  // A stop without one-off bytes leaves at once (the last entry takes its place); a close stops a rate.
  assert.equal(
    list(
      t.read(
        put(
          b,
          [],
          [
            [3, 1, 0],
            [1, 0, 0],
          ],
          [],
        ),
      ),
    ),
    [
      [3, 1, 0],
      [2, 3, 0],
    ],
  );
  assert.equal(list(t.read(put(b, [], [], [2]))), [[3, 1, 0]]);
  // A stop with one-off bytes: those bytes at its place in the list, then it leaves; the last entry is listed next.
  t.read(
    put(
      b,
      [],
      [
        [4, 2, 0],
        [5, 6, 0],
      ],
      [],
    ),
  );
  assert.equal(list(t.read(put(b, [[3, 7, 7]], [[3, 0, 0]], []))), [
    [3, 7, 7],
    [5, 6, 0],
    [4, 2, 0],
  ]);
  // A stop and a new rate in one tick: the new rate counts, with the one-off bytes.
  assert.equal(
    list(
      t.read(
        put(
          b,
          [[4, 1, 0]],
          [
            [4, 0, 0],
            [4, 9, 9],
          ],
          [],
        ),
      ),
    ),
    [
      [5, 6, 0],
      [4, 10, 9],
    ],
  );
  assert.is(t.standing, 2);
});

// The reference: a per-tick source whose transfers are a swap-remove list, as SyntheticWorkload was
// before rates. Each tick: transfers start (appended), some are cut (removed, no bytes), then a walk
// lists each one's bytes (perTick, or what remains) and removes a finished one as it passes it.
interface Plan {
  starts: { size: number; perTick: number }[];
  cuts: number[];
}

function reference(plan: Plan[]): Entry[][] {
  const active: { id: number; remaining: number; perTick: number }[] = [];
  const out: Entry[][] = [];
  let next = 0;
  for (const p of plan) {
    for (const s of p.starts) active.push({ id: next++, remaining: s.size, perTick: s.perTick });
    for (const c of p.cuts) if (active.length) swapRemove(active, c % active.length);
    const tick: Entry[] = [];
    let i = 0;
    while (i < active.length) {
      const a = active[i]!;
      const bytes = Math.min(a.remaining, a.perTick);
      tick.push([a.id, bytes, 0]);
      a.remaining -= bytes;
      if (a.remaining > 0) i++;
      else swapRemove(active, i);
    }
    out.push(tick);
  }
  return out;
}

function swapRemove<T>(a: T[], i: number): void {
  a[i] = a[a.length - 1]!;
  a.pop();
}

/** The same plan as rates: a start is a rate, a cut a stop and a close, the last tick one-off bytes and a stop (listed in id order: their order must not matter). */
function asRates(plan: Plan[]): Entry[][] {
  const b = createTickBatch(1);
  const t = new TrafficByTick();
  const active: { id: number; remaining: number; perTick: number }[] = [];
  const out: Entry[][] = [];
  let next = 0;
  for (const p of plan) {
    const rates: Entry[] = [];
    const closed: number[] = [];
    for (const s of p.starts) {
      active.push({ id: next, remaining: s.size, perTick: s.perTick });
      rates.push([next++, s.perTick, 0]);
    }
    for (const c of p.cuts) {
      if (!active.length) continue;
      const i = c % active.length;
      rates.push([active[i]!.id, 0, 0]);
      closed.push(active[i]!.id);
      swapRemove(active, i);
    }
    // Which transfers end (the list kept as the reference keeps it, so that cuts pick the same ones).
    const ending: { id: number; remaining: number }[] = [];
    let i = 0;
    while (i < active.length) {
      const a = active[i]!;
      if (a.remaining > a.perTick) {
        a.remaining -= a.perTick;
        i++;
      } else {
        ending.push(a);
        swapRemove(active, i);
      }
    }
    ending.sort((x, y) => x.id - y.id);
    const traffic: Entry[] = ending.map((a) => [a.id, a.remaining, 0]);
    for (const a of ending) rates.push([a.id, 0, 0]);
    out.push(list(t.read(put(b, traffic, rates, closed))));
  }
  return out;
}

test('property: rates and last-tick bytes list every tick exactly as the per-tick swap-remove source did, order included', () => {
  const plan = fc.record({
    starts: fc.array(fc.record({ size: fc.integer({ min: 1, max: 40 }), perTick: fc.integer({ min: 1, max: 8 }) }), { maxLength: 5 }),
    cuts: fc.array(fc.nat(50), { maxLength: 2 }),
  });
  fc.assert(
    fc.property(fc.array(plan, { minLength: 1, maxLength: 30 }), (p) => {
      assert.equal(asRates(p), reference(p));
    }),
    { numRuns: 300 },
  );
});

test.run();
