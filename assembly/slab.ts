// Slabs: one per kind of state object, struct-of-arrays in chunks of 4096 slots.
//
// A handle is a u32 that names an object and says whether it still exists:
//
//    31 30 29            22 21                                 0
//   +-----+----------------+------------------------------------+
//   |kind | generation (8) | slot (22): index into the kind slab|
//   +-----+----------------+------------------------------------+
//   kind: 1 neighbor, 2 path, 3 connection (so no handle is 0, and every handle is >= 2^30,
//   which lets getters return small error codes in the same u32). A slot's generation is bumped
//   when its object is freed; freed slots are reused first-in first-out, so a stale handle only
//   aliases a live object after 256 reuses of the same slot.
//
// A slab grows by whole chunks that never move, so growing is O(chunk) and never copies. The
// chunk directory of each kind maps slot >>> 12 to the chunk's address:
//
//   DIR[kind]: [chunk 0][chunk 1] ... [chunk 1023]           (u32 addresses, 0 = not allocated)
//
// Every chunk starts with the fields all kinds share, each an array of 4096 elements (C = 4096):
//
//   +0    gen     u8    generation of the slot
//   +1C   state   u8    FREE, OFFLOADING, OFFLOADED, TERMINATING
//   +2C   flags   u8    PENDING (termination requested, waiting), MARK (scratch within one call)
//   +3C   reason  u8    termination reason (pending or actual)
//   +4C   parent  u32   slot of the parent (path of a connection, neighbor of a path)
//   +8C   prev    u32   slot+1 of the previous sibling (0 = none); neighbors: interface list
//   +12C  next    u32   slot+1 of the next sibling; also the free-list link of a free slot
//
// then the fields of its kind (the OFF_* constants below):
//
//   neighbor (60C bytes)                path (68C bytes)              connection (41C bytes)
//   +16C head   u32 first dependent+1   +16C head   u32               +16C ports  u32 local<<16|remote
//   +20C ref    u32 linked dependents   +20C ref    u32               +20C prio   u8
//   +24C epoch  u32 } dependents in     +24C epoch  u32 } see ref-    +21C lruPrev u32 } victim order,
//   +28C cnt    u32 } batch `epoch`     +28C cnt    u32 } counting    +25C lruNext u32 } see traffic.ts
//   +32C ifIndex u32                    +32C src    16 bytes          +29C bytes  u32 since last tick
//   +36C addr   16 bytes                +48C dst    16 bytes          +33C rate   f32 bytes/s, averaged
//   +52C lladdr u64 (6 bytes used)      +64C mtu    u32               +37C quiet  u32 ms under threshold

import { allocRaw } from './alloc';

// unmanaged! everything below addresses raw linear memory.

export const KIND_NEIGHBOR: u32 = 1;
export const KIND_PATH: u32 = 2;
export const KIND_CONNECTION: u32 = 3;

export const FREE: u8 = 0;
export const OFFLOADING: u8 = 1;
export const OFFLOADED: u8 = 2;
export const TERMINATING: u8 = 3;

/** Termination was requested while the object could not enter it yet (see terminate.ts). */
export const F_PENDING: u8 = 1;
/** Scratch bit for deduplication inside one call; always clear between calls. */
export const F_MARK: u8 = 2;

export const CHUNK_BITS: u32 = 12;
export const C: usize = 1 << CHUNK_BITS;
export const CHUNK_MASK: u32 = <u32>C - 1;
export const SLOT_BITS: u32 = 22;
export const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
export const MAX_SLOTS: u32 = 1 << SLOT_BITS;

export const OFF_GEN: usize = 0;
export const OFF_STATE: usize = 1 * C;
export const OFF_FLAGS: usize = 2 * C;
export const OFF_REASON: usize = 3 * C;
export const OFF_PARENT: usize = 4 * C;
export const OFF_PREV: usize = 8 * C;
export const OFF_NEXT: usize = 12 * C;
export const OFF_HEAD: usize = 16 * C;
export const OFF_REF: usize = 20 * C;
export const OFF_EPOCH: usize = 24 * C;
export const OFF_CNT: usize = 28 * C;
export const OFF_IFINDEX: usize = 32 * C;
export const OFF_ADDR: usize = 36 * C;
export const OFF_LLADDR: usize = 52 * C;
export const OFF_SRC: usize = 32 * C;
export const OFF_DST: usize = 48 * C;
export const OFF_MTU: usize = 64 * C;
export const OFF_PORTS: usize = 16 * C;
export const OFF_PRIO: usize = 20 * C;
export const OFF_LRU_PREV: usize = 21 * C;
export const OFF_LRU_NEXT: usize = 25 * C;
export const OFF_BYTES: usize = 29 * C;
export const OFF_RATE: usize = 33 * C;
export const OFF_QUIET: usize = 37 * C;

/** Chunk bytes per kind (index 0 unused). */
const CHUNK_BYTES: usize = memory.data<u32>([0, 60 * 4096, 68 * 4096, 41 * 4096]);
/** Chunk directories: MAX_SLOTS >>> CHUNK_BITS = 1024 u32 per kind (index 0 unused). */
const DIR: usize = memory.data(4 * 1024 * 4);
/** Per-kind slab counters, 8 u32 each: see the S_* offsets. */
const SLAB: usize = memory.data(4 * 32);
const S_HW: usize = 0;        // high water: slots ever used
const S_CAP: usize = 4;       // slots backed by chunks
const S_LIVE: usize = 8;      // live objects
const S_FREE_HEAD: usize = 12; // FIFO of free slots, slot+1 (0 = empty)
const S_FREE_TAIL: usize = 16;
const S_FREE_LEN: usize = 20;
const S_LIMIT: usize = 24;    // configured maximum of live objects

@inline function slabField(kind: u32, off: usize): usize { return SLAB + (<usize>kind << 5) + off; }

// ---- handles -----------------------------------------------------------------------------------

@inline export function handleKind(h: u32): u32 { return h >>> 30; }
@inline export function handleSlot(h: u32): u32 { return h & SLOT_MASK; }
@inline export function handleGen(h: u32): u32 { return (h >>> SLOT_BITS) & 0xff; }
@inline export function makeHandle(kind: u32, slot: u32): u32 {
  return (kind << 30) | (<u32>gen(kind, slot) << SLOT_BITS) | slot;
}

// ---- field access ------------------------------------------------------------------------------

/** Address of the chunk holding `slot` of `kind`. */
@inline export function chunk(kind: u32, slot: u32): usize {
  return <usize>load<u32>(DIR + (<usize>kind << 12) + (<usize>(slot >>> CHUNK_BITS) << 2));
}
/** Address of a u8 field of one slot. */
@inline export function at8(kind: u32, slot: u32, off: usize): usize {
  return chunk(kind, slot) + off + <usize>(slot & CHUNK_MASK);
}
/** Address of a u32 field of one slot. */
@inline export function at32(kind: u32, slot: u32, off: usize): usize {
  return chunk(kind, slot) + off + (<usize>(slot & CHUNK_MASK) << 2);
}
/** Address of a u64 field of one slot. */
@inline export function at64(kind: u32, slot: u32, off: usize): usize {
  return chunk(kind, slot) + off + (<usize>(slot & CHUNK_MASK) << 3);
}
/** Address of a 16-byte field (an address) of one slot. */
@inline export function at128(kind: u32, slot: u32, off: usize): usize {
  return chunk(kind, slot) + off + (<usize>(slot & CHUNK_MASK) << 4);
}

@inline export function gen(kind: u32, slot: u32): u8 { return load<u8>(at8(kind, slot, OFF_GEN)); }
@inline export function state(kind: u32, slot: u32): u8 { return load<u8>(at8(kind, slot, OFF_STATE)); }
@inline export function setState(kind: u32, slot: u32, s: u8): void { store<u8>(at8(kind, slot, OFF_STATE), s); }
@inline export function flags(kind: u32, slot: u32): u8 { return load<u8>(at8(kind, slot, OFF_FLAGS)); }
@inline export function setFlags(kind: u32, slot: u32, f: u8): void { store<u8>(at8(kind, slot, OFF_FLAGS), f); }
@inline export function reason(kind: u32, slot: u32): u8 { return load<u8>(at8(kind, slot, OFF_REASON)); }
@inline export function setReason(kind: u32, slot: u32, r: u8): void { store<u8>(at8(kind, slot, OFF_REASON), r); }
@inline export function parent(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_PARENT)); }
@inline export function prev(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_PREV)); }
@inline export function next(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_NEXT)); }
@inline export function head(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_HEAD)); }
@inline export function refCount(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_REF)); }

/** True if the slot is in use and its generation matches the handle's. */
@inline export function isLive(kind: u32, slot: u32, g: u32): bool {
  return slot < load<u32>(slabField(kind, S_HW)) && state(kind, slot) != FREE && <u32>gen(kind, slot) == g;
}

// ---- dependent lists ---------------------------------------------------------------------------
// A parent's dependents form a doubly linked list threaded through the dependents' prev/next
// fields (slot+1, 0 = none), so unlinking is O(1). The parent's ref field counts them.

/** Links `slot` of `kind` at the head of the dependent list of `parentSlot` of `parentKind`. */
export function link(kind: u32, slot: u32, parentKind: u32, parentSlot: u32): void {
  let first = head(parentKind, parentSlot);
  store<u32>(at32(kind, slot, OFF_PARENT), parentSlot);
  store<u32>(at32(kind, slot, OFF_PREV), 0);
  store<u32>(at32(kind, slot, OFF_NEXT), first);
  if (first) store<u32>(at32(kind, first - 1, OFF_PREV), slot + 1);
  store<u32>(at32(parentKind, parentSlot, OFF_HEAD), slot + 1);
  let ref = at32(parentKind, parentSlot, OFF_REF);
  store<u32>(ref, load<u32>(ref) + 1);
}

/** Unlinks `slot` of `kind` from its parent's dependent list and drops the parent's refcount. */
export function unlink(kind: u32, slot: u32, parentKind: u32): void {
  let p = parent(kind, slot);
  let before = prev(kind, slot);
  let after = next(kind, slot);
  if (before) store<u32>(at32(kind, before - 1, OFF_NEXT), after);
  else store<u32>(at32(parentKind, p, OFF_HEAD), after);
  if (after) store<u32>(at32(kind, after - 1, OFF_PREV), before);
  let ref = at32(parentKind, p, OFF_REF);
  store<u32>(ref, load<u32>(ref) - 1);
}

// ---- batch counting ----------------------------------------------------------------------------
// cnt(parent) counts dependents that joined the current batch; it is valid only while
// epoch(parent) equals the current epoch, so starting a new batch costs nothing.

let currentEpoch: u32 = 0;

/** Starts a new batch: every cnt() reads as 0 until bumped. */
export function newEpoch(): void {
  currentEpoch++;
  if (currentEpoch == 0) { // wrapped after 2^32 batches: forget every old epoch
    for (let k: u32 = KIND_NEIGHBOR; k <= KIND_PATH; k++) {
      let cap = load<u32>(slabField(k, S_CAP));
      for (let s: u32 = 0; s < cap; s += <u32>C) memory.fill(chunk(k, s) + OFF_EPOCH, 0, C << 2);
    }
    currentEpoch = 1;
  }
}

/** Dependents of a parent counted in the current batch. */
@inline export function cnt(kind: u32, slot: u32): u32 {
  return load<u32>(at32(kind, slot, OFF_EPOCH)) == currentEpoch ? load<u32>(at32(kind, slot, OFF_CNT)) : 0;
}

/** Counts one more dependent of a parent in the current batch. */
@inline export function bumpCnt(kind: u32, slot: u32): void {
  let e = at32(kind, slot, OFF_EPOCH);
  let c = at32(kind, slot, OFF_CNT);
  if (load<u32>(e) != currentEpoch) { store<u32>(e, currentEpoch); store<u32>(c, 1); }
  else store<u32>(c, load<u32>(c) + 1);
}

// ---- slot allocation ---------------------------------------------------------------------------

export function initSlabs(maxNeighbors: u32, maxPaths: u32, maxConnections: u32): void {
  store<u32>(slabField(KIND_NEIGHBOR, S_LIMIT), min(maxNeighbors, MAX_SLOTS));
  store<u32>(slabField(KIND_PATH, S_LIMIT), min(maxPaths, MAX_SLOTS));
  store<u32>(slabField(KIND_CONNECTION, S_LIMIT), min(maxConnections, MAX_SLOTS));
}

@inline export function liveCount(kind: u32): u32 { return load<u32>(slabField(kind, S_LIVE)); }
@inline export function highWater(kind: u32): u32 { return load<u32>(slabField(kind, S_HW)); }
@inline export function capacity(kind: u32): u32 { return load<u32>(slabField(kind, S_CAP)); }
@inline export function limit(kind: u32): u32 { return load<u32>(slabField(kind, S_LIMIT)); }
@inline export function freeHead(kind: u32): u32 { return load<u32>(slabField(kind, S_FREE_HEAD)); }
@inline export function freeLength(kind: u32): u32 { return load<u32>(slabField(kind, S_FREE_LEN)); }

/** True if `n` more objects of `kind` stay within the configured limit. */
export function withinLimit(kind: u32, n: u32): bool {
  return <u64>liveCount(kind) + <u64>n <= <u64>limit(kind);
}

/**
 * Makes sure `n` more objects of `kind` can be allocated without growing memory.
 * Returns false (having changed nothing observable) when memory runs out.
 */
export function reserveSlots(kind: u32, n: u32): bool {
  let fromFree = min(n, freeLength(kind));
  let want = <u64>highWater(kind) + <u64>(n - fromFree);
  let cap = capacity(kind);
  while (<u64>cap < want) {
    let base = allocRaw(<usize>load<u32>(CHUNK_BYTES + (<usize>kind << 2)));
    if (!base) return false;
    // Fresh pages are zero, and chunks are never reused: gen, state, flags, links all start at 0.
    store<u32>(DIR + (<usize>kind << 12) + (<usize>(cap >>> CHUNK_BITS) << 2), <u32>base);
    cap += <u32>C;
    store<u32>(slabField(kind, S_CAP), cap);
  }
  return true;
}

/** Takes a slot (reserveSlots must have been called); state is FREE, the caller fills it. */
export function takeSlot(kind: u32): u32 {
  let slot: u32;
  let h = freeHead(kind);
  if (h) {
    slot = h - 1;
    let after = next(kind, slot);
    store<u32>(slabField(kind, S_FREE_HEAD), after);
    if (!after) store<u32>(slabField(kind, S_FREE_TAIL), 0);
    store<u32>(slabField(kind, S_FREE_LEN), freeLength(kind) - 1);
  } else {
    slot = highWater(kind);
    store<u32>(slabField(kind, S_HW), slot + 1);
  }
  store<u32>(slabField(kind, S_LIVE), liveCount(kind) + 1);
  store<u8>(at8(kind, slot, OFF_FLAGS), 0);
  store<u8>(at8(kind, slot, OFF_REASON), 0);
  return slot;
}

/**
 * Undoes takeSlot exactly (generation, free-list order, high water), for a batch that is rolled
 * back. Slots must be returned in reverse order of taking, and `fresh` says the slot came from the
 * high water rather than the free list.
 */
export function untakeSlot(kind: u32, slot: u32, fresh: bool): void {
  store<u8>(at8(kind, slot, OFF_STATE), FREE);
  store<u8>(at8(kind, slot, OFF_FLAGS), 0);
  if (fresh) {
    store<u32>(slabField(kind, S_HW), slot); // it was the last slot taken from the high water
  } else {
    let first = freeHead(kind);
    store<u32>(at32(kind, slot, OFF_NEXT), first);
    store<u32>(slabField(kind, S_FREE_HEAD), slot + 1);
    if (!first) store<u32>(slabField(kind, S_FREE_TAIL), slot + 1);
    store<u32>(slabField(kind, S_FREE_LEN), freeLength(kind) + 1);
  }
  store<u32>(slabField(kind, S_LIVE), liveCount(kind) - 1);
}

/** Frees a slot: bumps its generation (so old handles go stale) and queues it for reuse. */
export function releaseSlot(kind: u32, slot: u32): void {
  let g = at8(kind, slot, OFF_GEN);
  store<u8>(g, load<u8>(g) + 1);
  store<u8>(at8(kind, slot, OFF_STATE), FREE);
  store<u8>(at8(kind, slot, OFF_FLAGS), 0);
  store<u32>(at32(kind, slot, OFF_NEXT), 0);
  let tail = load<u32>(slabField(kind, S_FREE_TAIL));
  if (tail) store<u32>(at32(kind, tail - 1, OFF_NEXT), slot + 1);
  else store<u32>(slabField(kind, S_FREE_HEAD), slot + 1);
  store<u32>(slabField(kind, S_FREE_TAIL), slot + 1);
  store<u32>(slabField(kind, S_FREE_LEN), freeLength(kind) + 1);
  store<u32>(slabField(kind, S_LIVE), liveCount(kind) - 1);
}

/** Bytes of linear memory one chunk of `kind` takes, divided by its slots. */
export function bytesPerSlot(kind: u32): u32 {
  return load<u32>(CHUNK_BYTES + (<usize>kind << 2)) >>> CHUNK_BITS;
}
