// check(): walks every invariant of the table from scratch. Slow (it visits everything) and
// independent of the incremental bookkeeping it verifies. Returns 0, or -ErrorCode.InvariantBroken
// with the broken Invariant (contract.ts) as the error's aux and its object as the error's handle.

import { ErrorCode, Invariant } from './contract';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, FREE, OFFLOADING, TERMINATING, F_PENDING, F_MARK,
  state, flags, parent, prev, next, head, refCount, highWater, liveCount, freeHead, freeLength,
  retired, retiredCount, handleOf, at32, at128, OFF_IFINDEX, OFF_ADDR, OFF_SRC, OFF_DST, OFF_PORTS,
} from './memory/slab';
import { indexUsed, indexBuckets, indexEntry, findNeighborSlot, findPathSlot, findConnectionSlot } from './indexes/keyindex';
import {
  interfaceEntries, interfaceUsedAt, interfaceKeyAt, interfaceHeadAt, interfaceCountAt, findInterface,
} from './indexes/interfaces';
import { fail } from './memory/buffers';
import { checkVictimLists } from './indexes/victims';

/** Fails with the broken invariant and its object (kind 0: none). */
function broken(what: Invariant, kind: u32, slot: u32): i32 {
  return fail(ErrorCode.InvariantBroken, -1, kind ? handleOf(kind, slot) : 0, what);
}

/** May a dependent in state `ds` (pending `dp`) hang below a parent in `ps` (pending `pp`)? */
function fits(ds: u8, dp: bool, ps: u8, pp: bool): bool {
  if (ps == TERMINATING) return ds == TERMINATING;
  if (pp) return dp || ds == TERMINATING;
  if (ps == OFFLOADING) return ds == OFFLOADING;
  return true; // OFFLOADED parent: any dependent state
}

export function check(): i32 {
  // Slots: states, flags, counts, free list.
  for (let k = KIND_NEIGHBOR; k <= KIND_CONNECTION; k++) {
    let hw = highWater(k);
    let live: u32 = 0;
    let gone: u32 = 0;
    for (let s: u32 = 0; s < hw; s++) {
      let st = state(k, s);
      let f = flags(k, s);
      if (st > TERMINATING || (st == TERMINATING && (f & F_PENDING))) return broken(Invariant.BadState, k, s);
      if (f & F_MARK) return broken(Invariant.MarkLeft, k, s);
      if (retired(k, s) && st != FREE) return broken(Invariant.BadState, k, s);
      if (st != FREE) live++;
      else if (retired(k, s)) gone++;
    }
    if (live != liveCount(k)) return broken(Invariant.LiveCount, k, 0);
    let free: u32 = 0;
    for (let f = freeHead(k); f; f = next(k, f - 1)) {
      if (f - 1 >= hw || state(k, f - 1) != FREE || retired(k, f - 1) || ++free > hw) return broken(Invariant.FreeList, k, f - 1);
    }
    if (free != freeLength(k) || gone != retiredCount(k) || free + live + gone != hw) return broken(Invariant.FreeList, k, 0);
  }
  // Dependent lists and refcounts; every live path and connection sits in its parent's list.
  let listed: u32 = 0;
  for (let k = KIND_NEIGHBOR; k <= KIND_PATH; k++) {
    let d = k + 1;
    let hw = highWater(k);
    for (let s: u32 = 0; s < hw; s++) {
      let ps = state(k, s);
      if (ps == FREE) continue;
      let pp = (flags(k, s) & F_PENDING) != 0;
      let seen: u32 = 0;
      let before: u32 = 0;
      for (let c = head(k, s); c; c = next(d, c - 1)) {
        let cs = c - 1;
        if (cs >= highWater(d) || state(d, cs) == FREE || parent(d, cs) != s || prev(d, cs) != before) {
          return broken(Invariant.ListBroken, k, s);
        }
        if (++seen > highWater(d)) return broken(Invariant.ListBroken, k, s);
        if (!fits(state(d, cs), (flags(d, cs) & F_PENDING) != 0, ps, pp)) return broken(Invariant.StateOrder, d, cs);
        before = c;
      }
      if (seen != refCount(k, s)) return broken(Invariant.RefCount, k, s);
      listed += seen;
    }
  }
  for (let k = KIND_PATH; k <= KIND_CONNECTION; k++) {
    let hw = highWater(k);
    for (let s: u32 = 0; s < hw; s++) {
      if (state(k, s) == FREE) continue;
      let p = parent(k, s);
      if (p >= highWater(k - 1) || state(k - 1, p) == FREE) return broken(Invariant.ParentFree, k, s);
    }
  }
  if (listed != liveCount(KIND_PATH) + liveCount(KIND_CONNECTION)) return broken(Invariant.Unlisted, 0, 0);
  // Key indexes: every bucket names a live object, and every live object is found by its key
  // (which also proves keys unique: a probe stops at the first match).
  for (let k = KIND_NEIGHBOR; k <= KIND_CONNECTION; k++) {
    let n = indexBuckets(k);
    let entries: u32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      let e = indexEntry(k, i);
      if (!e) continue;
      entries++;
      if (e - 1 >= highWater(k) || state(k, e - 1) == FREE) return broken(Invariant.IndexEntry, k, e - 1);
    }
    if (entries != indexUsed(k) || entries != liveCount(k)) return broken(Invariant.IndexEntry, k, 0);
    let hw = highWater(k);
    for (let s: u32 = 0; s < hw; s++) {
      if (state(k, s) == FREE) continue;
      let found: u32;
      if (k == KIND_NEIGHBOR) found = findNeighborSlot(load<u32>(at32(k, s, OFF_IFINDEX)), at128(k, s, OFF_ADDR));
      else if (k == KIND_PATH) found = findPathSlot(at128(k, s, OFF_SRC), at128(k, s, OFF_DST));
      else found = findConnectionSlot(parent(k, s), load<u32>(at32(k, s, OFF_PORTS)));
      if (found != s + 1) return broken(Invariant.IndexMiss, k, s);
    }
  }
  // Interface lists: each neighbor once, on its own interface.
  let onInterfaces: u32 = 0;
  let n = interfaceEntries();
  for (let i: u32 = 0; i < n; i++) {
    if (!interfaceUsedAt(i)) continue;
    let key = interfaceKeyAt(i);
    let seen: u32 = 0;
    let before: u32 = 0;
    for (let s = interfaceHeadAt(i); s; s = next(KIND_NEIGHBOR, s - 1)) {
      let ns = s - 1;
      if (ns >= highWater(KIND_NEIGHBOR) || state(KIND_NEIGHBOR, ns) == FREE ||
          load<u32>(at32(KIND_NEIGHBOR, ns, OFF_IFINDEX)) != key || prev(KIND_NEIGHBOR, ns) != before ||
          ++seen > highWater(KIND_NEIGHBOR)) {
        return broken(Invariant.Interface, KIND_NEIGHBOR, ns);
      }
      before = s;
    }
    // An entry without neighbors should have gone with its last one.
    if (seen == 0 || seen != interfaceCountAt(i) || findInterface(key) == 0) return broken(Invariant.Interface, 0, 0);
    onInterfaces += seen;
  }
  if (onInterfaces != liveCount(KIND_NEIGHBOR)) return broken(Invariant.Interface, 0, 0);
  if (!checkVictimLists()) return broken(Invariant.Victims, 0, 0);
  return 0;
}
