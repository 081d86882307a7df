// The simulated target's TCP state, one row per offloaded connection, in typed-array columns: no
// JS object per connection, so a run over a million connections costs a few passes over arrays.
//
//   slot:        0        1        2     ...  count-1 | (room to grow, doubled when full)
//   handle     [ h7     | h3     | h12  | ... ]          Float64Array (handles are safe integers)
//   path       [ p1     | p1     | p4   | ... ]          the connection's path handle
//   sndUna     [        |        |      | ... ]  \
//   sndNxt     [        |        |      | ... ]   |      sequence numbers, Float64Array
//   rcvNxt     [        |        |      | ... ]   |      (plain numbers: no wrap is modelled)
//   delivered  [        |        |      | ... ]  /       received bytes before this reached the host
//   cWnd, ssThresh, sRtt, rttVar                          Float64Array
//   rateSent, rateReceived                                standing traffic: bytes every step adds
//   slotOf: HandleIndex, handle -> slot
//
// Rows are dense: removing a row moves the last row into its place, so a pass touches exactly the
// connections held. The byte queues need no storage of their own. Sends are appended at SndNxt and
// acknowledged from SndUna, receives appended at RcvNxt and delivered from `delivered`, always in
// order and without gaps, so the two queues are exactly [SndUna, SndNxt) and [delivered, RcvNxt):
// the segments handed back on termination are computed from the columns, in order, nothing lost.

import type { DelegatedState, Segment } from './offload-target.js';
import { HandleIndex } from './handle-index.js';
import { MULBERRY32_STEP, mulberry32Draw, type SeededRandom } from '../util/random.js';

const SND_WND = 65535;
const INITIAL_CWND = 14600;
const INITIAL_SSTHRESH = 65535;
const MSS = 1460;
/** How far past the expected place trafficBatch looks for a handle in the previous call's list. */
const LOOKAHEAD = 4;

export class TcpColumns {
  /** Rows in use: slots 0..count-1. */
  count = 0;
  handle = new Float64Array(0);
  path = new Float64Array(0);
  sndUna = new Float64Array(0);
  sndNxt = new Float64Array(0);
  rcvNxt = new Float64Array(0);
  delivered = new Float64Array(0);
  cWnd = new Float64Array(0);
  ssThresh = new Float64Array(0);
  sRtt = new Float64Array(0);
  rttVar = new Float64Array(0);
  /** Standing traffic (steady()): bytes sent and received that every step() adds, until changed. */
  rateSent = new Float64Array(0);
  rateReceived = new Float64Array(0);
  private readonly slotOf = new HandleIndex();
  /** The deliveries of the last step() given no callback: handle and bytes, stepDeliveries entries. */
  stepHandles = new Float64Array(0);
  stepBytes = new Float64Array(0);
  stepDeliveries = 0;
  /** The previous trafficBatch's handles and the rows found for them (-1: not held), and a spare pair. */
  private seen = new Float64Array(0);
  private seenRow = new Int32Array(0);
  private seenCount = 0;
  private nextSeen = new Float64Array(0);
  private nextSeenRow = new Int32Array(0);

  /** The row of a connection, or -1 if it is not held. */
  slot(handle: number): number {
    // 0 marks an empty entry of the index: looked up, it would find an empty entry's stale row.
    return handle > 0 ? this.slotOf.get(handle) : -1;
  }

  /** Adds a connection taking over at the host's sequence numbers; bytes in [sndUna, sndNxt) come along unacknowledged. */
  add(handle: number, path: number, tcp: { sndUna: number; sndNxt: number; rcvNxt: number }): number {
    if (this.count === this.handle.length) this.grow();
    const s = this.count++;
    this.slotOf.set(handle, s);
    this.handle[s] = handle;
    this.path[s] = path;
    this.sndUna[s] = tcp.sndUna;
    this.sndNxt[s] = tcp.sndNxt;
    this.rcvNxt[s] = tcp.rcvNxt;
    this.delivered[s] = tcp.rcvNxt;
    this.cWnd[s] = INITIAL_CWND;
    this.ssThresh[s] = INITIAL_SSTHRESH;
    this.sRtt[s] = 0;
    this.rttVar[s] = 0;
    this.rateSent[s] = 0;
    this.rateReceived[s] = 0;
    return s;
  }

  /** Removes a connection's row (the last row moves into it). */
  remove(handle: number): void {
    const s = this.slotOf.get(handle);
    if (s < 0) return;
    this.slotOf.delete(handle);
    const last = --this.count;
    if (s === last) return;
    this.handle[s] = this.handle[last]!;
    this.path[s] = this.path[last]!;
    this.sndUna[s] = this.sndUna[last]!;
    this.sndNxt[s] = this.sndNxt[last]!;
    this.rcvNxt[s] = this.rcvNxt[last]!;
    this.delivered[s] = this.delivered[last]!;
    this.cWnd[s] = this.cWnd[last]!;
    this.ssThresh[s] = this.ssThresh[last]!;
    this.sRtt[s] = this.sRtt[last]!;
    this.rttVar[s] = this.rttVar[last]!;
    this.rateSent[s] = this.rateSent[last]!;
    this.rateReceived[s] = this.rateReceived[last]!;
    this.slotOf.set(this.handle[s]!, s);
  }

  /** The application sent `sent` bytes and the peer `received` bytes on row `s`. */
  traffic(s: number, sent: number, received: number): void {
    this.sndNxt[s]! += sent;
    this.rcvNxt[s]! += received;
  }

  /** The peer acknowledges `bytes` (at most what is outstanding) after a round trip of `rtt` ms. */
  acknowledge(s: number, bytes: number, rtt: number): void {
    const { sndUna, sndNxt, sRtt, rttVar, cWnd } = this;
    const una = sndUna[s]!;
    const acked = Math.min(bytes, sndNxt[s]! - una);
    if (acked <= 0) return;
    sndUna[s] = una + acked;
    // RFC 6298 smoothing, and slow start / congestion avoidance.
    const srtt = sRtt[s]!;
    if (srtt === 0) {
      sRtt[s] = rtt;
      rttVar[s] = rtt / 2;
    } else {
      rttVar[s] = 0.75 * rttVar[s]! + 0.25 * Math.abs(srtt - rtt);
      sRtt[s] = 0.875 * srtt + 0.125 * rtt;
    }
    const w = cWnd[s]!;
    cWnd[s] = w + (w < this.ssThresh[s]! ? Math.min(acked, MSS) : Math.max(1, Math.floor((MSS * MSS) / w)));
  }

  /**
   * One clock step for every row: the row's standing traffic (steady()) is added, the peer acknowledges a random share of what is outstanding
   * (after a random round trip of 1..51 ms), and with probability `deliverProbability` the posted
   * receive buffers take a random share of what is buffered. Each delivery is told to `delivered`
   * (handle, bytes), or without it collected in stepHandles/stepBytes (stepDeliveries entries, in
   * row order), so a whole step's deliveries are one batch with no call per row. The same draws in
   * the same order as acknowledge() and deliver() one by one.
   */
  step(random: SeededRandom, deliverProbability: number, delivered?: (handle: number, bytes: number) => void): void {
    // One pass over the rows, columns in locals, acknowledge() inlined: this is the target's hot
    // loop in a long run (a million-connection run steps 20,000 rows 600 times). The generator's
    // state is a local here, each draw `mulberry32Draw(a = (a + MULBERRY32_STEP) | 0)`: exactly
    // random() (src/util/random.ts), with no call and no memory access per draw.
    const state = random.state;
    let a = state[0]!;
    const { sndUna, sndNxt, rcvNxt, handle, sRtt, rttVar, cWnd, ssThresh, rateSent, rateReceived } = this;
    const got = this.delivered;
    const count = this.count;
    if (!delivered && this.stepHandles.length < count) {
      this.stepHandles = new Float64Array(Math.max(1024, count * 2));
      this.stepBytes = new Float64Array(Math.max(1024, count * 2));
    }
    const outHandles = this.stepHandles;
    const outBytes = this.stepBytes;
    let k = 0;
    for (let s = 0; s < count; s++) {
      // Standing traffic first, as trafficBatch() just before the step would have added it.
      const nxt = sndNxt[s]! + rateSent[s]!;
      sndNxt[s] = nxt;
      const rcv = rcvNxt[s]! + rateReceived[s]!;
      rcvNxt[s] = rcv;
      const una = sndUna[s]!;
      const outstanding = nxt - una;
      if (outstanding > 0) {
        // acknowledge(s, floor(outstanding * random()), 1 + random() * 50), both draws always made.
        const acked = Math.floor(outstanding * mulberry32Draw((a = (a + MULBERRY32_STEP) | 0)));
        const rtt = 1 + mulberry32Draw((a = (a + MULBERRY32_STEP) | 0)) * 50;
        if (acked > 0) {
          sndUna[s] = una + acked;
          const srtt = sRtt[s]!;
          if (srtt === 0) {
            sRtt[s] = rtt;
            rttVar[s] = rtt / 2;
          } else {
            rttVar[s] = 0.75 * rttVar[s]! + 0.25 * Math.abs(srtt - rtt);
            sRtt[s] = 0.875 * srtt + 0.125 * rtt;
          }
          const w = cWnd[s]!;
          cWnd[s] = w + (w < ssThresh[s]! ? Math.min(acked, MSS) : Math.max(1, Math.floor((MSS * MSS) / w)));
        }
      }
      const buffered = rcv - got[s]!;
      if (buffered > 0 && mulberry32Draw((a = (a + MULBERRY32_STEP) | 0)) < deliverProbability) {
        const n = Math.min(buffered, Math.ceil(buffered * mulberry32Draw((a = (a + MULBERRY32_STEP) | 0))));
        if (n > 0) {
          got[s]! += n;
          if (delivered) {
            // The callback may draw (a host reacting to a delivery): the state is its to see.
            state[0] = a;
            delivered(handle[s]!, n);
            a = state[0]!;
          } else {
            outHandles[k] = handle[s]!;
            outBytes[k++] = n;
          }
        }
      }
    }
    state[0] = a;
    this.stepDeliveries = k;
  }

  /**
   * Adds traffic to many connections; handles not held are skipped.
   *
   * A host passes much the same handles in much the same order at every tick (its own slot order),
   * so each entry first tries the row the previous call found for the handle at the same place in
   * its list (or a few places on, where handles dropped out); the handle column confirms it, since
   * a row moves when another is removed. Only a miss costs a hash lookup, and a hash lookup is a
   * cache miss or two at twenty thousand connections where the previous call's list is read in order.
   *
   *   previous call:  seen [ h3 | h9 | h4 | h8 ... ]   seenRow [ 12 | 40 | 7 | 3 ... ]
   *   this call:       h3 (at 0: row 12, handle[12] === h3 ok)  h4 (at 2, one dropped out)  h5 (new: hash)
   */
  trafficBatch(handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): void {
    const { sndNxt, rcvNxt, slotOf, handle: held } = this;
    const n = handles.length;
    const seen = this.seen;
    const seenRow = this.seenRow;
    const seenCount = this.seenCount;
    if (this.nextSeen.length < n) {
      this.nextSeen = new Float64Array(n * 2);
      this.nextSeenRow = new Int32Array(n * 2);
    }
    const nextSeen = this.nextSeen;
    const nextSeenRow = this.nextSeenRow;
    const count = this.count;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const h = handles[i]!;
      let s = -1;
      for (let k = j, end = Math.min(seenCount, j + LOOKAHEAD); k < end; k++) {
        if (seen[k] === h) {
          s = seenRow[k]!;
          j = k + 1;
          break;
        }
      }
      // Only h > 0 is looked up: the index's empty entries hold 0, where 0 (or -0) would find a stale row.
      if (s < 0 || s >= count || held[s] !== h) s = h > 0 ? slotOf.get(h) : -1;
      nextSeen[i] = h;
      nextSeenRow[i] = s;
      if (s < 0) continue;
      sndNxt[s]! += sentBytes[i]!;
      if (receivedBytes) rcvNxt[s]! += receivedBytes[i]!;
    }
    this.nextSeen = seen;
    this.nextSeenRow = seenRow;
    this.seen = nextSeen;
    this.seenRow = nextSeenRow;
    this.seenCount = n;
  }

  /**
   * Standing traffic: from the next step() on, each step adds sent[i] and received[i] to the row of
   * handles[i] (i < count) before its acknowledgement, until changed; (0, 0) stops it, and removing
   * the row drops it. Entries apply in order; handles not held are skipped. The values are the
   * caller's to have checked (SimulatedTarget.steady does).
   */
  steady(handles: ArrayLike<number>, sent: ArrayLike<number>, received: ArrayLike<number>, count: number): void {
    const { rateSent, rateReceived } = this;
    for (let i = 0; i < count; i++) {
      const s = this.slot(handles[i]!);
      if (s < 0) continue;
      rateSent[s] = sent[i]!;
      rateReceived[s] = received[i]!;
    }
  }

  /** Delivers up to `bytes` of buffered received data to the host; returns how many. */
  deliver(s: number, bytes: number): number {
    const n = Math.max(0, Math.min(bytes, this.rcvNxt[s]! - this.delivered[s]!));
    this.delivered[s]! += n;
    return n;
  }

  delegatedState(s: number): DelegatedState {
    const outstanding = this.sndNxt[s]! > this.sndUna[s]!;
    return {
      sndUna: this.sndUna[s]!,
      sndNxt: this.sndNxt[s]!,
      rcvNxt: this.rcvNxt[s]!,
      sndWnd: SND_WND,
      cWnd: this.cWnd[s]!,
      ssThresh: this.ssThresh[s]!,
      sRtt: this.sRtt[s]!,
      rttVar: this.rttVar[s]!,
      timers: {
        retransmit: outstanding ? Math.max(200, Math.round(this.sRtt[s]! + 4 * this.rttVar[s]!)) : null,
        keepalive: 7_200_000,
        delayedAck: this.rcvNxt[s]! > this.delivered[s]! ? 200 : null,
      },
    };
  }

  /** Sent data not yet acknowledged, in order. */
  unacknowledged(s: number): Segment[] {
    return queue(this.sndUna[s]!, this.sndNxt[s]!);
  }

  /** Received data not yet delivered to the host, in order. */
  received(s: number): Segment[] {
    return queue(this.delivered[s]!, this.rcvNxt[s]!);
  }

  private grow(): void {
    const size = Math.max(1024, this.handle.length * 2);
    const bigger = (old: Float64Array) => {
      const next = new Float64Array(size);
      next.set(old);
      return next;
    };
    this.handle = bigger(this.handle);
    this.path = bigger(this.path);
    this.sndUna = bigger(this.sndUna);
    this.sndNxt = bigger(this.sndNxt);
    this.rcvNxt = bigger(this.rcvNxt);
    this.delivered = bigger(this.delivered);
    this.cWnd = bigger(this.cWnd);
    this.ssThresh = bigger(this.ssThresh);
    this.sRtt = bigger(this.sRtt);
    this.rttVar = bigger(this.rttVar);
    this.rateSent = bigger(this.rateSent);
    this.rateReceived = bigger(this.rateReceived);
  }
}

function queue(from: number, to: number): Segment[] {
  return to > from ? [{ seq: from, length: to - from }] : [];
}
