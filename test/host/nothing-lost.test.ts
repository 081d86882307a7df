// Nothing lost: thousands of connections with random traffic and random events (link flaps,
// pause and restart, upload requests, upload-all, priority bursts, low activity, invalidations),
// against a SimulatedTarget with injected faults and out-of-order completions. For every
// connection it proves:
//   bytes sent by the application = bytes the target acknowledged + unacknowledged bytes handed
//     back, contiguous and in order;
//   bytes the target received = bytes delivered to the host + buffered bytes handed back, in order;
//   every object terminated was reported exactly once;
//   no neighbor or path was handed to the target for termination while a dependent was linked;
// and check() holds throughout.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  HostStack,
  SimulatedTarget,
  Kind,
  State,
  UploadReason,
  seededRandom,
  type TerminateBlock,
  type TerminateResult,
  type HostEvents,
} from '../../src/index.js';

/** A SimulatedTarget that checks, at each terminate call, that parents come after every linked dependent. */
class CheckingTarget extends SimulatedTarget {
  host: HostStack | undefined;
  violations: string[] = [];
  override terminate(blocks: TerminateBlock[]): Promise<TerminateResult[]> {
    const table = this.host!.table;
    const seen = new Set<number>();
    for (const b of blocks) {
      if (b.kind !== Kind.Connection) {
        for (const d of table.dependents(b.handle)) {
          if (!seen.has(d)) this.violations.push(`${Kind[b.kind]} ${b.handle} terminated while dependent ${d} is linked (${State[table.state(d)]})`);
        }
      }
      seen.add(b.handle);
    }
    return super.terminate(blocks);
  }
}

interface Life {
  handle: number;
  sndUna: number;
  rcvNxt: number;
  sent: number;
  received: number;
  delivered: number;
}

const test = suite('nothing lost');

test('thousands of connections, random traffic and events, faults and reordering: nothing lost', async () => {
  const random = seededRandom(2026);
  const target = new CheckingTarget({
    capacity: 1500,
    latencyMs: { min: 0, max: 40 },
    seed: 7,
    faults: { initiateFailure: 0.03, hardwareFailure: 0.2, uploadRequests: 0.3 },
    deliverProbability: 0.4,
  });
  const host = await HostStack.create({
    target,
    policy: {
      lowActivity: { thresholdBytesPerSecond: 200, windowMs: 2000, quietMs: 3000 },
      honorAdvisory: [UploadReason.SmallIO],
      mediaDisconnectGraceMs: 150,
    },
  });
  target.host = host;
  const table = host.table;

  const open = new Map<number, Life>(); // connections offloaded and not yet terminated, by handle
  const parentsOpen = new Set<number>();
  let terminatedTwice = 0;
  let checked = 0;
  const errors: HostEvents['error'][] = [];
  host.on('error', (e) => errors.push(e));
  const refusals = new Map<string, number>();
  host.on('refused', (e) => refusals.set(e.why, (refusals.get(e.why) ?? 0) + 1));
  host.on('offloaded', (e) => {
    if (e.kind !== Kind.Connection) {
      parentsOpen.add(e.handle);
      return;
    }
    const key = e.key as { destination: string; localPort: number };
    const initial = tcpOf.get(`${key.destination}:${key.localPort}`)!;
    open.set(e.handle, { handle: e.handle, sndUna: initial.sndUna, rcvNxt: initial.rcvNxt, sent: 0, received: 0, delivered: 0 });
  });
  host.on('delivered', (e) => {
    const life = open.get(e.handle);
    if (life) life.delivered += e.bytes;
  });
  host.on('terminated', (e) => {
    if (e.kind !== Kind.Connection) {
      if (!parentsOpen.delete(e.handle)) terminatedTwice++;
      return;
    }
    const life = open.get(e.handle);
    if (!life) {
      terminatedTwice++;
      return;
    }
    open.delete(e.handle);
    const d = e.delegated!;
    // Sends: acknowledged + handed back = sent by the application, contiguous from SndUna.
    const acked = d.sndUna - life.sndUna;
    let at = d.sndUna;
    for (const s of e.unacknowledged!) {
      assert.is(s.seq, at, `connection ${e.handle}: unacknowledged data out of order or with a gap`);
      at += s.length;
    }
    assert.is(at, d.sndNxt, `connection ${e.handle}: unacknowledged data does not reach SndNxt`);
    assert.is(acked + (at - d.sndUna), life.sent, `connection ${e.handle}: sent bytes lost`);
    // Receives: delivered + handed back = received by the target, contiguous.
    at = life.rcvNxt + life.delivered;
    for (const s of e.received!) {
      assert.is(s.seq, at, `connection ${e.handle}: buffered received data out of order or with a gap`);
      at += s.length;
    }
    assert.is(at, d.rcvNxt, `connection ${e.handle}: buffered data does not reach RcvNxt`);
    assert.is(at - life.rcvNxt, life.received, `connection ${e.handle}: received bytes lost`);
    checked++;
  });

  const tcpOf = new Map<string, { sndUna: number; rcvNxt: number }>(); // by "destination:localPort"
  const offloads: Promise<void>[] = [];
  let next = 0;
  const offloadOne = (priority: number) => {
    const i = next++;
    const ifIndex = 1 + (i % 3);
    const tcp = { sndUna: Math.floor(random() * 1e6), rcvNxt: Math.floor(random() * 1e6) };
    const req = {
      ifIndex,
      nextHop: `10.${ifIndex}.0.${1 + (i % 4)}`,
      source: `10.${ifIndex}.1.1`,
      destination: `172.16.${(i >> 8) & 255}.${i & 255}`,
      localPort: 1024 + (i % 50000),
      remotePort: 443,
      priority,
      tcp,
    };
    tcpOf.set(`${req.destination}:${req.localPort}`, tcp);
    offloads.push(host.offload(req).then(() => undefined));
  };

  let now = 0;
  for (let step = 0; step < 600; step++) {
    now += 25;
    // New connections, and now and then a burst of high-priority ones.
    const arrivals = step % 50 === 49 ? 60 : Math.floor(random() * 12);
    for (let k = 0; k < arrivals; k++) offloadOne(step % 50 === 49 ? 200 : Math.floor(random() * 8));
    // Traffic on Offloaded connections (the only ones whose bytes the target sees).
    for (const life of open.values()) {
      if (random() < 0.5 && table.state(life.handle) === State.Offloaded && !table.pending(life.handle)) {
        const sent = random() < 0.3 ? 0 : Math.floor(random() * 3000);
        const received = random() < 0.3 ? 0 : Math.floor(random() * 3000);
        host.recordTraffic(life.handle, sent, received);
        life.sent += sent;
        life.received += received;
      }
    }
    // Events.
    const r = random();
    if (r < 0.015) target.linkDown(1 + Math.floor(random() * 3));
    else if (r < 0.1) target.linkUp(1 + Math.floor(random() * 3));
    else if (r < 0.105) void host.pause(1 + Math.floor(random() * 3));
    else if (r < 0.15) host.restart();
    else if (r < 0.153) target.requestUploadAll();
    else if (r < 0.2) target.resumeOffload();
    else if (r < 0.203) target.pauseOffload();
    else if (r < 0.213) {
      const paths = table.handles(Kind.Path);
      const p = paths[Math.floor(random() * paths.length)];
      if (p && table.state(p) === State.Offloaded && !table.pending(p)) void host.invalidate(p);
    }
    host.tick(now);
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (step % 50 === 0) table.check();
  }
  // Wind down: bring everything back and let every completion land.
  target.resumeOffload();
  host.restart();
  for (let i = 1; i <= 3; i++) target.linkUp(i);
  let settled = false;
  void Promise.all(offloads).then(() => (settled = true));
  const drain = async () => {
    for (let k = 0; k < 1000 && (!settled || target.pending || host.status().inFlight); k++) {
      target.flush();
      await host.idle();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  await drain();
  assert.ok(settled, 'every offload resolved');
  void host.pause();
  await drain();
  table.check();

  assert.equal(target.violations, [], 'a parent was terminated while a dependent was linked');
  assert.is(terminatedTwice, 0, 'an object was reported terminated twice, or without being offloaded');
  assert.is(open.size, 0, 'every offloaded connection was terminated and checked');
  assert.is(parentsOpen.size, 0, 'every offloaded neighbor and path was terminated');
  for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) assert.is(table.count(k), 0);
  assert.is(target.connections, 0);
  assert.ok(checked > 2000, `thousands of connections checked (${checked}); refused: ${JSON.stringify([...refusals])}`);
  assert.equal(
    errors.filter((e) => !/not an offloaded connection/.test(e.message)),
    [],
    'no unexpected error',
  );
});

test.run();
