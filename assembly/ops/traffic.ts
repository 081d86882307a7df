// Traffic counters and the low-activity tick, and the victim choice: what the host's policy needs
// in bulk. The victim order itself is indexes/victims.ts.
//
// Low activity. recordTraffic adds to `bytes`; tick() folds `bytes` into `rate`, a moving average
// in bytes per second (alpha = 1 - exp(-dt / window), computed by JS so that every engine agrees),
// and adds the elapsed time to `quiet` while the rate stays under the threshold. Connections whose
// quiet time reaches the policy's duration are the tick's result. A new connection's first tick
// sets its rate to that interval's rate (no ramp up from zero).

import { ErrorCode } from '../contract';
import {
  KIND_CONNECTION, state, at32, highWater, ref, toHandle, handleSlot, liveCount, OFF_LRU_PREV, OFF_BYTES, OFF_RATE,
  OFF_QUIET,
} from '../memory/slab';
import { io, reserveOut, outPush, outLength, fail, Key } from '../memory/buffers';
import { victimsHead, lruNext, lruTouch, listed, PRIORITIES } from '../indexes/victims';
import { checkConnection } from './checks';

// unmanaged! raw pointers into linear memory throughout.

/** Rate of a connection that has had no tick yet. */
const NO_RATE: f32 = -1;

/** Resets the traffic fields of a new connection. */
export function trafficInit(slot: u32): void {
  store<u32>(at32(KIND_CONNECTION, slot, OFF_LRU_PREV), 0); // not listed yet: this is its reason, none
  store<u32>(at32(KIND_CONNECTION, slot, OFF_BYTES), 0);
  store<f32>(at32(KIND_CONNECTION, slot, OFF_RATE), NO_RATE);
  store<u32>(at32(KIND_CONNECTION, slot, OFF_QUIET), 0);
}

/** Adds traffic to a live connection, and makes an OFFLOADED one the most recently active. */
@inline function record(slot: u32, bytes: u32): void {
  let at = at32(KIND_CONNECTION, slot, OFF_BYTES);
  let sum = <u64>load<u32>(at) + <u64>bytes;
  store<u32>(at, sum > 0xffffffff ? 0xffffffff : <u32>sum);
  if (listed(slot)) lruTouch(slot);
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
  if (!reserveOut(0, liveCount(KIND_CONNECTION))) return fail(ErrorCode.OutOfMemory, -1, 0, 0); // never allocates: see reserveFor (ops/offload.ts)
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
  if (!reserveOut(0, min(k, liveCount(KIND_CONNECTION)))) return fail(ErrorCode.OutOfMemory, -1, 0, 0); // never allocates: see reserveFor (ops/offload.ts)
  k = min(k, liveCount(KIND_CONNECTION));
  for (let p: u32 = 0; p < priority && p < PRIORITIES && outLength() < k; p++) {
    for (let c = victimsHead(p); c && outLength() < k; c = lruNext(c - 1)) outPush(ref(KIND_CONNECTION, c - 1));
  }
  return <i32>outLength();
}

/** Traffic state of a live connection for describe(): bytes, rate, quiet into the key scratch. */
export function trafficOf(slot: u32, key: Key): void {
  key.bytes = load<u32>(at32(KIND_CONNECTION, slot, OFF_BYTES));
  key.rate = load<f32>(at32(KIND_CONNECTION, slot, OFF_RATE));
  key.quietMs = load<u32>(at32(KIND_CONNECTION, slot, OFF_QUIET));
}
