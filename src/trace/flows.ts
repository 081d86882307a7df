// Flow assembly: TCP segments in, connections and their bytes per tick out (into a TickBatch).
//
// A connection is a bidirectional 5-tuple. It opens at its SYN or at its first packet (so
// connections already open when the capture started count too) and closes at a RST, once both
// sides have sent a FIN, after `idleTimeoutMs` without a packet, or at the end of the trace. A
// closed connection lingers for `lingerMs` so that the last ACK or a retransmitted FIN does not
// open a new one; a SYN during the linger does (the ports were reused).
//
// Everything lives in typed-array columns indexed by a slot, with slots and an open-addressing
// index reused as connections end: memory follows the connections alive, never the packet count.
//
//   index (Int32Array, power of two, linear probing):  slot + 1, or 0 for empty
//
//   per slot:  key     8 x u32   lower endpoint's address (4 words), upper endpoint's (4 words);
//              ports   u32       lower endpoint's port << 16 | upper endpoint's port
//              hash    u32       of the key, to find a slot's home when the index shifts
//              flags   u8        FROM_UPPER: the upper endpoint initiated; FIN_LO, FIN_HI
//              state   u8        OPEN or LINGER
//              id      u32       the connection's workload id (src/trace/ids.ts)
//              lastSeen, bytesLo, bytesHi, tickLo, tickHi   f64
//              touched i32       tick serial of the last tick with bytes (0: none pending)
//              prev, next i32    links of the open list or the linger list, oldest first
//
// "Lower endpoint" is the smaller (address, port) pair, so both directions find one slot.

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
const FROM_UPPER = 1;
const FIN_LO = 2;
const FIN_HI = 4;
const NONE = -1;

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
  private clock = -Infinity;

  private cap = 0;
  private index = new Int32Array(0);
  private mask = 0;
  private key = new Uint32Array(0);
  private ports = new Uint32Array(0);
  private hash = new Uint32Array(0);
  private flags = new Uint8Array(0);
  private state = new Uint8Array(0);
  private id = new Uint32Array(0);
  private ifIndex = new Uint32Array(0);
  private lastSeen = new Float64Array(0);
  private bytesLo = new Float64Array(0);
  private bytesHi = new Float64Array(0);
  private tickLo = new Float64Array(0);
  private tickHi = new Float64Array(0);
  private touched = new Int32Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private touchedList = new Int32Array(1024);
  private touchedCount = 0;
  // Heads and tails of the two lists, oldest first.
  private openHead = NONE;
  private openTail = NONE;
  private lingerHead = NONE;
  private lingerTail = NONE;

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
    this.segment(this.clock, ifIndex, payload);
  }

  /** Slot of the segment's connection, found or opened; counts its bytes. */
  private segment(now: number, ifIndex: number, payload: number): void {
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
    const ports = fromUpper ? ((seg.dstPort << 16) | seg.srcPort) >>> 0 : ((seg.srcPort << 16) | seg.dstPort) >>> 0;
    let h = Math.imul(lo[3]! ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ hi[3]! ^ (h >>> 15), 0xc2b2ae35);
    h = Math.imul(h ^ ports ^ (h >>> 13), 0x85ebca6b);
    h = Math.imul(h ^ lo[0]! ^ lo[1]! ^ lo[2]! ^ (h >>> 16), 0xc2b2ae35);
    h = (h ^ hi[0]! ^ hi[1]! ^ hi[2]! ^ (h >>> 15)) >>> 0;

    const key = this.key;
    let i = h & this.mask;
    let slot = NONE;
    for (;;) {
      const e = this.index[i]!;
      if (e === 0) break;
      const c = e - 1;
      const k = c << 3;
      if (this.hash[c] === h && this.ports[c] === ports && key[k + 3] === lo[3] && key[k + 7] === hi[3] &&
          key[k] === lo[0] && key[k + 1] === lo[1] && key[k + 2] === lo[2] && key[k + 4] === hi[0] && key[k + 5] === hi[1] && key[k + 6] === hi[2]) {
        slot = c;
        break;
      }
      i = (i + 1) & this.mask;
    }

    const flags = seg.flags;
    if (slot === NONE) {
      slot = this.newSlot(i, h, lo, hi, ports);
      this.open(slot, now, ifIndex, fromUpper, flags, seg.srcPort, seg.dstPort);
    } else if (this.state[slot] === LINGER) {
      this.lastSeen[slot] = now;
      this.moveToTail(slot, LINGER);
      if ((flags & (SYN | ACK)) !== SYN) {
        if (payload > 0) this.stats.skip('TCP payload after its connection closed (retransmissions)');
        return;
      }
      // A new SYN on a closed 5-tuple: the ports were reused, a new connection.
      this.unlink(slot, LINGER);
      this.open(slot, now, ifIndex, fromUpper, flags, seg.srcPort, seg.dstPort);
    } else {
      this.lastSeen[slot] = now;
      this.moveToTail(slot, OPEN);
    }

    if (payload > 0) {
      if (this.touched[slot] !== this.tickSerial) {
        this.touched[slot] = this.tickSerial;
        this.tickLo[slot] = 0;
        this.tickHi[slot] = 0;
        if (this.touchedCount === this.touchedList.length) {
          const g = new Int32Array(this.touchedList.length * 2);
          g.set(this.touchedList);
          this.touchedList = g;
        }
        this.touchedList[this.touchedCount++] = slot;
      }
      if (fromUpper) {
        this.tickHi[slot] = this.tickHi[slot]! + payload;
        this.bytesHi[slot] = this.bytesHi[slot]! + payload;
      } else {
        this.tickLo[slot] = this.tickLo[slot]! + payload;
        this.bytesLo[slot] = this.bytesLo[slot]! + payload;
      }
    }
    if (flags & (FIN | RST)) {
      if (flags & FIN) this.flags[slot] = this.flags[slot]! | (fromUpper ? FIN_HI : FIN_LO);
      if (flags & RST || (this.flags[slot]! & (FIN_LO | FIN_HI)) === (FIN_LO | FIN_HI)) {
        this.close(slot);
        this.state[slot] = LINGER;
        this.unlink(slot, OPEN);
        this.append(slot, LINGER);
      }
    }
  }

  private newSlot(indexPos: number, h: number, lo: Uint32Array, hi: Uint32Array, ports: number): number {
    if (this.freeCount === 0) {
      this.growSlots(this.cap * 2);
      // The index was rebuilt: find the empty position again.
      indexPos = h & this.mask;
      while (this.index[indexPos] !== 0) indexPos = (indexPos + 1) & this.mask;
    }
    const slot = this.freeSlots[--this.freeCount]!;
    this.index[indexPos] = slot + 1;
    this.hash[slot] = h;
    this.ports[slot] = ports;
    const k = slot << 3;
    this.key[k] = lo[0]!; this.key[k + 1] = lo[1]!; this.key[k + 2] = lo[2]!; this.key[k + 3] = lo[3]!;
    this.key[k + 4] = hi[0]!; this.key[k + 5] = hi[1]!; this.key[k + 6] = hi[2]!; this.key[k + 7] = hi[3]!;
    this.inUse++;
    return slot;
  }

  /** Starts a connection in `slot` and reports it in the batch's `opened`. */
  private open(slot: number, now: number, ifIndex: number, fromUpper: boolean, flags: number, srcPort: number, dstPort: number): void {
    // The initiator: the SYN's sender; the SYN-ACK's receiver; else, if only one port is
    // privileged, the other side (a client mid-stream); else the first packet's sender.
    let senderInitiated = true;
    if ((flags & (SYN | ACK)) === (SYN | ACK)) senderInitiated = false;
    else if ((flags & SYN) === 0 && srcPort < 1024 && dstPort >= 1024) senderInitiated = false;
    const upperInitiated = fromUpper === senderInitiated;
    this.flags[slot] = upperInitiated ? FROM_UPPER : 0;
    this.state[slot] = OPEN;
    this.lastSeen[slot] = now;
    this.bytesLo[slot] = 0;
    this.bytesHi[slot] = 0;
    this.touched[slot] = 0;
    this.ifIndex[slot] = ifIndex;
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
    const k = slot << 3;
    const local = upperInitiated ? k + 4 : k;
    const remote = upperInitiated ? k : k + 4;
    const ports = this.ports[slot]!;
    b.opened.localPort[o] = upperInitiated ? ports & 0xffff : ports >>> 16;
    b.opened.remotePort[o] = upperInitiated ? ports >>> 16 : ports & 0xffff;
    const at = o << 4;
    for (let w = 0; w < 4; w++) {
      const l = this.key[local + w]!;
      const r = this.key[remote + w]!;
      const p = at + (w << 2);
      b.opened.source[p] = l >>> 24; b.opened.source[p + 1] = l >>> 16; b.opened.source[p + 2] = l >>> 8; b.opened.source[p + 3] = l;
      // Next hop: the remote address (a capture does not say which router a packet left through).
      b.opened.destination[p] = r >>> 24; b.opened.destination[p + 1] = r >>> 16; b.opened.destination[p + 2] = r >>> 8; b.opened.destination[p + 3] = r;
      b.opened.nextHop[p] = r >>> 24; b.opened.nextHop[p + 1] = r >>> 16; b.opened.nextHop[p + 2] = r >>> 8; b.opened.nextHop[p + 3] = r;
    }
  }

  /** Ends the connection in `slot`: its bytes of this tick, then `closed`; the slot stays in the index. */
  private close(slot: number): void {
    const id = this.id[slot]!;
    if (this.touched[slot] === this.tickSerial) this.flushTraffic(slot);
    addClosed(this.batch, id);
    this.ids.release(id);
    const lo = this.bytesLo[slot]!;
    const hi = this.bytesHi[slot]!;
    const upper = (this.flags[slot]! & FROM_UPPER) !== 0;
    this.stats.initiatorBytes += upper ? hi : lo;
    this.stats.responderBytes += upper ? lo : hi;
    this.stats.sizes.add(lo + hi);
    this.alive--;
  }

  private flushTraffic(slot: number): void {
    this.touched[slot] = 0;
    const upper = (this.flags[slot]! & FROM_UPPER) !== 0;
    const lo = this.tickLo[slot]!;
    const hi = this.tickHi[slot]!;
    addTraffic(this.batch, this.id[slot]!, upper ? hi : lo, upper ? lo : hi);
  }

  /**
   * Ends the tick at time `now`: closes connections idle since `now - idleTimeoutMs`, forgets
   * lingering ones, and writes the tick's traffic into the batch.
   */
  endTick(now: number): void {
    while (this.openHead !== NONE && this.lastSeen[this.openHead]! + this.idleMs <= now) {
      const slot = this.openHead;
      this.close(slot);
      this.unlink(slot, OPEN);
      this.freeSlot(slot);
    }
    while (this.lingerHead !== NONE && this.lastSeen[this.lingerHead]! + this.lingerMs <= now) {
      const slot = this.lingerHead;
      this.unlink(slot, LINGER);
      this.freeSlot(slot);
    }
    this.flushTouched();
  }

  /** The trace ended: every open connection closes in this tick. */
  closeAll(): void {
    while (this.openHead !== NONE) {
      const slot = this.openHead;
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
      if (this.touched[slot] === this.tickSerial) this.flushTraffic(slot);
    }
    this.touchedCount = 0;
  }

  // Lists: `prev`/`next` links; OPEN and LINGER have their own head and tail, oldest first.
  private append(slot: number, list: number): void {
    const tail = list === OPEN ? this.openTail : this.lingerTail;
    this.prev[slot] = tail;
    this.next[slot] = NONE;
    if (tail === NONE) {
      if (list === OPEN) this.openHead = slot;
      else this.lingerHead = slot;
    } else {
      this.next[tail] = slot;
    }
    if (list === OPEN) this.openTail = slot;
    else this.lingerTail = slot;
  }

  private unlink(slot: number, list: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NONE) {
      if (list === OPEN) this.openHead = n;
      else this.lingerHead = n;
    } else {
      this.next[p] = n;
    }
    if (n === NONE) {
      if (list === OPEN) this.openTail = p;
      else this.lingerTail = p;
    } else {
      this.prev[n] = p;
    }
  }

  private moveToTail(slot: number, list: number): void {
    if ((list === OPEN ? this.openTail : this.lingerTail) === slot) return;
    this.unlink(slot, list);
    this.append(slot, list);
  }

  /** Removes `slot` from the index (backward-shift deletion keeps probe chains whole) and frees it. */
  private freeSlot(slot: number): void {
    const mask = this.mask;
    const index = this.index;
    let i = this.hash[slot]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const home = this.hash[e - 1]! & mask;
      // Move e back into the hole at i unless its home lies cyclically in (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index[i] = e;
        i = j;
      }
    }
    index[i] = 0;
    this.state[slot] = 0;
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
    this.key = g(this.key, cap * 8);
    this.ports = g(this.ports, cap);
    this.hash = g(this.hash, cap);
    this.flags = g(this.flags, cap);
    this.state = g(this.state, cap);
    this.id = g(this.id, cap);
    this.ifIndex = g(this.ifIndex, cap);
    this.lastSeen = g(this.lastSeen, cap);
    this.bytesLo = g(this.bytesLo, cap);
    this.bytesHi = g(this.bytesHi, cap);
    this.tickLo = g(this.tickLo, cap);
    this.tickHi = g(this.tickHi, cap);
    this.touched = g(this.touched, cap);
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
      if (this.state[s] === 0) continue;
      let i = this.hash[s]! & this.mask;
      while (this.index[i] !== 0) i = (i + 1) & this.mask;
      this.index[i] = s + 1;
    }
  }
}
