// Victim order: what chooseVictims (ops/traffic.ts) walks instead of the whole slab.
//
// Every OFFLOADED connection that is not pending sits in the list of its priority (256 lists,
// doubly linked through lruPrev/lruNext, slot+1, 0 = none), least recently active at the head. A
// connection enters at the tail when its initiate completes, moves to the tail when traffic is
// recorded for it, and leaves when it enters a termination. So the victim for a new connection of
// priority p is the head of the lowest non-empty list below p: O(priorities).
//
//   LRU_HEAD[p], LRU_TAIL[p]:  slot+1 of the first / last connection of priority p
//   head -> [c7] <-> [c2] <-> [c9] <- tail        (c7 least recently active)
//
// A connection out of the lists (pending or Terminating) keeps its termination reason in its
// lruPrev word instead (see memory/slab.ts).

import {
  KIND_CONNECTION, OFFLOADED, F_PENDING, state, flags, at8, at32, highWater, OFF_PRIO, OFF_LRU_PREV, OFF_LRU_NEXT,
} from '../memory/slab';

// unmanaged! raw pointers into linear memory throughout.

/** Priorities: one list each. */
export const PRIORITIES: u32 = 256;
const LRU_HEAD: usize = memory.data(<i32>PRIORITIES * 4);
const LRU_TAIL: usize = memory.data(<i32>PRIORITIES * 4);

/** Slot+1 of the least recently active connection of priority `p`, 0 if none. */
@inline export function victimsHead(p: u32): u32 { return load<u32>(LRU_HEAD + (<usize>p << 2)); }
@inline function tailOf(p: u32): u32 { return load<u32>(LRU_TAIL + (<usize>p << 2)); }
@inline export function priorityOf(slot: u32): u32 { return <u32>load<u8>(at8(KIND_CONNECTION, slot, OFF_PRIO)); }
@inline function lruPrev(slot: u32): u32 { return load<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_PREV)); }
/** Slot+1 of the next (more recently active) connection of the same priority, 0 if none. */
@inline export function lruNext(slot: u32): u32 { return load<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_NEXT)); }

/** Appends an OFFLOADED connection to the tail of its priority's list (most recently active). */
export function lruAppend(slot: u32): void {
  let p = priorityOf(slot);
  let last = tailOf(p);
  store<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_PREV), last);
  store<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_NEXT), 0);
  if (last) store<u32>(at32(KIND_CONNECTION, last - 1, OFF_LRU_NEXT), slot + 1);
  else store<u32>(LRU_HEAD + (<usize>p << 2), slot + 1);
  store<u32>(LRU_TAIL + (<usize>p << 2), slot + 1);
}

/** Takes a connection out of its priority's list. */
export function lruRemove(slot: u32): void {
  let p = priorityOf(slot);
  let before = lruPrev(slot);
  let after = lruNext(slot);
  if (before) store<u32>(at32(KIND_CONNECTION, before - 1, OFF_LRU_NEXT), after);
  else store<u32>(LRU_HEAD + (<usize>p << 2), after);
  if (after) store<u32>(at32(KIND_CONNECTION, after - 1, OFF_LRU_PREV), before);
  else store<u32>(LRU_TAIL + (<usize>p << 2), before);
}

/** Makes a listed connection the most recently active of its priority. */
@inline export function lruTouch(slot: u32): void {
  if (tailOf(priorityOf(slot)) != slot + 1) {
    lruRemove(slot);
    lruAppend(slot);
  }
}

/** True if the connection is in a victim list: OFFLOADED and not pending. */
@inline export function listed(slot: u32): bool {
  return state(KIND_CONNECTION, slot) == OFFLOADED && !(flags(KIND_CONNECTION, slot) & F_PENDING);
}

/** check(): the victim lists hold exactly the listed connections, each in its priority's list. */
export function checkVictimLists(): bool {
  let members: u32 = 0;
  let hw = highWater(KIND_CONNECTION);
  for (let p: u32 = 0; p < PRIORITIES; p++) {
    let before: u32 = 0;
    for (let c = victimsHead(p); c; c = lruNext(c - 1)) {
      let s = c - 1;
      if (s >= hw || !listed(s) || priorityOf(s) != p || lruPrev(s) != before || ++members > hw) return false;
      before = c;
    }
    if (tailOf(p) != before) return false;
  }
  let expected: u32 = 0;
  for (let s: u32 = 0; s < hw; s++) if (listed(s)) expected++;
  return members == expected;
}
