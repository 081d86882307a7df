// HostStack against a target that makes mistakes: each rule of the README's "When the target makes
// a mistake" table, one test per case. Every mistake is an `error` event naming it; no object is
// left Offloading or Terminating; a connection whose state did not come back is reported `lost`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  HostStack,
  SimulatedTarget,
  Kind,
  State,
  Reason,
  UploadReason,
  ErrorCode,
  type HostEvents,
  type OffloadRequest,
  type TargetFault,
  type InitiateBlock,
  type TerminateBlock,
} from '../../src/index.js';
import { FaultyTarget, type Call, type Mischief } from './faulty-target.js';

interface World {
  host: HostStack;
  target: FaultyTarget;
  events: { [K in keyof HostEvents]: HostEvents[K][] };
  now: number;
}

async function world(options: { latencyMs?: number; targetTimeoutMs?: number; capacity?: number } = {}): Promise<World> {
  const target = new FaultyTarget({ capacity: options.capacity ?? 100, latencyMs: options.latencyMs ?? 0 });
  const host = await HostStack.create({ target, policy: { lowActivity: false }, targetTimeoutMs: options.targetTimeoutMs ?? 1000 });
  const events = { offloaded: [], refused: [], terminated: [], link: [], delivered: [], error: [] } as World['events'];
  for (const name of Object.keys(events) as (keyof HostEvents)[]) host.on(name, (e) => (events[name] as unknown[]).push(e));
  return { host, target, events, now: 0 };
}

const request = (i: number, extra: Partial<OffloadRequest> = {}): OffloadRequest => ({
  ifIndex: 1,
  nextHop: '10.1.0.1',
  source: '10.1.0.2',
  destination: `192.0.2.${i}`,
  localPort: 40000 + i,
  remotePort: 443,
  ...extra,
});

/** Makes the next calls of `call` misbehave with `m` (once by default), the rest answer normally. */
function misbehave(w: World, call: Call, m: Mischief, times = 1): void {
  let left = times;
  const before = w.target.choose;
  w.target.choose = (c) => {
    if (c === call && left > 0) {
      left--;
      return m;
    }
    return before(c);
  };
}

/** Moves the host's clock by `ms` and lets timeouts and completions land (without waiting for calls that hang). */
async function pass(w: World, ms: number): Promise<void> {
  w.now += ms;
  w.host.tick(w.now);
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
}

async function offloadOne(w: World, i = 1): Promise<number> {
  const c = await w.host.offload(request(i));
  assert.ok(c, 'offloaded');
  return c;
}

/** Nothing is Offloading or Terminating, and check() holds. */
function nothingStuck(w: World): void {
  w.host.table.check();
  for (const kind of [Kind.Neighbor, Kind.Path, Kind.Connection]) {
    for (const h of w.host.table.handles(kind)) {
      assert.is(State[w.host.table.state(h)], 'Offloaded', `${Kind[kind]} ${h} is stuck`);
      assert.ok(!w.host.table.pending(h), `${Kind[kind]} ${h} is stuck pending`);
    }
  }
}

const faults = (w: World) => w.events.error.map((e) => e.fault);
const LABEL: Partial<Record<Mischief, string>> = {
  throw: 'throws',
  reject: 'rejects',
  malformed: 'answers with something that is not a list',
  fail: 'fails every block',
  strip: 'returns no delegated state',
  hang: 'never answers',
};
/** The fault an error event names for each mischief. */
const FAULT: Partial<Record<Mischief, TargetFault>> = {
  throw: 'threw',
  reject: 'rejected',
  malformed: 'malformed',
  fail: 'failed',
  strip: 'lost',
  hang: 'timeout',
};
const test = suite('host against a faulty target');

for (const m of ['throw', 'reject', 'malformed', 'fail'] as const) {
  test(`initiate that ${LABEL[m]}: the objects are freed and the connection refused`, async () => {
    const w = await world();
    misbehave(w, 'initiate', m);
    assert.is(await w.host.offload(request(1)), 0);
    await w.host.idle();
    assert.match(w.events.refused[0]!.why, /initiate/);
    if (m !== 'fail') assert.ok(faults(w).includes(FAULT[m]), JSON.stringify(faults(w)));
    assert.is(w.host.table.count(Kind.Connection) + w.host.table.count(Kind.Path) + w.host.table.count(Kind.Neighbor), 0, 'nothing left behind');
    assert.ok(await w.host.offload(request(1)), 'the same connection can be offloaded afterwards');
    nothingStuck(w);
  });
}

test('initiate result missing a block: that block failed; parents left empty are pruned', async () => {
  const w = await world();
  // Results come in block order (neighbor, path, connection): drop the neighbor's, so all three fail.
  misbehave(w, 'initiate', 'drop');
  assert.is(await w.host.offload(request(1)), 0);
  await w.host.idle();
  assert.equal(w.events.error.filter((e) => e.fault === 'missing').length, 1);
  assert.is(w.host.table.count(Kind.Neighbor), 0);
  // Now only the connection's result is missing: neighbor and path were offloaded, and go again.
  w.target.choose = (c) => (c === 'initiate' ? 'reverse' : 'none');
  const first = await offloadOne(w, 2);
  misbehave(w, 'initiate', 'drop');
  assert.is(await w.host.offload(request(3, { ifIndex: 2, nextHop: '10.2.0.1', source: '10.2.0.2' })), 0);
  await w.host.idle();
  assert.is(w.host.table.count(Kind.Neighbor), 1, 'the neighbor the failed connection would have used is not left empty');
  assert.is(w.host.table.state(first), State.Offloaded);
  nothingStuck(w);
});

test('initiate results for unknown or duplicated handles are reported and ignored', async () => {
  const w = await world();
  misbehave(w, 'initiate', 'invent');
  const a = await offloadOne(w, 1);
  misbehave(w, 'initiate', 'duplicate');
  const b = await offloadOne(w, 2);
  assert.ok(faults(w).includes('unknown') && faults(w).includes('duplicate'), JSON.stringify(faults(w)));
  assert.is(w.host.table.state(a), State.Offloaded);
  assert.is(w.host.table.state(b), State.Offloaded, 'the first answer counts');
  nothingStuck(w);
});

test('an initiate that never answers fails at the timeout; its late answer is reported and ignored', async () => {
  const w = await world({ targetTimeoutMs: 500 });
  misbehave(w, 'initiate', 'hang');
  const pending = w.host.offload(request(1));
  await pass(w, 100);
  assert.is(w.host.status().inFlight > 0, true, 'still waiting');
  const idle = w.host.idle();
  await pass(w, 400);
  assert.is(await pending, 0);
  await idle;
  assert.ok(faults(w).includes('timeout'));
  assert.is(w.host.table.count(Kind.Connection), 0);
  assert.is(w.target.inner.connections, 1, 'the target did the work; only its answer is held back');
  w.target.release();
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  assert.ok(faults(w).includes('late'), JSON.stringify(faults(w)));
  assert.is(w.target.inner.connections, 0, 'what the late answer said the target holds was terminated again');
  nothingStuck(w);
});

for (const m of ['throw', 'reject', 'malformed', 'fail', 'strip'] as const) {
  test(`terminate that ${LABEL[m]}: objects freed, connection reported lost`, async () => {
    const w = await world();
    const c = await offloadOne(w);
    misbehave(w, 'terminate', m);
    await w.host.terminate([c], Reason.Application);
    await w.host.idle();
    const gone = w.events.terminated.find((e) => e.handle === c)!;
    assert.ok(gone, 'reported terminated');
    assert.is(gone.lost, true);
    assert.is(gone.delegated, undefined);
    assert.is(w.host.status().lost, 1);
    assert.ok(faults(w).includes(FAULT[m]), JSON.stringify(w.events.error.map((e) => e.message)));
    assert.is(w.host.table.count(Kind.Connection), 0);
    assert.is(w.host.table.count(Kind.Neighbor), 0, 'its path and neighbor were pruned');
    nothingStuck(w);
  });
}

test('a target that changes the blocks it was given: the host applies each completion from its own record', async () => {
  /** Keeps a copy for itself, then scribbles over the host's blocks (handles, kinds, parents, reasons). */
  class Scribbling extends SimulatedTarget {
    override initiate(blocks: InitiateBlock[]) {
      const own = blocks.map((b) => ({ ...b }));
      for (const b of blocks as unknown as Record<string, unknown>[]) Object.assign(b, { handle: 7, kind: 99, path: 7, neighbor: 7 });
      return super.initiate(own);
    }
    override terminate(blocks: TerminateBlock[]) {
      const own = blocks.map((b) => ({ ...b }));
      for (const b of blocks as unknown as Record<string, unknown>[]) Object.assign(b, { handle: 7, kind: 99, reason: 1 });
      return super.terminate(own);
    }
  }
  const target = new Scribbling();
  const host = await HostStack.create({ target, policy: { lowActivity: false } });
  const errors: string[] = [];
  const terminated: HostEvents['terminated'][] = [];
  host.on('error', (e) => errors.push(e.message));
  host.on('terminated', (e) => terminated.push(e));
  const connections = await Promise.all([1, 2, 3].map((i) => host.offload(request(i))));
  assert.ok(
    connections.every((c) => c > 0),
    'offloaded',
  );
  await host.terminate(connections, Reason.Pause);
  await host.idle();
  assert.equal(errors, []);
  const mine = terminated.filter((e) => e.kind === Kind.Connection);
  assert.is(mine.length, 3);
  assert.ok(
    mine.every((e) => e.reason === Reason.Pause && !e.lost && e.delegated),
    'each with its own reason and state',
  );
  assert.is(host.table.count(Kind.Connection) + host.table.count(Kind.Path) + host.table.count(Kind.Neighbor), 0, 'parents pruned');
  host.table.check();
});

test('terminate result missing a block: that connection is lost, the others come back whole', async () => {
  const w = await world();
  const a = await offloadOne(w, 1);
  const b = await offloadOne(w, 2);
  misbehave(w, 'terminate', 'drop');
  await w.host.terminate([a, b], Reason.Application);
  await w.host.idle();
  const [first, second] = [w.events.terminated[0]!, w.events.terminated[1]!];
  assert.is(first.lost, true);
  assert.ok(second.delegated && !second.lost);
  assert.ok(faults(w).includes('missing'));
  nothingStuck(w);
});

test('a terminate that never answers: the host takes the objects back at the timeout', async () => {
  const w = await world({ targetTimeoutMs: 300 });
  const c = await offloadOne(w);
  misbehave(w, 'terminate', 'hang');
  const done = w.host.terminate([c]);
  await pass(w, 300);
  await done;
  assert.is(w.events.terminated.find((e) => e.handle === c)?.lost, true);
  assert.ok(faults(w).includes('timeout'));
  await pass(w, 300); // the orphaned path and neighbor
  assert.is(w.host.table.count(Kind.Neighbor), 0);
  nothingStuck(w);
});

for (const m of ['throw', 'reject', 'hang'] as const) {
  test(`invalidate that ${LABEL[m]}: reported, and the termination goes ahead`, async () => {
    const w = await world({ targetTimeoutMs: 200 });
    const c = await offloadOne(w);
    const path = w.host.table.parent(c);
    misbehave(w, 'invalidate', m);
    const done = w.host.invalidate(path);
    await pass(w, 200);
    await done;
    await w.host.idle();
    assert.equal(
      w.events.terminated.map((e) => `${Kind[e.kind]}:${Reason[e.reason]}`),
      ['Connection:Invalidated', 'Path:Invalidated', 'Neighbor:Orphaned'],
    );
    assert.ok(faults(w).includes(FAULT[m]));
    assert.ok(await w.host.offload(request(1)), 'new offloads on that path work again');
    nothingStuck(w);
  });
}

test('update that fails: reported; the host keeps its value; the call resolves', async () => {
  const w = await world();
  const c = await offloadOne(w);
  const path = w.host.table.parent(c);
  misbehave(w, 'update', 'throw');
  await w.host.updatePath(path, 9000);
  misbehave(w, 'update', 'fail');
  await w.host.updatePath(path, 8000);
  assert.equal(faults(w), ['threw', 'failed']);
  assert.is((w.host.table.describe(path).key as { mtu: number }).mtu, 8000);
  nothingStuck(w);
});

test('query that fails: the caller gets OffloadError, and an error event names the fault', async () => {
  const w = await world();
  const c = await offloadOne(w);
  for (const m of ['reject', 'strip', 'malformed'] as const) {
    misbehave(w, 'query', m);
    try {
      await w.host.query(c);
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code: ErrorCode }).code, ErrorCode.WrongState);
      assert.match(String(e), /could not answer/);
    }
  }
  assert.ok(faults(w).includes('rejected') && faults(w).includes('malformed'));
  assert.is((await w.host.query(c)).sndUna, 0);
});

test('malformed indications are error events; none throws into the target; tick() keeps working', async () => {
  const w = await world();
  const c = await offloadOne(w);
  const bad: [string, () => void][] = [
    ['uploadRequested(0)', () => w.target.host.uploadRequested(0, UploadReason.HardwareFailure)],
    ['uploadRequested(bad reason)', () => w.target.host.uploadRequested(c, 99 as UploadReason)],
    ['uploadRequested("x")', () => w.target.host.uploadRequested('x' as never, UploadReason.HardwareFailure)],
    ["link('eth0', false)", () => w.target.host.link('eth0' as never, false)],
    ["link(1, 'down')", () => w.target.host.link(1, 'down' as never)],
    ['capacity(-1)', () => w.target.host.capacity(-1)],
    ['capacity(NaN)', () => w.target.host.capacity(NaN)],
    ['delivered(c, -5)', () => w.target.host.delivered(c, -5)],
    ['delivered(12345, 5)', () => w.target.host.delivered(12345, 5)],
    // 0 marks an empty entry of the engine's handle index: it must never look like a connection.
    ['delivered(0, 5)', () => w.target.host.delivered(0, 5)],
    ['delivered(NaN, 5)', () => w.target.host.delivered(NaN, 5)],
  ];
  for (const [what, call] of bad) {
    const before = w.events.error.length;
    call(); // must not throw
    assert.is(w.events.error.length, before + 1, `${what} is one error event`);
    assert.is(w.events.error[before]!.fault, 'indication', what);
  }
  assert.is(w.host.status().capacity, 100, 'capacity unchanged');
  assert.equal(w.events.link, [], 'no link event from a bad indication');
  assert.is(w.host.table.state(c), State.Offloaded);
  w.host.tick(10);
  assert.ok(await w.host.offload(request(2)));
  nothingStuck(w);
});

test('deliveredBatch is delivered() for each entry: events in order, bad entries and bad arrays are error events', async () => {
  const w = await world();
  const c = await offloadOne(w);
  const events = w.target.host;
  assert.type(events.deliveredBatch, 'function', 'HostStack offers the batch indication');
  events.deliveredBatch!([c, c, c], [5, 7, 9], 2);
  assert.equal(
    w.events.delivered.map((e) => [e.handle, e.bytes]),
    [
      [c, 5],
      [c, 7],
    ],
  );
  assert.equal(w.events.error, []);
  const bad: [string, () => void, number][] = [
    ['bad entries', () => events.deliveredBatch!([c, 12345, 0, c], [1, 2, 3, -4]), 3],
    ['not arrays', () => events.deliveredBatch!('x' as never, [1]), 1],
    ['lengths differ', () => events.deliveredBatch!([c, c], [1]), 1],
    ['count too large', () => events.deliveredBatch!([c], [1], 2), 1],
    ['count not an integer', () => events.deliveredBatch!([c], [1], 0.5), 1],
  ];
  for (const [what, call, errors] of bad) {
    const before = w.events.error.length;
    call(); // must not throw
    assert.is(w.events.error.length, before + errors, what);
    for (const e of w.events.error.slice(before)) assert.is(e.fault, 'indication', what);
  }
  assert.equal(
    w.events.delivered.map((e) => e.bytes),
    [5, 7, 1],
    'the good entry of a batch with bad ones is delivered',
  );
  nothingStuck(w);
});

test('a handler that throws inside an indication does not reach the target', async () => {
  const w = await world();
  const c = await offloadOne(w);
  w.host.table.check = () => {
    throw new Error('boom');
  };
  // The host's own work on an indication failing (here: a table method replaced to throw) is contained.
  const terminate = w.host.table.terminate.bind(w.host.table);
  w.host.table.terminate = () => {
    throw new Error('table exploded');
  };
  w.target.host.uploadRequested(c, UploadReason.HardwareFailure);
  w.host.table.terminate = terminate;
  assert.match(w.events.error.at(-1)!.message, /uploadRequested indication failed: table exploded/);
});

test('a target whose clock subscriber throws does not break tick()', async () => {
  const w = await world();
  w.target.clock.subscribe(() => {
    throw new Error('clock listener broke');
  });
  w.host.tick(5);
  w.host.tick(10);
  assert.is(w.events.error.length, 2);
  assert.match(w.events.error[0]!.message, /clock listener broke/);
});

test('a whole answer of wrong results is a few reports and a count, not a flood', async () => {
  const w = await world();
  const c = await offloadOne(w);
  w.target.choose = (call) => (call === 'query' ? 'none' : 'none');
  const query = w.target.query.bind(w.target);
  w.target.query = (handles) => query(handles).then((r) => [...r, ...Array.from({ length: 1000 }, (_, i) => ({ handle: 10 ** 9 + i, ok: true }))]);
  await w.host.query(c);
  const unknown = w.events.error.filter((e) => e.fault === 'unknown');
  assert.is(unknown.length, 6);
  assert.match(unknown[5]!.message, /995 more faults/);
});

test.run();
