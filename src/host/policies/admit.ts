// Admission with preemption, shared by eager and threshold: offer the candidates, highest priority
// first; at capacity, a candidate of strictly higher priority preempts one Offloaded connection
// (lowest priority first, least recently active first; one victim per candidate) and waits for
// the victim's upload to free the room. A waiting candidate is offered first at the next ticks and
// preempts nothing more while its victim is still being uploaded.
//
// Work per tick: one pass over the candidates (counting them by priority as it goes) and, when
// their priorities differ, one pass placing them in order; at capacity, when the first candidate
// that does not fit has a priority above 0 (the lowest there is, so nothing can be below it), one
// pass over the live slots and a k-best selection of the victims. Everything is typed arrays
// reused across ticks, including the candidates waiting for a victim:
//
//   waiting   Float64Array, 4 numbers per entry, oldest first: [ slot | id | victim slot | victim id ]
//             at most one entry per slot: a candidate that preempts again replaces its entry
//   seen      Uint32Array by slot: tick stamp of the slots listed this tick (dedupe)
//   blocked   Uint32Array by slot: tick stamp of the waiting slots whose victim is still leaving
//   waitingAt Int32Array by slot: the slot's entry in `waiting`, valid when waitingMark says this tick

import { ConnectionStatus, type PolicyContext, type PolicyDecision } from '../policy.js';
import { Reason } from '../../table/enums.js';
import { best } from './rank.js';
import { grown } from '../../util/grown.js';

const SOFTWARE: number = ConnectionStatus.Software;

export class Admission {
  /** Candidates that preempted a victim: the candidate's and the victim's slot and id (layout above). */
  private waiting: Float64Array = new Float64Array(4 * 64);
  private waitingCount = 0;
  private seen: Uint32Array = new Uint32Array(0);
  private blocked: Uint32Array = new Uint32Array(0);
  private waitingAt: Int32Array = new Int32Array(0);
  private waitingMark: Uint32Array = new Uint32Array(0);
  private stamp = 0;
  private list = new Uint32Array(1024);
  /** priority[list[i]], read once while listing, so the sort reads it in order. */
  private listPriority = new Uint8Array(1024);
  private sorted = new Uint32Array(1024);
  private readonly counts = new Uint32Array(257);
  private lower = new Uint32Array(1024);

  /**
   * The decision for `candidates` (slots, any order, duplicates and non-Software entries allowed),
   * then `more` (moreCount entries, listed after them: a second list saves the caller a copy).
   */
  decide(
    ctx: PolicyContext,
    candidates: ArrayLike<number>,
    count: number,
    preempt: boolean,
    more?: ArrayLike<number>,
    moreCount = 0,
  ): PolicyDecision | undefined {
    const c = ctx.columns;
    const status = c.status;
    const priority = c.priority;
    if (this.seen.length < c.length) {
      this.seen = grown(this.seen, c.length);
      this.blocked = grown(this.blocked, c.length);
      this.waitingMark = grown(this.waitingMark, c.length);
      this.waitingAt = grown(this.waitingAt, c.length);
    }
    const size = count + moreCount + this.waitingCount;
    if (this.list.length < size) {
      this.list = new Uint32Array(size * 2);
      this.listPriority = new Uint8Array(size * 2);
      this.sorted = new Uint32Array(size * 2);
    }
    const listPriority = this.listPriority;
    const stamp = ++this.stamp;
    const seen = this.seen;
    let list = this.list;
    let n = 0;
    // Still waiting: Software, same connection. Its victim still leaving: it preempts nothing more.
    const blocked = this.blocked;
    const waiting = this.waiting;
    // Candidates per priority, for the sort (counts[256 - p]: highest priority first).
    const counts = this.counts;
    counts.fill(0);
    let kept = 0;
    for (let w = 0; w < 4 * this.waitingCount; w += 4) {
      const slot = waiting[w]!;
      if (c.id[slot] !== waiting[w + 1] || status[slot] !== ConnectionStatus.Software) continue;
      const victim = waiting[w + 2]!;
      if (c.id[victim] === waiting[w + 3] && status[victim] === ConnectionStatus.Terminating) blocked[slot] = stamp;
      seen[slot] = stamp;
      const p = priority[slot]!;
      counts[256 - p]!++;
      listPriority[n] = p;
      list[n++] = slot;
      this.waitingMark[slot] = stamp;
      this.waitingAt[slot] = kept;
      waiting.copyWithin(4 * kept++, w, w + 4);
    }
    this.waitingCount = kept;
    n = listSoftware(candidates, count, status, priority, seen, stamp, list, listPriority, counts, n);
    if (more !== undefined) n = listSoftware(more, moreCount, status, priority, seen, stamp, list, listPriority, counts, n);
    if (n === 0 || !ctx.canOffload) return undefined;
    // Sorted already if they share one priority (the sort is stable).
    if (counts[256 - listPriority[0]!] !== n) {
      sortByPriority(list, listPriority, n, this.sorted, counts);
      const unsorted = this.list;
      this.list = this.sorted;
      this.sorted = unsorted;
      list = this.list;
    }
    const offload = list.subarray(0, n);
    const room = Math.max(0, ctx.capacity - ctx.occupied);
    if (!preempt || n <= room) return { offload };
    // Over capacity: the overflow, highest priority first, may preempt lower-priority connections.
    const wantTop = priority[list[room]!]!;
    // No priority is below 0: no victim, and no need to look for one.
    if (wantTop === 0) return { offload };
    let v = 0;
    const live = ctx.live;
    const alive = live.length;
    if (this.lower.length < alive) this.lower = new Uint32Array(alive * 2);
    const lower = this.lower;
    let lowest = 256;
    for (let i = 0; i < alive; i++) {
      const slot = live[i]!;
      const p = priority[slot]!;
      if (status[slot] === ConnectionStatus.Offloaded && p < wantTop) {
        lower[v++] = slot;
        if (p < lowest) lowest = p;
      }
    }
    if (v === 0) return { offload };
    // Victims are needed only for the overflow that outranks the lowest of them, and is not already waiting.
    let want = 0;
    for (let i = room; i < n && priority[list[i]!]! > lowest; i++) if (blocked[list[i]!] !== stamp) want++;
    const victims = best(
      lower,
      v,
      Math.min(v, want),
      (a, b) => priority[a]! < priority[b]! || (priority[a] === priority[b] && c.lastActiveAt[a]! < c.lastActiveAt[b]!),
    );
    const terminate: number[] = [];
    let next = 0;
    for (let i = room; i < n && next < victims.length; i++) {
      const w = list[i]!;
      if (blocked[w] === stamp) continue;
      if (priority[victims[next]!]! >= priority[w]!) break;
      const victim = victims[next++]!;
      terminate.push(victim);
      this.wait(w, c.id[w]!, victim, c.id[victim]!);
    }
    return { terminate, terminateReason: Reason.HigherPriority, offload };
  }

  /** `slot` waits for `victim`: its one entry (a candidate already waiting gets a new victim). */
  private wait(slot: number, id: number, victim: number, victimId: number): void {
    let at: number;
    if (this.waitingMark[slot] === this.stamp) at = 4 * this.waitingAt[slot]!;
    else {
      this.waiting = grown(this.waiting, 4 * (this.waitingCount + 1));
      this.waitingMark[slot] = this.stamp;
      this.waitingAt[slot] = this.waitingCount;
      at = 4 * this.waitingCount++;
    }
    this.waiting[at] = slot;
    this.waiting[at + 1] = id;
    this.waiting[at + 2] = victim;
    this.waiting[at + 3] = victimId;
  }
}

/**
 * Appends the Software slots of candidates[0..count) not listed yet (stamped in `seen`) to
 * list/listPriority from n on, counting them by priority (counts[256 - p]); returns the new n.
 */
function listSoftware(
  candidates: ArrayLike<number>,
  count: number,
  status: Uint8Array,
  priority: Uint8Array,
  seen: Uint32Array,
  stamp: number,
  list: Uint32Array,
  listPriority: Uint8Array,
  counts: Uint32Array,
  n: number,
): number {
  for (let i = 0; i < count; i++) {
    const slot = candidates[i]!;
    if (status[slot] !== SOFTWARE || seen[slot] === stamp) continue;
    seen[slot] = stamp;
    const p = priority[slot]!;
    counts[256 - p]!++;
    listPriority[n] = p;
    list[n++] = slot;
  }
  return n;
}

/**
 * Stable sort of list[0..n) into `out` by priority (listPriority[i] is list[i]'s), highest first:
 * a counting sort over 256 priorities; `counts` holds the candidates per priority (counts[256 - p]).
 */
function sortByPriority(list: Uint32Array, listPriority: Uint8Array, n: number, out: Uint32Array, counts: Uint32Array): void {
  for (let p = 1; p < 257; p++) counts[p]! += counts[p - 1]!;
  for (let i = n - 1; i >= 0; i--) out[--counts[256 - listPriority[i]!]!] = list[i]!;
}
