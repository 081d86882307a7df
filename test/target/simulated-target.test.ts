// SimulatedTarget on its own: an injected clock shared with the host, completions in due order,
// batch traffic equal to one call per connection, options checked.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  SimulatedTarget,
  HostStack,
  ManualClock,
  Kind,
  Reason,
  ErrorCode,
  type OffloadTarget,
  type TargetEvents,
  type TerminateResult,
} from '../../src/index.js';
import { throwsCode, withFailingAllocation } from '../helpers.js';

const quiet: TargetEvents = { uploadRequested() {}, uploadAll() {}, offloadPause() {}, offloadResume() {}, link() {}, capacity() {}, delivered() {} };

/** A neighbor, a path and `n` connections held by `target` (zero latency). */
async function hold(target: SimulatedTarget, n: number): Promise<number[]> {
  const handles = Array.from({ length: n }, (_, i) => 100 + i);
  await target.initiate([
    { kind: Kind.Neighbor, handle: 1, ifIndex: 1, address: '10.0.0.1', linkLayerAddress: '00:00:00:00:00:00' },
    { kind: Kind.Path, handle: 2, neighbor: 1, source: '10.0.0.2', destination: '10.0.0.3', mtu: 1500 },
    ...handles.map((h, i) => ({
      kind: Kind.Connection as const,
      handle: h,
      path: 2,
      localPort: 1000 + i,
      remotePort: 80,
      tcp: { sndUna: i, sndNxt: i, rcvNxt: 10 * i },
    })),
  ]);
  return handles;
}

const test = suite('simulated target');

test('the clock is injected: a host and a target sharing it move together', async () => {
  const clock = new ManualClock();
  const target = new SimulatedTarget({ clock, latencyMs: 10 });
  const host = await HostStack.create({ target, clock });
  assert.is(host.clock, clock);
  const offloaded = host.offload({ ifIndex: 1, nextHop: '10.0.0.1', source: '10.0.0.2', destination: '10.0.0.3', localPort: 1, remotePort: 2 });
  await Promise.resolve();
  assert.is(target.pending, 1);
  host.tick(9);
  assert.is(target.pending, 1, 'not due yet');
  host.tick(10);
  assert.ok(await offloaded);
  assert.is(clock.now, 10);
});

test("by default the host drives the target's own clock", async () => {
  const target = new SimulatedTarget({ latencyMs: 5 });
  const host = await HostStack.create({ target });
  assert.is(host.clock, target.clock);
  const c = host.offload({ ifIndex: 1, nextHop: '10.0.0.1', source: '10.0.0.2', destination: '10.0.0.3', localPort: 1, remotePort: 2 });
  await Promise.resolve();
  host.tick(5);
  assert.ok(await c);
});

test('the production target interface has no clock hook', () => {
  const t = {} as OffloadTarget;
  // @ts-expect-error: time reaches a simulated target through its injected clock, not through OffloadTarget.
  void t.advance;
  assert.ok(true);
});

test('completions run in due order, each at its own time', async () => {
  const target = new SimulatedTarget({ latencyMs: { min: 1, max: 100 }, seed: 4 });
  target.attach(quiet);
  const order: number[] = [];
  const calls = Array.from({ length: 20 }, (_, i) => target.query([i + 1]).then(() => order.push(i)));
  target.advance(100);
  await Promise.all(calls);
  assert.is(order.length, 20);
  assert.not.equal(
    order,
    [...order].sort((a, b) => a - b),
    'latencies reorder completions',
  );
});

test('completeUntil(t) then the clock to t is the clock to t: the same completions, in the same order, the same state after', async () => {
  const run = async (split: boolean) => {
    const target = new SimulatedTarget({ latencyMs: { min: 1, max: 30 }, seed: 7 });
    const log: string[] = [];
    target.attach({ ...quiet, delivered: (h, b) => log.push(`delivered ${h} ${b}`) });
    const initiated = hold(target, 40);
    target.advance(50);
    const handles = await initiated;
    for (let t = 1; t <= 20; t++) {
      target.trafficBatch(handles, new Float64Array(handles.length).fill(100 * t), new Float64Array(handles.length).fill(300 * t));
      for (const h of handles.slice(t, t + 2)) void target.query([h]).then((r) => log.push(`query ${h} ${JSON.stringify(r)}`));
      const now = 50 + 10 * t;
      if (split) {
        target.completeUntil(now);
        log.push(`due done at ${now}`);
      }
      target.advance(now);
      await Promise.resolve();
      if (!split) log.push(`due done at ${now}`);
    }
    const back = target.terminate(handles.map((h) => ({ handle: h, kind: Kind.Connection, reason: Reason.Application })));
    target.flush();
    return { log: log.filter((l) => !l.startsWith('due')), back: await back };
  };
  const whole = await run(false);
  const split = await run(true);
  assert.ok(whole.log.some((l) => l.startsWith('query')) && whole.log.some((l) => l.startsWith('delivered')));
  assert.equal(split, whole);
});

test('completeUntil: a time that is not finite throws InvalidArgument; one not after its own does nothing', () => {
  const target = new SimulatedTarget({ latencyMs: 5 });
  target.attach(quiet);
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '10', undefined]) throwsCode(() => target.completeUntil(bad as number), ErrorCode.InvalidArgument);
  target.advance(20);
  target.completeUntil(10);
  target.completeUntil(20);
  assert.is(target.pending, 0);
});

test('trafficBatch is the same as one traffic call per connection', async () => {
  const one = new SimulatedTarget({ seed: 9 });
  const batch = new SimulatedTarget({ seed: 9 });
  one.attach(quiet);
  batch.attach(quiet);
  const handles = await hold(one, 50);
  await hold(batch, 50);
  for (let round = 1; round <= 10; round++) {
    const sent = handles.map((_, i) => (i * round * 37) % 5000);
    const received = handles.map((_, i) => (i * round * 91) % 7000);
    handles.forEach((h, i) => one.traffic(h, sent[i]!, received[i]!));
    batch.trafficBatch([...handles, 99_999], Float64Array.from([...sent, 5]), Float64Array.from([...received, 5]));
    one.advance(round * 10);
    batch.advance(round * 10);
  }
  const back = async (t: SimulatedTarget) => {
    const p = t.terminate(handles.map((h) => ({ handle: h, kind: Kind.Connection, reason: Reason.Application })));
    return p as Promise<TerminateResult[]>;
  };
  assert.equal(await back(batch), await back(one));
  assert.is(one.connections, 0);
});

test('a host with deliveredBatch gets, once per clock step, exactly the deliveries delivered() would get one by one', async () => {
  const run = async (batched: boolean) => {
    const target = new SimulatedTarget({ seed: 11 });
    const calls: { step: number; handles: number[]; bytes: number[] }[] = [];
    let step = 0;
    const events: TargetEvents = {
      ...quiet,
      delivered: (h, b) => {
        if (calls.at(-1)?.step !== step) calls.push({ step, handles: [], bytes: [] });
        calls.at(-1)!.handles.push(h);
        calls.at(-1)!.bytes.push(b);
      },
      ...(batched
        ? {
            deliveredBatch: (handles: Float64Array, bytes: Float64Array, count: number) => {
              assert.ok(count > 0, 'never called with nothing');
              calls.push({ step, handles: Array.from(handles.subarray(0, count)), bytes: Array.from(bytes.subarray(0, count)) });
            },
          }
        : {}),
    };
    target.attach(events);
    const handles = await hold(target, 3000);
    for (step = 1; step <= 6; step++) {
      target.trafficBatch(handles, new Float64Array(handles.length).fill(10), new Float64Array(handles.length).fill(5000 * step));
      target.advance(step);
    }
    return calls;
  };
  const one = await run(false);
  const batched = await run(true);
  assert.ok(one.length === 6 && one[0]!.handles.length > 1024, 'deliveries in every step, more than the first buffer holds');
  assert.equal(batched, one);
});

test('a terminated connection hands back its state and both queues, and is no longer held', async () => {
  const target = new SimulatedTarget({ deliverProbability: 0 });
  target.attach(quiet);
  const [h] = await hold(target, 1);
  target.traffic(h!, 300, 70);
  const [r] = await target.terminate([{ handle: h!, kind: Kind.Connection, reason: Reason.Application }]);
  assert.equal(r!.unacknowledged, [{ seq: 0, length: 300 }]);
  assert.equal(r!.received, [{ seq: 0, length: 70 }]);
  assert.equal([r!.delegated!.sndNxt, r!.delegated!.rcvNxt], [300, 70]);
  const [again] = await target.terminate([{ handle: h!, kind: Kind.Connection, reason: Reason.Application }]);
  assert.is(again!.ok, false);
});

test('regression: handle 0 (which marks an empty entry of its index) is never a connection it holds: query, terminate and update refuse it and change nothing', async () => {
  const target = new SimulatedTarget({ deliverProbability: 0 });
  target.attach(quiet);
  await hold(target, 3);
  const [q] = await target.query([0]);
  assert.is(q!.ok, false, 'query(0) used to answer with the state of the connection in row 0');
  const [t] = await target.terminate([{ handle: 0, kind: Kind.Connection, reason: Reason.Application }]);
  assert.is(t!.ok, false);
  const [u] = await target.update([{ handle: 0, kind: Kind.Path, mtu: 1400 } as never]);
  assert.is(u!.ok, false);
  assert.is(target.connections, 3, 'nothing was handed back');
});

test('regression: trafficBatch with handle 0 or -0 (the index marks empty entries with 0) adds nothing to any connection', async () => {
  for (const junk of [0, -0]) {
    const target = new SimulatedTarget({ deliverProbability: 0 });
    const twin = new SimulatedTarget({ deliverProbability: 0 });
    target.attach(quiet);
    twin.attach(quiet);
    const held = await hold(target, 3);
    await hold(twin, 3);
    target.trafficBatch([junk], [1000], [50]);
    target.trafficBatch([junk, held[1]!], [1000, 5], [50, 0]); // and after a batch, where the lookahead looks first
    twin.trafficBatch([held[1]!], [5], [0]);
    const back = (t: SimulatedTarget) => t.terminate(held.map((h) => ({ handle: h, kind: Kind.Connection, reason: Reason.Application })));
    assert.equal(await back(target), await back(twin), `handle ${Object.is(junk, -0) ? '-0' : junk} went to the connection in row 0`);
  }
});

test('regression: initiate refuses a block whose handle is not a safe integer above 0 (it held such a connection for good: counted, never handed back)', async () => {
  for (const h of [0, -0, Number.NaN, -5, 1.5, 2 ** 53 + 2, '7' as never]) {
    const target = new SimulatedTarget({ deliverProbability: 0 });
    target.attach(quiet);
    const [n, p, c] = await target.initiate([
      { kind: Kind.Neighbor, handle: 1, ifIndex: 1, address: '10.0.0.1', linkLayerAddress: '00:00:00:00:00:00' },
      { kind: Kind.Path, handle: 2, neighbor: 1, source: '10.0.0.2', destination: '10.0.0.3', mtu: 1500 },
      { kind: Kind.Connection, handle: h, path: 2, localPort: 1, remotePort: 80, tcp: { sndUna: 0, sndNxt: 0, rcvNxt: 0 } },
    ]);
    assert.ok(n!.ok && p!.ok);
    assert.is(c!.ok, false, String(h));
    assert.match(c!.error ?? '', /not a handle/);
    assert.is(target.connections, 0, String(h));
    const [bad] = await target.initiate([{ kind: Kind.Path, handle: h, neighbor: 1, source: '10.0.0.2', destination: '10.0.0.4', mtu: 1500 }]);
    assert.is(bad!.ok, false, `path ${String(h)}`);
  }
});

test('steady: from the next clock step on each step adds the rates, as trafficBatch before every step would; a termination ends them', async () => {
  const rated = new SimulatedTarget({ seed: 4 });
  const batch = new SimulatedTarget({ seed: 4 });
  rated.attach(quiet);
  batch.attach(quiet);
  const handles = await hold(rated, 20);
  await hold(batch, 20);
  const sent = handles.map((_, i) => i * 31);
  const received = handles.map((_, i) => (i % 3) * 700);
  rated.steady([...handles, 99_999], [...sent, 5], [...received, 5]); // a handle not held is skipped
  for (let round = 1; round <= 6; round++) {
    batch.trafficBatch(handles, sent, received);
    rated.advance(round * 10);
    batch.advance(round * 10);
  }
  const back = (t: SimulatedTarget, hs: number[]) => t.terminate(hs.map((h) => ({ handle: h, kind: Kind.Connection, reason: Reason.Application })));
  assert.equal(await back(rated, handles.slice(0, 5)), await back(batch, handles.slice(0, 5)));
  // The terminated rows took their rates with them; (0, 0) stops another.
  rated.steady([handles[5]!], [0], [0]);
  for (let round = 7; round <= 9; round++) {
    batch.trafficBatch(handles.slice(6), sent.slice(6), received.slice(6));
    rated.advance(round * 10);
    batch.advance(round * 10);
  }
  assert.equal(await back(rated, handles.slice(5)), await back(batch, handles.slice(5)));
});

test('steady: bad input throws InvalidArgument naming the entry, and changes nothing', async () => {
  const target = new SimulatedTarget({ deliverProbability: 0 });
  target.attach(quiet);
  const [a, b] = await hold(target, 2);
  const bad: [() => unknown, RegExp][] = [
    [() => target.steady([a!, b!], [1, -1], [0, 0]), /sentBytes\[1\]/],
    [() => target.steady([a!, b!], [1, 1], [0, 0.5]), /receivedBytes\[1\]/],
    [() => target.steady([a!, b!], [1, 1], [0, 2 ** 53]), /receivedBytes\[1\]/],
    [() => target.steady([a!, 'x' as never], [1, 1], [0, 0]), /handles\[1\] must be a number/],
    [() => target.steady([a!, b!], [1], [0, 0]), /same length/],
    [() => target.steady([a!], [1], [0], 2), /count/],
    [() => target.steady(null as never, [1], [0]), /handles must be an array/],
  ];
  for (const [call, message] of bad) throwsCode(call, ErrorCode.InvalidArgument, message);
  target.advance(10);
  const [r] = await target.terminate([{ handle: a!, kind: Kind.Connection, reason: Reason.Application }]);
  assert.equal([r!.delegated!.sndNxt, r!.delegated!.rcvNxt], [0, 0], 'no entry of a refused call applied');
});

test('regression: steady whose scratch fails to grow (the second array) keeps it whole: a later large call applies every rate', async () => {
  const rated = new SimulatedTarget({ seed: 4 });
  const batch = new SimulatedTarget({ seed: 4 });
  rated.attach(quiet);
  batch.attach(quiet);
  const handles = await hold(rated, 4);
  await hold(batch, 4);
  assert.throws(() => withFailingAllocation(2, () => rated.steady(new Array(5000), new Array(5000), new Array(5000))), /allocation failed/);
  // 3000 entries: the handles array grew to 5000 alone before, the byte arrays did not.
  const n = 3000;
  const all = [...new Array(n - handles.length).fill(99_999), ...handles];
  rated.steady(all, new Array(n).fill(40), new Array(n).fill(7));
  batch.trafficBatch(handles, [40, 40, 40, 40], [7, 7, 7, 7]);
  rated.advance(10);
  batch.advance(10);
  const back = (t: SimulatedTarget) => t.terminate(handles.map((h) => ({ handle: h, kind: Kind.Connection, reason: Reason.Application })));
  assert.equal(await back(rated), await back(batch));
});

test('options are checked', () => {
  throwsCode(() => new SimulatedTarget({ capacty: 3 } as never), ErrorCode.InvalidArgument, /unknown option 'capacty'/);
  throwsCode(() => new SimulatedTarget({ seed: 'x' } as never), ErrorCode.InvalidArgument, /SimulatedTarget: seed/);
  throwsCode(() => new SimulatedTarget({ seed: -1 }), ErrorCode.InvalidArgument, /SimulatedTarget: seed/);
  throwsCode(() => new SimulatedTarget({ clock: {} as never }), ErrorCode.InvalidArgument, /clock/);
  throwsCode(() => new SimulatedTarget({ latencyMs: Infinity }), ErrorCode.InvalidArgument, /latencyMs/);
  throwsCode(() => new SimulatedTarget({ latencyMs: { min: 5, max: 1 } }), ErrorCode.InvalidArgument, /latencyMs/);
});

test.run();
