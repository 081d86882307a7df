// The connection engine behind HostStack.open/traffic/steady/close/tick: every connection lives in the
// host (src/host/connections.ts) from open() to close(), offloaded or in software; once per tick an
// OffloadPolicy (src/host/policy.ts) ranks the columns and decides; the engine carries the decision
// out in batches: one table call and one target call per tick for the offloads (parents first),
// one terminate call for the terminations.
//
//   open ─> Software ──policy: offload──> Offloading ──initiate ok──> Offloaded
//              ^  ^                           │ failed                 │ policy / close / target /
//              │  └───────────────────────────┘                        │ pause / link / low activity
//              └──────────── termination completed (nothing-lost checked) ── Terminating <──┘
//   close: Software is freed at once; on the target it is terminated (Reason.Application) and
//   freed when the target hands it back.
//
// The engine builds block lists; HostStack carries them (one initiate path and one termination
// path for everything the host does: src/host/stack.ts initiate/send). HostStack tells the engine what
// happens to its objects (terminating, offloaded, initiateFailed, completed), so the columns and
// metrics see every change whichever decision started it (policy, close, pause, link down, target
// requests, low activity).

import { ErrorCode, Kind, Reason, State } from '../table/enums.js';
import { OffloadError, invalid } from '../table/errors.js';
import { formatAddress, formatLinkLayerAddress, typeName } from '../table/address.js';
import { type OffloadTable, recordCountedTraffic } from '../table/table.js';
import type { TerminateBatch } from '../table/types.js';
import type { OffloadTarget, InitiateBlock } from '../target/offload-target.js';
import type { HostEvents } from './stack.js';
import { ConnectionStatus, type OffloadPolicy, type PolicyContext, type PolicyDecision } from './policy.js';
import { ConnectionStore, ADDRESS_BYTES, SLOT_SPACE } from './connections.js';
import { ParentRegistry } from './parents.js';
import { MetricsCounters, type HostMetrics } from './metrics.js';
import { Scratch } from './input.js';
import { batchCount, readIntegers } from '../table/validate.js';
import { catchRejection, describe } from './target-calls.js';
import { SlotsByHandle } from './handle-slots.js';
import type { Clock } from '../target/clock.js';
import { RateChanges } from './rate-changes.js';
import type { ReturnedNumbers } from './target-results.js';

/** What the engine needs of its HostStack. */
export interface EngineHost {
  readonly table: OffloadTable;
  readonly target: OffloadTarget;
  /** The clock tick() moves: a target on it that has steady() keeps standing rates itself. */
  readonly clock: Clock;
  now(): number;
  capacity(): number;
  /** False while the host or the target paused offloads. */
  canOffload(): boolean;
  /** True while offloads on this interface are paused or its link is down. */
  interfaceBlocked(ifIndex: number): boolean;
  /** True if the table's traffic counters are in use (the host's low-activity tick reads them). */
  tableTraffic(): boolean;
  /**
   * Hands an initiate block list (parents first) to the target; its completion comes back through
   * offloaded/initiateFailed. `slots`: each block's connection slot (-1 for a parent), as hints.
   */
  initiate(blocks: InitiateBlock[], slots?: Int32Array): void;
  /** Hands a termination batch to the target; its completion comes back through completed(). */
  send(batch: TerminateBatch): void;
  emit<K extends keyof HostEvents>(name: K, event: HostEvents[K]): void;
  listening(name: keyof HostEvents): boolean;
}

export interface EngineOptions {
  policy: OffloadPolicy;
  /** A terminated offload that carried fewer bytes than this is wasted (default 65536). */
  wasteThresholdBytes: number;
  /** Window of the rate column's moving average, ms (default 1000). */
  rateWindowMs: number;
}

/** The columns of TickBatch['opened'] (src/sim/source.ts); plain arrays are accepted too. */
export interface OpenedColumns {
  count?: number;
  ifIndex: ArrayLike<number>;
  nextHop: ArrayLike<number>;
  source: ArrayLike<number>;
  destination: ArrayLike<number>;
  localPort: ArrayLike<number>;
  remotePort: ArrayLike<number>;
  priority?: ArrayLike<number>;
}

// Module constants the hot loops compare against (cheaper than an enum's or another module's property).
const SLOTS = SLOT_SPACE;
const MAX_BYTES = Number.MAX_SAFE_INTEGER;
const SOFTWARE: number = ConnectionStatus.Software;
const OFFLOADED: number = ConnectionStatus.Offloaded;
const FREE: number = ConnectionStatus.Free;
const LINK_LAYER_NONE = formatLinkLayerAddress(0);
/** 32-bit words of addresses per slot (next hop, source, destination: four each). */
const WORDS_PER_SLOT = ADDRESS_BYTES / 4;

export class ConnectionEngine {
  readonly columns = new ConnectionStore();
  readonly metricsCounters = new MetricsCounters();
  private readonly parents = new ParentRegistry();
  /** Table handle -> slot of this engine's connections on the target: a direct index by table slot. */
  private readonly slotByHandle: SlotsByHandle;
  private readonly parentKey = new ParentKey();
  /** offload(): the call number that uses each parent registry entry (see there). */
  private usedIn = new Uint32Array(64);
  /** Closed connections still on the target (their slots are freed once handed back). */
  private closedOnTarget = 0;
  private readonly scratch = new Scratch();
  private bucketCounts = new Uint32Array(1024);
  private tickNumber = 1;
  private callNumber = 0;
  private lastTick: number | undefined;
  private offloadedCount = 0;
  /** Calls that added to the tickBytes column (traffic and standing bytes): tick() checks none came from its policy. */
  private countCalls = 0;
  /** Slots whose standing traffic is not (0, 0). */
  private standingCount = 0;
  /** Entries of the last tick's standing batch to the target (0 when it keeps rates itself). */
  private standingOnTarget = 0;
  /**
   * True if the target keeps standing rates itself (it has steady() and runs on the host's clock):
   * then an Offloaded connection's standing bytes reach it only as changes (`rateChanges`), and
   * the target holds a rate for a connection exactly while it is Offloaded here with standing bytes.
   * Decided once, at the first use (undefined until then).
   */
  private targetRates: boolean | undefined;
  private readonly rateChanges = new RateChanges();
  /** What the clock reads once the last tick moved it, and how many rates the target held then. */
  private clockAfterTick = Number.NaN;
  private ratesAtTick = 0;
  /** The entry deliveredBatch stopped at, as it read it. */
  untakenHandle: unknown;
  untakenBytes: unknown;
  /** A path's source is one of the host's few local addresses: its text is made once, not per path. */
  private readonly sourceText = new AddressText();

  constructor(
    private readonly host: EngineHost,
    private readonly options: EngineOptions,
  ) {
    this.slotByHandle = new SlotsByHandle(host.table.handleLayout().slotBits);
  }

  get policy(): OffloadPolicy {
    return this.options.policy;
  }

  // ---- open / traffic / steady / close ---------------------------------------------------------

  /**
   * The call under way (open, traffic, steady or close), from reading the caller's arrays to the
   * target's answer. They all read entries into the same scratch arrays, so a getter or Proxy (or a
   * target) that calls back into the host from inside one would overwrite what it has read.
   */
  private inside: string | undefined;

  /** Runs `call` as `op`, refused while another call is under way (see `enter`). */
  private alone<T>(op: string, call: () => T): T {
    this.enter(op);
    try {
      return call();
    } finally {
      this.inside = undefined;
    }
  }

  /** Refuses `op` while another call is under way (see `inside`); else marks `op` under way. */
  enter(op: string, mark = true): void {
    if (this.inside !== undefined)
      throw new OffloadError(
        ErrorCode.WrongState,
        `${op}: called from inside ${this.inside}() (a getter, Proxy or target called back into the host while it read its arguments or passed them on); read the arrays first, then call`,
      );
    if (mark) this.inside = op;
  }

  open(opened: OpenedColumns): Float64Array {
    return this.alone('open', () => this.openInside(opened));
  }

  private openInside(opened: OpenedColumns): Float64Array {
    const op = 'open';
    if (opened === null || typeof opened !== 'object')
      invalid(
        `${op}: expected the opened columns of a TickBatch ({ count, ifIndex, nextHop, source, destination, localPort, remotePort, priority }), got ${typeName(opened)}`,
      );
    const { ifIndex, nextHop, source, destination, localPort, remotePort, priority } = opened;
    const n = batchCount(op, opened.count, [
      ['ifIndex', ifIndex],
      ['localPort', localPort],
      ['remotePort', remotePort],
      ...(priority === undefined ? [] : [['priority', priority] as [string, unknown]]),
    ]);
    for (const [name, a] of [
      ['nextHop', nextHop],
      ['source', source],
      ['destination', destination],
    ] as const) {
      if (!(a instanceof Uint8Array)) invalid(`${op}: ${name} must be a Uint8Array of 16 bytes per connection (IPv4-mapped for IPv4), got ${typeName(a)}`);
      if (a.length < 16 * n) invalid(`${op}: ${name} holds ${a.length} bytes, fewer than 16 for each of the ${n} connections`);
    }
    if (!this.columns.roomFor(n)) throw new OffloadError(ErrorCode.Capacity, `${op}: the host holds its maximum of open connections; close some first`);
    const s = this.scratch;
    s.ensure(n);
    const ifx = s.u32;
    const ports = s.f64a;
    const remote = s.f64b;
    const prio = s.f64c;
    readIntegers(op, 'ifIndex', ifIndex, n, ifx, 0, 0xffffffff);
    readIntegers(op, 'localPort', localPort, n, ports, 1, 65535);
    readIntegers(op, 'remotePort', remotePort, n, remote, 1, 65535);
    if (priority === undefined) prio.fill(0, 0, n);
    else readIntegers(op, 'priority', priority, n, prio, 0, 255);
    // Everything checked: nothing below throws.
    const c = this.columns;
    const ids = new Float64Array(n);
    const now = this.host.now();
    // Addresses move as 32-bit words when the caller's arrays allow it (4-byte aligned views).
    const hop32 = words(nextHop as Uint8Array, n);
    const src32 = words(source as Uint8Array, n);
    const dst32 = words(destination as Uint8Array, n);
    for (let i = 0; i < n; i++) {
      const slot = c.allocate(now);
      c.ifIndex[slot] = ifx[i]!;
      c.localPort[slot] = ports[i]!;
      c.remotePort[slot] = remote[i]!;
      c.priority[slot] = prio[i]!;
      if (hop32 && src32 && dst32) {
        const address = c.address32;
        const at = slot * WORDS_PER_SLOT;
        const from = 4 * i;
        for (let w = 0; w < 4; w++) {
          address[at + w] = hop32[from + w]!;
          address[at + 4 + w] = src32[from + w]!;
          address[at + 8 + w] = dst32[from + w]!;
        }
      } else {
        const address = c.address;
        const at = slot * ADDRESS_BYTES;
        for (let b = 0; b < 16; b++) {
          address[at + b] = (nextHop as Uint8Array)[16 * i + b]!;
          address[at + 16 + b] = (source as Uint8Array)[16 * i + b]!;
          address[at + 32 + b] = (destination as Uint8Array)[16 * i + b]!;
        }
      }
      ids[i] = c.id[slot]!;
    }
    return ids;
  }

  traffic(ids: ArrayLike<number>, sent: ArrayLike<number>, received: ArrayLike<number>, count?: number): void {
    this.alone('traffic', () => this.trafficInside(ids, sent, received, count));
  }

  private trafficInside(ids: ArrayLike<number>, sent: ArrayLike<number>, received: ArrayLike<number>, count?: number): void {
    const op = 'traffic';
    const n = batchCount(op, count, [
      ['ids', ids],
      ['sent', sent],
      ['received', received],
    ]);
    const s = this.scratch;
    s.ensure(n);
    const slots = s.u32;
    const snd = s.f64a;
    const rcv = s.f64b;
    const idv = s.f64c;
    const c = this.columns;
    const length = c.length;
    // The hottest code of a lab run. Pass 1 reads every entry once, checks what needs no column,
    // and counts entries per bucket of 64 slots. The entries are then sorted by bucket (a counting
    // sort) into one array of records, so that the passes over the columns read them nearly in
    // order: a caller's order is random with respect to slots, and one cache miss per entry and
    // column is what this avoids. One interleaved array, not one per field, keeps the sort's
    // scattered writes to one cache line per entry.
    //
    //   records  [ slot | sent | received | id ][ slot | sent | ... ]   4 numbers per entry, bucket order
    const buckets = (length >>> 6) + 2;
    if (this.bucketCounts.length < buckets) this.bucketCounts = new Uint32Array(buckets * 2);
    const counts = this.bucketCounts;
    counts.fill(0, 0, buckets);
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const a = sent[i]!;
      const b = received[i]!;
      const slot = typeof id === 'number' && id >= SLOTS && id <= MAX_BYTES ? (id - Math.floor(id / SLOTS) * SLOTS) | 0 : -1;
      if (slot < 0 || slot >= length) badId(op, i, id, false);
      if (typeof a !== 'number' || !(a >= 0 && a <= MAX_BYTES) || !Number.isInteger(a))
        invalid(`${op}: sent[${i}] must be an integer 0..${MAX_BYTES}, got ${typeName(a)}`, i);
      if (typeof b !== 'number' || !(b >= 0 && b <= MAX_BYTES) || !Number.isInteger(b))
        invalid(`${op}: received[${i}] must be an integer 0..${MAX_BYTES}, got ${typeName(b)}`, i);
      if (a + b > MAX_BYTES) tooManyBytes(op, i, a, b);
      idv[i] = id;
      slots[i] = slot;
      snd[i] = a;
      rcv[i] = b;
      counts[(slot >>> 6) + 1]!++;
    }
    for (let k = 1; k < buckets; k++) counts[k]! += counts[k - 1]!;
    const records = s.records;
    for (let i = 0; i < n; i++) {
      const slot = slots[i]!;
      const r = 4 * counts[slot >>> 6]!++;
      records[r] = slot;
      records[r + 1] = snd[i]!;
      records[r + 2] = rcv[i]!;
      records[r + 3] = idv[i]!;
    }
    // Pass 2: every id names an open connection (a closed one still on the target is Offloading or
    // Terminating, so only those need the closed column).
    const idColumn = c.id;
    const closed = c.closed;
    const status = c.status;
    let ok = true;
    for (let r = 0; r < 4 * n; r += 4) {
      const slot = records[r]! | 0;
      if (idColumn[slot] !== records[r + 3] || (status[slot]! !== OFFLOADED && status[slot]! !== SOFTWARE && closed[slot])) ok = false;
    }
    if (!ok) {
      // Name the first bad entry in the caller's order.
      for (let i = 0; i < n; i++) {
        const slot = slots[i]!;
        if (idColumn[slot] !== idv[i]) badId(op, i, idv[i], false);
        if (status[slot]! !== OFFLOADED && status[slot]! !== SOFTWARE && closed[slot]) badId(op, i, idv[i], true);
      }
    }
    this.count(records, n);
  }

  /**
   * Standing traffic (HostStack.steady): from now on every tick() counts sent[i]/received[i] bytes
   * for ids[i], as if traffic() had been called with them just before it; (0, 0) stops it, and so
   * does close(). Entries apply in order (an id given twice keeps its last rate). All or none.
   */
  steady(ids: ArrayLike<number>, sent: ArrayLike<number>, received: ArrayLike<number>, count?: number): void {
    this.alone('steady', () => this.steadyInside(ids, sent, received, count));
  }

  private steadyInside(ids: ArrayLike<number>, sent: ArrayLike<number>, received: ArrayLike<number>, count?: number): void {
    const op = 'steady';
    const n = batchCount(op, count, [
      ['ids', ids],
      ['sent', sent],
      ['received', received],
    ]);
    const s = this.scratch;
    s.ensure(n);
    this.readSlots(op, ids, n, s.u32, false);
    readIntegers(op, 'sent', sent, n, s.f64a, 0, MAX_BYTES);
    readIntegers(op, 'received', received, n, s.f64b, 0, MAX_BYTES);
    for (let i = 0; i < n; i++) if (s.f64a[i]! + s.f64b[i]! > MAX_BYTES) tooManyBytes(op, i, s.f64a[i]!, s.f64b[i]!);
    // Everything checked: nothing below throws.
    for (let i = 0; i < n; i++) this.setStanding(s.u32[i]!, s.f64a[i]!, s.f64b[i]!);
    this.flushRates();
  }

  private setStanding(slot: number, sent: number, received: number): void {
    const c = this.columns;
    const oldSent = c.standingSent[slot]!;
    const oldReceived = c.standingReceived[slot]!;
    const was = oldSent + oldReceived > 0;
    const is = sent + received > 0;
    c.standingSent[slot] = sent;
    c.standingReceived[slot] = received;
    this.standingCount += +is - +was;
    // An Offloaded connection's rate lives on the target too: it changes there from the next step.
    if (c.status[slot] === OFFLOADED && (sent !== oldSent || received !== oldReceived) && this.ratesOnTarget())
      this.rateChanges.add(c.handle[slot]!, sent, received);
  }

  /**
   * True if the target keeps standing rates itself (see `targetRates`). A target's getter that
   * throws is read as "no steady()": the host then passes standing bytes every tick, as to any target.
   */
  private ratesOnTarget(): boolean {
    if (this.targetRates === undefined) {
      let has = false;
      try {
        const target = this.host.target;
        has = typeof target.steady === 'function' && (target as { clock?: unknown }).clock === this.host.clock;
      } catch {}
      this.targetRates = has;
    }
    return this.targetRates;
  }

  /** Offloaded connections with standing bytes: the rates a target that keeps them holds now. */
  private ratesHeld(): number {
    const c = this.columns;
    let held = 0;
    for (let slot = 0, length = c.length; slot < length; slot++)
      if (c.status[slot] === OFFLOADED && c.standingSent[slot]! + c.standingReceived[slot]! > 0) held++;
    return held;
  }

  /**
   * Hands the queued rate changes to the target (OffloadTarget.steady). The host counted or will
   * count the bytes either way: a target that throws is reported, and the nothing-lost check at
   * its connections' termination says which of them it got wrong.
   */
  flushRates(): void {
    if (this.rateChanges.count === 0) return;
    const target = this.host.target;
    const consequence = 'its standing traffic may differ from what the host counts from now on (the nothing-lost check at termination names the connections)';
    let answer: unknown;
    try {
      this.rateChanges.flush((handles, sent, received, n) => {
        answer = target.steady!(handles, sent, received, n);
      });
    } catch (error) {
      this.host.emit('error', { message: `the target's steady threw: ${describe(error)}; ${consequence}`, fault: 'threw', error });
    }
    catchRejection(answer, (error) =>
      this.host.emit('error', { message: `the target's steady rejected: ${describe(error)}; ${consequence}`, fault: 'rejected', error }),
    );
  }

  /**
   * Counts every connection's standing bytes as this tick's traffic, in slot order: HostStack.tick
   * calls it first, so they reach the table and the target before the clock moves, exactly where
   * traffic() just before tick() would have put them. One pass over the slots (standing bytes are
   * the common case in a lab run: most connections move the same bytes every tick).
   *
   * A target that keeps rates itself (ratesOnTarget) adds its Offloaded connections' bytes when the
   * clock steps to `now`, so they are not listed for it; but if the clock will not step (`now` is
   * the clock's time already) they go as a batch, as to any target, since no step will add them.
   */
  applyStanding(now: number): void {
    const clock = this.host.clock.now;
    if (clock > this.clockAfterTick && (this.ratesAtTick > 0 || (this.standingCount > 0 && this.ratesOnTarget()))) {
      // The rates the target held at the last tick, or those it got since (steady() between ticks):
      // counted only here, when the clock moved outside tick().
      const held = Math.max(this.ratesAtTick, this.ratesHeld());
      if (held > 0)
        this.host.emit('error', {
          message: `the clock moved from ${this.clockAfterTick} to ${clock} outside tick() while the target held standing rates for ${held} connection(s): each step adds their bytes on the target, which the host did not count (the nothing-lost check will fail for them); move the clock only with tick()`,
        });
    }
    this.flushRates();
    const rates = this.ratesOnTarget() && now > clock;
    this.clockAfterTick = Math.max(clock, now);
    this.ratesAtTick = 0;
    if (this.standingCount === 0) return;
    this.countCalls++;
    // The list of Offloaded entries is for the table's traffic counters and a target without rates.
    const list = !rates || this.host.tableTraffic();
    const c = this.columns;
    const standingSent = c.standingSent;
    const standingReceived = c.standingReceived;
    const s = this.scratch;
    s.ensure(this.standingCount);
    const snd = s.f64a;
    const rcv = s.f64b;
    const handles = s.f64c;
    const status = c.status;
    const bytesColumn = c.bytes;
    const sentColumn = c.sent;
    const tickBytes = c.tickBytes;
    const offloadedColumn = c.offloadedBytes;
    const handleColumn = c.handle;
    let k = 0;
    let software = 0;
    let offloaded = 0;
    let onTarget = 0;
    // count()'s loop, reading the standing columns in place (no records to write and read back).
    for (let slot = 0, length = c.length; slot < length; slot++) {
      const a = standingSent[slot]!;
      const b = standingReceived[slot]!;
      const bytes = a + b;
      if (bytes === 0) continue;
      bytesColumn[slot]! += bytes;
      tickBytes[slot]! += bytes;
      sentColumn[slot]! += a;
      if (status[slot] === OFFLOADED) {
        offloaded += bytes;
        offloadedColumn[slot]! += bytes;
        onTarget++;
        if (!list) continue;
        handles[k] = handleColumn[slot]!;
        snd[k] = a;
        rcv[k] = b;
        k++;
      } else software += bytes;
    }
    this.metricsCounters.offloadedBytes += offloaded;
    this.metricsCounters.softwareBytes += software;
    if (this.ratesOnTarget()) this.ratesAtTick = onTarget;
    this.passOn(k, true, !rates);
  }

  /**
   * Counts checked bytes: `records` holds n entries of 4 numbers [ slot | sent | received | - ],
   * nearly in slot order. Offloaded connections' bytes go to the target, and to the table when its
   * low-activity tick needs them (the scratch arrays f64a/b/c take that list: free by now).
   */
  private count(records: Float64Array, n: number): void {
    this.countCalls++;
    const c = this.columns;
    const s = this.scratch;
    const snd = s.f64a;
    const rcv = s.f64b;
    const handles = s.f64c;
    const status = c.status;
    const m = this.metricsCounters;
    const bytesColumn = c.bytes;
    const sentColumn = c.sent;
    const tickBytes = c.tickBytes;
    const offloadedColumn = c.offloadedBytes;
    const handleColumn = c.handle;
    let k = 0;
    let software = 0;
    let offloaded = 0;
    for (let r = 0; r < 4 * n; r += 4) {
      const slot = records[r]! | 0;
      const a = records[r + 1]!;
      const b = records[r + 2]!;
      const bytes = a + b;
      if (bytes === 0) continue;
      bytesColumn[slot]! += bytes;
      // tickBytes is reset at every tick; tick() lists the slots it finds above 0 as `active`.
      tickBytes[slot]! += bytes;
      sentColumn[slot]! += a;
      if (status[slot] === OFFLOADED) {
        offloaded += bytes;
        offloadedColumn[slot]! += bytes;
        handles[k] = handleColumn[slot]!;
        snd[k] = a;
        rcv[k] = b;
        k++;
      } else software += bytes;
    }
    m.offloadedBytes += offloaded;
    m.softwareBytes += software;
    this.passOn(k, false);
  }

  /**
   * Passes the k offloaded entries counted (scratch f64c: handles, f64a: sent, f64b: received) to
   * the table's traffic counters, when its low-activity tick needs them, and to the target unless
   * `toTarget` is false (standing bytes of a target that keeps the rates itself).
   */
  private passOn(k: number, standing: boolean, toTarget = true): void {
    const s = this.scratch;
    const snd = s.f64a;
    const rcv = s.f64b;
    const handles = s.f64c;
    if (standing) this.standingOnTarget = toTarget ? k : 0;
    if (k === 0) return;
    const onTarget = handles.subarray(0, k);
    if (this.host.tableTraffic()) {
      // The u32 scratch is free by now (traffic's slots are read before count): it takes the byte
      // counts, in the type the core reads, so they go to it with one copy. The table skips
      // reading them again entry by entry (they come from the columns, counted and checked once).
      const counted = s.u32.subarray(0, k);
      for (let i = 0; i < k; i++) counted[i] = Math.min(0xffffffff, snd[i]! + rcv[i]!);
      try {
        this.host.table[recordCountedTraffic](onTarget, counted, k);
      } catch (error) {
        this.host.emit('error', { message: `recording traffic in the table failed: ${String(error)}`, error });
      }
    }
    if (!toTarget) return;
    const target = this.host.target;
    // With standing traffic the target gets one large batch per tick, in slot order, and between
    // ticks the one-off bytes of traffic(), usually a few (a lab's last ticks of transfers). Those
    // go entry by entry when the target can take them so: a target may expect each batch call in
    // the order of the one before (SimulatedTarget's TCP columns look there first), and a small
    // batch in between would make the large one miss every time.
    const fewOneOffs = !standing && target.traffic !== undefined && k * 4 < this.standingOnTarget;
    // The bytes are counted already: a target that throws here is reported, never the caller's problem.
    try {
      if (target.trafficBatch && !fewOneOffs) catchRejection(target.trafficBatch(onTarget, snd.subarray(0, k), rcv.subarray(0, k)), this.trafficRejected);
      else if (target.traffic) for (let i = 0; i < k; i++) catchRejection(target.traffic(handles[i]!, snd[i]!, rcv[i]!), this.trafficRejected);
    } catch (error) {
      this.host.emit('error', { message: `the target's traffic threw: ${describe(error)}`, fault: 'threw', error });
    }
  }

  /** A target's async traffic or trafficBatch rejected (the bytes are counted already). */
  private readonly trafficRejected = (error: unknown): void =>
    this.host.emit('error', { message: `the target's traffic rejected: ${describe(error)}`, fault: 'rejected', error });

  close(ids: ArrayLike<number>, count?: number): void {
    this.alone('close', () => this.closeInside(ids, count));
  }

  private closeInside(ids: ArrayLike<number>, count?: number): void {
    const op = 'close';
    const n = batchCount(op, count, [['ids', ids]]);
    const s = this.scratch;
    s.ensure(n);
    const slots = s.u32;
    this.readSlots(op, ids, n, slots, true);
    const c = this.columns;
    const onTarget: number[] = [];
    for (let i = 0; i < n; i++) {
      const slot = slots[i]!;
      const status = c.status[slot];
      // No more standing bytes after close, on the target or not.
      if (c.standingSent[slot]! + c.standingReceived[slot]! > 0) this.setStanding(slot, 0, 0);
      if (status === ConnectionStatus.Software) {
        c.release(slot);
        continue;
      }
      c.closed[slot] = 1;
      this.closedOnTarget++;
      if (status === ConnectionStatus.Offloading || status === ConnectionStatus.Offloaded) onTarget.push(c.handle[slot]!);
    }
    if (onTarget.length) this.terminate(onTarget, Reason.Application);
    this.flushRates();
  }

  /** Reads ids into slots; every id must name an open connection (and, closing, appear once). */
  private readSlots(op: string, ids: ArrayLike<unknown>, n: number, slots: Uint32Array, closing: boolean): void {
    const c = this.columns;
    let i = 0;
    try {
      for (; i < n; i++) {
        const id = ids[i];
        const slot = c.slotOf(id as number);
        if (slot < 0 || c.closed[slot]) badId(op, i, id, slot >= 0);
        if (closing) c.closed[slot] = 2; // marks a duplicate within this call; undone below
        slots[i] = slot;
      }
    } finally {
      if (closing) for (let j = 0; j < i; j++) if (c.closed[slots[j]!] === 2) c.closed[slots[j]!] = 0;
    }
  }

  // ---- tick ------------------------------------------------------------------------------------

  /** Folds the tick's traffic into the rate column, runs the policy and carries its decision out. */
  tick(now: number): void {
    const c = this.columns;
    const elapsed = this.lastTick === undefined ? 0 : now - this.lastTick;
    this.lastTick = now;
    const arrived = c.arrived.view();
    const openedAt = c.openedAt;
    for (let i = 0, m = arrived.length; i < m; i++) openedAt[arrived[i]!] = now;
    const lastActiveAt = c.lastActiveAt;
    // One pass over the slots in order: the rate column, and `live` and `active` rebuilt in slot
    // order, so that this pass and a policy's passes over them read the columns sequentially, and
    // so that what a policy sees never depends on the order or the calls (traffic() or standing
    // bytes) that brought the bytes.
    const alpha = elapsed > 0 ? 1 - Math.exp(-elapsed / this.options.rateWindowMs) : 0;
    const perSecond = elapsed > 0 ? 1000 / elapsed : 0;
    const status = c.status;
    const rate = c.rate;
    const tickBytes = c.tickBytes;
    const live = c.live;
    const position = c.livePosition;
    if (c.active.items.length < c.liveCount) c.active.items = new Uint32Array(c.liveCount * 2);
    const activeSlots = c.active.items;
    let n = 0;
    let moved = 0;
    for (let slot = 0, length = c.length; slot < length; slot++) {
      if (status[slot] === FREE) continue;
      live[n] = slot;
      position[slot] = n++;
      const r = rate[slot]!;
      const b = tickBytes[slot]!;
      if (b > 0) {
        activeSlots[moved++] = slot;
        lastActiveAt[slot] = now;
      }
      if ((r === 0 && b === 0) || alpha === 0) continue;
      const next = r + alpha * (b * perSecond - r);
      rate[slot] = next < 1e-3 ? 0 : next;
    }
    c.active.count = moved;
    const active = c.active.view();
    const context: PolicyContext = {
      now,
      elapsedMs: elapsed,
      capacity: this.host.capacity(),
      occupied: this.occupied(),
      canOffload: this.host.canOffload(),
      columns: c,
      arrived,
      live: c.live.subarray(0, c.liveCount),
      active,
    };
    const countCalls = this.countCalls;
    let decision: PolicyDecision | undefined | void;
    try {
      decision = this.options.policy.tick(context);
    } catch (error) {
      this.host.emit('error', {
        message: `the offload policy '${this.options.policy.name}' threw at tick ${now}: ${String(error)}; nothing was decided this tick`,
        error,
      });
    }
    if (decision !== null && typeof decision === 'object' && typeof (decision as { then?: unknown }).then === 'function') {
      // A policy decides within its tick: the host cannot wait, and a later answer would act on
      // columns that have moved on.
      (decision as unknown as Promise<unknown>).then(undefined, () => {});
      this.host.emit('error', {
        message: `the offload policy '${this.options.policy.name}' returned a Promise at tick ${now}: tick() must decide synchronously (read the columns, return the decision); nothing was decided this tick`,
      });
    } else if (decision !== undefined && decision !== null) this.carryOut(decision);
    // The policy may have opened connections (the columns grow into new arrays): read the column again.
    const spent = c.tickBytes;
    // Only active slots hold bytes of this tick (and free ones, whose column nothing reads: open()
    // resets it), unless the policy passed traffic from inside its tick. In a lab run most slots
    // are active, and one fill over the column is then much cheaper than a write per active slot.
    if (this.countCalls === countCalls && active.length * 4 >= c.length) spent.fill(0, 0, c.length);
    else for (let i = 0, m = active.length; i < m; i++) spent[active[i]!] = 0;
    c.active.clear();
    c.arrived.clear();
    this.tickNumber++;
    const occupied = this.occupied();
    if (occupied > this.metricsCounters.peakOccupied) this.metricsCounters.peakOccupied = occupied;
  }

  private occupied(): number {
    return this.host.table.count(Kind.Connection);
  }

  private carryOut(decision: PolicyDecision): void {
    const name = this.options.policy.name;
    if (typeof decision !== 'object') {
      this.host.emit('error', { message: `the offload policy '${name}' returned ${typeName(decision)}, not a decision object; ignored` });
      return;
    }
    const c = this.columns;
    const { terminate, offload } = decision;
    if (terminate !== undefined) {
      if (!isList(terminate))
        this.host.emit('error', { message: `the offload policy '${name}' returned terminate = ${typeName(terminate)}, not an array of slots; ignored` });
      else {
        let reason = decision.terminateReason ?? Reason.HigherPriority;
        if (typeof reason !== 'number' || !Number.isInteger(reason) || reason < 1 || reason > 255) {
          this.host.emit('error', {
            message: `the offload policy '${name}' returned terminateReason = ${typeName(reason)}, not a reason 1..255; HigherPriority used`,
          });
          reason = Reason.HigherPriority;
        }
        const handles: number[] = [];
        let bad = 0;
        for (let i = 0; i < terminate.length; i++) {
          const slot = terminate[i];
          if (typeof slot === 'number' && Number.isInteger(slot) && slot >= 0 && slot < c.length && c.status[slot] === ConnectionStatus.Offloaded)
            handles.push(c.handle[slot]!);
          else bad++;
        }
        if (bad)
          this.host.emit('error', {
            message: `the offload policy '${name}' asked to terminate ${bad} slot(s) that are not Offloaded connections; those were ignored`,
          });
        if (handles.length) this.terminate(handles, reason);
      }
    }
    if (offload === undefined) return;
    if (!isList(offload)) {
      this.host.emit('error', { message: `the offload policy '${name}' returned offload = ${typeName(offload)}, not an array of slots; ignored` });
      return;
    }
    if (!this.host.canOffload()) return;
    const room = this.host.capacity() - this.occupied();
    if (room <= 0) return;
    const chosen: number[] = [];
    const tick = this.tickNumber;
    let bad = 0;
    for (let i = 0; i < offload.length && chosen.length < room; i++) {
      const slot = offload[i];
      if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= c.length || c.status[slot] === ConnectionStatus.Free) {
        bad++;
        continue;
      }
      // Already on the target, offered twice, or on an interface that takes no offloads now: skipped quietly.
      if (c.status[slot] !== ConnectionStatus.Software || c.offerStamp[slot] === tick) continue;
      c.offerStamp[slot] = tick;
      if (this.host.interfaceBlocked(c.ifIndex[slot]!)) continue;
      chosen.push(slot);
    }
    if (bad) this.host.emit('error', { message: `the offload policy '${name}' asked to offload ${bad} slot(s) that hold no connection; those were ignored` });
    if (chosen.length) this.offload(chosen);
  }

  // ---- offload ---------------------------------------------------------------------------------

  /** Offloads Software slots: missing parents first, all in one table batch and one target call. */
  private offload(slots: number[]): void {
    const c = this.columns;
    const table = this.host.table;
    const p = this.parents;
    const call = ++this.callNumber;
    const parentBlocks: InitiateBlock[] = [];
    const fresh: number[] = []; // registry entries created by this call, one per parent block
    const freshNeighbor: number[] = []; // a fresh path's neighbor entry (-1 for a fresh neighbor)
    const kept: number[] = [];
    const pathOf: number[] = [];
    const words = c.address32;
    for (const slot of slots) {
      const at = slot * ADDRESS_BYTES;
      const w = slot * WORDS_PER_SLOT;
      let path = p.findPath(words, w + 4);
      if (path >= 0 && !this.usable(path, call)) continue;
      if (path < 0) {
        const ifIndex = c.ifIndex[slot]!;
        let neighbor = p.findNeighbor(ifIndex, words, w);
        if (neighbor >= 0 && !this.usable(neighbor, call)) continue;
        if (neighbor < 0) {
          neighbor = this.createParent(Kind.Neighbor, slot, call, 0);
          if (neighbor < 0) continue;
          if (p.state[neighbor] === State.Offloading) {
            fresh.push(neighbor);
            freshNeighbor.push(-1);
            parentBlocks.push({
              kind: Kind.Neighbor,
              handle: p.handle[neighbor]!,
              ifIndex,
              address: formatAddress(c.address, at),
              linkLayerAddress: LINK_LAYER_NONE,
            });
          }
        }
        const neighborHandle = p.handle[neighbor]!;
        path = this.createParent(Kind.Path, slot, call, neighborHandle);
        if (path < 0) continue;
        if (p.state[path] === State.Offloading) {
          fresh.push(path);
          freshNeighbor.push(neighbor);
          parentBlocks.push({
            kind: Kind.Path,
            handle: p.handle[path]!,
            neighbor: neighborHandle,
            source: this.sourceText.format(c.address, words, at + 16),
            destination: formatAddress(c.address, at + 32),
            mtu: 1500,
          });
        }
      }
      kept.push(slot);
      pathOf.push(path);
    }
    const handles = this.offloadConnections(kept, pathOf);
    // Parents this call created that no connection of it uses leave again (failed initiates free
    // them). usedIn[entry] === call marks the registry entries this call uses.
    if (this.usedIn.length < p.kind.length) this.usedIn = new Uint32Array(2 * p.kind.length);
    const usedIn = this.usedIn;
    for (let i = 0; i < kept.length; i++) if (handles[i]) usedIn[pathOf[i]!] = call;
    for (let j = 0; j < fresh.length; j++) if (freshNeighbor[j]! >= 0 && usedIn[fresh[j]!] === call) usedIn[freshNeighbor[j]!] = call;
    const unused = fresh.filter((e) => usedIn[e] !== call);
    if (unused.length) {
      const doomed = unused.map((e) => p.handle[e]!).sort((a, b) => p.kind[p.entryOf(b)]! - p.kind[p.entryOf(a)]!);
      try {
        table.completeOffload(doomed, false);
      } catch (error) {
        this.host.emit('error', { message: `dropping unused parents failed: ${String(error)}`, error });
      }
      for (const e of unused) p.remove(e);
    }
    const blocks: InitiateBlock[] = unused.length ? parentBlocks.filter((_, j) => usedIn[fresh[j]!] === call) : parentBlocks;
    const connSlots: number[] = [];
    for (let i = 0; i < kept.length; i++) {
      const h = handles[i]!;
      if (!h) continue;
      const slot = kept[i]!;
      const path = pathOf[i]!;
      // Sequence numbers are byte counts modulo 2^32. Counts are integers 0..2^53 - 1, for which
      // `>>> 0` is exactly `% 2 ** 32` (ToUint32), and a truncation rather than a call to fmod.
      const sent = c.sent[slot]!;
      const sndUna = sent >>> 0;
      const rcvNxt = (c.bytes[slot]! - sent) >>> 0;
      c.status[slot] = ConnectionStatus.Offloading;
      c.handle[slot] = h;
      c.path[slot] = path;
      c.initialSndUna[slot] = sndUna;
      c.initialRcvNxt[slot] = rcvNxt;
      this.slotByHandle.set(h, slot);
      connSlots.push(slot);
      blocks.push({
        kind: Kind.Connection,
        handle: h,
        path: p.handle[path]!,
        localPort: c.localPort[slot]!,
        remotePort: c.remotePort[slot]!,
        tcp: { sndUna, sndNxt: sndUna, rcvNxt },
      });
    }
    if (connSlots.length === 0) return;
    this.metricsCounters.initiates += connSlots.length;
    const hints = new Int32Array(blocks.length).fill(-1);
    hints.set(connSlots, blocks.length - connSlots.length);
    this.host.initiate(blocks, hints);
  }

  /** A registry entry may take a new connection in call `call`: Offloaded, or Offloading from this very call. */
  private usable(e: number, call: number): boolean {
    const s = this.parents.state[e];
    return s === State.Offloaded || (s === State.Offloading && this.parents.call[e] === call);
  }

  /**
   * Creates the neighbor (or the path, under `neighborHandle`) of the connection in `slot` in the
   * table; adopts one the table has already (made by offload()) if it is Offloaded. -1: not now.
   */
  private createParent(kind: Kind, slot: number, call: number, neighborHandle: number): number {
    const table = this.host.table;
    // The key goes to the table in two reused objects over three reused 16-byte arrays (the table
    // copies what it reads, and calls back into nothing): no view, closure or object per parent.
    const k = this.parentKey;
    const from = slot * WORDS_PER_SLOT;
    const words = this.columns.address32;
    for (let w = 0; w < 4; w++) {
      k.next32[w] = words[from + w]!;
      k.source32[w] = words[from + 4 + w]!;
      k.destination32[w] = words[from + 8 + w]!;
    }
    k.neighbor.ifIndex = this.columns.ifIndex[slot]!;
    const neighbor = k.neighbor;
    const path = k.path;
    let handle: number;
    try {
      handle = kind === Kind.Neighbor ? table.offloadNeighbor(neighbor) : table.offloadPath(path, neighborHandle);
    } catch (error) {
      // A parent with a termination pending (it waits for a dependent still in flight) takes no
      // new dependents: not a fault, the connection stays in software and the policy asks again.
      if (error instanceof OffloadError && error.code === ErrorCode.WrongState) return -1;
      if (!(error instanceof OffloadError) || error.code !== ErrorCode.DuplicateKey) {
        this.host.emit('error', { message: `offloading a ${Kind[kind].toLowerCase()} failed: ${String(error)}`, error });
        return -1;
      }
      const h = kind === Kind.Neighbor ? table.findNeighbor(neighbor) : table.findPath(path);
      if (!h || table.state(h) !== State.Offloaded || table.pending(h)) return -1;
      const e = this.register(kind, slot, h, call);
      this.parents.state[e] = State.Offloaded;
      return e;
    }
    return this.register(kind, slot, handle, call);
  }

  private register(kind: Kind, slot: number, handle: number, call: number): number {
    const w = slot * WORDS_PER_SLOT;
    const words = this.columns.address32;
    return kind === Kind.Neighbor
      ? this.parents.addNeighbor(this.columns.ifIndex[slot]!, words, w, handle, call)
      : this.parents.addPath(words, w + 4, handle, call);
  }

  /** table.offloadConnections, leaving out entries the table refuses (a duplicate key, a parent leaving). */
  private offloadConnections(slots: number[], paths: number[]): Float64Array {
    const c = this.columns;
    const out = new Float64Array(slots.length);
    const index: number[] = slots.map((_, i) => i);
    while (index.length) {
      // Typed arrays of the columns' own types: the table reads them with one copy each and checks
      // no entry of them (every Uint16 is a port, every Uint8 a priority).
      const m = index.length;
      const pathHandles = new Float64Array(m);
      const localPorts = new Uint16Array(m);
      const remotePorts = new Uint16Array(m);
      const priorities = new Uint8Array(m);
      for (let j = 0; j < m; j++) {
        const i = index[j]!;
        const slot = slots[i]!;
        pathHandles[j] = this.parents.handle[paths[i]!]!;
        localPorts[j] = c.localPort[slot]!;
        remotePorts[j] = c.remotePort[slot]!;
        priorities[j] = c.priority[slot]!;
      }
      try {
        const handles = this.host.table.offloadConnections(pathHandles, localPorts, remotePorts, priorities);
        for (let j = 0; j < index.length; j++) out[index[j]!] = handles[j]!;
        return out;
      } catch (error) {
        const at = error instanceof OffloadError ? error.index : undefined;
        if (at === undefined || at < 0 || at >= index.length) {
          this.host.emit('error', { message: `offloading ${index.length} connections failed: ${String(error)}; they stay in software`, error });
          return out;
        }
        const code = (error as OffloadError).code;
        if (code === ErrorCode.DuplicateKey) {
          this.host.emit('error', {
            message: `connection id ${c.id[slots[index[at]!]!]} has the key of a connection already on the target (two open connections with one address/port pair); it stays in software`,
          });
          index.splice(at, 1);
        } else {
          // Its path cannot take connections now (pending termination): leave out every entry on it.
          const bad = pathHandles[at];
          for (let j = index.length - 1; j >= 0; j--) if (this.parents.handle[paths[index[j]!]!] === bad) index.splice(j, 1);
        }
      }
    }
    return out;
  }

  // ---- terminate -------------------------------------------------------------------------------

  private terminate(handles: number[], reason: number): void {
    let batch: TerminateBatch;
    try {
      batch = this.host.table.terminate(handles, reason);
    } catch (error) {
      this.host.emit('error', { message: `terminating ${handles.length} connections failed: ${String(error)}`, error });
      return;
    }
    this.host.send(batch);
  }

  // ---- what HostStack tells the engine ---------------------------------------------------------

  /** The kind of a live table object (the engine's own without a table call). */
  kindOf(handle: number): Kind {
    if (this.slotByHandle.get(handle) >= 0) return Kind.Connection;
    const e = this.parents.entryOf(handle);
    return e >= 0 ? (this.parents.kind[e] as Kind) : this.host.table.kind(handle);
  }

  /**
   * The table state of `handle` (the engine's own objects without a table call); undefined if it
   * is not a live object. `hint`: the slot terminating() gave for it, if known (checked, so any
   * hint is safe: a slot holds handle h exactly while the engine maps h to it).
   */
  stateOf(handle: number, hint = -1): State | undefined {
    if (handle > 0) {
      const slot = this.slotFor(handle, hint);
      if (slot >= 0) {
        const status = this.columns.status[slot];
        return status === ConnectionStatus.Offloading ? State.Offloading : status === ConnectionStatus.Offloaded ? State.Offloaded : State.Terminating;
      }
      const e = this.parents.entryOf(handle);
      if (e >= 0) return this.parents.state[e] as State;
    }
    try {
      return this.host.table.state(handle);
    } catch {
      return undefined;
    }
  }

  /** The initiate of `handle` completed (the table has it Offloaded now); `hint` as for stateOf. */
  offloaded(handle: number, hint = -1): void {
    const slot = this.slotFor(handle, hint);
    if (slot < 0) {
      const e = this.parents.entryOf(handle);
      if (e >= 0) this.parents.state[e] = State.Offloaded;
      return;
    }
    const c = this.columns;
    const now = this.host.now();
    c.status[slot] = ConnectionStatus.Offloaded;
    this.offloadedCount++;
    // From the next clock step on, the target adds its standing bytes (HostStack calls flushRates).
    const a = c.standingSent[slot]!;
    const b = c.standingReceived[slot]!;
    if (a + b > 0 && this.ratesOnTarget()) this.rateChanges.add(handle, a, b);
    c.offloadedAt[slot] = now;
    c.episodeSent[slot] = c.sent[slot]!;
    c.episodeBytes[slot] = c.bytes[slot]!;
    if (!c.everOffloaded[slot]) {
      c.everOffloaded[slot] = 1;
      this.metricsCounters.timeToOffload(now - c.openedAt[slot]!);
    }
  }

  /** The initiate of `handle` failed (the table freed it): a connection is in software again; `hint` as for stateOf. */
  initiateFailed(handle: number, hint = -1): void {
    const slot = this.slotFor(handle, hint);
    if (slot < 0) {
      this.parents.remove(this.parents.entryOf(handle));
      return;
    }
    this.metricsCounters.initiateFailures++;
    this.slotByHandle.delete(handle);
    this.toSoftware(slot);
  }

  /**
   * A termination batch is about to go to the target: its connections and parents are leaving.
   * Gives each object's kind (0 if it is not the engine's: ask the table) and slot (-1 if it is
   * not a connection of the engine) in `kinds` and `slots`, so the call's completion finds them
   * without looking them up again.
   */
  terminating(batch: TerminateBatch, kinds?: Uint8Array, slots?: Int32Array): void {
    const c = this.columns;
    for (let i = 0; i < batch.length; i++) {
      const h = batch.handles[i]!;
      const slot = this.slotByHandle.get(h);
      if (slots) slots[i] = slot;
      if (slot >= 0) {
        if (kinds) kinds[i] = Kind.Connection;
        if (c.status[slot] === ConnectionStatus.Offloaded) {
          // What it moved while Offloaded: from here on its bytes are software bytes, and the
          // target adds none of them.
          if (c.standingSent[slot]! + c.standingReceived[slot]! > 0 && this.ratesOnTarget()) this.rateChanges.add(h, 0, 0);
          this.offloadedCount--;
          c.episodeSent[slot] = c.sent[slot]! - c.episodeSent[slot]!;
          c.episodeBytes[slot] = c.bytes[slot]! - c.episodeBytes[slot]!;
        }
        c.status[slot] = ConnectionStatus.Terminating;
        continue;
      }
      const e = this.parents.entryOf(h);
      if (kinds) kinds[i] = e >= 0 ? this.parents.kind[e]! : 0;
      if (e >= 0) this.parents.state[e] = State.Terminating;
    }
    this.flushRates();
  }

  /**
   * An object of a termination batch (`handle`, terminated for `reason`; `hint` as for stateOf) was handed back, and freed: `state` is what a connection
   * handed back (undefined: nothing valid; `why` is the target's error, if it gave one).
   */
  completed(handle: number, reason: number, state: ReturnedNumbers | undefined, why?: string, hint = -1): void {
    const slot = this.slotFor(handle, hint);
    const m = this.metricsCounters;
    if (slot < 0) {
      const e = this.parents.entryOf(handle);
      if (e < 0) return;
      m.terminated(this.parents.kind[e]!, reason);
      this.parents.remove(e);
      return;
    }
    const c = this.columns;
    if (c.status[slot] !== ConnectionStatus.Terminating || c.handle[slot] !== handle) return;
    m.terminated(Kind.Connection, reason);
    if (c.episodeBytes[slot]! < this.options.wasteThresholdBytes) m.wastedOffloads++;
    this.checkNothingLost(slot, state, why);
    this.slotByHandle.delete(handle);
    this.toSoftware(slot);
  }

  /**
   * Received data of a connection on the target reached the host. True if `handle` is one of this
   * engine's connections (then it is a live connection of the table: no table call needed).
   */
  delivered(handle: unknown, bytes: number): boolean {
    if (typeof handle !== 'number' || !(handle > 0)) return false;
    return this.slotByHandle.deliver(handle, bytes > 0 ? bytes : 0);
  }

  /** Bytes the target delivered to connection `handle` during its offload (0 if it is not one of the engine's). */
  deliveredBytes(handle: number): number {
    return this.slotByHandle.delivered(handle);
  }

  /**
   * deliveredBatch's entries from `from` on, up to `n`, while each is a delivery to one of this
   * engine's connections (a handle it has on the target, a safe integer number of bytes >= 0):
   * one loop, no call per entry. Returns the index of the first entry it did not take (n if it
   * took them all): the caller checks that one on its own, from the values read here
   * (`untakenHandle`, `untakenBytes`), so each entry is read once.
   */
  deliveredBatch(handles: ArrayLike<unknown>, bytes: ArrayLike<unknown>, from: number, n: number): number {
    // The bytes go to the index's entry (src/host/handle-slots.ts), not to a host column: one
    // cache line per delivery, and nothing held that a getter of the target's could replace.
    const slotByHandle = this.slotByHandle;
    let i = from;
    for (; i < n; i++) {
      const h = handles[i];
      const b = bytes[i];
      // The index takes any number; the checks here are the bytes'.
      if (!(typeof h === 'number' && typeof b === 'number' && b >= 0 && b <= MAX_BYTES && Number.isInteger(b) && slotByHandle.deliver(h, b))) {
        this.untakenHandle = h;
        this.untakenBytes = b;
        break;
      }
    }
    return i;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** The slot of connection `handle` (-1 if it is not one of the engine's): `hint` if it holds it, else looked up. */
  private slotFor(handle: number, hint: number): number {
    return hint >= 0 && this.columns.handle[hint] === handle ? hint : this.slotByHandle.get(handle);
  }

  /** The connection is in software again (or gone, if it was closed). */
  private toSoftware(slot: number): void {
    const c = this.columns;
    c.handle[slot] = 0;
    c.path[slot] = -1;
    if (c.closed[slot]) {
      this.closedOnTarget--;
      c.release(slot);
    } else c.status[slot] = ConnectionStatus.Software;
  }

  /**
   * Nothing lost: what the target hands back accounts for every byte the host passed it while
   * offloaded: acknowledged + unacknowledged = sent, delivered + buffered = received, both queues
   * contiguous and in order up to the sequence numbers it reports.
   */
  private checkNothingLost(slot: number, d: ReturnedNumbers | undefined, why: string | undefined): void {
    const c = this.columns;
    const m = this.metricsCounters;
    m.checked++;
    if (!d) {
      m.fail(`${connectionName(c, slot)}: the target handed back no valid TCP state${why ? ` (${why})` : ''}`);
      return;
    }
    const sent = c.episodeSent[slot]!;
    const received = c.episodeBytes[slot]! - sent;
    const una = c.initialSndUna[slot]!;
    const rcv = c.initialRcvNxt[slot]!;
    const unacked = d.unacknowledged;
    const buffered = d.buffered;
    if (unacked < 0 || buffered < 0) m.fail(`${connectionName(c, slot)}: handed-back data is not contiguous and in order`);
    else if (d.sndUna - una + unacked !== sent || d.sndNxt - una !== sent)
      m.fail(`${connectionName(c, slot)}: sent ${sent} while offloaded; the target acknowledged ${d.sndUna - una} and handed back ${unacked} unacknowledged`);
    else if (this.slotByHandle.delivered(c.handle[slot]!) + buffered !== received || d.rcvNxt - rcv !== received)
      m.fail(
        `${connectionName(c, slot)}: received ${received} while offloaded; ${this.slotByHandle.delivered(c.handle[slot]!)} delivered and ${buffered} handed back`,
      );
    else if (buffered > 0 && d.receivedEnd !== d.rcvNxt) m.fail(`${connectionName(c, slot)}: buffered received data does not end at RcvNxt`);
  }

  // ---- reading ---------------------------------------------------------------------------------

  metrics(): HostMetrics {
    return this.metricsCounters.snapshot({
      occupied: this.occupied(),
      capacity: this.host.capacity(),
      open: this.columns.liveCount - this.closedOnTarget,
      offloaded: this.offloadedCount,
    });
  }
}

/** How a failed check names the connection in `slot` (a function, not a closure made per connection checked). */
function connectionName(c: ConnectionStore, slot: number): string {
  return `connection id ${c.id[slot]} (handle ${c.handle[slot]})`;
}

/** An entry's bytes are a + b: past 2^53 - 1 the sum (and every counter it reaches) is no longer exact. */
function tooManyBytes(op: string, i: number, a: number, b: number): never {
  invalid(`${op}: sent[${i}] + received[${i}] = ${a} + ${b} passes 2^53 - 1, the most bytes one entry can count exactly`, i);
}

/** Throws for entry i of a batch of ids: not an open connection, or closed already. */
function badId(op: string, i: number, id: unknown, closed: boolean): never {
  if (closed) invalid(`${op}: ids[${i}] = ${id as number} is closed already`, i);
  invalid(`${op}: ids[${i}] = ${typeName(id)} is not an open connection (ids come from open(); a closed connection's id is never valid again)`, i);
}

/** The first 16·n bytes of `a` as 32-bit words, if `a` is 4-byte aligned (else undefined: copy bytes). */
function words(a: Uint8Array, n: number): Uint32Array | undefined {
  return a.byteOffset % 4 === 0 ? new Uint32Array(a.buffer, a.byteOffset, 4 * n) : undefined;
}

/** The keys createParent hands to the table, made once per engine and rewritten for each parent. */
class ParentKey {
  readonly next = new Uint8Array(16);
  readonly source = new Uint8Array(16);
  readonly destination = new Uint8Array(16);
  readonly next32 = new Uint32Array(this.next.buffer);
  readonly source32 = new Uint32Array(this.source.buffer);
  readonly destination32 = new Uint32Array(this.destination.buffer);
  readonly neighbor = { ifIndex: 0, address: this.next };
  readonly path = { source: this.source, destination: this.destination };
}

/** The text of the address formatted last, kept for the next call with the same 16 bytes. */
class AddressText {
  private readonly words = new Uint32Array(4);
  private text = '';

  /** formatAddress(bytes, at); `words` is `bytes` as 32-bit words (`at` a multiple of 4). */
  format(bytes: Uint8Array, words: Uint32Array, at: number): string {
    const w = at >> 2;
    const own = this.words;
    if (this.text !== '' && own[0] === words[w] && own[1] === words[w + 1] && own[2] === words[w + 2] && own[3] === words[w + 3]) return this.text;
    own[0] = words[w]!;
    own[1] = words[w + 1]!;
    own[2] = words[w + 2]!;
    own[3] = words[w + 3]!;
    this.text = formatAddress(bytes, at);
    return this.text;
  }
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}
