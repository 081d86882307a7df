// Shared by the host's connection tests: a HostStack over a SimulatedTarget, opened columns built
// from a few numbers, and a driver that ticks and settles.
import { HostStack, SimulatedTarget, type HostEvents, type HostPolicy, type SimulatedTargetOptions, type HostStackOptions } from '../../src/index.js';

export interface Lab {
  host: HostStack;
  target: SimulatedTarget;
  errors: HostEvents['error'][];
  now: number;
}

export async function lab(target: SimulatedTargetOptions = {}, policy: HostPolicy = {}, extra: Partial<HostStackOptions> = {}): Promise<Lab> {
  const t = new SimulatedTarget(target);
  const host = await HostStack.create({ target: t, policy: { lowActivity: false, ...policy }, ...extra });
  const l: Lab = { host, target: t, errors: [], now: 0 };
  host.on('error', (e) => l.errors.push(e));
  return l;
}

export interface Spec {
  ifIndex?: number;
  /** Distinguishes the path (destination) of the connection. */
  path?: number;
  /** Distinguishes the neighbor (next hop). */
  neighbor?: number;
  port?: number;
  priority?: number;
}

let nextPort = 1;

/** TickBatch['opened'] columns for `specs`. */
export function opened(specs: Spec[]) {
  const n = specs.length;
  const o = {
    count: n,
    ifIndex: new Uint32Array(n),
    nextHop: new Uint8Array(16 * n),
    source: new Uint8Array(16 * n),
    destination: new Uint8Array(16 * n),
    localPort: new Uint16Array(n),
    remotePort: new Uint16Array(n),
    priority: new Uint8Array(n),
  };
  specs.forEach((s, i) => {
    o.ifIndex[i] = s.ifIndex ?? 1;
    o.nextHop.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1 + (s.neighbor ?? 0)], 16 * i);
    o.source.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 200], 16 * i);
    const p = s.path ?? 0;
    o.destination.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, (p >> 16) & 255, (p >> 8) & 255, p & 255], 16 * i);
    o.localPort[i] = s.port ?? (nextPort = (nextPort % 60000) + 1);
    o.remotePort[i] = 443;
    o.priority[i] = s.priority ?? 0;
  });
  return o;
}

/** Advances the clock by `ms`, ticks, and lets completions apply. */
export async function step(l: Lab, ms = 100): Promise<void> {
  l.now += ms;
  l.host.tick(l.now);
  await l.host.settle();
}

/** Completes everything in flight and applies it. */
export async function drain(l: Lab): Promise<void> {
  for (let i = 0; i < 10; i++) {
    l.target.flush();
    await l.host.settle();
  }
}
