// Flow assembly: TCP segments in, connections and their bytes per tick out (into a TickBatch).
//
// A connection is a bidirectional 5-tuple. It opens at its SYN or at its first packet (so
// connections already open when the capture started count too) and closes at a RST, once both
// sides have sent a FIN, after `idleTimeoutMs` without a packet, or at the end of the trace. A
// closed connection lingers for `lingerMs` so that the last ACK or a retransmitted FIN does not
// open a new one; a SYN during the linger does (the ports were reused).
//
// Everything lives in typed arrays indexed by a slot, with slots and an open-addressing index
// reused as connections end: memory follows the connections alive, never the packet count. What
// every packet reads and writes sits in one 64-byte record per slot (one cache line), so a packet
// costs the index entry and that line; the rest is touched once per tick or per connection.
//
//   index (Int32Array, power of two, at most half full, linear probing): slot + 1, or 0 for empty
//
//   hot record, 16 x i32 per slot (an f64 view for the first two fields); int32 everywhere keeps
//   the words unboxed in optimized code:
//   +------------+------------+------+-------+--------------+--------------+------+----------+
//   | tickLo f64 | tickHi f64 | hash | ports | key lo 4 x u32 | key hi 4 x u32 | bits | seenTick |
//   +------------+------------+------+-------+--------------+--------------+------+----------+
//    words 0-1    2-3          4      5       6-9            10-13          14     15
//     tickLo/Hi  payload of this tick from the lower / upper endpoint
//     hash       of the key, to find a slot's home when the index shifts
//     ports      lower endpoint's port << 16 | upper endpoint's port
//     key        the endpoints' addresses as big-endian words (IPv4 mapped into IPv6)
//     bits       state (OPEN 1, LINGER 2) | FROM_UPPER (the upper endpoint initiated) | FIN_LO |
//                FIN_HI | TOUCHED (in the list of slots with bytes this tick)
//     seenTick   tick serial of the last packet
//
//   cold columns: id (workload id, src/trace/ids.ts), lastSeen f64 (end of the tick of
//   the last packet: expiry works in whole ticks), bytesLo/bytesHi f64 (totals up to the last
//   tick), prev/next (the open list or the linger list by lastSeen, oldest first: a slot moves
//   to the tail at its first packet of a tick)
//
// "Lower endpoint" is the smaller (address, port) pair comparing the words as signed integers
// (any fixed order would do), so both directions find one slot.

import type { TickBatch } from '../sim/source.js';
import { addClosed, addOpened, addTraffic } from './batch.js';
import { ACK, FIN, RST, SYN, Segment, SKIP_REASONS, decodeFrame } from './decode.js';
import { IdPool } from './ids.js';
import { FlowSizes } from './sizes.js';

export interface FlowOptions {
  /** A connection with no packet for this long is closed (default 300,000 ms, as Zeek's TCP inactivity timeout). */
  idleTimeoutMs?: number;
  /** How long a closed connection's 5-tuple absorbs stray packets (default 5,000 ms). */
  lingerMs?: number;
}

const OPEN = 1;
const LINGER = 2;
const STATE = 3;
const FROM_UPPER = 4;
const FIN_LO = 8;
const FIN_HI = 16;
const TOUCHED = 32;
const NONE = -1;
// Hot record: words per slot and word offsets.
const REC = 16;
const HASH = 4;
const PORTS = 5;
const KEY = 6;
const BITS = 14;
const SEEN = 15;

/** What a trace held, beyond the connections themselves. */
export class TraceStats {
  /** Records read (packets of every kind). */
  packets = 0;
  tcpPackets = 0;
  /** TCP payload both ways, as the IP headers state it. */
  payloadBytes = 0;
  /** Payload sent by the side that opened each connection / by the other side. */
  initiatorBytes = 0;
  responderBytes = 0;
  connections = 0;
  /** Decode skips by Skip code (index -code). */
  readonly skipCodes = new Float64Array(8);
  /** Other reasons (from the readers): reason -> packets. */
  readonly skipOther = new Map<string, number>();
  readonly sizes = new FlowSizes();
  /** First and last packet timestamps (ms since the epoch). */
  firstMs = NaN;
  lastMs = NaN;

  constructor() {
    // Start every counter as a double: a field that starts as a small integer and outgrows it
    // (payload passes 2^31 bytes early) would change the object's shape mid-run and throw away
    // the optimized code of every function that touches it.
    for (const k of ['packets', 'tcpPackets', 'payloadBytes', 'initiatorBytes', 'responderBytes', 'connections'] as const) {
      this[k] = 0.5;
      this[k] = 0;
    }
  }

  skip(reason: string, n = 1): void {
    this.skipOther.set(reason, (this.skipOther.get(reason) ?? 0) + n);
  }

  /** reason -> packets, for reports. */
  skipped(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let c = 1; c < this.skipCodes.length; c++) if (this.skipCodes[c]) out[SKIP_REASONS[-c]!] = this.skipCodes[c]!;
    for (const [k, v] of this.skipOther) out[k] = v;
    return out;
  }
}

export class FlowAssembler {
  readonly stats = new TraceStats();
  readonly ids = new IdPool();
  /** The batch of the current tick; set by the workload before each tick. */
  batch!: TickBatch;
  /** Connections open now (not lingering). */
  alive = 0;
  /** Slots in use (open or lingering). */
  inUse = 0;
  private readonly idleMs: number;
  private readonly lingerMs: number;
  private readonly seg = new Segment();
  private tickSerial = 1;
  /** End of the current tick (trace time): what `lastSeen` records. Set by the workload. */
  tickEnd = -Infinity;
  private clock = -Infinity;

  private cap = 0;
  private index = new Int32Array(0);
  private mask = 0;
  private rec = new Int32Array(0);
  private recf = new Float64Array(0);
  private id = new Uint32Array(0);
  private lastSeen = new Float64Array(0);
  private bytesLo = new Float64Array(0);
  private bytesHi = new Float64Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private touchedList = new Int32Array(1024);
  private touchedCount = 0;
  // Heads and tails of the two lists, oldest first.
  private readonly ends = new Int32Array([NONE, NONE, NONE, NONE]);

  constructor(options: FlowOptions = {}) {
    this.idleMs = options.idleTimeoutMs ?? 300_000;
    this.lingerMs = options.lingerMs ?? 5_000;
    this.growSlots(1024);
  }

  /**
   * One captured frame at `tsMs` (ms since the epoch) on interface `ifIndex`, bytes
   * [off, off+caplen) of `bytes`. Hot path: no allocation.
   */
  frame(tsMs: number, ifIndex: number, linkType: number, bytes: Uint8Array, view: DataView, off: number, caplen: number): void {
    const stats = this.stats;
    stats.packets++;
    // Timestamps that go back (several interfaces, a clock step) count at the latest time seen.
    if (tsMs > this.clock) this.clock = tsMs;
    if (stats.packets === 1) stats.firstMs = tsMs;
    stats.lastMs = this.clock;
    const seg = this.seg;
    const payload = decodeFrame(linkType, bytes, view, off, caplen, seg);
    if (payload < 0) {
      stats.skipCodes[-payload] = stats.skipCodes[-payload]! + 1;
      return;
    }
    stats.tcpPackets++;
    stats.payloadBytes += payload;
    this.segment(ifIndex, payload);
  }

  /** Slot of the segment's connection, found or opened; counts its bytes. */
  private segment(ifIndex: number, payload: number): void {
    const seg = this.seg;
    const s = seg.src;
    const d = seg.dst;
    // Which endpoint is lower: compare (address, port) of source and destination.
    let fromUpper = false;
    if (s[0] !== d[0]) fromUpper = s[0]! > d[0]!;
    else if (s[1] !== d[1]) fromUpper = s[1]! > d[1]!;
    else if (s[2] !== d[2]) fromUpper = s[2]! > d[2]!;
    else if (s[3] !== d[3]) fromUpper = s[3]! > d[3]!;
    else fromUpper = seg.srcPort > seg.dstPort;
    const lo = fromUpper ? d : s;
    const hi = fromUpper ? s : d;
    const ports = fromUpper ? (seg.dstPort << 16) | seg.srcPort : (seg.srcPort << 16) | seg.dstPort;
    let h = Math.imul(lo[3]! ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ hi[3]! ^ (h >>> 15), 0xc2b2ae35);
    h = Math.imul(h ^ ports ^ (h >>> 13), 0x85ebca6b);
    h = Math.imul(h ^ lo[0]! ^ lo[1]! ^ lo[2]! ^ (h >>> 16), 0xc2b2ae35);
    h = h ^ hi[0]! ^ hi[1]! ^ hi[2]! ^ (h >>> 15);

    const r = this.rec;
    let i = h & this.mask;
    let slot = NONE;
    for (;;) {
      const e = this.index[i]!;
      if (e === 0) break;
      const k = (e - 1) * REC;
      if (
        r[k + HASH] === h &&
        r[k + PORTS] === ports &&
        r[k + KEY + 3] === lo[3] &&
        r[k + KEY + 7] === hi[3] &&
        r[k + KEY] === lo[0] &&
        r[k + KEY + 1] === lo[1] &&
        r[k + KEY + 2] === lo[2] &&
        r[k + KEY + 4] === hi[0] &&
        r[k + KEY + 5] === hi[1] &&
        r[k + KEY + 6] === hi[2]
      ) {
        slot = e - 1;
        break;
      }
      i = (i + 1) & this.mask;
    }

    const flags = seg.flags;
    let k: number;
    if (slot === NONE) {
      slot = this.newSlot(i, h, lo, hi, ports);
      this.open(slot, ifIndex, fromUpper, flags, seg.srcPort, seg.dstPort);
      k = slot * REC;
    } else {
      k = slot * REC;
      if ((this.rec[k + BITS]! & STATE) === LINGER) {
        this.seen(slot, k, LINGER);
        if ((flags & (SYN | ACK)) !== SYN) {
          if (payload > 0) this.stats.skip('TCP payload after its connection closed (retransmissions)');
          return;
        }
        // A new SYN on a closed 5-tuple: the ports were reused, a new connection.
        this.unlink(slot, LINGER);
        this.open(slot, ifIndex, fromUpper, flags, seg.srcPort, seg.dstPort);
      } else if (this.rec[k + SEEN] !== this.tickSerial) {
        this.seen(slot, k, OPEN);
      }
    }

    const rec = this.rec;
    let bits = rec[k + BITS]!;
    if (payload > 0) {
      const f = slot << 3;
      const recf = this.recf;
      if ((bits & TOUCHED) === 0) {
        bits |= TOUCHED;
        rec[k + BITS] = bits;
        recf[f] = 0;
        recf[f + 1] = 0;
        if (this.touchedCount === this.touchedList.length) this.growTouched();
        this.touchedList[this.touchedCount++] = slot;
      }
      if (fromUpper) recf[f + 1] = recf[f + 1]! + payload;
      else recf[f] = recf[f]! + payload;
    }
    if (flags & (FIN | RST)) {
      if (flags & FIN) rec[k + BITS] = bits |= fromUpper ? FIN_HI : FIN_LO;
      if (flags & RST || (bits & (FIN_LO | FIN_HI)) === (FIN_LO | FIN_HI)) this.linger(slot, k);
    }
  }

  /** The slot's first packet in this tick: note the time, move it to the tail of its list. */
  private seen(slot: number, k: number, list: number): void {
    if (this.rec[k + SEEN] === this.tickSerial) return;
    this.rec[k + SEEN] = this.tickSerial;
    this.lastSeen[slot] = this.tickEnd;
    this.moveToTail(slot, list);
  }

  /** Closes the connection at a RST or the second FIN; its 5-tuple lingers. */
  private linger(slot: number, k: number): void {
    this.close(slot);
    this.rec[k + BITS] = (this.rec[k + BITS]! & ~STATE) | LINGER;
    this.unlink(slot, OPEN);
    this.append(slot, LINGER);
  }

  private growTouched(): void {
    const g = new Int32Array(this.touchedList.length * 2);
    g.set(this.touchedList);
    this.touchedList = g;
  }

  private newSlot(indexPos: number, h: number, lo: Int32Array, hi: Int32Array, ports: number): number {
    if (this.freeCount === 0) {
      this.growSlots(this.cap * 2);
      // The index was rebuilt: find the empty position again.
      indexPos = h & this.mask;
      while (this.index[indexPos] !== 0) indexPos = (indexPos + 1) & this.mask;
    }
    const slot = this.freeSlots[--this.freeCount]!;
    this.index[indexPos] = slot + 1;
    const r = this.rec;
    const k = slot * REC;
    r[k + HASH] = h;
    r[k + PORTS] = ports;
    r[k + KEY] = lo[0]!;
    r[k + KEY + 1] = lo[1]!;
    r[k + KEY + 2] = lo[2]!;
    r[k + KEY + 3] = lo[3]!;
    r[k + KEY + 4] = hi[0]!;
    r[k + KEY + 5] = hi[1]!;
    r[k + KEY + 6] = hi[2]!;
    r[k + KEY + 7] = hi[3]!;
    this.inUse++;
    return slot;
  }

  /** Starts a connection in `slot` and reports it in the batch's `opened`. */
  private open(slot: number, ifIndex: number, fromUpper: boolean, flags: number, srcPort: number, dstPort: number): void {
    // The initiator: the SYN's sender; the SYN-ACK's receiver; else, if only one port is
    // privileged, the other side (a client mid-stream); else the first packet's sender.
    let senderInitiated = true;
    if ((flags & (SYN | ACK)) === (SYN | ACK)) senderInitiated = false;
    else if ((flags & SYN) === 0 && srcPort < 1024 && dstPort >= 1024) senderInitiated = false;
    const upperInitiated = fromUpper === senderInitiated;
    const rk = slot * REC;
    this.rec[rk + BITS] = OPEN | (upperInitiated ? FROM_UPPER : 0);
    this.rec[rk + SEEN] = this.tickSerial;
    this.lastSeen[slot] = this.tickEnd;
    this.bytesLo[slot] = 0;
    this.bytesHi[slot] = 0;
    const id = this.ids.acquire();
    this.id[slot] = id;
    this.append(slot, OPEN);
    this.alive++;
    this.stats.connections++;

    const b = this.batch;
    const o = addOpened(b);
    b.opened.id[o] = id;
    b.opened.ifIndex[o] = ifIndex;
    b.opened.priority[o] = 0;
    const local = upperInitiated ? rk + KEY + 4 : rk + KEY;
    const remote = upperInitiated ? rk + KEY : rk + KEY + 4;
    const ports = this.rec[rk + PORTS]!;
    b.opened.localPort[o] = upperInitiated ? ports & 0xffff : ports >>> 16;
    b.opened.remotePort[o] = upperInitiated ? ports >>> 16 : ports & 0xffff;
    const at = o << 4;
    for (let w = 0; w < 4; w++) {
      const l = this.rec[local + w]!;
      const r = this.rec[remote + w]!;
      const p = at + (w << 2);
      b.opened.source[p] = l >>> 24;
      b.opened.source[p + 1] = l >>> 16;
      b.opened.source[p + 2] = l >>> 8;
      b.opened.source[p + 3] = l;
      // Next hop: the remote address (a capture does not say which router a packet left through).
      b.opened.destination[p] = r >>> 24;
      b.opened.destination[p + 1] = r >>> 16;
      b.opened.destination[p + 2] = r >>> 8;
      b.opened.destination[p + 3] = r;
      b.opened.nextHop[p] = r >>> 24;
      b.opened.nextHop[p + 1] = r >>> 16;
      b.opened.nextHop[p + 2] = r >>> 8;
      b.opened.nextHop[p + 3] = r;
    }
  }

  /** Ends the connection in `slot`: its bytes of this tick, then `closed`; the slot stays in the index. */
  private close(slot: number): void {
    const id = this.id[slot]!;
    if (this.rec[slot * REC + BITS]! & TOUCHED) this.flushTraffic(slot);
    addClosed(this.batch, id);
    this.ids.release(id);
    const lo = this.bytesLo[slot]!;
    const hi = this.bytesHi[slot]!;
    const upper = (this.rec[slot * REC + BITS]! & FROM_UPPER) !== 0;
    this.stats.initiatorBytes += upper ? hi : lo;
    this.stats.responderBytes += upper ? lo : hi;
    this.stats.sizes.add(lo + hi);
    this.alive--;
  }

  private flushTraffic(slot: number): void {
    const k = slot * REC;
    const bits = this.rec[k + BITS]!;
    this.rec[k + BITS] = bits & ~TOUCHED;
    const upper = (bits & FROM_UPPER) !== 0;
    const lo = this.recf[slot << 3]!;
    const hi = this.recf[(slot << 3) + 1]!;
    this.bytesLo[slot] = this.bytesLo[slot]! + lo;
    this.bytesHi[slot] = this.bytesHi[slot]! + hi;
    addTraffic(this.batch, this.id[slot]!, upper ? hi : lo, upper ? lo : hi);
  }

  /**
   * Ends the tick at time `now`: closes connections idle since `now - idleTimeoutMs`, forgets
   * lingering ones, and writes the tick's traffic into the batch.
   */
  endTick(now: number): void {
    const ends = this.ends;
    for (let slot = ends[0]!; slot !== NONE && this.lastSeen[slot]! + this.idleMs <= now; slot = ends[0]!) {
      this.close(slot);
      this.unlink(slot, OPEN);
      this.freeSlot(slot);
    }
    for (let slot = ends[2]!; slot !== NONE && this.lastSeen[slot]! + this.lingerMs <= now; slot = ends[2]!) {
      this.unlink(slot, LINGER);
      this.freeSlot(slot);
    }
    this.flushTouched();
  }

  /** The trace ended: every open connection closes in this tick. */
  closeAll(): void {
    for (let slot = this.ends[0]!; slot !== NONE; slot = this.ends[0]!) {
      this.close(slot);
      this.unlink(slot, OPEN);
      this.freeSlot(slot);
    }
    this.flushTouched();
  }

  /** Starts the next tick (after the consumer has read the batch). */
  nextTick(batch: TickBatch): void {
    this.batch = batch;
    this.ids.endTick();
    this.tickSerial++;
  }

  private flushTouched(): void {
    const list = this.touchedList;
    for (let i = 0; i < this.touchedCount; i++) {
      const slot = list[i]!;
      if (this.rec[slot * REC + BITS]! & TOUCHED) this.flushTraffic(slot);
    }
    this.touchedCount = 0;
  }

  // Lists: `prev`/`next` links; OPEN and LINGER each have a head and a tail in `ends`
  // (head at 2 * list - 2, tail at 2 * list - 1), oldest first. Typed-array ends keep these
  // small functions free of branches on the list, which the optimizer would otherwise see only
  // one side of early on.
  private append(slot: number, list: number): void {
    const ends = this.ends;
    const tail = ends[2 * list - 1]!;
    this.prev[slot] = tail;
    this.next[slot] = NONE;
    if (tail === NONE) ends[2 * list - 2] = slot;
    else this.next[tail] = slot;
    ends[2 * list - 1] = slot;
  }

  private unlink(slot: number, list: number): void {
    const ends = this.ends;
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NONE) ends[2 * list - 2] = n;
    else this.next[p] = n;
    if (n === NONE) ends[2 * list - 1] = p;
    else this.prev[n] = p;
  }

  private moveToTail(slot: number, list: number): void {
    if (this.ends[2 * list - 1] === slot) return;
    this.unlink(slot, list);
    this.append(slot, list);
  }

  /** Removes `slot` from the index (backward-shift deletion keeps probe chains whole) and frees it. */
  private freeSlot(slot: number): void {
    const mask = this.mask;
    const index = this.index;
    const r = this.rec;
    let i = r[slot * REC + HASH]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const home = r[(e - 1) * REC + HASH]! & mask;
      // Move e back into the hole at i unless its home lies cyclically in (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = e;
        i = j;
      }
    }
    index[i] = 0;
    r[slot * REC + BITS] = 0;
    this.freeSlots[this.freeCount++] = slot;
    this.inUse--;
  }

  private growSlots(cap: number): void {
    const old = this.cap;
    const g = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T, n: number): T => {
      const out = new (a.constructor as new (n: number) => T)(n);
      out.set(a);
      return out;
    };
    const rec = new Int32Array(cap * REC);
    rec.set(this.rec);
    this.rec = rec;
    this.recf = new Float64Array(rec.buffer);
    this.id = g(this.id, cap);
    this.lastSeen = g(this.lastSeen, cap);
    this.bytesLo = g(this.bytesLo, cap);
    this.bytesHi = g(this.bytesHi, cap);
    this.prev = g(this.prev, cap);
    this.next = g(this.next, cap);
    const free = new Int32Array(cap);
    free.set(this.freeSlots.subarray(0, this.freeCount));
    // New slots are handed out lowest first.
    for (let s = cap - 1; s >= old; s--) free[this.freeCount++] = s;
    this.freeSlots = free;
    this.cap = cap;
    // The index stays at most half full.
    this.index = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    for (let s = 0; s < old; s++) {
      if ((rec[s * REC + BITS]! & STATE) === 0) continue;
      let i = rec[s * REC + HASH]! & this.mask;
      while (this.index[i] !== 0) i = (i + 1) & this.mask;
      this.index[i] = s + 1;
    }
  }
}
