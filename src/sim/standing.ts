// A tick's traffic, connection by connection, from a TickBatch's one-off entries (`traffic`) and
// standing rates (`rates`, src/sim/source.ts). The oracle (and any reader that wants every
// connection's bytes of a tick in one list) reads a source through it; the host takes the rates as
// they are (HostStack.steady).
//
// The order of the list is part of what it computes, because the oracle breaks ties by it. It is
// the order of a source that lists, every tick, each connection with a standing rate and then the
// one-off entries of connections without one:
//
//   standing list   one entry per connection with a rate, in the order the rates started; a rate
//                   that stops leaves its place to the last entry (swap-remove), as a rate change
//                   arrives; a stop of a connection that has a one-off entry in the same tick is
//                   its last tick: its entry is listed with the one-off bytes and only then leaves
//                   (the last entry takes its place and is listed next)
//   one-off list    entries of the batch whose connection has no rate, in batch order
//
// This is how SyntheticWorkload listed a tick's traffic before it had rates (its transfers were a
// swap-remove list, a finished one leaving as it was passed), so the oracle's figures are those of
// that workload, tick for tick.
//
// Per standing entry (by list position, moved together on a swap-remove):
//   id Uint32 | sent Float64 | received Float64 | one-off sent | one-off received | flag Uint8
// flag: 0 nothing this tick, 1 one-off bytes this tick, 2 one-off bytes and its rate stops.
// Per connection id: pos Uint32 (list position + 1; 0 = no rate), seen Uint32 (tick stamp: it has
// one-off bytes in this tick).

import type { TickBatch } from './source.js';
import { grown } from '../util/grown.js';

const HAS_ONE_OFF = 1;
const LAST = 2;

/** The traffic of one tick: `count` entries, each connection once. */
export interface TickTraffic {
  count: number;
  id: Uint32Array;
  sent: Float64Array;
  received: Float64Array;
  /** sent + received, entry by entry. */
  bytes: Float64Array;
  /** The sum of `bytes`. */
  total: number;
}

export class TrafficByTick {
  private lId = new Uint32Array(256);
  private lSent = new Float64Array(256);
  private lReceived = new Float64Array(256);
  private lOneSent = new Float64Array(256);
  private lOneReceived = new Float64Array(256);
  private lFlag = new Uint8Array(256);
  private listed = 0;
  private pos = new Uint32Array(1024);
  private seen = new Uint32Array(1024);
  /** By entry of the batch's traffic: 1 if a standing entry took it. */
  private taken = new Uint8Array(1024);
  private stamp = 0;
  private readonly out: TickTraffic = {
    count: 0,
    id: new Uint32Array(1024),
    sent: new Float64Array(1024),
    received: new Float64Array(1024),
    bytes: new Float64Array(1024),
    total: 0,
  };

  /** Connections with a standing rate now. */
  get standing(): number {
    return this.listed;
  }

  /** Every connection id read so far is below this. */
  get idBound(): number {
    return this.pos.length;
  }

  /** The traffic of the batch's tick (valid until the next call). Batches must come in tick order. */
  read(batch: TickBatch): TickTraffic {
    const stamp = ++this.stamp;
    const { traffic, closed } = batch;
    const rates = batch.rates;
    this.roomForIds(traffic, rates, closed);
    const pos = this.pos;
    const seen = this.seen;
    // Which connections have one-off bytes: a stop of one of them is its last tick.
    for (let i = 0; i < traffic.count; i++) seen[traffic.id[i]!] = stamp;
    if (rates) for (let i = 0; i < rates.count; i++) this.change(rates.id[i]!, rates.sent[i]!, rates.received[i]!, stamp);
    // A close stops a rate too.
    for (let i = 0; i < closed.count; i++) if (pos[closed.id[i]!]) this.change(closed.id[i]!, 0, 0, stamp);
    // One-off bytes of connections with a rate ride on their list entry.
    if (this.taken.length < traffic.count) this.taken = grown(this.taken, traffic.count);
    const taken = this.taken;
    for (let i = 0; i < traffic.count; i++) {
      const p = pos[traffic.id[i]!]!;
      taken[i] = +(p !== 0);
      if (p === 0) continue;
      this.lOneSent[p - 1]! += traffic.sent[i]!;
      this.lOneReceived[p - 1]! += traffic.received[i]!;
      this.lFlag[p - 1]! |= HAS_ONE_OFF;
    }

    const out = this.out;
    const room = this.listed + traffic.count;
    if (out.id.length < room) {
      out.id = grown(out.id, room);
      out.sent = grown(out.sent, room);
      out.received = grown(out.received, room);
      out.bytes = grown(out.bytes, room);
    }
    const { id: oId, sent: oSent, received: oReceived, bytes: oBytes } = out;
    let total = 0;
    const { lId, lSent, lReceived, lOneSent, lOneReceived, lFlag } = this;
    let n = 0;
    let i = 0;
    while (i < this.listed) {
      const flag = lFlag[i]!;
      oId[n] = lId[i]!;
      if (flag === 0) {
        const a = lSent[i]!;
        const b = lReceived[i]!;
        oSent[n] = a;
        oReceived[n] = b;
        oBytes[n++] = a + b;
        total += a + b;
        i++;
        continue;
      }
      const last = flag & LAST;
      const a = (last ? 0 : lSent[i]!) + lOneSent[i]!;
      const b = (last ? 0 : lReceived[i]!) + lOneReceived[i]!;
      oSent[n] = a;
      oReceived[n] = b;
      oBytes[n++] = a + b;
      total += a + b;
      lOneSent[i] = lOneReceived[i] = 0;
      lFlag[i] = 0;
      if (last) this.remove(i);
      else i++;
    }
    for (let k = 0; k < traffic.count; k++) {
      if (taken[k]) continue;
      const a = traffic.sent[k]!;
      const b = traffic.received[k]!;
      oId[n] = traffic.id[k]!;
      oSent[n] = a;
      oReceived[n] = b;
      oBytes[n++] = a + b;
      total += a + b;
    }
    out.count = n;
    out.total = total;
    return out;
  }

  /** A rate change of connection `id`, applied as it arrives (a stop with one-off bytes: at its turn in the list). */
  private change(id: number, sent: number, received: number, stamp: number): void {
    const p = this.pos[id]!;
    if (sent + received > 0) {
      if (p === 0) {
        const at = this.listed++;
        if (at === this.lId.length) this.growList();
        this.lId[at] = id;
        this.lSent[at] = sent;
        this.lReceived[at] = received;
        this.pos[id] = at + 1;
      } else {
        this.lSent[p - 1] = sent;
        this.lReceived[p - 1] = received;
        this.lFlag[p - 1]! &= ~LAST;
      }
    } else if (p !== 0) {
      if (this.seen[id] === stamp) this.lFlag[p - 1]! |= LAST;
      else this.remove(p - 1);
    }
  }

  /** Takes list entry i out; the last entry moves into its place. */
  private remove(i: number): void {
    const last = --this.listed;
    this.pos[this.lId[i]!] = 0;
    if (i === last) return;
    const moved = this.lId[last]!;
    this.lId[i] = moved;
    this.lSent[i] = this.lSent[last]!;
    this.lReceived[i] = this.lReceived[last]!;
    this.lOneSent[i] = this.lOneSent[last]!;
    this.lOneReceived[i] = this.lOneReceived[last]!;
    this.lFlag[i] = this.lFlag[last]!;
    this.lOneSent[last] = this.lOneReceived[last] = 0;
    this.lFlag[last] = 0;
    this.pos[moved] = i + 1;
  }

  private growList(): void {
    const n = this.lId.length * 2;
    this.lId = grown(this.lId, n);
    this.lSent = grown(this.lSent, n);
    this.lReceived = grown(this.lReceived, n);
    this.lOneSent = grown(this.lOneSent, n);
    this.lOneReceived = grown(this.lOneReceived, n);
    this.lFlag = grown(this.lFlag, n);
  }

  /** Makes the by-id arrays long enough for every id of the batch. */
  private roomForIds(...parts: ({ count: number; id: Uint32Array } | undefined)[]): void {
    let max = -1;
    for (const part of parts) if (part) for (let i = 0; i < part.count; i++) if (part.id[i]! > max) max = part.id[i]!;
    if (max < this.pos.length) return;
    this.pos = grown(this.pos, max + 1);
    this.seen = grown(this.seen, max + 1);
  }
}
