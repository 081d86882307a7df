// HostStack over SimulatedTarget: each termination reason, refusals, bad input, updates, queries,
// and concurrency, through the public API.
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
  type HostPolicy,
  type OffloadRequest,
  type SimulatedTargetOptions,
} from '../../src/index.js';
import { throwsCode } from '../helpers.js';

interface World {
  host: HostStack;
  target: SimulatedTarget;
  events: { [K in keyof HostEvents]: HostEvents[K][] };
}

async function world(target: SimulatedTargetOptions = {}, policy: HostPolicy = {}): Promise<World> {
  const t = new SimulatedTarget(target);
  const host = await HostStack.create({ target: t, policy });
  const events = { offloaded: [], refused: [], terminated: [], link: [], delivered: [], error: [] } as World['events'];
  for (const name of Object.keys(events) as (keyof HostEvents)[]) host.on(name, (e) => (events[name] as unknown[]).push(e));
  return { host, target: t, events };
}

/** Connection `i` on interface `ifIndex`: next hop 10.<if>.0.1, its own path. */
const request = (i: number, extra: Partial<OffloadRequest> = {}): OffloadRequest => ({
  ifIndex: 1,
  nextHop: `10.${extra.ifIndex ?? 1}.0.1`,
  source: `10.${extra.ifIndex ?? 1}.0.2`,
  destination: `192.0.2.${i}`,
  localPort: 40000 + i,
  remotePort: 443,
  ...extra,
});

/** Lets microtask completions (zero latency) and everything they send settle. */
async function settle(w: World): Promise<void> {
  w.target.flush();
  await w.host.idle();
}

const reasonsOf = (w: World, kind = Kind.Connection) => w.events.terminated.filter((e) => e.kind === kind).map((e) => Reason[e.reason]);

const test = suite('host');

test('offload brings neighbor and path along once, then reuses them', async () => {
  const w = await world();
  const c1 = await w.host.offload(request(1));
  const c2 = await w.host.offload({ ...request(1), localPort: 50000 });
  assert.ok(c1 && c2);
  assert.is(w.host.table.state(c1), State.Offloaded);
  assert.is(w.host.table.parent(c1), w.host.table.parent(c2), 'the same path');
  assert.equal(
    w.events.offloaded.map((e) => Kind[e.kind]),
    ['Neighbor', 'Path', 'Connection', 'Connection'],
  );
  assert.is(w.target.calls.initiate, 2);
  assert.is(w.target.connections, 2);
  w.host.table.check();
});

test('bad input throws OffloadError; refusals resolve to 0', async () => {
  const w = await world({ capacity: 1 });
  const c = await w.host.offload(request(1));
  for (const bad of [
    { ...request(2), destination: '192.0.2.300' },
    { ...request(2), localPort: 70000 },
    { ...request(2), priority: 300 },
    { ...request(2), ifIndex: -1 },
  ]) {
    try {
      await w.host.offload(bad);
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code: string }).code, ErrorCode.InvalidArgument);
    }
  }
  try {
    await w.host.offload(request(1));
    assert.unreachable('duplicate');
  } catch (e) {
    assert.is((e as { code: string }).code, ErrorCode.DuplicateKey);
  }
  assert.is(await w.host.offload(request(2)), 0, 'at capacity, no lower priority to preempt');
  assert.match(w.events.refused[0]!.why, /capacity/);
  assert.is(w.host.table.state(c), State.Offloaded);
});

test('HigherPriority: at capacity the least recently active lower-priority connection goes first', async () => {
  const w = await world({ capacity: 3 });
  const a = await w.host.offload(request(1, { priority: 1 }));
  const b = await w.host.offload(request(2, { priority: 1 }));
  const c = await w.host.offload(request(3, { priority: 4 }));
  w.host.recordTraffic(a, 100); // a is now more recently active than b
  const d = await w.host.offload(request(4, { priority: 5 }));
  assert.ok(d);
  const victim = w.events.terminated.find((e) => e.kind === Kind.Connection)!;
  assert.is(victim.handle, b);
  assert.is(victim.reason, Reason.HigherPriority);
  const order = [...w.events.terminated.map((e) => `t${e.handle}`), ...w.events.offloaded.map((e) => `o${e.handle}`)];
  assert.ok(w.events.terminated.indexOf(victim) >= 0 && order.includes(`o${d}`));
  assert.ok(w.target.connections <= 3);
  // Equal priority never preempts.
  assert.is(await w.host.offload(request(5, { priority: 1 })), 0);
  assert.is(w.host.table.state(a), State.Offloaded);
  assert.is(w.host.table.state(c), State.Offloaded);
  w.host.table.check();
});

test('HigherPriority waits for the victim before initiating (latency)', async () => {
  const w = await world({ capacity: 1, latencyMs: 10 });
  const first = w.host.offload(request(1));
  w.target.advance(10);
  const a = await first;
  const second = w.host.offload(request(2, { priority: 9 }));
  await Promise.resolve();
  assert.is(w.target.calls.initiate, 1, 'no initiate before the victim is gone');
  let now = 10;
  while (w.target.pending || w.host.status().inFlight) {
    now += 10;
    w.target.advance(now);
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
  }
  const b = await second;
  assert.ok(b);
  assert.is(w.events.terminated.find((e) => e.kind === Kind.Connection)!.handle, a);
  assert.ok(w.target.connections <= 1);
});

test('LowActivity: tick terminates quiet connections, and their empty path and neighbor follow', async () => {
  const w = await world({}, { lowActivity: { thresholdBytesPerSecond: 1000, windowMs: 1000, quietMs: 2000 } });
  const busy = await w.host.offload(request(1));
  const quiet = await w.host.offload(request(2, { ifIndex: 2 }));
  w.host.tick(0);
  for (let now = 1000; now <= 3000; now += 1000) {
    w.host.recordTraffic(busy, 5000, 5000);
    w.host.tick(now);
  }
  await settle(w);
  assert.equal(
    w.events.terminated.map((e) => `${Kind[e.kind]}:${Reason[e.reason]}`),
    ['Connection:LowActivity', 'Path:Orphaned', 'Neighbor:Orphaned'],
  );
  assert.is(w.events.terminated[0]!.handle, quiet);
  assert.is(w.host.table.state(busy), State.Offloaded);
});

test('TargetRequested: must-act reasons always, advisory ones only when the policy says so', async () => {
  const w = await world({}, { honorAdvisory: [UploadReason.LowActivity] });
  const cs = [];
  for (let i = 1; i <= 4; i++) cs.push(await w.host.offload(request(i)));
  w.target.requestUpload(cs[0]!, UploadReason.HardwareFailure);
  w.target.requestUpload(cs[1]!, UploadReason.HighDropRate); // advisory, not honoured
  w.target.requestUpload(cs[2]!, UploadReason.LowActivity); // advisory, honoured
  await settle(w);
  assert.equal(
    w.events.terminated.filter((e) => e.kind === Kind.Connection).map((e) => e.handle),
    [cs[0], cs[2]],
  );
  assert.equal(reasonsOf(w), ['TargetRequested', 'TargetRequested']);
  assert.equal(reasonsOf(w, Kind.Path), ['Orphaned', 'Orphaned'], 'each had its own path');
  w.target.requestUpload(cs[0]!, UploadReason.UploadRequested); // already gone: reported, not fatal
  assert.match(w.events.error[0]!.message, /not an offloaded connection/);
});

test('upload all: everything goes and nothing new is offloaded until the target resumes', async () => {
  const w = await world();
  for (let i = 1; i <= 3; i++) await w.host.offload(request(i, { ifIndex: 1 + (i % 2) }));
  w.target.requestUploadAll();
  await settle(w);
  assert.is(w.host.table.count(Kind.Connection), 0);
  assert.is(w.host.table.count(Kind.Neighbor), 0);
  assert.ok(reasonsOf(w).every((r) => r === 'TargetRequested'));
  assert.is(await w.host.offload(request(9)), 0);
  w.target.resumeOffload();
  assert.ok(await w.host.offload(request(9)));
});

test('offload pause stops new offloads only', async () => {
  const w = await world();
  const c = await w.host.offload(request(1));
  w.target.pauseOffload();
  assert.is(await w.host.offload(request(2)), 0);
  assert.match(w.events.refused[0]!.why, /target paused/);
  assert.is(w.host.table.state(c), State.Offloaded);
  w.target.resumeOffload();
  assert.ok(await w.host.offload(request(2)));
});

test('MediaDisconnect: the host terminates everything on the interface whose link went down', async () => {
  const w = await world();
  const a = await w.host.offload(request(1, { ifIndex: 1 }));
  const b = await w.host.offload(request(2, { ifIndex: 2 }));
  w.target.linkDown(1);
  await settle(w);
  assert.equal(w.events.link, [{ ifIndex: 1, up: false }]);
  assert.equal(
    w.events.terminated.map((e) => `${Kind[e.kind]}:${Reason[e.reason]}`),
    ['Connection:MediaDisconnect', 'Path:MediaDisconnect', 'Neighbor:MediaDisconnect'],
  );
  assert.is(w.events.terminated[0]!.handle, a);
  assert.is(w.host.table.state(b), State.Offloaded);
  assert.is(await w.host.offload(request(3, { ifIndex: 1 })), 0, 'refused while the link is down');
  w.target.linkUp(1);
  assert.ok(await w.host.offload(request(3, { ifIndex: 1 })));
});

test('MediaDisconnect grace: a link back in time keeps everything; one that stays down loses it', async () => {
  const w = await world({}, { mediaDisconnectGraceMs: 500, lowActivity: false });
  const a = await w.host.offload(request(1));
  w.host.tick(1000);
  w.target.linkDown(1);
  w.host.tick(1400);
  w.target.linkUp(1);
  w.host.tick(2000);
  await settle(w);
  assert.is(w.events.terminated.length, 0);
  w.target.linkDown(1);
  w.host.tick(2400);
  await settle(w);
  assert.is(w.events.terminated.length, 0, 'still within the grace');
  w.host.tick(2500);
  await settle(w);
  assert.is(w.events.terminated[0]!.handle, a);
  assert.is(w.events.terminated[0]!.reason, Reason.MediaDisconnect);
});

test('Pause: NetEventPause terminates all (or one interface) until restart()', async () => {
  const w = await world();
  await w.host.offload(request(1, { ifIndex: 1 }));
  const b = await w.host.offload(request(2, { ifIndex: 2 }));
  await w.host.pause(1);
  assert.is(w.host.table.count(Kind.Connection), 1);
  assert.is(await w.host.offload(request(3, { ifIndex: 1 })), 0);
  assert.ok(await w.host.offload(request(4, { ifIndex: 2 })));
  await w.host.pause();
  assert.is(w.host.table.count(Kind.Connection), 0);
  assert.ok(w.events.terminated.some((e) => e.handle === b && e.reason === Reason.Pause));
  assert.is(await w.host.offload(request(5, { ifIndex: 2 })), 0);
  w.host.restart();
  assert.ok(await w.host.offload(request(5, { ifIndex: 2 })));
});

test('PowerTransition terminates everything', async () => {
  const w = await world();
  for (let i = 1; i <= 3; i++) await w.host.offload(request(i));
  await w.host.powerTransition();
  assert.is(w.host.table.count(Kind.Connection), 0);
  assert.ok(reasonsOf(w).every((r) => r === 'PowerTransition'));
});

test('Invalidated: a neighbor invalidated takes its dependents', async () => {
  const w = await world();
  const a = await w.host.offload(request(1));
  const b = await w.host.offload(request(2, { ifIndex: 2 }));
  const neighbor = w.host.table.parent(w.host.table.parent(a));
  await w.host.invalidate(neighbor);
  assert.equal(
    w.events.terminated.map((e) => `${Kind[e.kind]}:${Reason[e.reason]}`),
    ['Connection:Invalidated', 'Path:Invalidated', 'Neighbor:Invalidated'],
  );
  assert.is(w.target.calls.invalidate, 1);
  assert.is(w.host.table.state(b), State.Offloaded);
  try {
    await w.host.invalidate(b);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, ErrorCode.WrongKind);
  }
});

test('update pushes cached variables; query reads delegated state without terminating', async () => {
  const w = await world();
  const c = await w.host.offload({ ...request(1), tcp: { sndUna: 1000, rcvNxt: 5000 } });
  const path = w.host.table.parent(c);
  await w.host.updatePath(path, 9000);
  await w.host.updateNeighbor(w.host.table.parent(path), '02:00:00:00:00:01');
  assert.is((w.host.table.describe(path).key as { mtu: number }).mtu, 9000);
  assert.is(w.target.calls.update, 2);
  w.host.recordTraffic(c, 300, 70);
  const state = await w.host.query(c);
  assert.is(state.sndNxt, 1300);
  assert.is(state.rcvNxt, 5070);
  assert.is(w.host.table.state(c), State.Offloaded);
  const other = await w.host.offload(request(2, { ifIndex: 2 }));
  const oldNeighbor = w.host.table.parent(path);
  await w.host.relinkPath(path, w.host.table.parent(w.host.table.parent(other)));
  assert.is(w.host.table.parent(path), w.host.table.parent(w.host.table.parent(other)));
  await settle(w);
  assert.ok(
    w.events.terminated.some((e) => e.handle === oldNeighbor && e.reason === Reason.Orphaned),
    'the neighbor left empty went',
  );
  w.host.table.check();
});

test('a terminate that reaches an initiate in flight waits for it', async () => {
  const w = await world({ latencyMs: 5 });
  const pending = w.host.offload(request(1));
  await Promise.resolve();
  const c = w.host.table.findConnection({ source: '10.1.0.2', destination: '192.0.2.1', localPort: 40001, remotePort: 443 });
  const gone = w.host.terminate([c], Reason.Application);
  assert.ok(w.host.table.pending(c));
  w.target.advance(5);
  assert.is(await pending, c, 'the initiate completed');
  w.target.advance(10);
  await gone; // resolves once the connection is freed, though it had to wait for its initiate
  assert.equal(
    w.events.terminated.map((e) => e.handle),
    [c, w.events.offloaded[1]!.handle, w.events.offloaded[0]!.handle],
  );
  w.host.table.check();
});

test('a completion for an object that is already gone is reported, not fatal', async () => {
  const w = await world({ latencyMs: 5 });
  const c = await (async () => {
    const p = w.host.offload(request(1));
    w.target.advance(5);
    return p;
  })();
  const done = w.host.terminate([c], Reason.Application);
  // Someone frees the connection behind the host's back before the target completes.
  w.host.table.completeTerminate([c], { prune: false });
  w.target.advance(20);
  await done;
  w.target.flush();
  await w.host.idle();
  assert.match(w.events.error.map((e) => e.message).join('\n'), /already gone/);
  assert.ok(!w.events.terminated.some((e) => e.handle === c), 'not reported as terminated by this host');
  w.host.table.check();
});

test('host calls validate their input and change nothing when they throw', async () => {
  const w = await world();
  const c = await w.host.offload(request(1));
  w.host.tick(100);
  throwsCode(() => w.host.tick(NaN), ErrorCode.InvalidArgument, /finite time/);
  throwsCode(() => w.host.tick(50), ErrorCode.InvalidArgument, /before the previous tick/);
  throwsCode(() => w.host.recordTraffic(c, -1), ErrorCode.InvalidArgument, /sentBytes/);
  throwsCode(() => w.host.recordTraffic(3 * 2 ** 51 + 5, 1), ErrorCode.StaleHandle);
  throwsCode(() => void w.host.pause(-1), ErrorCode.InvalidArgument, /ifIndex/);
  throwsCode(() => void w.host.updatePath(w.host.table.parent(c), 10), ErrorCode.InvalidArgument, /mtu/);
  for (const call of [() => w.host.query(3 * 2 ** 51 + 5), () => w.host.invalidate(c), () => w.host.terminate([c], 0)]) {
    try {
      await call();
      assert.unreachable('should throw');
    } catch (e) {
      assert.ok([ErrorCode.StaleHandle, ErrorCode.WrongKind, ErrorCode.InvalidArgument].includes((e as { code: ErrorCode }).code), String(e));
    }
  }
  assert.is(w.host.table.state(c), State.Offloaded);
  assert.is(w.target.calls.terminate + w.target.calls.invalidate + w.target.calls.update + w.target.calls.query, 0, 'nothing reached the target');
  w.host.table.check();
});

test('HostStack.create validates its options', async () => {
  for (const bad of [
    {},
    { target: {} },
    { target: new SimulatedTarget(), policy: { lowActivty: false } },
    { target: new SimulatedTarget(), policy: { honorAdvisory: [UploadReason.HardwareFailure] } },
  ]) {
    try {
      await HostStack.create(bad as never);
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code: string }).code, ErrorCode.InvalidArgument);
    }
  }
  throwsCode(() => new SimulatedTarget({ faults: { initiateFailure: 2 } }), ErrorCode.InvalidArgument, /probability/);
});

test('route change: a connection on a path known under another neighbor moves the path there; the old neighbor goes', async () => {
  const w = await world();
  const t = w.host.table;
  const a = await w.host.offload(request(1));
  // Same source and destination (so the same path), now routed through interface 2's next hop.
  const b = await w.host.offload({ ...request(1), ifIndex: 2, nextHop: '10.2.0.1', localPort: 50000 });
  assert.ok(a && b);
  await settle(w);
  const path = t.parent(b);
  assert.is(t.parent(a), path, 'one path, with both connections');
  assert.is(t.parent(path), t.findNeighbor({ ifIndex: 2, address: '10.2.0.1' }), 'under the requested neighbor');
  assert.is(t.count(Kind.Neighbor), 1, 'the old neighbor is gone');
  assert.equal(reasonsOf(w, Kind.Neighbor), ['Orphaned']);
  for (const n of t.handles(Kind.Neighbor)) assert.ok(t.refCount(n) > 0, 'no neighbor is offloaded with nothing below it');
  assert.is(w.target.calls.update, 1, 'the target was told the path moved');
  w.target.linkDown(2);
  await settle(w);
  assert.is(t.count(Kind.Connection), 0, 'the requested route is the one a link down takes');
  t.check();
});

test('a connection whose initiate fails leaves no empty path or neighbor behind', async () => {
  const w = await world();
  w.target.capacity = 0; // the target refuses the connection (not its neighbor and path) without telling the host
  assert.is(await w.host.offload(request(1)), 0);
  assert.match(w.events.refused[0]!.why, /initiate/);
  await settle(w);
  assert.is(w.host.table.count(Kind.Neighbor) + w.host.table.count(Kind.Path), 0);
});

test("'terminated' fires after the object is freed: its handler can offload the same connection again", async () => {
  const w = await world();
  const c = await w.host.offload(request(1));
  let seen: unknown;
  let again: Promise<number> | undefined;
  w.host.on('terminated', (e) => {
    if (e.handle !== c) return;
    try {
      seen = State[w.host.table.state(c)];
    } catch (error) {
      seen = (error as { code: string }).code;
    }
    again = w.host.offload(request(1));
  });
  await w.host.terminate([c]);
  await settle(w);
  assert.is(seen, ErrorCode.StaleHandle, 'freed before the event');
  const c2 = await again!;
  assert.ok(c2 && c2 !== c, 'offloaded again, with a new handle');
  assert.is(w.host.table.state(c2), State.Offloaded);
  assert.is(w.host.table.state(w.host.table.parent(c2)), State.Offloaded, 'its path was offloaded afresh');
  assert.equal(w.events.error, []);
  w.host.table.check();
});

test('capacity drop: nothing held is terminated, and one offload preempts at most one victim', async () => {
  const w = await world({ capacity: 100 });
  const held: number[] = [];
  for (let i = 1; i <= 20; i++) held.push(await w.host.offload(request(i, { priority: 0 })));
  w.target.setCapacity(5);
  assert.is(await w.host.offload(request(50, { priority: 1 })), 0);
  await settle(w);
  assert.is(w.events.terminated.length, 0, 'a capacity drop terminates nothing, and no offload preempts many');
  assert.match(w.events.refused[0]!.why, /more than one would have to go/);
  await w.host.terminate(held.slice(0, 15));
  await settle(w);
  const before = w.events.terminated.length;
  assert.ok(await w.host.offload(request(51, { priority: 1 })), 'at capacity again: one victim makes room');
  await settle(w);
  const preempted = w.events.terminated.slice(before).filter((e) => e.reason === Reason.HigherPriority);
  assert.is(preempted.length, 1);
  assert.is(w.host.table.count(Kind.Connection), 5);
});

test('three high-priority offloads at capacity 2: two victims in all, never more', async () => {
  const w = await world({ capacity: 2, latencyMs: 10 });
  let now = 0;
  const step = async () => {
    now += 10;
    w.host.tick(now);
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  };
  const a = w.host.offload(request(1));
  const b = w.host.offload(request(2));
  while (w.host.table.count(Kind.Connection) < 2 || w.host.status().inFlight) await step();
  assert.ok((await a) && (await b));
  // Two high-priority offloads at once: each preempts one victim; a third finds no room and no
  // victim it may take without a second preemption.
  const high = [w.host.offload(request(3, { priority: 9 })), w.host.offload(request(4, { priority: 9 })), w.host.offload(request(5, { priority: 9 }))];
  for (let i = 0; i < 20; i++) await step();
  const results = await Promise.all(high);
  assert.is(results.filter((h) => h).length, 2);
  assert.is(w.events.terminated.filter((e) => e.reason === Reason.HigherPriority).length, 2);
  w.host.table.check();
});

test('offload reads its request once: a getter or a buffer changed while it waits changes nothing', async () => {
  const w = await world({ latencyMs: 5 });
  const reads: Record<string, number> = {};
  const destination = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 7]);
  const fields = { ...request(7), destination, tcp: { sndUna: 100, rcvNxt: 5 } };
  const counted = Object.fromEntries(
    Object.keys(fields).map((k) => [k, { enumerable: true, get: () => ((reads[k] = (reads[k] ?? 0) + 1), (fields as Record<string, unknown>)[k]) }]),
  );
  const tricky = Object.defineProperties({}, counted) as OffloadRequest;
  const pending = w.host.offload(tricky);
  destination[15] = 99; // the caller reuses its buffer
  (fields as Record<string, unknown>).localPort = 1; // and its object
  w.target.advance(5);
  const c = await pending;
  assert.ok(c);
  assert.ok(
    Object.values(reads).every((n) => n === 1),
    JSON.stringify(reads),
  );
  const key = w.host.table.describe(c).key as { localPort: number };
  assert.is(key.localPort, 40007);
  assert.is((w.host.table.describe(w.host.table.parent(c)).key as { destination: string }).destination, '192.0.2.7');
  const state = await (async () => {
    const q = w.host.query(c);
    w.target.advance(10);
    return q;
  })();
  assert.is(state.sndUna, 100);
});

test('on() refuses an unknown event and a listener that is not a function, at the call', async () => {
  const { host } = await world();
  for (const [call, message] of [
    [
      () => host.on('nope' as never, () => {}),
      /HostStack\.on: no event the string "nope"; the events are offloaded, refused, terminated, link, delivered, error/,
    ],
    [() => host.on('offloaded', 5 as never), /HostStack\.on\('offloaded'\): the listener must be a function, got number 5/],
  ] as [() => void, RegExp][]) {
    try {
      call();
      assert.unreachable(String(message));
    } catch (e) {
      assert.is((e as Error).name, 'OffloadError');
      assert.match((e as Error).message, message);
    }
  }
  const seen: number[] = [];
  const off = host.on('delivered', (e) => seen.push(e.bytes));
  assert.type(off, 'function');
  off();
});

test("offload's refusals of bad keys name offload and its field, not the table lookup behind them", async () => {
  const { host } = await world();
  const good = { ifIndex: 1, nextHop: '10.0.0.1', source: '10.0.0.2', destination: '10.0.0.3', localPort: 7, remotePort: 80 };
  for (const [request, message] of [
    [{ ...good, localPort: 70000 }, /^offload: localPort must be an integer 0\.\.65535, got number 70000$/],
    [{ ...good, nextHop: 'bad' }, /^offload: nextHop: "bad" is not an IPv4 or IPv6 address/],
    [{ ...good, source: '1.2.3' }, /^offload: /],
  ] as [object, RegExp][]) {
    try {
      await host.offload(request as never);
      assert.unreachable(String(message));
    } catch (e) {
      assert.is((e as Error).name, 'OffloadError');
      assert.match((e as Error).message, message);
    }
  }
});

test('regression: a target whose traffic or trafficBatch is async and rejects: recordTraffic(Batch) report it, never an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    for (const method of ['traffic', 'trafficBatch'] as const) {
      const w = await world();
      const c = await w.host.offload(request(1));
      assert.ok(c);
      const t = w.target as { traffic?: unknown; trafficBatch?: unknown };
      if (method === 'traffic') t.trafficBatch = undefined;
      t[method] = async () => {
        throw new Error('not now');
      };
      w.host.recordTraffic(c, 10);
      w.host.recordTrafficBatch([c], [20]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(unhandled, [], method);
      assert.is(
        w.events.error.filter((e) => e.fault === 'rejected' && /traffic rejected: .*not now/.test(e.message)).length,
        method === 'traffic' ? 2 : 1,
        method,
      );
    }
  } finally {
    process.off('unhandledRejection', record);
  }
});

test.run();
