// The simulated target's own cost over a million-connection run, without the host or the table:
// what `simulate scenarios/million.json` asks of it. 1,000,000 connections arrive over 600 ticks
// of 100 ms (one initiate call per tick), each lives 12 ticks moving bytes both ways every tick,
// then is terminated (one terminate call per tick); the target holds about 20,000 at a time.
// Prints the wall time (and the process's CPU time, steadier on a busy machine) and its split by call. Run: node --import tsx bench/target.ts [--connections N] [--steady]
// --steady: each connection's bytes are a standing rate given once at its arrival (steady(), as a
// host passes them to a target that has it) instead of a trafficBatch entry at every tick.
import { SimulatedTarget, Kind, Reason, type InitiateBlock, type TerminateBlock, type TargetEvents } from '../src/index.js';

const args = process.argv.slice(2);
const at = args.indexOf('--connections');
const CONNECTIONS = at >= 0 ? Number(args[at + 1]) : 1_000_000;
const STEADY = args.includes('--steady');
const TICKS = 600;
const LIFE = 12;
const TICK_MS = 100;

const target = new SimulatedTarget({ capacity: 1 << 30, latencyMs: { min: 1, max: 20 }, seed: 3, deliverProbability: 0.5 });
let delivered = 0;
const events: TargetEvents = {
  uploadRequested() {},
  uploadAll() {},
  offloadPause() {},
  offloadResume() {},
  link() {},
  capacity() {},
  delivered(_h, bytes) {
    delivered += bytes;
  },
};
target.attach(events);
const moveClock = (now: number) => {
  const t = target as unknown as { advance?: (n: number) => void; clock?: { advance(n: number): void } };
  if (t.clock) t.clock.advance(now);
  else t.advance!(now);
};
const batchTraffic = (target as unknown as { trafficBatch?: (h: ArrayLike<number>, s: ArrayLike<number>, r: ArrayLike<number>) => void }).trafficBatch?.bind(
  target,
);

// Handles as the host would hand them out: a neighbor, a path, then connections 3, 4, 5, ...
const NEIGHBOR = 1;
const PATH = 2;
const handleOf = (i: number) => 3 + i;
const ms = { initiate: 0, traffic: 0, advance: 0, terminate: 0 };
const time = (what: keyof typeof ms, f: () => void) => {
  const t0 = performance.now();
  f();
  ms[what] += performance.now() - t0;
};

const started = performance.now();
const cpuStarted = process.cpuUsage();
void target.initiate([
  { kind: Kind.Neighbor, handle: NEIGHBOR, ifIndex: 1, address: '10.0.0.1', linkLayerAddress: '00:00:00:00:00:00' },
  { kind: Kind.Path, handle: PATH, neighbor: NEIGHBOR, source: '10.0.0.2', destination: '10.0.9.9', mtu: 1500 },
]);
await Promise.resolve();
moveClock(0);
const perTick = Math.ceil(CONNECTIONS / TICKS);
const handles = new Float64Array(perTick * LIFE);
const sent = new Float64Array(perTick * LIFE);
const received = new Float64Array(perTick * LIFE);
let returned = 0;
const pendingResults: Promise<unknown>[] = [];
for (let tick = 0; tick < TICKS + LIFE; tick++) {
  const first = tick * perTick;
  const arrivals = Math.max(0, Math.min(perTick, CONNECTIONS - first));
  if (arrivals) {
    const blocks: InitiateBlock[] = [];
    for (let i = first; i < first + arrivals; i++) {
      blocks.push({
        kind: Kind.Connection,
        handle: handleOf(i),
        path: PATH,
        localPort: 1024 + (i % 60000),
        remotePort: 443,
        tcp: { sndUna: i, sndNxt: i, rcvNxt: 2 * i },
      });
    }
    time('initiate', () => void target.initiate(blocks));
  }
  // Traffic on the connections alive: arrived in the last LIFE ticks (with --steady: the rates of
  // those that arrived in the previous tick, whose initiate completed since).
  const lo = STEADY ? Math.max(0, (tick - 1) * perTick) : Math.max(0, (tick - LIFE + 1) * perTick);
  const hi = Math.min(CONNECTIONS, tick * perTick);
  let n = 0;
  for (let i = lo; i < hi; i++, n++) {
    handles[n] = handleOf(i);
    sent[n] = 1000 + (i % 500);
    received[n] = 9000 + (i % 700);
  }
  time('traffic', () => {
    if (STEADY) target.steady(handles, sent, received, n);
    else if (batchTraffic) batchTraffic(handles.subarray(0, n), sent.subarray(0, n), received.subarray(0, n));
    else for (let k = 0; k < n; k++) target.traffic!(handles[k]!, sent[k]!, received[k]!);
  });
  // Connections at the end of their life go back.
  const goneFrom = (tick - LIFE) * perTick;
  if (goneFrom >= 0 && goneFrom < CONNECTIONS) {
    const blocks: TerminateBlock[] = [];
    for (let i = goneFrom; i < Math.min(CONNECTIONS, goneFrom + perTick); i++)
      blocks.push({ handle: handleOf(i), kind: Kind.Connection, reason: Reason.Application });
    time('terminate', () => {
      pendingResults.push(target.terminate(blocks).then((results) => (returned += results.length)));
    });
  }
  time('advance', () => moveClock((tick + 1) * TICK_MS));
  await Promise.resolve();
}
target.flush();
await Promise.all(pendingResults);
const wall = performance.now() - started;
const cpu = process.cpuUsage(cpuStarted);
const fmt = (x: number) => `${x.toFixed(0)} ms`;
console.log(
  `simulated target, ${CONNECTIONS.toLocaleString('en-US')} connections over ${TICKS} ticks, ${STEADY ? 'standing rates (steady)' : 'a trafficBatch every tick'} (node ${process.version}):`,
);
console.log(
  `  wall ${fmt(wall)} (CPU ${fmt((cpu.user + cpu.system) / 1000)}): initiate ${fmt(ms.initiate)}, traffic ${fmt(ms.traffic)}, advance (completions, acks, deliveries) ${fmt(ms.advance)}, terminate ${fmt(ms.terminate)}`,
);
console.log(
  `  ${returned.toLocaleString('en-US')} connections handed back, ${delivered.toLocaleString('en-US')} bytes delivered; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
