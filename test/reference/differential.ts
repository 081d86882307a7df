// Differential model: random sequences of table operations (good and bad) run against the Wasm
// core and the reference side by side. After every step results, error codes, indexes and messages
// (handles in them mapped) and all observable state must agree, and check() must hold on both. Used by differential.test.ts (a fast run in
// `npm test`) and fuzz.ts (`npm run fuzz`, the long run).
import fc from 'fast-check';
import { OffloadTable, OffloadError, ErrorCode, Kind, State, type TableOptions, type TerminateBatch } from '../../src/index.js';
import { ReferenceTable } from '../../src/reference/index.js';
import type { OffloadTableApi } from '../../src/table/types.js';

/**
 * A handle, resolved when the step runs: r >= 0 picks entry r >> 2 (modulo) of the live objects of
 * kind r & 3 (1 neighbor, 2 path, 3 connection) or, with r & 3 == 0, of every handle ever issued
 * (maybe stale). -1: 0, -2: a forged handle, -3: a number without kind bits.
 */
type Ref = number;

export type Op =
  | { op: 'neighbor'; ifIndex: number; address: number }
  | { op: 'path'; source: number; destination: number; parent: Ref }
  | { op: 'connection'; local: number; remote: number; priority: number; parent: Ref }
  | { op: 'connections'; entries: { parent: Ref; local: number; remote: number }[] }
  | { op: 'bigBatch'; parent: Ref; size: number; base: number }
  | { op: 'completeOffload'; refs: Ref[]; ok: boolean; prune: boolean }
  | { op: 'terminate'; refs: Ref[]; reason: number; prune: boolean }
  | { op: 'terminateInterface'; ifIndex: number; reason: number; prune: boolean }
  | { op: 'terminateAll'; reason: number }
  | { op: 'completeBatch'; batch: number; keep: number; prune: boolean }
  | { op: 'completeTerminate'; refs: Ref[]; prune: boolean }
  | { op: 'find'; source: number; destination: number; local: number; remote: number; ifIndex: number }
  | { op: 'completeInFlight'; ok: boolean; prune: boolean }
  | { op: 'traffic'; refs: Ref[]; bytes: number[]; batch: boolean }
  | { op: 'tick'; dt: number; threshold: number; quietMs: number; windowMs: number }
  | { op: 'victims'; count: number; priority: number }
  | { op: 'update'; target: Ref; mtu: number; lladdr: number }
  | { op: 'relink'; path: Ref; neighbor: Ref }
  | { op: 'badAddress'; which: number };

const ADDRESSES = ['10.0.0.1', '10.0.0.2', '::ffff:10.0.0.3', 'fe80::1', '2001:db8::9', '192.168.1.1'];
const BAD = ['10.0.0.256', 'fe80::1::2', '', '1.2.3'];

const anyRef = fc.oneof({ weight: 12, arbitrary: fc.nat(160) }, { weight: 1, arbitrary: fc.constantFrom(-1, -2, -3) });
/** Mostly a live object of `kind`, sometimes anything. */
const refOf = (kind: number) => fc.oneof({ weight: 9, arbitrary: fc.nat(40).map((i) => i * 4 + kind) }, { weight: 1, arbitrary: anyRef });
const refs = fc.array(fc.oneof(refOf(1), refOf(2), refOf(3), refOf(3)), { maxLength: 5 });
const reason = fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 200);

/** One operation; `big` adds batches large enough to grow memory (and to hit a small cap). */
export function opArbitrary(big: boolean): fc.Arbitrary<Op> {
  const ops: fc.WeightedArbitrary<Op>[] = [
    { weight: 4, arbitrary: fc.record({ op: fc.constant('neighbor' as const), ifIndex: fc.integer({ min: 1, max: 3 }), address: fc.nat(5) }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('path' as const), source: fc.nat(3), destination: fc.nat(5), parent: refOf(1) }) },
    { weight: 8, arbitrary: fc.record({ op: fc.constant('connection' as const), local: fc.nat(4), remote: fc.nat(2), priority: fc.nat(7), parent: refOf(2) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('connections' as const),
        entries: fc.array(fc.record({ parent: refOf(2), local: fc.nat(6), remote: fc.nat(2) }), { maxLength: 6 }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('completeInFlight' as const), ok: fc.boolean(), prune: fc.boolean() }) },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('traffic' as const),
        refs: fc.array(fc.oneof({ weight: 6, arbitrary: refOf(3) }, { weight: 1, arbitrary: anyRef }), { maxLength: 4 }),
        bytes: fc.array(fc.oneof(fc.nat(5000), fc.constant(2 ** 32 - 1)), { minLength: 4, maxLength: 4 }),
        batch: fc.boolean(),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('tick' as const),
        dt: fc.oneof(fc.nat(3000), fc.double({ min: 0, max: 2000, noNaN: true })),
        threshold: fc.constantFrom(0, 100, 1000, 4096),
        quietMs: fc.constantFrom(0, 500, 2000),
        windowMs: fc.constantFrom(1, 1000, 10_000),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('victims' as const), count: fc.nat(6), priority: fc.integer({ min: 0, max: 256 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('update' as const),
        target: fc.oneof(refOf(1), refOf(2), anyRef),
        mtu: fc.integer({ min: 60, max: 9000 }),
        lladdr: fc.nat(255),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('relink' as const), path: refOf(2), neighbor: refOf(1) }) },
    { weight: 8, arbitrary: fc.record({ op: fc.constant('completeOffload' as const), refs, ok: fc.boolean(), prune: fc.boolean() }) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('terminate' as const), refs, reason, prune: fc.boolean() }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('terminateInterface' as const), ifIndex: fc.integer({ min: 1, max: 4 }), reason, prune: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('terminateAll' as const), reason }) },
    { weight: 7, arbitrary: fc.record({ op: fc.constant('completeBatch' as const), batch: fc.nat(10), keep: fc.nat(3), prune: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('completeTerminate' as const), refs, prune: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('find' as const),
        source: fc.nat(3),
        destination: fc.nat(5),
        local: fc.nat(4),
        remote: fc.nat(2),
        ifIndex: fc.integer({ min: 1, max: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('badAddress' as const), which: fc.nat(BAD.length - 1) }) },
  ];
  if (big) {
    ops.push({
      weight: 8,
      arbitrary: fc.record({ op: fc.constant('bigBatch' as const), parent: refOf(2), size: fc.integer({ min: 1000, max: 30000 }), base: fc.nat(40000) }),
    });
  }
  return fc.oneof(...ops);
}

type Outcome = { value: unknown } | { error: ErrorCode; index: number | undefined; message: string };

/** A forged handle (no such slot) in the core, and what stands for it in the reference. */
const FORGED = 3 * 2 ** 51 + 4_000_000;
const FORGED_REFERENCE = 3 * 2 ** 51 + 2 ** 50;

/** Both tables and what the run has seen: handles issued (core and reference side by side), batches. */
export class Pair {
  readonly core: OffloadTable;
  readonly reference: ReferenceTable;
  /** Handles ever issued, in order; ref i names core[i] in the core and reference[i] in the reference. */
  private readonly issued: { core: number; reference: number }[] = [];
  private readonly toReference = new Map<number, number>();
  /** Batches returned so far (core handles), for completeBatch. */
  private readonly batches: number[][] = [];
  steps = 0;
  /** Simulated time of each side (ticks advance both alike). */
  private readonly clock = [0, 0];

  constructor(coreOptions?: TableOptions) {
    this.core = OffloadTable.createSync(coreOptions);
    this.reference = ReferenceTable.createSync();
  }

  /** The core handle a ref names now. */
  private resolve(r: Ref): number {
    if (r === -1) return 0;
    if (r === -2) return 3 * 2 ** 51 + 4_000_000; // forged: no such slot
    if (r === -3) return 12345; // no kind bits
    const pick = r >> 2;
    const kind = r & 3;
    if (kind === 0) return this.issued[pick % Math.max(1, this.issued.length)]?.core ?? 0;
    const live = this.core.handles(kind);
    return live.length ? live[pick % live.length]! : 0;
  }

  /** The handles an op uses, resolved on the core before either table runs it, and mapped. */
  private bind(o: Op): { core: number[]; reference: number[] } {
    let core: number[];
    switch (o.op) {
      case 'path':
      case 'connection':
      case 'bigBatch':
        core = [this.resolve(o.parent)];
        break;
      case 'connections':
        core = o.entries.map((e) => this.resolve(e.parent));
        break;
      case 'completeOffload':
      case 'terminate':
      case 'completeTerminate':
      case 'traffic':
        core = o.refs.map((r) => this.resolve(r));
        break;
      case 'update':
        core = [this.resolve(o.target)];
        break;
      case 'relink':
        core = [this.resolve(o.path), this.resolve(o.neighbor)];
        break;
      case 'completeInFlight':
        // The target completes every initiate in flight (one block list, parents with children).
        core = [];
        for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) {
          for (const h of this.core.handles(k)) if (this.core.state(h) === State.Offloading) core.push(h);
        }
        break;
      case 'completeBatch': {
        const batch = this.batches[this.batches.length - 1 - (o.batch % Math.max(1, this.batches.length))] ?? [];
        // keep 0: the whole batch; otherwise only its first entries (dependents come first).
        core = o.keep === 0 ? batch : batch.slice(0, Math.ceil(batch.length / (o.keep + 1)));
        break;
      }
      default:
        core = [];
    }
    return { core, reference: core.map((h) => (h === FORGED ? FORGED_REFERENCE : h === 12345 ? h : this.mapped(h))) };
  }

  /** Runs one operation on both tables and compares everything. Throws a description on divergence. */
  step(o: Op): void {
    this.steps++;
    const bound = this.bind(o);
    const c = this.apply(o, this.core, bound.core);
    // Out of memory (a core with a memory cap) must leave the core exactly as it was, so the
    // reference, which has no cap, skips the operation and the state comparison below proves it.
    const r = 'error' in c && c.error === ErrorCode.OutOfMemory ? c : this.apply(o, this.reference, bound.reference);
    if ('error' in c || 'error' in r) {
      // The same code, entry and words; handles in the core's message are named as the reference's.
      const ce =
        'error' in c ? `${c.error}@${c.index}: ${c.message.replace(HANDLE_IN_MESSAGE, (_, kind, h) => `${kind} ${this.referenceOf(Number(h))}`)}` : 'ok';
      const re = 'error' in r ? `${r.error}@${r.index}: ${r.message.replace(HANDLE_IN_MESSAGE, (_, kind, h) => `${kind} ${h}`)}` : 'ok';
      if (ce !== re) throw new Error(`step ${this.steps} ${JSON.stringify(o).slice(0, 300)}:\n core      ${ce}\n reference ${re}`);
    } else {
      this.compareValues(o, c.value, r.value);
    }
    this.compareState(o);
  }

  private apply(o: Op, t: OffloadTableApi, hs: number[]): Outcome {
    try {
      return { value: this.run(o, t, hs) };
    } catch (e) {
      if (!(e instanceof OffloadError)) throw e;
      return { error: e.code, index: e.index, message: e.message };
    }
  }

  /** Runs `o` on one table with that table's handles `hs` (see bind). */
  private run(o: Op, t: OffloadTableApi, hs: number[]): unknown {
    switch (o.op) {
      case 'neighbor':
        return t.offloadNeighbor({ ifIndex: o.ifIndex, address: ADDRESSES[o.address]! });
      case 'path':
        return t.offloadPath({ source: ADDRESSES[o.source]!, destination: ADDRESSES[o.destination]! }, hs[0]!);
      case 'connection':
        return t.offloadConnection({ localPort: 1000 + o.local, remotePort: 80 + o.remote, priority: o.priority }, hs[0]!);
      case 'connections':
        return t.offloadConnections(
          hs,
          o.entries.map((e) => 1000 + e.local),
          o.entries.map((e) => 80 + e.remote),
        );
      case 'bigBatch': {
        const parents = new Float64Array(o.size).fill(hs[0]!);
        const local = Uint16Array.from({ length: o.size }, (_, i) => (o.base + i) % 65536);
        return t.offloadConnections(parents, local, new Uint16Array(o.size).fill(7));
      }
      case 'completeOffload':
        return t.completeOffload(hs, o.ok, { prune: o.prune });
      case 'completeInFlight':
        return t.completeOffload(hs, o.ok, { prune: o.prune });
      case 'terminate':
        return t.terminate(hs, o.reason, { prune: o.prune });
      case 'terminateInterface':
        return t.terminateInterface(o.ifIndex, o.reason, { prune: o.prune });
      case 'terminateAll':
        return t.terminateAll(o.reason);
      case 'completeBatch':
      case 'completeTerminate':
        return t.completeTerminate(hs, { prune: o.prune });
      case 'find':
        return [
          t.findNeighbor({ ifIndex: o.ifIndex, address: ADDRESSES[o.destination]! }),
          t.findPath({ source: ADDRESSES[o.source]!, destination: ADDRESSES[o.destination]! }),
          t.findConnection({ source: ADDRESSES[o.source]!, destination: ADDRESSES[o.destination]!, localPort: 1000 + o.local, remotePort: 80 + o.remote }),
        ];
      case 'badAddress':
        return t.offloadNeighbor({ ifIndex: 1, address: BAD[o.which]! });
      case 'traffic':
        if (o.batch) return t.recordTrafficBatch(hs, o.bytes.slice(0, hs.length), o.bytes.slice(0, hs.length).reverse());
        for (let i = 0; i < hs.length; i++) t.recordTraffic(hs[i]!, o.bytes[i]!);
        return undefined;
      case 'tick': {
        const side = t === this.core ? 0 : 1;
        const now = (this.clock[side] = this.clock[side]! + o.dt);
        return { quiet: [...t.tick(now, { thresholdBytesPerSecond: o.threshold, quietMs: o.quietMs, windowMs: o.windowMs })] };
      }
      case 'victims':
        return { victims: [...t.chooseVictims(o.count, o.priority)] };
      case 'update':
        if (o.lladdr % 2) return t.updateNeighbor(hs[0]!, { linkLayerAddress: [2, 0, 0, 0, 0, o.lladdr] });
        return t.updatePath(hs[0]!, { mtu: o.mtu });
      case 'relink':
        return t.relinkPath(hs[0]!, hs[1]!);
    }
  }

  /** The reference's handle for a core handle in a message (a forged one, or a number that is no handle, as given). */
  private referenceOf(h: number): number {
    return h === FORGED ? FORGED_REFERENCE : (this.toReference.get(h) ?? h);
  }

  /** Maps a core handle to the reference's (0 stays 0). */
  private mapped(h: number): number {
    if (h === 0) return 0;
    const r = this.toReference.get(h);
    if (r === undefined) throw new Error(`step ${this.steps}: the core returned handle ${h}, which it never issued`);
    return r;
  }

  private compareValues(o: Op, c: unknown, r: unknown): void {
    const where = `step ${this.steps} ${JSON.stringify(o).slice(0, 300)}`;
    if (typeof c === 'number' && typeof r === 'number' && ['neighbor', 'path', 'connection'].includes(o.op)) {
      this.record([c], [r]);
      return;
    }
    if (c instanceof Float64Array && r instanceof Float64Array) {
      if (c.length !== r.length) throw new Error(`${where}: ${c.length} handles vs ${r.length}`);
      this.record([...c], [...r]);
      return;
    }
    if (c === undefined && r === undefined) return;
    if (c && typeof c === 'object' && ('quiet' in c || 'victims' in c)) {
      // tick: the same set (core in slot order, reference in creation order); victims: the same order.
      const key = 'quiet' in c ? 'quiet' : 'victims';
      let cv = (c as Record<string, number[]>)[key]!.map((h) => this.mapped(h));
      let rv = (r as Record<string, number[]>)[key]!;
      if (key === 'quiet') {
        cv = cv.sort();
        rv = [...rv].sort();
      }
      if (JSON.stringify(cv) !== JSON.stringify(rv)) throw new Error(`${where}: ${key} ${JSON.stringify(cv)} vs ${JSON.stringify(rv)}`);
      return;
    }
    if (Array.isArray(c) && Array.isArray(r)) {
      const mc = c.map((h: number) => this.mapped(h));
      if (JSON.stringify(mc) !== JSON.stringify(r)) throw new Error(`${where}: lookups ${JSON.stringify(mc)} vs ${JSON.stringify(r)}`);
      return;
    }
    const cb = c as TerminateBatch;
    const rb = r as TerminateBatch;
    assertLevelOrder(this.core, cb, `${where} (core)`);
    const pairs = (b: TerminateBatch, map: (h: number) => number) => [...b.handles].map((h, i) => `${map(h)}:${b.reasons[i]}`).sort();
    const cp = pairs(cb, (h) => this.mapped(h));
    const rp = pairs(rb, (h) => h);
    if (JSON.stringify(cp) !== JSON.stringify(rp)) throw new Error(`${where}: batch ${cp.join(' ')} vs ${rp.join(' ')}`);
    if (cb.length) this.batches.push([...cb.handles]);
  }

  private record(core: number[], reference: number[]): void {
    core.forEach((h, i) => {
      this.issued.push({ core: h, reference: reference[i]! });
      this.toReference.set(h, reference[i]!);
    });
  }

  /** Every handle ever issued: same liveness, state, links and counts on both sides; check() holds. */
  private compareState(o: Op): void {
    const where = `after step ${this.steps} ${JSON.stringify(o).slice(0, 300)}`;
    this.core.check();
    this.reference.check();
    for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) {
      if (this.core.count(k) !== this.reference.count(k)) throw new Error(`${where}: ${Kind[k]} count ${this.core.count(k)} vs ${this.reference.count(k)}`);
    }
    for (const { core, reference } of this.issued) {
      const c = describe(this.core, core);
      const r = describe(this.reference, reference);
      if (c === null || r === null) {
        if (c !== r) throw new Error(`${where}: handle ${core} is ${c ? 'live' : 'stale'} in the core, ${r ? 'live' : 'stale'} in the reference`);
        continue;
      }
      const cm = { ...c, handle: this.mapped(c.handle), parent: this.mapped(c.parent), dependents: c.dependents.map((h) => this.mapped(h)).sort() };
      const rm = { ...r, dependents: r.dependents.sort() };
      if (JSON.stringify(cm) !== JSON.stringify(rm)) throw new Error(`${where}: object differs\n core ${JSON.stringify(cm)}\n  ref ${JSON.stringify(rm)}`);
    }
  }
}

/** A handle as describeHandle writes it: "connection #17 (handle 6755399441055761)". */
const HANDLE_IN_MESSAGE = /(neighbor|path|connection|object) #\d+ \(handle (\d+)\)/g;

function describe(t: OffloadTableApi, h: number) {
  try {
    return { ...t.describe(h), dependents: [...t.dependents(h)] };
  } catch (e) {
    if (e instanceof OffloadError && e.code === ErrorCode.StaleHandle) return null;
    throw e;
  }
}

/** The design's order: all connections, then paths, then neighbors. */
function assertLevelOrder(t: OffloadTableApi, b: TerminateBatch, where: string): void {
  let last = Kind.Connection;
  for (const h of b.handles) {
    const k = t.kind(h);
    if (k > last) throw new Error(`${where}: ${Kind[k]} after ${Kind[last]} in a batch`);
    last = k;
  }
}

/** The property: any sequence of ops keeps core and reference in agreement. */
export function agreementProperty(options: { big: boolean; coreOptions?: TableOptions; maxOps: number }) {
  return fc.property(fc.array(opArbitrary(options.big), { minLength: 1, maxLength: options.maxOps, size: 'max' }), (ops) => {
    const pair = new Pair(options.coreOptions);
    for (const o of ops) pair.step(o);
  });
}
