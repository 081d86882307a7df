// Traffic counters and victim order: what the host's policy needs in bulk.
//
// Victim order. Every OFFLOADED connection that is not pending sits in the list of its priority
// (256 lists, doubly linked through lruPrev/lruNext, slot+1, 0 = none), least recently active at
// the head. A connection enters at the tail when its initiate completes, moves to the tail when
// traffic is recorded for it, and leaves when it enters a termination. So the victim for a new
// connection of priority p is the head of the lowest non-empty list below p: O(priorities).
//
//   LRU_HEAD[p], LRU_TAIL[p]:  slot+1 of the first / last connection of priority p
//   head -> [c7] <-> [c2] <-> [c9] <- tail        (c7 least recently active)
//
// Low activity. recordTraffic adds to `bytes`; tick() folds `bytes` into `rate`, a moving average
// in bytes per second (alpha = 1 - exp(-dt / window), computed by JS so that every engine agrees),
// and adds the elapsed time to `quiet` while the rate stays under the threshold. Connections whose
// quiet time reaches the policy's duration are the tick's result. A new connection's first tick
// sets its rate to that interval's rate (no ramp up from zero).

import {
  KIND_CONNECTION, OFFLOADED, F_PENDING, state, flags, at8, at32, highWater, ref, toHandle,
  handleKind, handleSlot, liveCount, OFF_PRIO, OFF_LRU_PREV, OFF_LRU_NEXT, OFF_BYTES, OFF_RATE, OFF_QUIET,
} from './slab';
import { checkHandle, E_WRONG_KIND, E_OUT_OF_MEMORY } from './errors';
import { io, reserveOut, outPush, outLength, fail } from './buffers';

// unmanaged! raw pointers into linear memory throughout.

const LRU_HEAD: usize = memory.data(256 * 4);
const LRU_TAIL: usize = memory.data(256 * 4);
/** Rate of a connection that has had no tick yet. */
const NO_RATE: f32 = -1;

@inline function headOf(p: u32): u32 { return load<u32>(LRU_HEAD + (<usize>p << 2)); }
@inline function tailOf(p: u32): u32 { return load<u32>(LRU_TAIL + (<usize>p << 2)); }
@inline function priorityOf(slot: u32): u32 { return <u32>load<u8>(at8(KIND_CONNECTION, slot, OFF_PRIO)); }
@inline function lruPrev(slot: u32): u32 { return load<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_PREV)); }
@inline function lruNext(slot: u32): u32 { return load<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_NEXT)); }

/** Resets the traffic fields of a new connection. */
export function trafficInit(slot: u32): void {
  store<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_PREV), 0); // not listed yet: this is its reason, none
  store<u32>(at32(KIND_CONNECTION, slot, OFF_BYTES), 0);
  store<f32>(at32(KIND_CONNECTION, slot, OFF_RATE), NO_RATE);
  store<u32>(at32(KIND_CONNECTION, slot, OFF_QUIET), 0);
}

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

/** True if the connection is in a victim list: OFFLOADED and not pending. */
@inline function listed(slot: u32): bool {
  return state(KIND_CONNECTION, slot) == OFFLOADED && !(flags(KIND_CONNECTION, slot) & F_PENDING);
}

/** Adds traffic to a live connection, and makes an OFFLOADED one the most recently active. */
@inline function record(slot: u32, bytes: u32): void {
  let at = at32(KIND_CONNECTION, slot, OFF_BYTES);
  let sum = <u64>load<u32>(at) + <u64>bytes;
  store<u32>(at, sum > 0xffffffff ? 0xffffffff : <u32>sum);
  if (listed(slot) && tailOf(priorityOf(slot)) != slot + 1) {
    lruRemove(slot);
    lruAppend(slot);
  }
}

/** 0 if `h` is a live connection, else an error code. */
function checkConnection(h: u64): i32 {
  let e = checkHandle(h);
  if (e) return e;
  return handleKind(h) == KIND_CONNECTION ? 0 : E_WRONG_KIND;
}

/** Records `bytes` of traffic (sent and received) on one connection. 0 or -error. */
export function recordTraffic(hf: f64, bytes: u32): i32 {
  let h = toHandle(hf);
  let e = checkConnection(h);
  if (e) return fail(e, -1, hf, 0);
  record(handleSlot(h), bytes);
  return 0;
}

// A traffic batch is all or none, and it never needs memory (HostStack records every connection's
// traffic every tick, also at the memory cap): JS passes it through the I/O window in chunks,
// first every chunk to checkTraffic, then every chunk to applyTraffic.
//
//   I/O window, a chunk of n:  [ handle f64 x n | bytes u32 x n ]

/** Checks that the `n` handles of the chunk are live connections; `base` numbers them. 0 or -error. */
export function checkTraffic(n: u32, base: u32): i32 {
  let at = io();
  for (let i: u32 = 0; i < n; i++) {
    let hf = load<f64>(at + (<usize>i << 3));
    let e = checkConnection(toHandle(hf));
    if (e) return fail(e, base + i, hf, 0);
  }
  return 0;
}

/** Records the traffic of a chunk that checkTraffic accepted. Returns n. */
export function applyTraffic(n: u32): i32 {
  let at = io();
  let bytesAt = at + (<usize>n << 3);
  for (let i: u32 = 0; i < n; i++) {
    record(handleSlot(toHandle(load<f64>(at + (<usize>i << 3)))), load<u32>(bytesAt + (<usize>i << 2)));
  }
  return <i32>n;
}

/**
 * One tick of the low-activity policy over every connection, `dt` ms after the previous one.
 * Output: the OFFLOADED, not pending connections whose rate stayed under `threshold` bytes/s for
 * at least `quietLimit` ms, in slot order. Returns how many (the output holds every live object).
 */
export function tick(dt: f64, dtWhole: u32, alpha: f64, threshold: f64, quietLimit: u32): i32 {
  if (!reserveOut(0, liveCount(KIND_CONNECTION))) return -E_OUT_OF_MEMORY; // never allocates: see reserveFor
  let hw = highWater(KIND_CONNECTION);
  for (let s: u32 = 0; s < hw; s++) {
    let st = state(KIND_CONNECTION, s);
    if (st == 0) continue;
    let bytesAt = at32(KIND_CONNECTION, s, OFF_BYTES);
    let bytes = load<u32>(bytesAt);
    store<u32>(bytesAt, 0);
    if (!listed(s)) continue;
    let rateAt = at32(KIND_CONNECTION, s, OFF_RATE);
    let now = <f64>bytes * 1000.0 / dt;
    let before = <f64>load<f32>(rateAt);
    let rate = <f32>(before < 0 ? now : before + alpha * (now - before));
    store<f32>(rateAt, rate);
    let quietAt = at32(KIND_CONNECTION, s, OFF_QUIET);
    if (<f64>rate < threshold) {
      let q = <u64>load<u32>(quietAt) + <u64>dtWhole;
      let quiet = q > 0xffffffff ? <u32>0xffffffff : <u32>q;
      store<u32>(quietAt, quiet);
      if (quiet >= quietLimit) outPush(ref(KIND_CONNECTION, s));
    } else {
      store<u32>(quietAt, 0);
    }
  }
  return <i32>outLength();
}

/**
 * Up to `k` victims for a connection of priority `priority`: OFFLOADED, not pending, of strictly
 * lower priority; lowest priority first, least recently active first. Returns how many (-error).
 */
export function chooseVictims(k: u32, priority: u32): i32 {
  if (!reserveOut(0, min(k, liveCount(KIND_CONNECTION)))) return -E_OUT_OF_MEMORY; // never allocates: see reserveFor
  k = min(k, liveCount(KIND_CONNECTION));
  for (let p: u32 = 0; p < priority && p < 256 && outLength() < k; p++) {
    for (let c = headOf(p); c && outLength() < k; c = lruNext(c - 1)) outPush(ref(KIND_CONNECTION, c - 1));
  }
  return <i32>outLength();
}

/** Traffic state of a live connection for describe(): writes bytes, rate, quiet to `at`. */
export function trafficOf(slot: u32, at: usize): void {
  store<u32>(at, load<u32>(at32(KIND_CONNECTION, slot, OFF_BYTES)));
  store<f32>(at, load<f32>(at32(KIND_CONNECTION, slot, OFF_RATE)), 4);
  store<u32>(at, load<u32>(at32(KIND_CONNECTION, slot, OFF_QUIET)), 8);
}

/** check(): the victim lists hold exactly the listed connections, each in its priority's list. */
export function checkVictimLists(): bool {
  let members: u32 = 0;
  let hw = highWater(KIND_CONNECTION);
  for (let p: u32 = 0; p < 256; p++) {
    let before: u32 = 0;
    for (let c = headOf(p); c; c = lruNext(c - 1)) {
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
