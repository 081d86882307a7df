// Key indexes: one open-addressing hash table per kind, keys unique.
//
//   neighbor:   interface index + next-hop address          (hash of 5 words)
//   path:       source address + destination address        (hash of 8 words)
//   connection: path slot + (local port << 16 | remote port) (hash of 2 words)
//
// A connection's addresses are its path's, so its key stores the path slot instead of 32 bytes.
//
// Each table is an array of u32 buckets, linear probing, at most 3/4 full. A bucket holds the
// slot+1 (27 bits, 0 = empty) and 5 bits of the key's hash as a tag, so a probe reads the slab
// only when the tag matches (1 in 32 otherwise): probes stay cheap at high load.
// Deletion shifts the following run back (no tombstones), so probe lengths stay short under churn.
//
//   bucket:  [ tag 5 | slot+1 27 ] [ 0 ] [ tag | slot+1 ] ...       (count buckets)
//
// The bucket count is any multiple of 64, not a power of two: a key's home is (hash * count) >> 32.
// An index grows to 4/3 of what it must hold, or by 1/4 when it grows a little at a time, so it
// stays 60 to 75% full: at 33.5M connections 5.3 to 6.7 bytes per connection, where doubling
// would give 8 (2^26 buckets).

import { allocSized, freeSized } from '../memory/alloc';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, FREE, state, at32, at128, parent, chunk, CHUNK_MASK,
  OFF_IFINDEX, OFF_ADDR, OFF_SRC, OFF_DST, OFF_PORTS, OFF_HEAD,
} from '../memory/slab';

// unmanaged! raw pointers into linear memory throughout.

/** A kind's index: [ buckets address u32 | bucket count u32 | entries u32 | unused u32 ]. */
@unmanaged class Index {
  buckets: u32;
  count: u32;
  used: u32;
  unused: u32;
}
/** One Index per kind (index 0 unused). */
const IDX: usize = memory.data(4 * offsetof<Index>());
/** Buckets of a new index. */
const MIN_BUCKETS: u32 = 64;
const SLOT_PART: u32 = (1 << 27) - 1;

@inline function idx(kind: u32): Index { return changetype<Index>(IDX + <usize>kind * offsetof<Index>()); }
@inline function buckets(kind: u32): usize { return <usize>idx(kind).buckets; }
@inline function countOf(kind: u32): u32 { return idx(kind).count; }
@inline function bucket(base: usize, i: u32): usize { return base + (<usize>i << 2); }
/** The home bucket of a hash among `count`. */
@inline function home(h: u32, count: u32): u32 { return <u32>((<u64>h * <u64>count) >> 32); }
/** The tag of a hash, in a bucket's top 5 bits (home uses its high bits, the tag its low ones). */
@inline function tag(h: u32): u32 { return (h & 31) << 27; }
@inline function step(i: u32, count: u32): u32 { return i + 1 == count ? 0 : i + 1; }

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
  let n = countOf(KIND_CONNECTION);
  let h = hashConnection(pathSlot, ports);
  let t = tag(h);
  let i = home(h, n);
  while (true) {
    let b = load<u32>(bucket(base, i));
    if (!b) return 0;
    let e = b & SLOT_PART;
    let s = e - 1;
    if ((b & ~SLOT_PART) == t && load<u32>(at32(KIND_CONNECTION, s, OFF_PORTS)) == ports && parent(KIND_CONNECTION, s) == pathSlot) return e;
    i = step(i, n);
  }
}

/** Slot+1 of the path from `src` to `dst` (16-byte addresses in memory), 0 if none. */
export function findPathSlot(src: usize, dst: usize): u32 {
  let base = buckets(KIND_PATH);
  if (!base) return 0;
  let n = countOf(KIND_PATH);
  let h = hashPath(src, dst);
  let t = tag(h);
  let i = home(h, n);
  while (true) {
    let b = load<u32>(bucket(base, i));
    if (!b) return 0;
    let e = b & SLOT_PART;
    let s = e - 1;
    if ((b & ~SLOT_PART) == t && sameAddress(at128(KIND_PATH, s, OFF_SRC), src) && sameAddress(at128(KIND_PATH, s, OFF_DST), dst)) return e;
    i = step(i, n);
  }
}

/** Slot+1 of the neighbor `addr` on interface `ifIndex`, 0 if none. */
export function findNeighborSlot(ifIndex: u32, addr: usize): u32 {
  let base = buckets(KIND_NEIGHBOR);
  if (!base) return 0;
  let n = countOf(KIND_NEIGHBOR);
  let h = hashNeighbor(ifIndex, addr);
  let t = tag(h);
  let i = home(h, n);
  while (true) {
    let b = load<u32>(bucket(base, i));
    if (!b) return 0;
    let e = b & SLOT_PART;
    let s = e - 1;
    if ((b & ~SLOT_PART) == t && load<u32>(at32(KIND_NEIGHBOR, s, OFF_IFINDEX)) == ifIndex && sameAddress(at128(KIND_NEIGHBOR, s, OFF_ADDR), addr)) return e;
    i = step(i, n);
  }
}

// ---- changes -----------------------------------------------------------------------------------

/** Entries in the index of `kind`. */
export function indexUsed(kind: u32): u32 { return idx(kind).used; }
/** Buckets in the index of `kind`. */
export function indexBuckets(kind: u32): u32 { return buckets(kind) ? countOf(kind) : 0; }

/**
 * Makes room for `n` more keys of `kind` without growing again; rehashes into a bigger table if
 * needed. Returns false, with the old table intact, when memory runs out.
 */
export function reserveIndex(kind: u32, n: u32): bool {
  let used = <u64>indexUsed(kind) + <u64>n;
  let old = buckets(kind);
  let oldCount: u32 = old ? countOf(kind) : 0;
  if (used * 4 <= <u64>oldCount * 3) return true;
  // 4/3 of what it must hold, at least 1/4 more than now; a multiple of 64.
  let want = max<u64>(max<u64>((used * 4 + 2) / 3, <u64>oldCount + (<u64>oldCount >> 2)), <u64>MIN_BUCKETS);
  want = (want + 63) & ~<u64>63;
  if (want > 0x40000000) return false; // 2^30 buckets: more than 3 x 2^26 slots need
  let count = <u32>want;
  let bytes = <usize>count << 2;
  let fresh = allocSized(bytes);
  if (!fresh) return false;
  memory.fill(fresh, 0, bytes);
  for (let i: u32 = 0; i < oldCount; i++) {
    let b = load<u32>(bucket(old, i));
    if (!b) continue;
    let j = home(hashOfSlot(kind, (b & SLOT_PART) - 1), count);
    while (load<u32>(bucket(fresh, j))) j = step(j, count);
    store<u32>(bucket(fresh, j), b);
  }
  freeSized(old, <usize>oldCount << 2);
  idx(kind).buckets = <u32>fresh;
  idx(kind).count = count;
  return true;
}

/** Adds an object whose key is not in the index yet (reserveIndex must have made room). */
export function indexInsert(kind: u32, slot: u32): void {
  let base = buckets(kind);
  let n = countOf(kind);
  let h = hashOfSlot(kind, slot);
  let i = home(h, n);
  while (load<u32>(bucket(base, i))) i = step(i, n);
  store<u32>(bucket(base, i), tag(h) | (slot + 1));
  idx(kind).used = indexUsed(kind) + 1;
}

/** Distance from bucket `from` forward to bucket `to` among `n`. */
@inline function ahead(from: u32, to: u32, n: u32): u32 { return to >= from ? to - from : to + n - from; }

/** Removes an object that is in the index, shifting the rest of its probe run back. */
export function indexRemove(kind: u32, slot: u32): void {
  let base = buckets(kind);
  let n = countOf(kind);
  let i = home(hashOfSlot(kind, slot), n);
  while ((load<u32>(bucket(base, i)) & SLOT_PART) != slot + 1) i = step(i, n);
  // Backward-shift deletion: move later entries of the run into the hole when the hole lies
  // between their home bucket and where they sit now.
  let hole = i;
  let j = step(i, n);
  while (true) {
    let b = load<u32>(bucket(base, j));
    if (!b) break;
    let h = home(hashOfSlot(kind, (b & SLOT_PART) - 1), n);
    if (ahead(h, j, n) >= ahead(hole, j, n)) {
      store<u32>(bucket(base, hole), b);
      hole = j;
    }
    j = step(j, n);
  }
  store<u32>(bucket(base, hole), 0);
  idx(kind).used = indexUsed(kind) - 1;
}

/**
 * Removes every entry whose object was freed (state FREE), in one pass, then re-places the
 * entries that stay: each, in probe order starting after an empty bucket, moves to the first empty
 * bucket from its home on, which is where a fresh insert would put it. O(buckets).
 */
export function indexSweep(kind: u32): void {
  let base = buckets(kind);
  if (!base) return;
  let n = countOf(kind);
  let used = indexUsed(kind);
  // Re-placing starts after a bucket that is empty BEFORE the freed entries go: no probe run
  // crosses it, so every entry's home lies between it and the entry, and a re-placed entry never
  // lands behind the scan. (A bucket emptied by the first pass can sit inside a run: an entry
  // re-placed into it could be cut off from its home when the end of the scan moves an entry
  // before it.) One exists: the index is at most 3/4 full.
  let start: u32 = 0;
  while (load<u32>(bucket(base, start))) start++;
  for (let i: u32 = 0; i < n; i++) {
    let b = load<u32>(bucket(base, i));
    if (b && state(kind, (b & SLOT_PART) - 1) == FREE) {
      store<u32>(bucket(base, i), 0);
      used--;
    }
  }
  idx(kind).used = used;
  let i = step(start, n);
  for (let k: u32 = 1; k < n; k++, i = step(i, n)) {
    let b = load<u32>(bucket(base, i));
    if (!b) continue;
    store<u32>(bucket(base, i), 0);
    let j = home(hashOfSlot(kind, (b & SLOT_PART) - 1), n);
    while (load<u32>(bucket(base, j))) j = step(j, n);
    store<u32>(bucket(base, j), b);
  }
}

/** Slot+1 stored at bucket `i` of the index of `kind` (for check()). */
export function indexEntry(kind: u32, i: u32): u32 { return load<u32>(bucket(buckets(kind), i)) & SLOT_PART; }

// ---- grouped lookups ---------------------------------------------------------------------------
// A lookup is a chain of cache misses: bucket, then the object the bucket names. One key at a time
// the CPU waits for each miss in turn; a group of keys staged level by level (hash every key, read
// every home bucket, read every candidate object, then compare) puts the group's misses in flight
// together, the way DPDK's rte_hash bulk lookup does. Only the first tag match of each key is
// staged; a key whose first candidate is not it (1 in 32 per occupied bucket in its run) falls back
// to the one-key probe, so results are exactly findPathSlot's and findConnectionSlot's.
//
//   G_HOME: [ home bucket index u32 x group ]   G_HASH: [ tag u32 x group ]
//   G_CAND: [ first candidate's slot+1 u32 x group (0 = no key) ]

/** Keys staged together. Chosen by measurement (BENCHMARKS.md, "Grouped lookups"); 1 = one at a time. */
export let lookupGroup: u32 = 32;
export const MAX_GROUP: u32 = 64; // G_* below hold 4 x MAX_GROUP bytes each
const G_HOME: usize = memory.data(256);
const G_TAG: usize = memory.data(256);
const G_CAND: usize = memory.data(256);
/** Slots (or slot+1) of one group of keys, for the callers of grouped lookups: MAX_GROUP u32. */
export const GROUP_SLOTS: usize = memory.data(256);

/**
 * Where staged reads leave their sum, so no optimizer can drop a read whose value only warms the
 * cache. Never read.
 */
export let touched: u32 = 0;

/** Sets the group size (1..MAX_GROUP), for benchmarks that compare group sizes in one run. */
export function setLookupGroup(g: u32): void { lookupGroup = g < 1 ? 1 : g > MAX_GROUP ? MAX_GROUP : g; }

/**
 * Stage 2 of a group: from each key's home bucket, the first bucket whose tag matches (slot+1 in
 * G_CAND, 0 if the run ends first); `sink` folds a load of each candidate's field at `off` so the
 * object's cache line is requested now, with the group's other misses.
 */
@inline function firstCandidates(kind: u32, base: usize, n: u32, m: u32, off: usize, shift: u32): u32 {
  let sink: u32 = 0;
  for (let j: u32 = 0; j < m; j++) {
    let i = load<u32>(G_HOME + (<usize>j << 2));
    let t = load<u32>(G_TAG + (<usize>j << 2));
    let e: u32 = 0;
    while (true) {
      let b = load<u32>(bucket(base, i));
      if (!b) break;
      if ((b & ~SLOT_PART) == t) { e = b & SLOT_PART; break; }
      i = step(i, n);
    }
    store<u32>(G_CAND + (<usize>j << 2), e);
    if (e) sink += load<u32>(chunk(kind, e - 1) + off + (<usize>((e - 1) & CHUNK_MASK) << shift));
  }
  return sink;
}

/**
 * Slot+1 of the path of each of `m` (<= MAX_GROUP) keys, into `out` (u32 x m): sources and
 * destinations are 16-byte addresses at `src` and `dst`, consecutive.
 */
export function findPathSlotsGroup(src: usize, dst: usize, m: u32, out: usize): u32 {
  let base = buckets(KIND_PATH);
  if (!base) { memory.fill(out, 0, <usize>m << 2); return 0; }
  let n = countOf(KIND_PATH);
  for (let j: u32 = 0; j < m; j++) {
    let h = hashPath(src + (<usize>j << 4), dst + (<usize>j << 4));
    let i = home(h, n);
    store<u32>(G_HOME + (<usize>j << 2), i);
    store<u32>(G_TAG + (<usize>j << 2), tag(h));
  }
  let sink: u32 = 0;
  for (let j: u32 = 0; j < m; j++) sink += load<u32>(bucket(base, load<u32>(G_HOME + (<usize>j << 2))));
  sink += firstCandidates(KIND_PATH, base, n, m, OFF_SRC, 4);
  touched += sink;
  for (let j: u32 = 0; j < m; j++) {
    let e = load<u32>(G_CAND + (<usize>j << 2));
    let s = src + (<usize>j << 4);
    let d = dst + (<usize>j << 4);
    if (e && !(sameAddress(at128(KIND_PATH, e - 1, OFF_SRC), s) && sameAddress(at128(KIND_PATH, e - 1, OFF_DST), d))) {
      e = findPathSlot(s, d);
    }
    store<u32>(out + (<usize>j << 2), e);
  }
  return sink;
}

/**
 * Slot+1 of the connection of each of `m` (<= MAX_GROUP) keys, into `out` (u32 x m), in place of
 * `paths` (slot+1 of each key's path, 0 = no path: no connection). Ports are u32 at `ports`.
 */
export function findConnectionSlotsGroup(paths: usize, ports: usize, m: u32): u32 {
  let base = buckets(KIND_CONNECTION);
  if (!base) { memory.fill(paths, 0, <usize>m << 2); return 0; }
  let n = countOf(KIND_CONNECTION);
  for (let j: u32 = 0; j < m; j++) {
    let p = load<u32>(paths + (<usize>j << 2));
    let h = hashConnection(p - 1, load<u32>(ports + (<usize>j << 2)));
    // A key without a path hashes like any other; its result is forced to 0 below.
    store<u32>(G_HOME + (<usize>j << 2), home(h, n));
    store<u32>(G_TAG + (<usize>j << 2), tag(h));
  }
  let sink: u32 = 0;
  for (let j: u32 = 0; j < m; j++) sink += load<u32>(bucket(base, load<u32>(G_HOME + (<usize>j << 2))));
  sink += firstCandidates(KIND_CONNECTION, base, n, m, OFF_PORTS, 2);
  touched += sink;
  for (let j: u32 = 0; j < m; j++) {
    let p = load<u32>(paths + (<usize>j << 2));
    let e = load<u32>(G_CAND + (<usize>j << 2));
    let q = load<u32>(ports + (<usize>j << 2));
    if (!p) e = 0;
    else if (e && !(load<u32>(at32(KIND_CONNECTION, e - 1, OFF_PORTS)) == q && parent(KIND_CONNECTION, e - 1) == p - 1)) {
      e = findConnectionSlot(p - 1, q);
    }
    store<u32>(paths + (<usize>j << 2), e);
  }
  return sink;
}

/**
 * Warms the home buckets of `m` (<= MAX_GROUP) connection keys before a loop that must take them
 * one at a time (placing a batch: each insert may be the duplicate of one just before it). Path
 * slots are u32 at `paths`, ports u32 at `ports`. Also warms each path's head, which linking the
 * new connection writes.
 */
export function touchConnectionHomes(paths: usize, ports: usize, m: u32): void {
  let base = buckets(KIND_CONNECTION);
  if (!base) return;
  let n = countOf(KIND_CONNECTION);
  let sink: u32 = 0;
  for (let j: u32 = 0; j < m; j++) {
    let p = load<u32>(paths + (<usize>j << 2));
    let h = hashConnection(p, load<u32>(ports + (<usize>j << 2)));
    sink += load<u32>(bucket(base, home(h, n)));
    sink += load<u32>(at32(KIND_PATH, p, OFF_HEAD));
  }
  touched += sink;
}
