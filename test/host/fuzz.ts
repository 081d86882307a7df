// The faulty-target fuzz for HostStack: random connections, traffic and events against a target
// that throws, rejects, hangs, answers late, drops, duplicates, invents and strips results, and
// sends malformed indications. After every step check() holds; at every event: each object is
// reported offloaded once and terminated once (never terminated without having been offloaded);
// each terminated connection either hands back exactly what it was given (nothing lost) or is
// reported `lost`. At the end, with the target flushed and the host idle, nothing is Offloading,
// Terminating or pending, and a pause brings everything back.
// Used by test/host/fuzz.test.ts (short) and `npm run fuzz` (long, via test/reference/fuzz.ts).
import { HostStack, Kind, State, Reason, UploadReason, seededRandom, type HostEvents } from '../../src/index.js';
import { FaultyTarget, MISCHIEF, type Mischief } from './faulty-target.js';

export interface HostFuzzResult {
  seed: number;
  steps: number;
  offloaded: number;
  terminated: number;
  /** Terminated connections whose bytes were checked exactly. */
  checked: number;
  /** Terminated connections reported lost. */
  lost: number;
  faults: Record<string, number>;
  mischief: Record<Mischief, number>;
}

interface Life {
  sndUna: number;
  rcvNxt: number;
  sent: number;
  received: number;
  delivered: number;
}

const TICK_MS = 25;
const TIMEOUT_MS = 300;

/** Runs `steps` steps from `seed`; throws an Error naming the seed and step on the first broken promise. */
export async function hostFuzz(seed: number, steps: number, faultRate = 0.15): Promise<HostFuzzResult> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const target = new FaultyTarget({
    capacity: 40,
    latencyMs: { min: 0, max: 60 },
    seed: seed ^ 0x5bd1e995,
    faults: { initiateFailure: 0.02, hardwareFailure: 0.05, uploadRequests: 0.1 },
    deliverProbability: 0.4,
  });
  target.choose = () => (random() < faultRate ? pick(MISCHIEF.slice(1)) : 'none');
  const host = await HostStack.create({
    target,
    targetTimeoutMs: TIMEOUT_MS,
    policy: { lowActivity: { thresholdBytesPerSecond: 100, windowMs: 500, quietMs: 1000 }, honorAdvisory: [UploadReason.SmallIO], mediaDisconnectGraceMs: 50 },
  });
  const table = host.table;
  let step = 0;
  // Listeners' exceptions are caught by the emitter, so the first failure is kept and rethrown
  // after every step.
  let broken: Error | undefined;
  const fail = (what: string): never => {
    broken ??= new Error(`host fuzz, seed ${seed}, step ${step}: ${what}`);
    throw broken;
  };
  const verify = () => {
    if (broken) throw broken;
    table.check();
  };

  const everOffloaded = new Set<number>();
  const open = new Set<number>();
  const everTerminated = new Set<number>();
  const lives = new Map<number, Life>();
  const tcpOf = new Map<string, { sndUna: number; rcvNxt: number }>();
  const result: HostFuzzResult = { seed, steps, offloaded: 0, terminated: 0, checked: 0, lost: 0, faults: {}, mischief: target.counts };

  host.on('error', (e: HostEvents['error']) => {
    const f = e.fault ?? 'other';
    result.faults[f] = (result.faults[f] ?? 0) + 1;
  });
  host.on('offloaded', (e) => {
    if (everOffloaded.has(e.handle)) fail(`${Kind[e.kind]} ${e.handle} reported offloaded twice`);
    everOffloaded.add(e.handle);
    open.add(e.handle);
    result.offloaded++;
    if (e.kind !== Kind.Connection) return;
    const key = e.key as { destination: string; localPort: number };
    const tcp = tcpOf.get(`${key.destination}/${key.localPort}`) ?? fail(`connection ${e.handle} offloaded with an unknown key`);
    lives.set(e.handle, { sndUna: tcp.sndUna, rcvNxt: tcp.rcvNxt, sent: 0, received: 0, delivered: 0 });
  });
  host.on('delivered', (e) => {
    const life = lives.get(e.handle);
    if (life) life.delivered += e.bytes;
  });
  host.on('terminated', (e) => {
    if (everTerminated.has(e.handle)) fail(`${Kind[e.kind]} ${e.handle} reported terminated twice`);
    if (!open.delete(e.handle)) fail(`${Kind[e.kind]} ${e.handle} reported terminated without having been offloaded`);
    everTerminated.add(e.handle);
    result.terminated++;
    if (e.kind !== Kind.Connection) return;
    const life = lives.get(e.handle)!;
    lives.delete(e.handle);
    if (e.lost) {
      if (e.delegated) fail(`connection ${e.handle} reported lost with state`);
      result.lost++;
      return;
    }
    const d = e.delegated ?? fail(`connection ${e.handle} terminated with no state and not reported lost`);
    const unacked = e.unacknowledged!.reduce((s, x) => s + x.length, 0);
    const buffered = e.received!.reduce((s, x) => s + x.length, 0);
    if (d.sndUna - life.sndUna + unacked !== life.sent)
      fail(`connection ${e.handle}: sent ${life.sent}, acknowledged ${d.sndUna - life.sndUna} + handed back ${unacked}`);
    if (life.delivered + buffered !== life.received)
      fail(`connection ${e.handle}: received ${life.received}, delivered ${life.delivered} + handed back ${buffered}`);
    if (d.rcvNxt - life.rcvNxt !== life.received) fail(`connection ${e.handle}: RcvNxt moved ${d.rcvNxt - life.rcvNxt}, received ${life.received}`);
    result.checked++;
  });

  const offloads: Promise<number>[] = [];
  let next = 0;
  const offloadOne = () => {
    const i = next++;
    const ifIndex = 1 + (i % 3);
    // A few destinations shared across interfaces, so routes change now and then.
    const destination = `172.16.${i % 7}.${i % 11}`;
    const tcp = { sndUna: Math.floor(random() * 1e6), rcvNxt: Math.floor(random() * 1e6) };
    const localPort = 1024 + (i % 60000);
    tcpOf.set(`${destination}/${localPort}`, tcp);
    const request = {
      ifIndex,
      nextHop: `10.${ifIndex}.0.${1 + Math.floor(random() * 2)}`,
      source: '10.9.9.9',
      destination,
      localPort,
      remotePort: 443,
      priority: Math.floor(random() * 4),
      tcp,
    };
    offloads.push(host.offload(request).catch((error) => fail(`offload threw ${String(error)}`)));
  };
  const live = (kind: Kind) => [...table.handles(kind)].filter((h) => table.state(h) === State.Offloaded && !table.pending(h));
  const settle = () => new Promise((r) => setTimeout(r, 0));

  let now = 0;
  for (step = 0; step < steps; step++) {
    now += TICK_MS;
    for (let k = Math.floor(random() * 4); k > 0; k--) offloadOne();
    for (const h of live(Kind.Connection)) {
      if (random() < 0.5) continue;
      const life = lives.get(h);
      if (!life) continue;
      const sent = Math.floor(random() * 2000);
      const received = Math.floor(random() * 2000);
      host.recordTraffic(h, sent, received);
      life.sent += sent;
      life.received += received;
    }
    const r = random();
    const bad = target.host;
    if (r < 0.02) target.inner.linkDown(1 + Math.floor(random() * 3));
    else if (r < 0.08) target.inner.linkUp(1 + Math.floor(random() * 3));
    else if (r < 0.09) void host.pause(1 + Math.floor(random() * 3));
    else if (r < 0.12) host.restart();
    else if (r < 0.125) target.inner.requestUploadAll();
    else if (r < 0.16) target.inner.resumeOffload();
    else if (r < 0.17) {
      const p = live(Kind.Path);
      if (p.length) void host.invalidate(pick(p));
    } else if (r < 0.2) {
      const c = live(Kind.Connection);
      if (c.length) void host.terminate([pick(c)], Reason.Application);
    } else if (r < 0.22) {
      const c = live(Kind.Connection);
      if (c.length) void host.query(pick(c)).catch(() => undefined);
    } else if (r < 0.24) {
      const p = live(Kind.Path);
      if (p.length) void host.updatePath(pick(p), 1280 + Math.floor(random() * 8000));
    } else if (r < 0.26) bad.capacity(20 + Math.floor(random() * 40));
    else if (r < 0.28)
      pick<() => void>([
        () => bad.uploadRequested(0, UploadReason.HardwareFailure),
        () => bad.link('eth0' as never, false),
        () => bad.capacity(-1),
        () => bad.delivered(next, -5),
        () => bad.uploadRequested(pick([...everTerminated, 1]), 99 as UploadReason),
      ])();
    else if (r < 0.32) target.release();
    host.tick(now);
    await settle();
    verify();
  }

  // Wind down: undo pauses, let every call be answered or time out, then bring everything back.
  const drain = async () => {
    for (let k = 0; k < 200; k++) {
      target.flush();
      now += TIMEOUT_MS;
      host.tick(now);
      await settle();
      await settle();
      verify();
      if (!host.status().inFlight && !target.inner.pending) return;
    }
    fail(`still in flight after draining: ${host.status().inFlight} calls`);
  };
  host.restart();
  target.inner.resumeOffload();
  for (let i = 1; i <= 3; i++) target.inner.linkUp(i);
  await drain();
  await Promise.all(offloads);
  await drain();
  verify();
  for (const kind of [Kind.Neighbor, Kind.Path, Kind.Connection]) {
    for (const h of table.handles(kind)) {
      if (table.state(h) !== State.Offloaded || table.pending(h))
        fail(`${Kind[kind]} ${h} stuck ${State[table.state(h)]}${table.pending(h) ? ' (pending)' : ''}`);
      if (kind !== Kind.Connection && table.refCount(h) === 0) fail(`${Kind[kind]} ${h} offloaded with nothing below it`);
      if (!open.has(h)) fail(`${Kind[kind]} ${h} is in the table but was never reported offloaded`);
    }
  }
  void host.pause();
  await drain();
  verify();
  for (const kind of [Kind.Neighbor, Kind.Path, Kind.Connection]) if (table.count(kind)) fail(`${table.count(kind)} ${Kind[kind]}s left after pause()`);
  if (open.size) fail(`${open.size} objects offloaded and never reported terminated`);
  return result;
}

/**
 * The long run: seeds `seed`, `seed + 1`, ... of 2,000 steps each until `steps` steps are done.
 * Prints a line per run and a summary; throws on the first broken promise (its seed replays it).
 */
export async function longHostFuzz(seed: number, steps: number): Promise<void> {
  const started = Date.now();
  const total = { runs: 0, steps: 0, offloaded: 0, checked: 0, lost: 0, faults: 0 };
  console.log(`host fuzz: HostStack against a faulty target, ${steps.toLocaleString('en-US')} steps, seed ${seed}`);
  for (let run = 0; total.steps < steps; run++) {
    const r = await hostFuzz(seed + run, Math.min(2000, steps - total.steps));
    total.runs++;
    total.steps += r.steps;
    total.offloaded += r.offloaded;
    total.checked += r.checked;
    total.lost += r.lost;
    total.faults += Object.values(r.faults).reduce((s, x) => s + x, 0);
    console.log(
      `  run ${run} (seed ${seed + run}): ${r.offloaded} offloaded, ${r.checked} came back whole, ${r.lost} reported lost, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  console.log(
    `host fuzz: ${total.steps.toLocaleString('en-US')} steps in ${total.runs} runs held every promise: ${total.offloaded.toLocaleString('en-US')} objects offloaded, ` +
      `${total.checked.toLocaleString('en-US')} connections came back whole, ${total.lost.toLocaleString('en-US')} reported lost, ${total.faults.toLocaleString('en-US')} error events; ` +
      `seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

// `npm run fuzz:host`: HOST_FUZZ_STEPS (default 20,000), SEED to replay.
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await longHostFuzz(Number(process.env.SEED ?? Date.now() % 2 ** 31), Number(process.env.HOST_FUZZ_STEPS ?? 20_000));
}
