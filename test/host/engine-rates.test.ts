// Standing traffic on a target that keeps rates itself (OffloadTarget.steady, src/host/engine.ts):
// the host passes an Offloaded connection's standing bytes only as changes (it becomes Offloaded,
// its rate changes, its termination starts for any reason). The target must add exactly the bytes
// the host counts as offloaded: the nothing-lost check at every termination proves it, and a twin
// host whose target has no steady() (so it gets a batch of every standing entry each tick) must see
// the very same run, draw for draw (metrics, errors, the target's calls and latencies).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  ConnectionStatus,
  HostStack,
  Kind,
  ManualClock,
  Reason,
  SimulatedTarget,
  UploadReason,
  type HostPolicy,
  type HostStackOptions,
  type SimulatedTargetOptions,
} from '../../src/index.js';
import { lab, opened, step, drain, type Lab } from './lab.js';

const test = suite('host standing rates on the target');

/** A SimulatedTarget that logs its steady() calls (entries as [handle, sent, received]). */
function spied(l: Lab): [number, number, number][] {
  const log: [number, number, number][] = [];
  const t = l.target;
  const steady = t.steady.bind(t);
  t.steady = (handles, sent, received, count) => {
    for (let i = 0; i < (count ?? handles.length); i++) log.push([handles[i]!, sent[i]!, received[i]!]);
    steady(handles, sent, received, count);
  };
  return log;
}

/** A lab whose target has no steady(): the host passes standing bytes as a batch every tick. */
async function batchLab(options: SimulatedTargetOptions, policy: HostPolicy, extra: Partial<HostStackOptions> = {}): Promise<Lab> {
  const t = new SimulatedTarget(options);
  Object.defineProperty(t, 'steady', { value: undefined });
  const host = await HostStack.create({ target: t, policy: { lowActivity: false, ...policy }, ...extra });
  const l: Lab = { host, target: t, errors: [], now: 0 };
  host.on('error', (e) => l.errors.push(e));
  return l;
}

const slotOf = (l: Lab, id: number) => {
  const c = l.host.connections;
  for (let s = 0; s < c.length; s++) if (c.id[s] === id) return s;
  return -1;
};

test('the target gets a rate when the connection becomes Offloaded, each change, and (0, 0) when its termination starts', async () => {
  const l = await lab({ capacity: 4, latencyMs: 1 });
  const log = spied(l);
  const [a, b] = l.host.open(opened([{ path: 1 }, { path: 2 }]));
  l.host.steady([a!], [1000], [500]); // in software: nothing for the target
  assert.equal(log, []);
  await step(l); // the policy offloads both; the initiate completes at the next clock step
  await step(l);
  const h = l.host.connections.handle[slotOf(l, a!)]!;
  assert.ok(h > 0);
  assert.equal(log, [[h, 1000, 500]], 'the rate reaches the target once a is Offloaded; b has none');
  l.host.steady([a!, b!], [1000, 7], [500, 0]); // no change for a; b's rate starts
  const hb = l.host.connections.handle[slotOf(l, b!)]!;
  assert.equal(log.slice(1), [[hb, 7, 0]]);
  l.host.steady([a!], [2000], [0]);
  assert.equal(log.slice(2), [[h, 2000, 0]]);
  await step(l);
  await step(l);
  l.host.close([a!]);
  assert.equal(log.slice(3), [[h, 0, 0]], 'close stops the rate on the target at once');
  await step(l);
  await drain(l);
  const m = l.host.metrics();
  assert.is(m.nothingLost.checked, 1);
  assert.is(m.nothingLost.failures, 0, m.nothingLost.firstFailures.join('; '));
  assert.ok(m.offloadedBytes >= 1500 + 2000);
  assert.equal(l.errors, []);
});

test('a tick that does not move the clock passes its standing bytes as a batch (no step would add them)', async () => {
  const l = await lab({ capacity: 4, latencyMs: 1 });
  const [a] = l.host.open(opened([{}]));
  await step(l);
  await step(l);
  l.host.steady([a!], [100], [50]);
  await step(l);
  l.host.tick(l.now); // same time: the clock stays
  l.host.tick(l.now);
  await l.host.settle();
  await step(l);
  l.host.close([a!]);
  await step(l);
  await drain(l);
  const m = l.host.metrics();
  assert.is(m.offloadedBytes, 4 * 150);
  assert.is(m.nothingLost.checked, 1);
  assert.is(m.nothingLost.failures, 0, m.nothingLost.firstFailures.join('; '));
});

test('a target with steady() on another clock than the host is never given rates: it gets batches', async () => {
  const t = new SimulatedTarget({ capacity: 4 });
  let calls = 0;
  const steady = t.steady.bind(t);
  t.steady = (...args) => {
    calls++;
    steady(...args);
  };
  const host = await HostStack.create({ target: t, clock: new ManualClock(), policy: { lowActivity: false } });
  const [a] = host.open(opened([{}]));
  host.steady([a!], [100], [0]);
  for (let now = 100; now <= 500; now += 100) {
    host.tick(now);
    t.advance(now);
    await host.settle();
  }
  assert.is(calls, 0);
  assert.ok(host.metrics().offloadedBytes > 0);
});

test('the clock moved outside tick() while the target holds rates: an error event says so', async () => {
  const l = await lab({ capacity: 4, latencyMs: 1 });
  const [a] = l.host.open(opened([{}]));
  await step(l);
  await step(l);
  l.host.steady([a!], [100], [0]);
  await step(l);
  l.target.advance(l.now + 50); // a step the host did not make: the target adds 100 bytes uncounted
  await step(l);
  assert.ok(
    l.errors.some((e) => /clock moved .* outside tick\(\)/.test(e.message)),
    l.errors.map((e) => e.message).join('; '),
  );
  l.host.close([a!]);
  await step(l);
  await drain(l);
  assert.is(l.host.metrics().nothingLost.failures, 1, 'and the nothing-lost check names the connection');
});

test('a target whose steady (or trafficBatch) is async and rejects: an error event, never an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    for (const method of ['steady', 'trafficBatch'] as const) {
      const l = await lab({ capacity: 4, latencyMs: 1 });
      const [a] = l.host.open(opened([{}]));
      await step(l);
      await step(l);
      l.target[method] = async () => {
        throw new Error('rejected later');
      };
      l.host.steady([a!], [100], [10]);
      l.host.traffic([a!], [7], [0]);
      await step(l);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(unhandled, [], method);
      assert.ok(
        l.errors.some((e) => e.fault === 'rejected' && new RegExp(`${method === 'steady' ? 'steady' : 'traffic'}.*rejected later`).test(e.message)),
        `${method}: ${l.errors.map((e) => e.message).join('; ')}`,
      );
    }
  } finally {
    process.off('unhandledRejection', record);
  }
});

test('regression: rates handed to the target between ticks, then the clock moved outside tick(): the error event says so too', async () => {
  const l = await lab({ capacity: 4, latencyMs: 1 });
  const [a] = l.host.open(opened([{}]));
  await step(l);
  await step(l); // a is Offloaded; no standing bytes yet, so the target holds no rate at this tick
  l.host.steady([a!], [100], [0]); // the target holds a rate from now on
  l.target.advance(l.now + 50); // a step the host did not make: the target adds 100 bytes uncounted
  await step(l);
  assert.ok(
    l.errors.some((e) => /clock moved from .* outside tick\(\) while the target held standing rates for 1 connection/.test(e.message)),
    l.errors.map((e) => e.message).join('; '),
  );
});

test('a target whose steady throws: an error event, the bytes still count, and the nothing-lost check reports the difference', async () => {
  const l = await lab({ capacity: 4, latencyMs: 1 });
  const [a] = l.host.open(opened([{}]));
  await step(l);
  await step(l);
  l.target.steady = () => {
    throw new Error('no rates today');
  };
  l.host.steady([a!], [100], [10]);
  assert.ok(l.errors.some((e) => e.fault === 'threw' && /steady threw: .*no rates today/.test(e.message)));
  await step(l);
  await step(l);
  assert.is(l.host.metrics().offloadedBytes, 220);
  l.host.close([a!]);
  await step(l);
  await drain(l);
  const m = l.host.metrics();
  assert.is(m.nothingLost.failures, 1, 'the target never added the 220 bytes: said, not lost silently');
});

// ---- the property -------------------------------------------------------------------------------

type OpKind =
  | 'open'
  | 'steady'
  | 'traffic'
  | 'close'
  | 'linkDown'
  | 'linkUp'
  | 'pause'
  | 'restart'
  | 'uploadAll'
  | 'resume'
  | 'upload'
  | 'capacity'
  | 'sameTick';
interface Op {
  kind: OpKind;
  who: number;
  sent: number;
  received: number;
  n: number;
}

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<OpKind>(
    'open',
    'open',
    'steady',
    'steady',
    'steady',
    'traffic',
    'close',
    'linkDown',
    'linkUp',
    'pause',
    'restart',
    'uploadAll',
    'resume',
    'upload',
    'capacity',
    'sameTick',
  ),
  who: fc.nat(30),
  sent: fc.oneof(fc.constant(0), fc.nat(100), fc.nat(5000)),
  received: fc.oneof(fc.constant(0), fc.nat(100), fc.nat(50_000)),
  n: fc.nat(6),
});

/** Reasons of terminations seen with rates on the target, over every run of the property. */
const seen = new Set<string>();
const transitions = { start: 0, change: 0, stop: 0, timeouts: 0 };

async function run(ticks: Op[][], capacity: number, seed: number, quiet: boolean, faulty = true, timeoutMs?: number) {
  const options: SimulatedTargetOptions = {
    capacity,
    latencyMs: { min: 1, max: 150 },
    seed,
    faults: faulty ? { initiateFailure: 0.1, hardwareFailure: 0.2, uploadRequests: 0.2 } : {},
  };
  const policy: HostPolicy = {
    mediaDisconnectGraceMs: 50,
    honorAdvisory: [UploadReason.SmallIO, UploadReason.LowActivity],
    ...(quiet ? { lowActivity: { thresholdBytesPerSecond: 20_000, windowMs: 200, quietMs: 200 } } : {}),
  };
  // A timeout below the longest latency: some calls time out, and some answer after the host gave up.
  const extra: Partial<HostStackOptions> = timeoutMs === undefined ? {} : { targetTimeoutMs: timeoutMs };
  const labs = [await lab(options, policy, extra), await batchLab(options, policy, extra)] as const;
  const log = spied(labs[0]);
  // Connections whose rate stopped because their termination started, and the reason it had.
  const stopped = new Set<number>();
  const rates = labs[0];
  const steady = rates.target.steady.bind(rates.target);
  rates.target.steady = (handles, sent, received, count) => {
    const c = rates.host.connections;
    for (let i = 0; i < (count ?? handles.length); i++) {
      if (sent[i]! + received[i]! > 0) continue;
      for (let s = 0; s < c.length; s++) if (c.handle[s] === handles[i] && c.status[s] === ConnectionStatus.Terminating) stopped.add(handles[i]!);
    }
    steady(handles, sent, received, count);
  };
  // Connections whose state did not come back (a timed-out termination): reported, not checked.
  let lost = 0;
  rates.host.on('terminated', (e) => {
    if (stopped.has(e.handle)) seen.add(Reason[e.reason as Reason]);
    if (e.lost && e.kind === Kind.Connection) lost++;
  });
  const ids: number[][] = [[], []];
  const open: boolean[] = [];
  for (const tick of ticks) {
    for (const o of tick) {
      if (o.kind === 'open' || open.length === 0) {
        for (const [i, l] of labs.entries()) ids[i]!.push(l.host.open(opened([{ path: open.length % 4, neighbor: open.length % 2, priority: o.n % 3 }]))[0]!);
        open.push(true);
        continue;
      }
      const k = o.who % open.length;
      for (const [i, l] of labs.entries()) {
        const id = ids[i]![k]!;
        const host = l.host;
        const t = l.target;
        switch (o.kind) {
          case 'steady':
            if (open[k]) host.steady([id], [o.sent], [o.received]);
            break;
          case 'traffic':
            if (open[k]) host.traffic([id], [o.sent], [o.received]);
            break;
          case 'close':
            if (open[k]) host.close([id]);
            break;
          case 'linkDown':
            t.linkDown(1);
            break;
          case 'linkUp':
            t.linkUp(1);
            break;
          case 'pause':
            void host.pause(o.n % 2 ? 1 : undefined);
            break;
          case 'restart':
            host.restart();
            break;
          case 'uploadAll':
            t.requestUploadAll();
            break;
          case 'resume':
            t.resumeOffload();
            break;
          case 'upload': {
            const s = slotOf(l, id);
            const h = s >= 0 ? host.connections.handle[s]! : 0;
            if (h && host.connections.status[s] === ConnectionStatus.Offloaded)
              t.requestUpload(h, [UploadReason.UploadRequested, UploadReason.LowActivity, UploadReason.HighDropRate][o.n % 3]!);
            break;
          }
          case 'capacity':
            t.setCapacity(o.n);
            break;
          case 'sameTick':
            host.tick(l.now);
            break;
        }
      }
      if (o.kind === 'close') open[k] = false;
    }
    for (const l of labs) await step(l);
  }
  for (const [i, l] of labs.entries()) {
    l.target.resumeOffload();
    l.host.restart();
    l.target.linkUp(1);
    await step(l);
    l.host.close(ids[i]!.filter((_, k) => open[k]));
    await step(l);
    await drain(l);
  }
  return { labs, log, lost };
}

test('property: over random steady/traffic/close/ticks/faults, the target adds exactly what the host counts (nothing lost), draw for draw as per-tick batches', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(op, { maxLength: 8 }), { minLength: 1, maxLength: 14 }),
      fc.nat(6),
      fc.nat(1000),
      fc.boolean(),
      fc.constantFrom(undefined, 60),
      async (ticks, capacity, seed, quiet, timeoutMs) => {
        const { labs, log, lost } = await run(ticks, capacity, seed, quiet, true, timeoutMs);
        const [rates, batches] = labs;
        const m = rates.host.metrics();
        // Every failure is a connection reported lost (its termination timed out), never a byte count.
        assert.is(m.nothingLost.failures, lost, m.nothingLost.firstFailures.join('; '));
        assert.is(m.nothingLost.checked, m.terminations);
        assert.equal(m, batches.host.metrics());
        assert.equal(
          rates.errors.map((e) => e.message),
          batches.errors.map((e) => e.message),
        );
        assert.equal(rates.target.calls, batches.target.calls);
        assert.equal(rates.target.terminateLatencies, batches.target.terminateLatencies, 'the same draws: the same latencies');
        assert.is(rates.target.connections, 0);
        rates.host.table.check();
        // What was exercised (checked over all runs below).
        transitions.timeouts += rates.errors.filter((e) => e.fault === 'timeout').length;
        const rate = new Map<number, boolean>();
        for (const [h, a, b] of log) {
          const on = a + b > 0;
          if (!on) transitions.stop++;
          else if (rate.get(h)) transitions.change++;
          else transitions.start++;
          rate.set(h, on);
        }
      },
    ),
    { numRuns: 120 },
  );
  // Changes of a held rate are rarer (the first test makes them for sure).
  assert.ok(transitions.start > 0 && transitions.stop > 0 && transitions.timeouts > 0, JSON.stringify(transitions));
});

// Each way an Offloaded connection with a rate can start terminating, on its own (no injected faults).
const o = (kind: OpKind, n = 0, sent = 0, received = 0, who = 0): Op => ({ kind, who, sent, received, n });
const started = [[o('open', 0), o('steady', 0, 300, 2000, 0)], [], []];
const cases: [string, Op[][], number, boolean][] = [
  ['HigherPriority', [...started, [o('open', 2), o('steady', 0, 100, 900, 1)], [], [], []], 1, false],
  ['LowActivity', [[o('open', 0), o('steady', 0, 10, 90, 0)], [], [], [], [], [], []], 2, true],
  ['Application', [...started, [o('close')], []], 2, false],
  ['Pause', [...started, [o('pause', 0)], []], 2, false],
  ['MediaDisconnect', [...started, [o('linkDown')], [], []], 2, false],
  ['TargetRequested', [...started, [o('upload', 0)], []], 2, false],
];
for (const [reason, ticks, capacity, quiet] of cases)
  test(`a connection terminated for ${reason} stops its rate when its termination starts; nothing lost, as with batches`, async () => {
    seen.clear();
    const { labs } = await run(ticks, capacity, 5, quiet, false);
    const [rates, batches] = labs;
    const m = rates.host.metrics();
    assert.ok(seen.has(reason), `stops seen for: ${[...seen].join(', ')}`);
    assert.is(m.nothingLost.failures, 0, m.nothingLost.firstFailures.join('; '));
    assert.equal(m, batches.host.metrics());
  });

test.run();
