// Admission with preemption, shared by eager and threshold: offer the candidates, highest priority
// first; at capacity, a candidate of strictly higher priority preempts one Offloaded connection
// (lowest priority first, least recently active first; one victim per candidate) and waits for
// the victim's upload to free the room. A waiting candidate is offered first at the next ticks and
// preempts nothing more while its victim is still being uploaded.

import { ConnectionStatus, type PolicyContext, type PolicyDecision } from '../policy.js';
import { Reason } from '../../enums.js';
import { best } from './rank.js';

export class Admission {
  /** Candidates that preempted a victim: the candidate's and the victim's slot and id. */
  private waiting: { slot: number; id: number; victim: number; victimId: number }[] = [];
  private seen = new Uint32Array(0);
  private stamp = 0;

  /** The decision for `candidates` (slots, any order, duplicates and non-Software entries allowed). */
  decide(ctx: PolicyContext, candidates: ArrayLike<number>, count: number, preempt: boolean): PolicyDecision | undefined {
    const c = ctx.columns;
    if (this.seen.length < c.length) {
      const s = new Uint32Array(Math.max(c.length, this.seen.length * 2));
      s.set(this.seen);
      this.seen = s;
    }
    const stamp = ++this.stamp;
    // Still waiting: Software, same connection. Its victim still leaving: it preempts nothing more.
    const blocked = new Set<number>();
    this.waiting = this.waiting.filter((w) => c.id[w.slot] === w.id && c.status[w.slot] === ConnectionStatus.Software);
    const list: number[] = [];
    for (const w of this.waiting) {
      if (c.id[w.victim] === w.victimId && c.status[w.victim] === ConnectionStatus.Terminating) blocked.add(w.slot);
      this.seen[w.slot] = stamp;
      list.push(w.slot);
    }
    let mixed = false;
    for (let i = 0; i < count; i++) {
      const slot = candidates[i]!;
      if (c.status[slot] !== ConnectionStatus.Software || this.seen[slot] === stamp) continue;
      this.seen[slot] = stamp;
      if (list.length && c.priority[slot] !== c.priority[list[0]!]) mixed = true;
      list.push(slot);
    }
    if (list.length === 0 || !ctx.canOffload) return undefined;
    if (mixed || this.waiting.length) sortByPriority(list, c.priority);
    const room = Math.max(0, ctx.capacity - ctx.occupied);
    if (!preempt || list.length <= room) return { offload: list };
    // Over capacity: the overflow, highest priority first, may preempt lower-priority connections.
    const wanting: number[] = [];
    for (let i = room; i < list.length; i++) if (!blocked.has(list[i]!)) wanting.push(list[i]!);
    if (wanting.length === 0) return { offload: list };
    const top = c.priority[wanting[0]!]!;
    const offloaded: number[] = [];
    for (let i = 0; i < ctx.live.length; i++) {
      const slot = ctx.live[i]!;
      if (c.status[slot] === ConnectionStatus.Offloaded && c.priority[slot]! < top) offloaded.push(slot);
    }
    if (offloaded.length === 0) return { offload: list };
    const victims = best(offloaded, offloaded.length, wanting.length, (a, b) =>
      c.priority[a]! < c.priority[b]! || (c.priority[a] === c.priority[b] && c.lastActiveAt[a]! < c.lastActiveAt[b]!));
    const terminate: number[] = [];
    let v = 0;
    for (const w of wanting) {
      if (v === victims.length || c.priority[victims[v]!]! >= c.priority[w]!) break;
      const victim = victims[v++]!;
      terminate.push(victim);
      this.waiting.push({ slot: w, id: c.id[w]!, victim, victimId: c.id[victim]! });
    }
    return { terminate, terminateReason: Reason.HigherPriority, offload: list };
  }
}

/** Stable sort by priority, highest first (a counting sort over 256 priorities). */
function sortByPriority(list: number[], priority: Uint8Array): void {
  const counts = new Uint32Array(257);
  for (const slot of list) counts[256 - priority[slot]!]!++;
  for (let p = 1; p < 257; p++) counts[p]! += counts[p - 1]!;
  const out = new Array<number>(list.length);
  for (let i = list.length - 1; i >= 0; i--) out[--counts[256 - priority[list[i]!]!]!] = list[i]!;
  for (let i = 0; i < list.length; i++) list[i] = out[i]!;
}
