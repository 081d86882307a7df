// Key indexes: one open-addressing hash table per kind, keys unique.
//
//   neighbor:   interface index + next-hop address          (hash of 5 words)
//   path:       source address + destination address        (hash of 8 words)
//   connection: path slot + (local port << 16 | remote port) (hash of 2 words)
//
// A connection's addresses are its path's, so its key stores the path slot instead of 32 bytes.
//
// Each table is a power-of-two array of u32 buckets holding slot+1 (0 = empty), linear probing,
// at most 3/4 full. Keys are not copied into the table: a probe compares against the slab.
// Deletion shifts the following run back (no tombstones), so probe lengths stay short under churn.
//
//   bucket:  [ slot+1 | slot+1 | 0 | slot+1 | ... ]    (mask + 1 buckets)

import { allocBlock, freeBlock } from './alloc';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, at32, at128, parent,
  OFF_IFINDEX, OFF_ADDR, OFF_SRC, OFF_DST, OFF_PORTS,
} from './slab';

// unmanaged! raw pointers into linear memory throughout.

/** Per-kind index state, 4 u32 each: buckets address, mask, entries. */
const IDX: usize = memory.data(4 * 16);
const I_PTR: usize = 0;
const I_MASK: usize = 4;
const I_USED: usize = 8;
/** Buckets of a new index. */
const MIN_BUCKETS: u32 = 64;

@inline function idx(kind: u32, off: usize): usize { return IDX + (<usize>kind << 4) + off; }
@inline function buckets(kind: u32): usize { return <usize>load<u32>(idx(kind, I_PTR)); }
@inline function mask(kind: u32): u32 { return load<u32>(idx(kind, I_MASK)); }
@inline function bucket(base: usize, i: u32): usize { return base + (<usize>i << 2); }

// ---- hashing -----------------------------------------------------------------------------------

/** Finalizer of MurmurHash3's 64-bit variant: every input bit affects every output bit. */
@inline function fmix(x: u64): u32 {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >> 33;
  return <u32>x;
}
@inline function fold(h: u64, w: u64): u64 { return rotl<u64>(h ^ w, 29) * 0x9e3779b97f4a7c15; }

@inline export function hashConnection(pathSlot: u32, ports: u32): u32 {
  return fmix((<u64>pathSlot << 32) | <u64>ports);
}
@inline export function hashPath(src: usize, dst: usize): u32 {
  let h = fold(fold(0x243f6a8885a308d3, load<u64>(src)), load<u64>(src, 8));
  return fmix(fold(fold(h, load<u64>(dst)), load<u64>(dst, 8)));
}
@inline export function hashNeighbor(ifIndex: u32, addr: usize): u32 {
  let h = fold(fold(<u64>ifIndex, load<u64>(addr)), load<u64>(addr, 8));
  return fmix(h);
}
@inline export function sameAddress(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/** Hash of the key of an existing object. */
function hashOfSlot(kind: u32, slot: u32): u32 {
  if (kind == KIND_CONNECTION) return hashConnection(parent(kind, slot), load<u32>(at32(kind, slot, OFF_PORTS)));
  if (kind == KIND_PATH) return hashPath(at128(kind, slot, OFF_SRC), at128(kind, slot, OFF_DST));
  return hashNeighbor(load<u32>(at32(kind, slot, OFF_IFINDEX)), at128(kind, slot, OFF_ADDR));
}

// ---- lookups -----------------------------------------------------------------------------------

/** Slot+1 of the connection with this key, 0 if none. */
export function findConnectionSlot(pathSlot: u32, ports: u32): u32 {
  let base = buckets(KIND_CONNECTION);
  if (!base) return 0;
  let m = mask(KIND_CONNECTION);
  let i = hashConnection(pathSlot, ports) & m;
  while (true) {
    let e = load<u32>(bucket(base, i));
    if (!e) return 0;
    let s = e - 1;
    if (load<u32>(at32(KIND_CONNECTION, s, OFF_PORTS)) == ports && parent(KIND_CONNECTION, s) == pathSlot) return e;
    i = (i + 1) & m;
  }
}

/** Slot+1 of the path from `src` to `dst` (16-byte addresses in memory), 0 if none. */
export function findPathSlot(src: usize, dst: usize): u32 {
  let base = buckets(KIND_PATH);
  if (!base) return 0;
  let m = mask(KIND_PATH);
  let i = hashPath(src, dst) & m;
  while (true) {
    let e = load<u32>(bucket(base, i));
    if (!e) return 0;
    let s = e - 1;
    if (sameAddress(at128(KIND_PATH, s, OFF_SRC), src) && sameAddress(at128(KIND_PATH, s, OFF_DST), dst)) return e;
    i = (i + 1) & m;
  }
}

/** Slot+1 of the neighbor `addr` on interface `ifIndex`, 0 if none. */
export function findNeighborSlot(ifIndex: u32, addr: usize): u32 {
  let base = buckets(KIND_NEIGHBOR);
  if (!base) return 0;
  let m = mask(KIND_NEIGHBOR);
  let i = hashNeighbor(ifIndex, addr) & m;
  while (true) {
    let e = load<u32>(bucket(base, i));
    if (!e) return 0;
    let s = e - 1;
    if (load<u32>(at32(KIND_NEIGHBOR, s, OFF_IFINDEX)) == ifIndex && sameAddress(at128(KIND_NEIGHBOR, s, OFF_ADDR), addr)) return e;
    i = (i + 1) & m;
  }
}

// ---- changes -----------------------------------------------------------------------------------

/** Entries in the index of `kind`. */
export function indexUsed(kind: u32): u32 { return load<u32>(idx(kind, I_USED)); }
/** Buckets in the index of `kind`. */
export function indexBuckets(kind: u32): u32 { return buckets(kind) ? mask(kind) + 1 : 0; }

/**
 * Makes room for `n` more keys of `kind` without growing again; rehashes into a bigger table if
 * needed. Returns false, with the old table intact, when memory runs out.
 */
export function reserveIndex(kind: u32, n: u32): bool {
  let used = <u64>indexUsed(kind) + <u64>n;
  let old = buckets(kind);
  let oldCount: u32 = old ? mask(kind) + 1 : 0;
  if (used * 4 <= <u64>oldCount * 3) return true;
  let count = max(MIN_BUCKETS, oldCount);
  while (used * 4 > <u64>count * 3) count <<= 1;
  let bytes = <usize>count << 2;
  let fresh = allocBlock(bytes);
  if (!fresh) return false;
  memory.fill(fresh, 0, bytes);
  let m = count - 1;
  for (let i: u32 = 0; i < oldCount; i++) {
    let e = load<u32>(bucket(old, i));
    if (!e) continue;
    let j = hashOfSlot(kind, e - 1) & m;
    while (load<u32>(bucket(fresh, j))) j = (j + 1) & m;
    store<u32>(bucket(fresh, j), e);
  }
  freeBlock(old, <usize>oldCount << 2);
  store<u32>(idx(kind, I_PTR), <u32>fresh);
  store<u32>(idx(kind, I_MASK), m);
  return true;
}

/** Adds an object whose key is not in the index yet (reserveIndex must have made room). */
export function indexInsert(kind: u32, slot: u32): void {
  let base = buckets(kind);
  let m = mask(kind);
  let i = hashOfSlot(kind, slot) & m;
  while (load<u32>(bucket(base, i))) i = (i + 1) & m;
  store<u32>(bucket(base, i), slot + 1);
  store<u32>(idx(kind, I_USED), indexUsed(kind) + 1);
}

/** Removes an object that is in the index, shifting the rest of its probe run back. */
export function indexRemove(kind: u32, slot: u32): void {
  let base = buckets(kind);
  let m = mask(kind);
  let i = hashOfSlot(kind, slot) & m;
  while (load<u32>(bucket(base, i)) != slot + 1) i = (i + 1) & m;
  // Backward-shift deletion: move later entries of the run into the hole when the hole lies
  // between their home bucket and where they sit now.
  let hole = i;
  let j = (i + 1) & m;
  while (true) {
    let e = load<u32>(bucket(base, j));
    if (!e) break;
    let home = hashOfSlot(kind, e - 1) & m;
    if (((j - home) & m) >= ((j - hole) & m)) {
      store<u32>(bucket(base, hole), e);
      hole = j;
    }
    j = (j + 1) & m;
  }
  store<u32>(bucket(base, hole), 0);
  store<u32>(idx(kind, I_USED), indexUsed(kind) - 1);
}

/** Slot+1 stored at bucket `i` of the index of `kind` (for check()). */
export function indexEntry(kind: u32, i: u32): u32 { return load<u32>(bucket(buckets(kind), i)); }
