// Admission (src/host/policies/admit.ts), the admission with preemption behind eager and threshold:
// its faster form (candidates counted by priority as they are listed, no victim scan when the
// first candidate that does not fit has priority 0, a second candidate list instead of a copy)
// must decide exactly what the first one did. The first one is kept below, as it was, as the
// reference; fast-check drives both through sequences of ticks over random columns.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Admission } from '../../../src/host/policies/admit.js';
import { best } from '../../../src/host/policies/rank.js';
import { ConnectionStore } from '../../../src/host/connections.js';
import { ConnectionStatus, type PolicyContext, type PolicyDecision } from '../../../src/host/policy.js';
import { Reason } from '../../../src/table/enums.js';

const test = suite('policy admission');

/** Admission as it was before the speed work (commit 0fee909), verbatim but for names and one fix (wait()). */
class ReferenceAdmission {
  private waiting: Float64Array = new Float64Array(4 * 64);
  private waitingCount = 0;
  private seen: Uint32Array = new Uint32Array(0);
  private blocked: Uint32Array = new Uint32Array(0);
  private stamp = 0;
  private list = new Uint32Array(1024);
  private listPriority = new Uint8Array(1024);
  private sorted = new Uint32Array(1024);
  private readonly counts = new Uint32Array(257);
  private lower = new Uint32Array(1024);

  decide(ctx: PolicyContext, candidates: ArrayLike<number>, count: number, preempt: boolean): PolicyDecision | undefined {
    const c = ctx.columns;
    const status = c.status;
    const priority = c.priority;
    if (this.seen.length < c.length) {
      this.seen = grown(this.seen, c.length);
      this.blocked = grown(this.blocked, c.length);
    }
    const size = count + this.waitingCount;
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
    const blocked = this.blocked;
    const waiting = this.waiting;
    let kept = 0;
    for (let w = 0; w < 4 * this.waitingCount; w += 4) {
      const slot = waiting[w]!;
      if (c.id[slot] !== waiting[w + 1] || status[slot] !== ConnectionStatus.Software) continue;
      const victim = waiting[w + 2]!;
      if (c.id[victim] === waiting[w + 3] && status[victim] === ConnectionStatus.Terminating) blocked[slot] = stamp;
      seen[slot] = stamp;
      listPriority[n] = priority[slot]!;
      list[n++] = slot;
      waiting.copyWithin(4 * kept++, w, w + 4);
    }
    this.waitingCount = kept;
    let top = -1;
    let mixed = n > 0;
    for (let i = 0; i < count; i++) {
      const slot = candidates[i]!;
      if (status[slot] !== ConnectionStatus.Software || seen[slot] === stamp) continue;
      seen[slot] = stamp;
      const p = priority[slot]!;
      if (top >= 0 && p !== top) mixed = true;
      if (p > top) top = p;
      listPriority[n] = p;
      list[n++] = slot;
    }
    if (n === 0 || !ctx.canOffload) return undefined;
    if (mixed) {
      sortByPriority(list, listPriority, n, this.sorted, this.counts);
      const unsorted = this.list;
      this.list = this.sorted;
      this.sorted = unsorted;
      list = this.list;
    }
    const offload = list.subarray(0, n);
    const room = Math.max(0, ctx.capacity - ctx.occupied);
    if (!preempt || n <= room) return { offload };
    const wantTop = priority[list[room]!]!;
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

  private wait(slot: number, id: number, victim: number, victimId: number): void {
    // One entry per candidate: one that preempts again replaces its entry (the fix of a candidate
    // listed twice, so the reference looks for the entry the plain way).
    let at = -1;
    for (let w = 0; w < 4 * this.waitingCount; w += 4) if (this.waiting[w] === slot) at = w;
    if (at < 0) {
      if (4 * (this.waitingCount + 1) > this.waiting.length) {
        const b = new Float64Array(this.waiting.length * 2);
        b.set(this.waiting);
        this.waiting = b;
      }
      at = 4 * this.waitingCount++;
    }
    this.waiting[at] = slot;
    this.waiting[at + 1] = id;
    this.waiting[at + 2] = victim;
    this.waiting[at + 3] = victimId;
  }
}

function grown(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

function sortByPriority(list: Uint32Array, listPriority: Uint8Array, n: number, out: Uint32Array, counts: Uint32Array): void {
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[256 - listPriority[i]!]!++;
  for (let p = 1; p < 257; p++) counts[p]! += counts[p - 1]!;
  for (let i = n - 1; i >= 0; i--) out[--counts[256 - listPriority[i]!]!] = list[i]!;
}

/** A decision as plain data, to compare two. */
const plain = (d: PolicyDecision | undefined) =>
  d === undefined ? undefined : { offload: Array.from(d.offload ?? []), terminate: d.terminate && Array.from(d.terminate), reason: d.terminateReason };

const STATUSES = [ConnectionStatus.Software, ConnectionStatus.Offloading, ConnectionStatus.Offloaded, ConnectionStatus.Terminating];

const tickArb = fc.record({
  // Per slot: a new status (index into STATUSES), or -1 to keep it; and whether the slot got a new connection (id).
  statuses: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 40, maxLength: 40 }),
  reopen: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
  arrived: fc.array(fc.nat(39), { maxLength: 20 }),
  active: fc.uniqueArray(fc.nat(39), { maxLength: 40 }),
  capacity: fc.nat(30),
  occupied: fc.nat(30),
  canOffload: fc.boolean(),
});

test('differential: the same decisions as the reference, tick after tick, over random columns', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(0, 0, 0, 1, 2, 5, 255), { minLength: 40, maxLength: 40 }),
      fc.array(fc.nat(20), { minLength: 40, maxLength: 40 }),
      fc.boolean(),
      fc.boolean(),
      fc.array(tickArb, { minLength: 1, maxLength: 8 }),
      (priorities, lastActive, preempt, twoLists, ticks) => {
        const c = new ConnectionStore(4);
        for (let i = 0; i < 40; i++) {
          const slot = c.allocate(0);
          c.priority[slot] = priorities[i]!;
          c.lastActiveAt[slot] = lastActive[i]!;
        }
        const fast = new Admission();
        const reference = new ReferenceAdmission();
        for (const t of ticks) {
          for (let s = 0; s < 40; s++) {
            if (t.statuses[s]! >= 0) c.status[s] = STATUSES[t.statuses[s]!]!;
            if (t.reopen[s]) c.id[s]! += 2 ** 26; // the slot holds a new connection: waiting entries for it lapse
          }
          // The engine lists `active` in slot order; arrivals may repeat and overlap it.
          const active = Uint32Array.from(t.active.sort((a, b) => a - b));
          const arrived = Uint32Array.from(t.arrived);
          const ctx: PolicyContext = {
            now: 0,
            elapsedMs: 100,
            capacity: t.capacity,
            occupied: t.occupied,
            canOffload: t.canOffload,
            columns: c,
            arrived,
            live: c.live.subarray(0, c.liveCount),
            active,
          };
          const all = Uint32Array.from([...arrived, ...active]);
          const expected = plain(reference.decide(ctx, all, all.length, preempt));
          const got = plain(twoLists ? fast.decide(ctx, arrived, arrived.length, preempt, active, active.length) : fast.decide(ctx, all, all.length, preempt));
          assert.equal(got, expected);
          if (got) assert.is(new Set(got.offload).size, got.offload.length, 'a slot is offered once');
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('a victim at priority 0 is found when the first candidate that does not fit outranks it', () => {
  // The shortcut skips the victim scan only when that candidate has priority 0 (nothing is lower).
  const c = new ConnectionStore(4);
  for (let i = 0; i < 4; i++) c.allocate(0);
  c.status[0] = ConnectionStatus.Offloaded; // priority 0, the victim
  c.priority[1] = 1; // a candidate that outranks it
  c.priority[2] = 0; // a candidate that does not
  const ctx: PolicyContext = {
    now: 0,
    elapsedMs: 100,
    capacity: 1,
    occupied: 1,
    canOffload: true,
    columns: c,
    arrived: Uint32Array.from([2, 1]),
    live: c.live.subarray(0, c.liveCount),
    active: new Uint32Array(0),
  };
  const d = new Admission().decide(ctx, ctx.arrived, 2, true)!;
  assert.equal(Array.from(d.offload!), [1, 2]);
  assert.equal(Array.from(d.terminate!), [0]);
  c.priority[1] = 0;
  const none = new Admission().decide(ctx, ctx.arrived, 2, true)!;
  assert.equal(Array.from(none.offload!), [2, 1], 'equal priorities keep their order');
  assert.is(none.terminate, undefined, 'no victim below priority 0');
});

test('a candidate whose victims left without making room preempts one victim at a time, and is offered once', () => {
  // Found by the attack on the afternoon's changes: a waiting candidate that preempted again got a
  // second waiting entry, so from the next tick it was listed twice, and could take two victims.
  const c = new ConnectionStore(8);
  for (let i = 0; i < 6; i++) c.allocate(0);
  c.priority[0] = 5; // the candidate
  for (const v of [1, 2, 3, 4]) {
    c.status[v] = ConnectionStatus.Offloaded;
    c.lastActiveAt[v] = v; // victims in order 1, 2, 3, 4
  }
  const admission = new Admission();
  const tick = () =>
    admission.decide(
      {
        now: 0,
        elapsedMs: 100,
        capacity: 4,
        occupied: 4,
        canOffload: true,
        columns: c,
        arrived: new Uint32Array(0),
        live: c.live.subarray(0, c.liveCount),
        active: Uint32Array.from([0]),
      },
      Uint32Array.from([0]),
      1,
      true,
    )!;
  assert.equal(Array.from(tick().terminate!), [1]);
  c.status[1] = ConnectionStatus.Software; // the victim left, but the room went to someone else
  assert.equal(Array.from(tick().terminate!), [2]);
  c.status[2] = ConnectionStatus.Software; // and again
  const third = tick();
  assert.equal(Array.from(third.offload!), [0], 'offered once');
  assert.equal(Array.from(third.terminate!), [3], 'one victim for one candidate');
  c.status[3] = ConnectionStatus.Terminating;
  const waiting = tick();
  assert.equal(Array.from(waiting.offload!), [0]);
  assert.equal(Array.from(waiting.terminate ?? []), [], 'nothing more while its victim is leaving');
});

test.run();
