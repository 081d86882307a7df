// Slabs: one per kind of state object, struct-of-arrays in chunks of 4096 slots.
//
// A handle is a safe integer (< 2^53) that names an object and says whether it still exists:
//
//    52 51 50                         26 25                           0
//   +-----+-----------------------------+------------------------------+
//   |kind |      generation (25)        |   slot (26): index in slab   |
//   +-----+-----------------------------+------------------------------+
//   kind: 1 neighbor, 2 path, 3 connection (so no handle is 0). JS sees handles as plain numbers;
//   the core takes and returns them as f64 and splits them with integer ops on the u64.
//
// A slot's generation is bumped when its object is freed, so every old handle of the slot goes
// stale. A slot whose generation would wrap (2^25 = 33,554,432 objects have used it) is RETIRED:
// never handed out again. So no handle value is ever handed out for two objects: aliasing is
// impossible, not unlikely. Freed slots are reused first-in first-out, so reuse spreads over all
// free slots instead of heating one: a table with F free slots churns F x 2^25 objects before the
// first slot retires (a retired slot costs its bytes; it is never reused).
//
// Inside the core and in batch buffers an object is named by a compact 32-bit ref, kind << 26 |
// slot: a staged ref was validated (generation included) when it was staged, so within one call it
// cannot be stale. refs become handles again on the way out (see widen in buffers.ts).
//
// A slab grows by whole chunks that never move, so growing is O(chunk) and never copies. The
// chunk directory of each kind maps slot >>> 12 to the chunk's address:
//
//   DIR[kind]: [chunk 0][chunk 1] ... [chunk 16383]          (u32 addresses, 0 = not allocated)
//
// Every chunk starts with the fields all kinds share, each an array of 4096 elements (C = 4096):
//
//   +0    status  u32   generation (bits 0..24) | state (25..26) | flags (27..28) | RETIRED (29)
//                       state: FREE, OFFLOADING, OFFLOADED, TERMINATING
//                       flags: PENDING (termination requested, waiting), MARK (scratch, one call)
//   +4C   reason  u8    termination reason (pending or actual); a connection's priority instead
//   +5C   parent  u32   slot of the parent (path of a connection, neighbor of a path)
//   +9C   prev    u32   slot+1 of the previous sibling (0 = none); neighbors: interface list
//   +13C  next    u32   slot+1 of the next sibling; also the free-list link of a free slot
//
// then the fields of its kind (the OFF_* constants below):
//
//   neighbor (61C bytes)                path (67C bytes)              connection (41C bytes)
//   +17C head   u32 first dependent+1   +17C head   u32               +17C ports  u32 local<<16|remote
//   +21C ref    u32 linked dependents   +21C ref    u32               +21C lruPrev u32 } victim order,
//   +25C epoch  u32 } dependents in     +25C epoch  u32 } see ref-    +25C lruNext u32 } see victims.ts
//   +29C cnt    u32 } batch `epoch`     +29C cnt    u32 } counting    +29C bytes  u32 since last tick
//   +33C ifIndex u32                    +33C src    16 bytes          +33C rate   f32 bytes/s, averaged
//   +37C addr   16 bytes                +49C dst    16 bytes          +37C quiet  u32 ms under threshold
//   +53C lladdr u64 (6 bytes used)      +65C mtu    u16
//
// A connection keeps its priority in the reason byte, and its reason in its lruPrev word: a
// connection has a reason only while it is out of the victim lists (pending or Terminating), and
// then lruPrev is free (see indexes/victims.ts). One byte per connection is 32 MiB at 33.5M connections.

import { allocRaw } from './alloc';
import { Kind, State } from '../contract';

// unmanaged! everything below addresses raw linear memory.

// The shared enums as the typed constants the slab code compares with (u32 kinds, u8 states).
export const KIND_NEIGHBOR: u32 = Kind.Neighbor;
export const KIND_PATH: u32 = Kind.Path;
export const KIND_CONNECTION: u32 = Kind.Connection;

/** A slot without an object (not a State: JS never sees it). */
export const FREE: u8 = 0;
export const OFFLOADING: u8 = <u8>State.Offloading;
export const OFFLOADED: u8 = <u8>State.Offloaded;
export const TERMINATING: u8 = <u8>State.Terminating;

/** Termination was requested while the object could not enter it yet (see ops/terminate.ts). */
export const F_PENDING: u8 = 1;
/** Scratch bit for deduplication inside one call; always clear between calls. */
export const F_MARK: u8 = 2;

export const CHUNK_BITS: u32 = 12;
export const C: usize = 1 << CHUNK_BITS;
export const CHUNK_MASK: u32 = <u32>C - 1;
export const SLOT_BITS: u32 = 26;
export const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
export const MAX_SLOTS: u32 = 1 << SLOT_BITS;
export const GEN_BITS: u32 = 25;
export const GEN_MASK: u32 = (1 << GEN_BITS) - 1;
/** Where a handle's kind starts: above the slot and the generation (bit 51). */
export const KIND_SHIFT: u32 = SLOT_BITS + GEN_BITS;
/** Status word: where state, flags and the retired bit sit above the generation. */
const STATE_SHIFT: u32 = 25;
const FLAGS_SHIFT: u32 = 27;
const RETIRED: u32 = 1 << 29;

export const OFF_STATUS: usize = 0;
export const OFF_REASON: usize = 4 * C;
export const OFF_PARENT: usize = 5 * C;
export const OFF_PREV: usize = 9 * C;
export const OFF_NEXT: usize = 13 * C;
export const OFF_HEAD: usize = 17 * C;
export const OFF_REF: usize = 21 * C;
export const OFF_EPOCH: usize = 25 * C;
export const OFF_CNT: usize = 29 * C;
export const OFF_IFINDEX: usize = 33 * C;
export const OFF_ADDR: usize = 37 * C;
export const OFF_LLADDR: usize = 53 * C;
export const OFF_SRC: usize = 33 * C;
export const OFF_DST: usize = 49 * C;
export const OFF_MTU: usize = 65 * C; // u16
export const OFF_PORTS: usize = 17 * C;
export const OFF_PRIO: usize = 4 * C; // a connection's reason byte (see above)
export const OFF_LRU_PREV: usize = 21 * C;
export const OFF_LRU_NEXT: usize = 25 * C;
export const OFF_BYTES: usize = 29 * C;
export const OFF_RATE: usize = 33 * C;
export const OFF_QUIET: usize = 37 * C;

/** Chunk bytes per kind (index 0 unused). */
const CHUNK_BYTES: usize = memory.data<u32>([0, 61 * 4096, 67 * 4096, 41 * 4096]);
/** Chunks per kind: MAX_SLOTS >>> CHUNK_BITS. */
const DIR_CHUNKS: usize = <usize>(MAX_SLOTS >>> CHUNK_BITS);
/**
 * Chunk directories, one per kind (index 0 unused), DIR_CHUNKS u32 each (64 KiB), allocated with
 * the kind's first chunk so that static data stays small.
 */
const DIR: usize = memory.data(4 * 4);
/**
 * A kind's slab counters; SLAB holds one per kind (index 0 unused).
 *
 *   +0 highWater  +4 capacity  +8 live  +12 freeHead  +16 freeTail  +20 freeLength  +24 limit  +28 retired
 */
@unmanaged class Counters {
  /** Slots ever used. */
  highWater: u32;
  /** Slots backed by chunks. */
  capacity: u32;
  /** Live objects. */
  live: u32;
  /** FIFO of free slots, slot+1 (0 = empty). */
  freeHead: u32;
  freeTail: u32;
  freeLength: u32;
  /** Configured maximum of live objects. */
  limit: u32;
  /** Slots retired (generation used up), never reused. */
  retired: u32;
}
const SLAB: usize = memory.data(4 * offsetof<Counters>());

@inline function counters(kind: u32): Counters { return changetype<Counters>(SLAB + <usize>kind * offsetof<Counters>()); }

// ---- handles -----------------------------------------------------------------------------------

/** The u64 of a handle passed as f64, or 0 if it is not an integer in 1..2^53-1 (never a handle). */
@inline export function toHandle(h: f64): u64 {
  return h >= 1 && h < 9007199254740992.0 && h == Math.floor(h) ? <u64>h : 0;
}
@inline export function handleKind(h: u64): u32 { return <u32>(h >> KIND_SHIFT); }
@inline export function handleSlot(h: u64): u32 { return <u32>h & SLOT_MASK; }
@inline export function handleGen(h: u64): u32 { return <u32>(h >> SLOT_BITS) & GEN_MASK; }
/** The handle of the object now in `slot` of `kind`. */
@inline export function makeHandle(kind: u32, slot: u32): u64 {
  return (<u64>kind << KIND_SHIFT) | (<u64>gen(kind, slot) << SLOT_BITS) | <u64>slot;
}
/** makeHandle as the f64 JS receives. */
@inline export function handleOf(kind: u32, slot: u32): f64 { return <f64>makeHandle(kind, slot); }

/** A compact ref: kind << 26 | slot (the name of an object inside one call; never 0). */
@inline export function ref(kind: u32, slot: u32): u32 { return (kind << SLOT_BITS) | slot; }
@inline export function refKind(r: u32): u32 { return r >>> SLOT_BITS; }
@inline export function refSlot(r: u32): u32 { return r & SLOT_MASK; }

// ---- field access ------------------------------------------------------------------------------

/** Address of the chunk holding `slot` of `kind`. */
@inline export function chunk(kind: u32, slot: u32): usize {
  return <usize>load<u32>(<usize>load<u32>(DIR + (<usize>kind << 2)) + (<usize>(slot >>> CHUNK_BITS) << 2));
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

@inline function status(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_STATUS)); }
@inline function setStatus(kind: u32, slot: u32, w: u32): void { store<u32>(at32(kind, slot, OFF_STATUS), w); }
@inline export function gen(kind: u32, slot: u32): u32 { return status(kind, slot) & GEN_MASK; }
@inline export function state(kind: u32, slot: u32): u8 { return <u8>((status(kind, slot) >>> STATE_SHIFT) & 3); }
@inline export function setState(kind: u32, slot: u32, s: u8): void {
  setStatus(kind, slot, (status(kind, slot) & ~(<u32>3 << STATE_SHIFT)) | (<u32>s << STATE_SHIFT));
}
@inline export function flags(kind: u32, slot: u32): u8 { return <u8>((status(kind, slot) >>> FLAGS_SHIFT) & 3); }
@inline export function setFlags(kind: u32, slot: u32, f: u8): void {
  setStatus(kind, slot, (status(kind, slot) & ~(<u32>3 << FLAGS_SHIFT)) | (<u32>(f & 3) << FLAGS_SHIFT));
}
@inline export function retired(kind: u32, slot: u32): bool { return (status(kind, slot) & RETIRED) != 0; }
/** Address of a u16 field of one slot. */
@inline export function at16(kind: u32, slot: u32, off: usize): usize {
  return chunk(kind, slot) + off + (<usize>(slot & CHUNK_MASK) << 1);
}

/**
 * The termination reason (pending or actual). A connection's lives in its lruPrev word, which only
 * the victim lists use, and only while it is Offloaded and not pending: then it has no reason.
 */
@inline export function reason(kind: u32, slot: u32): u8 {
  if (kind != KIND_CONNECTION) return load<u8>(at8(kind, slot, OFF_REASON));
  let st = state(kind, slot);
  if (st == OFFLOADED && !(flags(kind, slot) & F_PENDING)) return 0;
  return <u8>load<u32>(at32(kind, slot, OFF_LRU_PREV));
}
/** Sets the reason; a connection must be out of the victim lists (pending, or leaving them). */
@inline export function setReason(kind: u32, slot: u32, r: u8): void {
  if (kind != KIND_CONNECTION) store<u8>(at8(kind, slot, OFF_REASON), r);
  else store<u32>(at32(kind, slot, OFF_LRU_PREV), r);
}
@inline export function parent(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_PARENT)); }
@inline export function prev(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_PREV)); }
@inline export function next(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_NEXT)); }
@inline export function head(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_HEAD)); }
@inline export function refCount(kind: u32, slot: u32): u32 { return load<u32>(at32(kind, slot, OFF_REF)); }

/** True if the slot is in use and its generation matches the handle's. */
@inline export function isLive(kind: u32, slot: u32, g: u32): bool {
  if (slot >= counters(kind).highWater) return false;
  let w = status(kind, slot);
  return (w & GEN_MASK) == g && ((w >>> STATE_SHIFT) & 3) != <u32>FREE;
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
      let cap = counters(k).capacity;
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
  counters(KIND_NEIGHBOR).limit = min(maxNeighbors, MAX_SLOTS);
  counters(KIND_PATH).limit = min(maxPaths, MAX_SLOTS);
  counters(KIND_CONNECTION).limit = min(maxConnections, MAX_SLOTS);
}

@inline export function liveCount(kind: u32): u32 { return counters(kind).live; }
@inline export function highWater(kind: u32): u32 { return counters(kind).highWater; }
@inline export function capacity(kind: u32): u32 { return counters(kind).capacity; }
@inline export function limit(kind: u32): u32 { return counters(kind).limit; }
@inline export function freeHead(kind: u32): u32 { return counters(kind).freeHead; }
@inline export function freeLength(kind: u32): u32 { return counters(kind).freeLength; }

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
  // Retired slots are never reused, so after 2^51 objects of a kind its slots run out: refuse.
  if (want > <u64>MAX_SLOTS) return false;
  let cap = capacity(kind);
  if (<u64>cap < want && !load<u32>(DIR + (<usize>kind << 2))) {
    let dir = allocRaw(DIR_CHUNKS << 2); // fresh pages are zero: no chunk yet
    if (!dir) return false;
    store<u32>(DIR + (<usize>kind << 2), <u32>dir);
  }
  while (<u64>cap < want) {
    let base = allocRaw(<usize>load<u32>(CHUNK_BYTES + (<usize>kind << 2)));
    if (!base) return false;
    // Fresh pages are zero, and chunks are never reused: gen, state, flags, links all start at 0.
    store<u32>(<usize>load<u32>(DIR + (<usize>kind << 2)) + (<usize>(cap >>> CHUNK_BITS) << 2), <u32>base);
    cap += <u32>C;
    counters(kind).capacity = cap;
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
    counters(kind).freeHead = after;
    if (!after) counters(kind).freeTail = 0;
    counters(kind).freeLength = freeLength(kind) - 1;
  } else {
    slot = highWater(kind);
    counters(kind).highWater = slot + 1;
  }
  counters(kind).live = liveCount(kind) + 1;
  setStatus(kind, slot, gen(kind, slot)); // FREE, no flags: the caller sets the state
  store<u8>(at8(kind, slot, OFF_REASON), 0); // a connection's priority: set by the caller
  return slot;
}

/**
 * Undoes takeSlot exactly (generation, free-list order, high water), for a batch that is rolled
 * back. Slots must be returned in reverse order of taking, and `fresh` says the slot came from the
 * high water rather than the free list.
 */
export function untakeSlot(kind: u32, slot: u32, fresh: bool): void {
  setStatus(kind, slot, gen(kind, slot));
  if (fresh) {
    counters(kind).highWater = slot; // it was the last slot taken from the high water
  } else {
    let first = freeHead(kind);
    store<u32>(at32(kind, slot, OFF_NEXT), first);
    counters(kind).freeHead = slot + 1;
    if (!first) counters(kind).freeTail = slot + 1;
    counters(kind).freeLength = freeLength(kind) + 1;
  }
  counters(kind).live = liveCount(kind) - 1;
}

/**
 * Frees a slot: bumps its generation (so old handles go stale) and queues it for reuse, or retires
 * it if its generation is used up (then no handle of it can ever name another object).
 */
export function releaseSlot(kind: u32, slot: u32): void {
  let g = gen(kind, slot);
  counters(kind).live = liveCount(kind) - 1;
  if (g == GEN_MASK) {
    setStatus(kind, slot, g | RETIRED); // FREE, never on the free list again
    counters(kind).retired = retiredCount(kind) + 1;
    return;
  }
  setStatus(kind, slot, g + 1);
  store<u32>(at32(kind, slot, OFF_NEXT), 0);
  let tail = counters(kind).freeTail;
  if (tail) store<u32>(at32(kind, tail - 1, OFF_NEXT), slot + 1);
  else counters(kind).freeHead = slot + 1;
  counters(kind).freeTail = slot + 1;
  counters(kind).freeLength = freeLength(kind) + 1;
}

/** Slots of `kind` retired because their generation was used up. */
export function retiredCount(kind: u32): u32 { return counters(kind).retired; }

/**
 * TEST ONLY (exported as debugSetGeneration): sets the generation of a live slot, so that tests
 * reach the retirement path without 2^25 reuses. Returns false if the slot is not live.
 */
export function setGeneration(kind: u32, slot: u32, g: u32): bool {
  if (kind < KIND_NEIGHBOR || kind > KIND_CONNECTION || slot >= highWater(kind) || state(kind, slot) == FREE) return false;
  setStatus(kind, slot, (status(kind, slot) & ~GEN_MASK) | (g & GEN_MASK));
  return true;
}

/** Bytes of linear memory one chunk of `kind` takes, divided by its slots. */
export function bytesPerSlot(kind: u32): u32 {
  return load<u32>(CHUNK_BYTES + (<usize>kind << 2)) >>> CHUNK_BITS;
}
