// HostStack.steady (src/host/engine.ts: standing traffic): a connection's bytes counted at every
// tick until changed. It must be indistinguishable from traffic() with the same bytes just before
// every tick(); bad input changes nothing; (0, 0) and close() stop it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ErrorCode, HostStack, SimulatedTarget, type HostPolicy } from '../../src/index.js';
import { throwsCode, withFailingAllocation } from '../helpers.js';
import { lab, opened, step, drain, type Lab } from './lab.js';

const test = suite('host steady');

const slotOf = (l: Lab, id: number) => {
  const c = l.host.connections;
  for (let s = 0; s < c.length; s++) if (c.id[s] === id) return s;
  return -1;
};

test('standing bytes count at every tick until changed; (0, 0) and close() stop them', async () => {
  const l = await lab({ capacity: 0 });
  const [a, b] = l.host.open(opened([{}, {}]));
  l.host.steady([a!, b!], [10, 1], [5, 0]);
  await step(l);
  await step(l);
  assert.is(l.host.metrics().softwareBytes, 2 * (15 + 1));
  l.host.steady([a!, a!], [5, 100], [9, 0]); // in order: the last entry for an id wins
  l.host.traffic([a!], [3], [4]); // one-off bytes on top
  await step(l);
  assert.is(l.host.connections.bytes[slotOf(l, a!)], 15 + 15 + 100 + 7);
  assert.is(l.host.connections.bytes[slotOf(l, b!)], 3);
  l.host.close([b!]);
  await step(l);
  assert.is(l.host.metrics().softwareBytes, 137 + 3 + 100);
  l.host.steady([a!], [0], [0]);
  await step(l);
  assert.is(l.host.metrics().softwareBytes, 240);
});

test('standing bytes of an offloaded connection reach the target and count as offloaded; close() stops them there too', async () => {
  const l = await lab({ capacity: 4, latencyMs: 1 });
  const [a] = l.host.open(opened([{}]));
  await step(l); // the policy offloads it
  await drain(l);
  l.host.steady([a!], [1000], [500]);
  await step(l);
  await step(l);
  const m = l.host.metrics();
  assert.is(m.offloadedBytes, 3000);
  assert.is(m.softwareBytes, 0);
  l.host.close([a!]);
  await step(l);
  await drain(l);
  const after = l.host.metrics();
  assert.is(after.offloadedBytes, 3000);
  assert.is(after.nothingLost.failures, 0);
  assert.ok(after.nothingLost.checked >= 1);
});

test('bad input throws InvalidArgument naming the entry, and changes nothing (not even the good entries before it)', async () => {
  const l = await lab({ capacity: 0 });
  const ids = l.host.open(opened([{}, {}, {}]));
  l.host.close([ids[2]!]);
  l.host.steady([ids[0]!], [7], [0]);
  const bad: [() => unknown, RegExp][] = [
    [() => l.host.steady([ids[1]!, 12345], [1, 1], [1, 1]), /steady: ids\[1\]/],
    [() => l.host.steady([ids[1]!, ids[2]!], [1, 1], [1, 1]), /steady: ids\[1\].*not an open connection/],
    [() => l.host.steady(ids.subarray(0, 2), [1, -1], [1, 1]), /steady: sent\[1\]/],
    [() => l.host.steady(ids.subarray(0, 2), [1, 1.5], [1, 1]), /steady: sent\[1\]/],
    [() => l.host.steady(ids.subarray(0, 2), [1, 1], [1, Number.NaN]), /steady: received\[1\]/],
    [() => l.host.steady(ids.subarray(0, 2), [1, 1], [1, 2 ** 53]), /steady: received\[1\]/],
    [() => l.host.steady(ids.subarray(0, 2), [1], [1, 1]), /same length/],
    [() => l.host.steady(ids.subarray(0, 2), [1, 1], [1, 1], 3), /count/],
    [() => l.host.steady('x' as never, [1], [1]), /ids must be an array/],
  ];
  for (const [call, message] of bad) throwsCode(call, ErrorCode.InvalidArgument, message);
  await step(l);
  assert.is(l.host.metrics().softwareBytes, 7);
  assert.is(l.host.connections.bytes[slotOf(l, ids[1]!)], 0);
});

test('an entry whose sent + received passes 2^53 - 1 is refused (traffic and steady): its bytes would not be an exact count', async () => {
  const l = await lab({ capacity: 0 });
  const [a] = l.host.open(opened([{}]));
  const big = Number.MAX_SAFE_INTEGER;
  throwsCode(() => l.host.steady([a!], [big], [1]), ErrorCode.InvalidArgument, /steady: .*\[0\].*2\^53/);
  throwsCode(() => l.host.traffic([a!], [1], [big]), ErrorCode.InvalidArgument, /traffic: .*\[0\].*2\^53/);
  // Each alone is fine, and so is a sum of exactly 2^53 - 1.
  l.host.steady([a!], [big - 5], [5]);
  await step(l);
  assert.is(l.host.connections.bytes[slotOf(l, a!)], big);
  assert.is(l.host.metrics().softwareBytes, big);
});

test('a target whose trafficBatch throws: standing bytes still count, the fault is reported, and the tick goes on', async () => {
  class Throwing extends SimulatedTarget {
    override trafficBatch(): void {
      throw new Error('boom');
    }
  }
  const target = new Throwing({ capacity: 10 });
  // Without steady() the host passes standing bytes in a trafficBatch at every tick.
  Object.defineProperty(target, 'steady', { value: undefined });
  const host = await HostStack.create({ target, policy: { lowActivity: false } });
  const faults: string[] = [];
  host.on('error', (e) => faults.push(`${e.fault}: ${e.message}`));
  const ids = host.open(opened([{ path: 1 }, { path: 2 }]));
  host.tick(100);
  for (let i = 0; i < 3; i++) await host.settle();
  host.steady(ids, [100, 1], [50, 1]);
  host.tick(200);
  host.tick(300);
  const m = host.metrics();
  assert.is(m.offloadedBytes + m.softwareBytes, 2 * 152);
  assert.ok(m.offloadedBytes > 0);
  assert.ok(
    faults.some((f) => f.startsWith('threw') && f.includes('boom')),
    faults.join('; '),
  );
});

// A run of opens, standing-rate changes, one-off bytes and closes, as generated below.
interface Op {
  kind: 'open' | 'steady' | 'traffic' | 'close';
  /** Which connection: an index into those opened so far (modulo). */
  who: number;
  sent: number;
  received: number;
  priority: number;
}

const op = fc.record({
  kind: fc.constantFrom<Op['kind']>('open', 'steady', 'steady', 'traffic', 'close'),
  who: fc.nat(40),
  sent: fc.oneof(fc.constant(0), fc.nat(5000), fc.constant(2 ** 40)),
  received: fc.oneof(fc.constant(0), fc.nat(5000)),
  priority: fc.nat(3),
});

/**
 * Drives two hosts through the same ticks: `fed` takes standing rates with steady() and one-off
 * bytes with traffic(); `plain` gets, just before each tick(), one traffic() call with every open
 * connection's standing + one-off bytes of that tick, in a shuffled order.
 */
async function twin(ticks: Op[][], capacity: number, policy: HostPolicy, shuffle: number) {
  const fed = await lab({ capacity, latencyMs: { min: 1, max: 150 }, seed: 7 }, policy);
  const plain = await lab({ capacity, latencyMs: { min: 1, max: 150 }, seed: 7 }, policy);
  const idsF: number[] = [];
  const idsP: number[] = [];
  const open: boolean[] = [];
  const standing: [number, number][] = [];
  let order = shuffle;
  for (const tick of ticks) {
    const oneOff = new Map<number, [number, number]>();
    for (const o of tick) {
      if (o.kind === 'open' || idsF.length === 0) {
        const spec = [{ path: idsF.length % 5, neighbor: idsF.length % 2, priority: o.priority }];
        idsF.push(fed.host.open(opened(spec))[0]!);
        idsP.push(plain.host.open(opened(spec))[0]!);
        open.push(true);
        standing.push([0, 0]);
        continue;
      }
      const k = o.who % idsF.length;
      if (!open[k]) continue;
      if (o.kind === 'steady') {
        fed.host.steady([idsF[k]!], [o.sent], [o.received]);
        standing[k] = [o.sent, o.received];
      } else if (o.kind === 'traffic') {
        fed.host.traffic([idsF[k]!], [o.sent], [o.received]);
        const [s, r] = oneOff.get(k) ?? [0, 0];
        oneOff.set(k, [s + o.sent, r + o.received]);
      } else {
        // One-off bytes reach a connection before its close, in both hosts.
        const bytes = oneOff.get(k);
        if (bytes) plain.host.traffic([idsP[k]!], [bytes[0]], [bytes[1]]);
        oneOff.delete(k);
        fed.host.close([idsF[k]!]);
        plain.host.close([idsP[k]!]);
        open[k] = false;
        standing[k] = [0, 0];
      }
    }
    const entries: [number, number, number][] = [];
    for (let k = 0; k < idsF.length; k++) {
      if (!open[k]) continue;
      const [s, r] = oneOff.get(k) ?? [0, 0];
      const sent = s + standing[k]![0];
      const received = r + standing[k]![1];
      if (sent + received > 0) entries.push([idsP[k]!, sent, received]);
    }
    for (let i = entries.length - 1; i > 0; i--) {
      order = (order * 1103515245 + 12345) % 2 ** 31;
      const j = order % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    plain.host.traffic(
      entries.map((e) => e[0]),
      entries.map((e) => e[1]),
      entries.map((e) => e[2]),
    );
    await step(fed);
    await step(plain);
  }
  await drain(fed);
  await drain(plain);
  return { fed, plain };
}

const COLUMNS = [
  'id',
  'status',
  'priority',
  'bytes',
  'sent',
  'offloadedBytes',
  'tickBytes',
  'rate',
  'handle',
  'lastActiveAt',
  'openedAt',
  'offloadedAt',
] as const;

test('property: steady() rates are byte for byte the same as traffic() with those bytes before every tick (metrics, columns, errors)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(op, { maxLength: 8 }), { minLength: 1, maxLength: 12 }),
      fc.nat(6),
      fc.boolean(),
      fc.nat(),
      async (ticks, capacity, quiet, shuffle) => {
        const policy: HostPolicy = quiet ? { lowActivity: { thresholdBytesPerSecond: 20_000, windowMs: 200, quietMs: 200 } } : {};
        const { fed, plain } = await twin(ticks, capacity, policy, shuffle);
        assert.equal(fed.host.metrics(), plain.host.metrics());
        const f = fed.host.connections as unknown as Record<string, ArrayLike<number>>;
        const p = plain.host.connections as unknown as Record<string, ArrayLike<number>>;
        assert.is(fed.host.connections.length, plain.host.connections.length);
        for (const name of COLUMNS)
          assert.equal(Array.from(f[name]!).slice(0, fed.host.connections.length), Array.from(p[name]!).slice(0, plain.host.connections.length), name);
        assert.equal(
          fed.errors.map((e) => e.message),
          plain.errors.map((e) => e.message),
        );
        fed.host.table.check();
      },
    ),
    { numRuns: 60 },
  );
});

test('a batch too large to allocate for throws OffloadError and leaves the scratch whole: the next large traffic() counts every byte', async () => {
  const l = await lab({ capacity: 0 });
  const ids = l.host.open(opened(Array.from({ length: 5000 }, () => ({}))));
  // The second of the scratch's arrays fails to grow: it used to leave the first grown alone.
  throwsCode(() => withFailingAllocation(2, () => l.host.steady(new Array(1e6), new Array(1e6), new Array(1e6))), ErrorCode.OutOfMemory, /steady|entries/);
  const more = l.host.open(opened(Array.from({ length: 5000 }, () => ({}))));
  const all = [...ids, ...more];
  l.host.traffic(all, new Array(all.length).fill(3), new Array(all.length).fill(1));
  await step(l);
  assert.is(l.host.metrics().softwareBytes, 4 * all.length);
});

test.run();
