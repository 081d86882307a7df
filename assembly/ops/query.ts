// Queries: lookups by key (one, or a batch in groups), getters, keys, and chunked listings. None
// changes the table, and none needs memory beyond one small output chunk (see listings below).

import { ErrorCode } from '../contract';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, FREE, F_PENDING, toHandle, handleKind, handleSlot, handleOf, ref, state,
  flags, reason, parent, head, next, refCount, at8, at16, at32, at64, at128, highWater as highWaterOf, OFF_IFINDEX,
  OFF_ADDR, OFF_LLADDR, OFF_SRC, OFF_DST, OFF_MTU, OFF_PORTS, OFF_PRIO,
} from '../memory/slab';
import {
  findNeighborSlot, findPathSlot, findConnectionSlot, lookupGroup, findPathSlotsGroup, findConnectionSlotsGroup,
  GROUP_SLOTS,
} from '../indexes/keyindex';
import { interfaceHead } from '../indexes/interfaces';
import {
  KEY_SRC, KEY_DST, key, io, reserveOut, outLength, outPush, fail, failHandle, outCapacity, setCursor, LIST_DONE,
  LIST_CHUNK,
} from '../memory/buffers';
import { checkHandle } from './checks';
import { trafficOf } from './traffic';

// unmanaged! raw pointers into linear memory throughout.

// ---- lookups -----------------------------------------------------------------------------------

/** Handle of the neighbor at KEY_SRC on `ifIndex`, or 0. */
export function findNeighbor(ifIndex: u32): f64 {
  let s = findNeighborSlot(ifIndex, KEY_SRC);
  return s ? handleOf(KIND_NEIGHBOR, s - 1) : 0;
}

/** Handle of the path KEY_SRC -> KEY_DST, or 0. */
export function findPath(): f64 {
  let s = findPathSlot(KEY_SRC, KEY_DST);
  return s ? handleOf(KIND_PATH, s - 1) : 0;
}

/** Handle of the connection KEY_SRC -> KEY_DST with `ports`, or 0. */
export function findConnection(ports: u32): f64 {
  let p = findPathSlot(KEY_SRC, KEY_DST);
  if (!p) return 0;
  let s = findConnectionSlot(p - 1, ports);
  return s ? handleOf(KIND_CONNECTION, s - 1) : 0;
}

/**
 * Looks up a chunk of `n` connections in the I/O window, which never needs memory:
 *   in:  [ sources 16n bytes | destinations 16n bytes | ports u32 x n ]
 *   out: [ handle f64 x n ] (0 where none), written over the sources: result i lands on bytes
 *        8i..8i+8, which belong to keys at or before i, already read.
 * Returns n.
 */
export function findConnections(n: u32): i32 {
  let src = io();
  let dst = src + (<usize>n << 4);
  let ports = dst + (<usize>n << 4);
  let g = lookupGroup;
  if (g > 1) {
    // Results of a group are written after the whole group is read: result j lands on bytes that
    // belong to keys at or before j.
    for (let i: u32 = 0; i < n; i += g) {
      let m = min(g, n - i);
      findPathSlotsGroup(src + (<usize>i << 4), dst + (<usize>i << 4), m, GROUP_SLOTS);
      findConnectionSlotsGroup(GROUP_SLOTS, ports + (<usize>i << 2), m);
      for (let j: u32 = 0; j < m; j++) {
        let s = load<u32>(GROUP_SLOTS + (<usize>j << 2));
        store<f64>(src + (<usize>(i + j) << 3), s ? handleOf(KIND_CONNECTION, s - 1) : 0);
      }
    }
    return <i32>n;
  }
  for (let i: u32 = 0; i < n; i++) {
    let h: f64 = 0;
    let p = findPathSlot(src + (<usize>i << 4), dst + (<usize>i << 4));
    if (p) {
      let s = findConnectionSlot(p - 1, load<u32>(ports + (<usize>i << 2)));
      if (s) h = handleOf(KIND_CONNECTION, s - 1);
    }
    store<f64>(src + (<usize>i << 3), h);
  }
  return <i32>n;
}

// ---- getters -----------------------------------------------------------------------------------
// Each takes a handle as f64 and fails like every export (see index.ts) for a bad one.

export function kindOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  return e ? fail(e, -1, hf, 0) : <i32>handleKind(h);
}

export function stateOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  return e ? fail(e, -1, hf, 0) : <i32>state(handleKind(h), handleSlot(h));
}

/** Bit 0: PENDING; bits 8..15: reason (pending or actual); -error. */
export function statusOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return fail(e, -1, hf, 0);
  let k = handleKind(h);
  let s = handleSlot(h);
  return <i32>(flags(k, s) & F_PENDING) | (<i32>reason(k, s) << 8);
}

/** Parent handle, 0 for a neighbor, or -error. */
export function parentOf(hf: f64): f64 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return failHandle(e, -1, hf, 0);
  let k = handleKind(h);
  return k == KIND_NEIGHBOR ? 0 : handleOf(k - 1, parent(k, handleSlot(h)));
}

export function refCountOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return fail(e, -1, hf, 0);
  let k = handleKind(h);
  return k == KIND_CONNECTION ? 0 : <i32>refCount(k, handleSlot(h));
}

// Listings never need memory beyond one small output chunk: they fill the output as far as it
// holds, leave a cursor in the header, and JS calls again from the cursor until LIST_DONE. So
// reading the table works even when its memory cap is reached.

/** Makes sure a listing has at least LIST_CHUNK output entries; false when out of memory. */
@inline function listingRoom(): bool {
  return reserveOut(0, LIST_CHUNK);
}

/**
 * Writes dependents of `h` to the output, starting at dependent slot+1 `from` (0: the first).
 * Returns how many, or -error; the cursor is the next dependent's slot+1, or LIST_DONE.
 */
export function dependentsOf(hf: f64, from: u32): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return fail(e, -1, hf, 0);
  let k = handleKind(h);
  if (!listingRoom()) return fail(ErrorCode.OutOfMemory, -1, hf, 0);
  setCursor(LIST_DONE);
  if (k == KIND_CONNECTION) return 0;
  let cap = outCapacity();
  let d = from ? from : head(k, handleSlot(h));
  for (; d && outLength() < cap; d = next(k + 1, d - 1)) outPush(ref(k + 1, d - 1));
  if (d) setCursor(d);
  return <i32>outLength();
}

/**
 * Writes the key and cached variables of `h` to the key scratch (Key in memory/buffers.ts);
 * returns its kind or -error.
 *   neighbor:   source (its address), ifIndex, linkLayerAddress
 *   path:       source, destination, mtu
 *   connection: source, destination (its path's), ports, priority, bytes, rate, quietMs
 */
export function keyOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return fail(e, -1, hf, 0);
  let k = handleKind(h);
  let s = handleSlot(h);
  if (k == KIND_NEIGHBOR) {
    memory.copy(KEY_SRC, at128(k, s, OFF_ADDR), 16);
    key.ifIndex = load<u32>(at32(k, s, OFF_IFINDEX));
    key.linkLayerAddress = load<u64>(at64(k, s, OFF_LLADDR));
  } else if (k == KIND_PATH) {
    memory.copy(KEY_SRC, at128(k, s, OFF_SRC), 16);
    memory.copy(KEY_DST, at128(k, s, OFF_DST), 16);
    key.mtu = <u32>load<u16>(at16(k, s, OFF_MTU));
  } else {
    let p = parent(k, s);
    memory.copy(KEY_SRC, at128(KIND_PATH, p, OFF_SRC), 16);
    memory.copy(KEY_DST, at128(KIND_PATH, p, OFF_DST), 16);
    key.ports = load<u32>(at32(k, s, OFF_PORTS));
    key.priority = <u32>load<u8>(at8(k, s, OFF_PRIO));
    trafficOf(s, key);
  }
  return <i32>k;
}

/** Writes live handles of `kind` from slot `from` on (see dependentsOf for the chunking). */
export function listAll(kind: u32, from: u32): i32 {
  if (!listingRoom()) return fail(ErrorCode.OutOfMemory, -1, 0, 0);
  let cap = outCapacity();
  let hw = highWaterOf(kind);
  let s = from;
  for (; s < hw && outLength() < cap; s++) if (state(kind, s) != FREE) outPush(ref(kind, s));
  setCursor(s < hw ? s : LIST_DONE);
  return <i32>outLength();
}

/** Writes the neighbors on `ifIndex` from neighbor slot+1 `from` on (0: the first). */
export function listInterface(ifIndex: u32, from: u32): i32 {
  if (!listingRoom()) return fail(ErrorCode.OutOfMemory, -1, 0, 0);
  let cap = outCapacity();
  let s = from ? from : interfaceHead(ifIndex);
  for (; s && outLength() < cap; s = next(KIND_NEIGHBOR, s - 1)) outPush(ref(KIND_NEIGHBOR, s - 1));
  setCursor(s ? s : LIST_DONE);
  return <i32>outLength();
}
