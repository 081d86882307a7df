// The offload table's operations: offload, complete an offload, terminate, complete a termination.
//
// Errors are returned, never trapped: a call validates everything first, then reserves every byte
// it may need, and only then changes the table. A negative result is -ErrorCode, with the detail
// in the header (see buffers.ts).
//
// Termination walks the tree level by level, never recursively. The tree has exactly three levels
// (connection -> path -> neighbor), so emitting all connections of a batch, then all paths, then
// all neighbors is a post-order: every dependent comes before its parent.
//
// An object is emitted (enters TERMINATING and is reported) only once every dependent still linked
// to it is emitted in the same batch; otherwise it is marked PENDING with its reason and emitted
// later, by the call that removes its last obstacle:
//   * a dependent that is OFFLOADING (its initiate is in flight) is marked PENDING too, and
//     completeOffload emits it when the initiate succeeds;
//   * a dependent TERMINATING from an earlier batch stays linked until that batch completes, and
//     completeTerminate emits the parent when it frees the last such dependent.
// Orphan pruning uses the same rule: a parent all of whose dependents just joined the batch (or
// were just freed) joins it with ORPHANED.

import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, FREE, OFFLOADING, OFFLOADED, TERMINATING,
  F_PENDING, F_MARK, toHandle, handleKind, handleSlot, handleOf, ref, refKind, refSlot, state, setState,
  flags, setFlags, reason, setReason, parent, head, next, refCount, at8, at16, at32, at64, at128, link, unlink,
  highWater as highWaterOf,
  newEpoch, cnt, bumpCnt, withinLimit, reserveSlots, takeSlot, untakeSlot, releaseSlot, liveCount,
  OFF_IFINDEX, OFF_ADDR, OFF_LLADDR, OFF_SRC, OFF_DST, OFF_MTU, OFF_PORTS, OFF_PRIO, OFF_HEAD,
  OFF_REF, OFF_PARENT,
} from './slab';
import {
  findNeighborSlot, findPathSlot, findConnectionSlot, reserveIndex, indexInsert, indexRemove, indexSweep, indexUsed,
  lookupGroup, findPathSlotsGroup, findConnectionSlotsGroup, touchConnectionHomes,
} from './keyindex';
import { reserveInterface, interfaceLink, interfaceUnlink, interfaceHead, interfaceCount } from './interfaces';
import {
  E_INVALID, E_STALE, E_WRONG_KIND, E_WRONG_STATE, E_DUPLICATE, E_HAS_DEPENDENTS, E_CAPACITY, E_OUT_OF_MEMORY,
  checkHandle,
} from './errors';
import { trafficInit, lruAppend, lruRemove, trafficOf } from './traffic';
import {
  KEY_SRC, KEY_DST, KEY_AUX, io, staged32, setStaged, reserveStaging, reserveOut, reservePoolFor, outReset, outLength,
  outPush, outAt, fail, outCapacity, setCursor, LIST_DONE, LIST_CHUNK, MAX_LIST,
} from './buffers';

// unmanaged! raw pointers into linear memory throughout.

/** Reason given to pruned parents (Reason.Orphaned). */
const ORPHANED: u8 = 9;

/** fail() for calls that return a handle (f64): the negated error code, never a handle. */
@inline function failCode(code: i32, index: i32, handle: f64, aux: f64): f64 {
  return <f64>fail(code, index, handle, aux);
}

/** 0 if `h` is a live object of `kind` that can take a new dependent, else an error code. */
function checkParent(h: u64, kind: u32): i32 {
  let e = checkHandle(h);
  if (e) return e;
  if (handleKind(h) != kind) return E_WRONG_KIND;
  let s = handleSlot(h);
  let st = state(kind, s);
  if (st == TERMINATING || (flags(kind, s) & F_PENDING)) return E_WRONG_STATE;
  return 0;
}

/** Handle of the parent of a path or connection slot. */
@inline function parentHandle(kind: u32, slot: u32): f64 {
  return handleOf(kind - 1, parent(kind, slot));
}

// ---- offload -----------------------------------------------------------------------------------
// Offloads reserve, besides the slot and the index entry, an output entry and a staging word for
// every live object. So terminations and completions of up to every object in the table, and
// listings, never allocate: a table whose memory cap is reached can still terminate, which is how
// its memory comes back.

/**
 * Reserves everything `n` new objects of `kind` need; false when out of memory (nothing changed).
 * The pool keeps an entry per live object, one more per neighbor and a listing chunk: enough for
 * terminateAll (neighbors staged, everything output) and for completing its batch (everything
 * staged, nothing output); see buffers.ts.
 */
function reserveFor(kind: u32, n: u32): bool {
  let total = <u64>liveCount(KIND_NEIGHBOR) + <u64>liveCount(KIND_PATH) + <u64>liveCount(KIND_CONNECTION) + <u64>n;
  let neighbors = <u64>liveCount(KIND_NEIGHBOR) + (kind == KIND_NEIGHBOR ? <u64>n : 0);
  let pool = total + neighbors + <u64>LIST_CHUNK;
  return pool <= <u64>MAX_LIST && reserveSlots(kind, n) && reserveIndex(kind, n) && reservePoolFor(<u32>pool);
}

/** Offloads a neighbor; its address is at KEY_SRC. Returns the handle, or a small error code. */
export function offloadNeighbor(ifIndex: u32, lladdr: u64): f64 {
  let dup = findNeighborSlot(ifIndex, KEY_SRC);
  if (dup) return failCode(E_DUPLICATE, -1, handleOf(KIND_NEIGHBOR, dup - 1), 0);
  if (!withinLimit(KIND_NEIGHBOR, 1)) return failCode(E_CAPACITY, -1, 0, liveCount(KIND_NEIGHBOR));
  if (!reserveFor(KIND_NEIGHBOR, 1) || !reserveInterface(ifIndex)) return failCode(E_OUT_OF_MEMORY, -1, 0, 0);
  let s = takeSlot(KIND_NEIGHBOR);
  setState(KIND_NEIGHBOR, s, OFFLOADING);
  store<u32>(at32(KIND_NEIGHBOR, s, OFF_IFINDEX), ifIndex);
  memory.copy(at128(KIND_NEIGHBOR, s, OFF_ADDR), KEY_SRC, 16);
  store<u64>(at64(KIND_NEIGHBOR, s, OFF_LLADDR), lladdr);
  store<u32>(at32(KIND_NEIGHBOR, s, OFF_HEAD), 0);
  store<u32>(at32(KIND_NEIGHBOR, s, OFF_REF), 0);
  store<u32>(at32(KIND_NEIGHBOR, s, OFF_PARENT), 0);
  indexInsert(KIND_NEIGHBOR, s);
  interfaceLink(s);
  return handleOf(KIND_NEIGHBOR, s);
}

/** Offloads a path under `neighbor`; addresses at KEY_SRC, KEY_DST. Handle or small error code. */
export function offloadPath(neighborHandle: f64, mtu: u32): f64 {
  let neighbor = toHandle(neighborHandle);
  let e = checkParent(neighbor, KIND_NEIGHBOR);
  if (e) return failCode(e, -1, neighborHandle, 0);
  let dup = findPathSlot(KEY_SRC, KEY_DST);
  if (dup) return failCode(E_DUPLICATE, -1, handleOf(KIND_PATH, dup - 1), 0);
  if (!withinLimit(KIND_PATH, 1)) return failCode(E_CAPACITY, -1, 0, liveCount(KIND_PATH));
  if (!reserveFor(KIND_PATH, 1)) return failCode(E_OUT_OF_MEMORY, -1, 0, 0);
  let s = takeSlot(KIND_PATH);
  setState(KIND_PATH, s, OFFLOADING);
  memory.copy(at128(KIND_PATH, s, OFF_SRC), KEY_SRC, 16);
  memory.copy(at128(KIND_PATH, s, OFF_DST), KEY_DST, 16);
  store<u16>(at16(KIND_PATH, s, OFF_MTU), <u16>mtu);
  store<u32>(at32(KIND_PATH, s, OFF_HEAD), 0);
  store<u32>(at32(KIND_PATH, s, OFF_REF), 0);
  link(KIND_PATH, s, KIND_NEIGHBOR, handleSlot(neighbor));
  indexInsert(KIND_PATH, s);
  return handleOf(KIND_PATH, s);
}

/** Fills a fresh connection slot and links it (capacity reserved by the caller). Returns the slot. */
@inline function placeConnection(pathSlot: u32, ports: u32, priority: u8): u32 {
  let s = takeSlot(KIND_CONNECTION);
  setState(KIND_CONNECTION, s, OFFLOADING);
  store<u32>(at32(KIND_CONNECTION, s, OFF_PORTS), ports);
  store<u8>(at8(KIND_CONNECTION, s, OFF_PRIO), priority);
  trafficInit(s);
  link(KIND_CONNECTION, s, KIND_PATH, pathSlot);
  indexInsert(KIND_CONNECTION, s);
  return s;
}

/** Offloads a connection under `path`. Handle or small error code. */
export function offloadConnection(pathHandle: f64, ports: u32, priority: u8): f64 {
  let path = toHandle(pathHandle);
  let e = checkParent(path, KIND_PATH);
  if (e) return failCode(e, -1, pathHandle, 0);
  let dup = findConnectionSlot(handleSlot(path), ports);
  if (dup) return failCode(E_DUPLICATE, -1, handleOf(KIND_CONNECTION, dup - 1), 0);
  if (!withinLimit(KIND_CONNECTION, 1)) return failCode(E_CAPACITY, -1, 0, liveCount(KIND_CONNECTION));
  if (!reserveFor(KIND_CONNECTION, 1)) return failCode(E_OUT_OF_MEMORY, -1, 0, 0);
  return handleOf(KIND_CONNECTION, placeConnection(handleSlot(path), ports, priority));
}

// Batches of connections are all or none. JS passes a large batch in chunks through the I/O window:
// validateConnections for every chunk, reserveConnections once for the whole batch, then
// placeConnections chunk by chunk; if a chunk finds a key repeated inside the batch it undoes
// itself, and JS undoes the chunks before it with unplaceConnections. Nothing extra is allocated
// to find repeated keys: the index itself finds them, since earlier entries are in it by then. A
// batch that fits one chunk does all of it in one call (offloadConnections).
//
//   I/O window, a chunk of n:  [ path handle f64 x n | ports u32 x n | priority u8 x n ]
//   after placeConnections:    [ new handle f64 x n | ... ]    (each written over its path)

/** Slots (or slot+1) of one group of keys, for grouped lookups (keyindex.ts); MAX_GROUP u32. */
const GROUP_SLOTS: usize = memory.data(256);

/** High water of the connection slab when the current batch reserved (see unplace). */
let batchHighWater: u32 = 0;

/** Checks parents and existing keys of the `n` staged entries; `base` numbers them. 0 or -error. */
export function validateConnections(n: u32, base: u32): i32 {
  let at = io();
  let portsAt = at + (<usize>n << 3);
  let g = lookupGroup;
  if (g > 1) {
    // In groups (see findConnectionSlotsGroup), reporting the first bad entry as one at a time
    // would: entries before a bad parent are checked for duplicates first.
    for (let i: u32 = 0; i < n; i += g) {
      let m = min(g, n - i);
      let bad = m;
      let code: i32 = 0;
      for (let j: u32 = 0; j < m; j++) {
        let p = toHandle(load<f64>(at + (<usize>(i + j) << 3)));
        let e = checkParent(p, KIND_PATH);
        if (e) { bad = j; code = e; break; }
        store<u32>(GROUP_SLOTS + (<usize>j << 2), handleSlot(p) + 1);
      }
      findConnectionSlotsGroup(GROUP_SLOTS, portsAt + (<usize>i << 2), bad);
      for (let j: u32 = 0; j < bad; j++) {
        let dup = load<u32>(GROUP_SLOTS + (<usize>j << 2));
        if (dup) return fail(E_DUPLICATE, base + i + j, handleOf(KIND_CONNECTION, dup - 1), 0);
      }
      if (bad < m) return fail(code, base + i + bad, load<f64>(at + (<usize>(i + bad) << 3)), 0);
    }
    return 0;
  }
  for (let i: u32 = 0; i < n; i++) {
    let pf = load<f64>(at + (<usize>i << 3));
    let p = toHandle(pf);
    let e = checkParent(p, KIND_PATH);
    if (e) return fail(e, base + i, pf, 0);
    let dup = findConnectionSlot(handleSlot(p), load<u32>(portsAt + (<usize>i << 2)));
    if (dup) return fail(E_DUPLICATE, base + i, handleOf(KIND_CONNECTION, dup - 1), 0);
  }
  return 0;
}

/** Reserves room for a batch of `total` connections (limit, memory). 0 or -error. */
export function reserveConnections(total: u32): i32 {
  if (!withinLimit(KIND_CONNECTION, total)) return fail(E_CAPACITY, -1, 0, liveCount(KIND_CONNECTION));
  if (!reserveFor(KIND_CONNECTION, total)) return fail(E_OUT_OF_MEMORY, -1, 0, 0);
  batchHighWater = highWaterOf(KIND_CONNECTION);
  return 0;
}

/** Removes a connection placed by the current batch, restoring its slot exactly. */
function unplace(slot: u32): void {
  indexRemove(KIND_CONNECTION, slot);
  unlink(KIND_CONNECTION, slot, KIND_PATH);
  untakeSlot(KIND_CONNECTION, slot, slot >= batchHighWater);
}

/**
 * Places the `n` staged entries (validated and reserved). Writes their handles to the output and
 * returns n; if an entry repeats a key of the batch, undoes this chunk and returns -DuplicateKey
 * with `base` + its position.
 */
export function placeConnections(n: u32, base: u32): i32 {
  let at = io();
  let portsAt = at + (<usize>n << 3);
  let prioAt = at + (<usize>n * 12);
  let g = lookupGroup;
  for (let i: u32 = 0; i < n; i++) {
    if (g > 1 && i % g == 0) {
      let m = min(g, n - i);
      for (let j: u32 = 0; j < m; j++) store<u32>(GROUP_SLOTS + (<usize>j << 2), handleSlot(toHandle(load<f64>(at + (<usize>(i + j) << 3)))));
      touchConnectionHomes(GROUP_SLOTS, portsAt + (<usize>i << 2), m);
    }
    let pathSlot = handleSlot(toHandle(load<f64>(at + (<usize>i << 3))));
    let ports = load<u32>(portsAt + (<usize>i << 2));
    if (findConnectionSlot(pathSlot, ports)) {
      for (let j = i; j > 0; j--) unplace(handleSlot(toHandle(load<f64>(at + (<usize>(j - 1) << 3)))));
      return fail(E_DUPLICATE, base + i, 0, 0);
    }
    let s = placeConnection(pathSlot, ports, load<u8>(prioAt + <usize>i));
    store<f64>(at + (<usize>i << 3), handleOf(KIND_CONNECTION, s));
  }
  return <i32>n;
}

/** Undoes earlier chunks of the current batch: the I/O window holds their handles, last placed first. */
export function unplaceConnections(n: u32): void {
  let at = io();
  for (let i: u32 = 0; i < n; i++) unplace(handleSlot(toHandle(load<f64>(at + (<usize>i << 3)))));
}

/** A whole batch in one call: validate, reserve, place. Returns n or -error. */
export function offloadConnections(n: u32): i32 {
  let e = validateConnections(n, 0);
  if (e) return e;
  e = reserveConnections(n);
  if (e) return e;
  return placeConnections(n, 0);
}

// ---- marks and counting helpers ----------------------------------------------------------------

/** Distinct objects marked by the current call (markOnce), for exact output bounds. */
let distinct: u32 = 0;
/** Of those, the ones whose termination is pending. */
let distinctPending: u32 = 0;

/** Sets MARK on every staged handle; true for the first time a handle is seen (dedup). */
@inline function markOnce(kind: u32, slot: u32): bool {
  let f = flags(kind, slot);
  if (f & F_MARK) return false;
  setFlags(kind, slot, f | F_MARK);
  distinct++;
  if (f & F_PENDING) distinctPending++;
  return true;
}

/** Clears MARK on the first `n` staged handles (all live). */
function clearMarks(n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    let k = refKind(r);
    let s = refSlot(r);
    setFlags(k, s, flags(k, s) & ~F_MARK);
  }
}

/**
 * Checks that every dependent linked to each staged path or neighbor is staged too
 * (staged handles are live, deduplicated by MARK, which this leaves set). 0 or -error.
 */
function checkDependentsStaged(n: u32): i32 {
  newEpoch();
  distinct = 0;
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    let k = refKind(r);
    let s = refSlot(r);
    if (!markOnce(k, s)) continue;
    if (k != KIND_NEIGHBOR) bumpCnt(k - 1, parent(k, s));
  }
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    let k = refKind(r);
    if (k == KIND_CONNECTION) continue;
    let s = refSlot(r);
    let linked = refCount(k, s);
    if (cnt(k, s) != linked) {
      // Name the first dependent that is not staged.
      let d = head(k, s);
      while (d && (flags(k + 1, d - 1) & F_MARK)) d = next(k + 1, d - 1);
      return fail(E_HAS_DEPENDENTS, i, handleOf(k, s), d ? handleOf(k + 1, d - 1) : 0);
    }
  }
  return 0;
}

/** Emits an object: TERMINATING with `why`, reported in the output, counted for its parent. */
@inline function emit(kind: u32, slot: u32, why: u8): void {
  // No longer a victim: it is leaving (a pending one was never listed; see completeOffload).
  if (kind == KIND_CONNECTION && state(kind, slot) == OFFLOADED && !(flags(kind, slot) & F_PENDING)) lruRemove(slot);
  setState(kind, slot, TERMINATING);
  setFlags(kind, slot, flags(kind, slot) & ~F_PENDING);
  setReason(kind, slot, why);
  outPush(ref(kind, slot));
  if (kind != KIND_NEIGHBOR) bumpCnt(kind - 1, parent(kind, slot));
}

/** True if every dependent linked to a path or neighbor has joined the current batch. */
@inline function allDependentsIn(kind: u32, slot: u32): bool {
  return kind == KIND_CONNECTION || cnt(kind, slot) == refCount(kind, slot);
}

/**
 * Termination requested for an object (named, or below a named one): emit it if it can go now,
 * else mark it PENDING with the reason. Objects already TERMINATING or PENDING keep what they had.
 */
function request(kind: u32, slot: u32, why: u8): void {
  let f = flags(kind, slot);
  let st = state(kind, slot);
  if (st == TERMINATING || (f & F_PENDING)) return;
  if (st == OFFLOADED && allDependentsIn(kind, slot)) emit(kind, slot, why);
  else { setFlags(kind, slot, f | F_PENDING); setReason(kind, slot, why); }
}

/**
 * A parent whose dependents just changed: emit it if it is OFFLOADED, every dependent still linked
 * is in this batch, and it is PENDING (with its own reason) or `orphans` allows pruning it.
 */
function settle(kind: u32, slot: u32, orphans: bool): void {
  if (state(kind, slot) != OFFLOADED) return;
  let pending = (flags(kind, slot) & F_PENDING) != 0;
  if (!pending && !orphans) return;
  if (!allDependentsIn(kind, slot)) return;
  emit(kind, slot, pending ? reason(kind, slot) : ORPHANED);
}

/** Settles the parents of output entries [from, to), which are all of `kind`. */
function settleParentsOfOut(kind: u32, from: u32, to: u32, orphans: bool): void {
  for (let i = from; i < to; i++) settle(kind - 1, parent(kind, refSlot(outAt(i))), orphans);
}

/** True unless the object is TERMINATING or PENDING (its subtree is then already handled). */
@inline function open(kind: u32, slot: u32): bool {
  return state(kind, slot) != TERMINATING && !(flags(kind, slot) & F_PENDING);
}

// ---- terminate ---------------------------------------------------------------------------------

/** Upper bound of the objects one terminate of the staged handles can emit. */
function terminateBound(n: u32): u64 {
  let bound: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    let k = refKind(r);
    let s = refSlot(r);
    bound += 3; // itself, and a path and neighbor pruned above it
    if (k == KIND_PATH) bound += refCount(k, s);
    else if (k == KIND_NEIGHBOR) {
      bound += refCount(k, s);
      for (let p = head(k, s); p; p = next(KIND_PATH, p - 1)) bound += refCount(KIND_PATH, p - 1);
    }
  }
  return min(bound, <u64>liveTotal());
}

/** Live objects of every kind (at most 3 * 2^26, so no overflow). */
function liveTotal(): u32 {
  return liveCount(KIND_NEIGHBOR) + liveCount(KIND_PATH) + liveCount(KIND_CONNECTION);
}

/** Requests termination of every connection of an open path. */
@inline function requestConnectionsOf(pathSlot: u32, why: u8): void {
  if (!open(KIND_PATH, pathSlot)) return;
  for (let c = head(KIND_PATH, pathSlot); c; c = next(KIND_CONNECTION, c - 1)) request(KIND_CONNECTION, c - 1, why);
}

/** The terminate of the first `n` staged handles (validated). Returns the output length. */
function terminateStaged(n: u32, why: u8, prune: bool): i32 {
  let bound = terminateBound(n);
  if (bound > <u64>MAX_LIST || !reserveOut(n, <u32>bound)) return fail(E_OUT_OF_MEMORY, -1, 0, 0);
  newEpoch();
  outReset();
  // Connections: named ones, those of named paths, those of the paths of named neighbors.
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    let k = refKind(r);
    let s = refSlot(r);
    if (k == KIND_CONNECTION) request(k, s, why);
    else if (k == KIND_PATH) requestConnectionsOf(s, why);
    else if (open(k, s)) {
      for (let p = head(k, s); p; p = next(KIND_PATH, p - 1)) requestConnectionsOf(p - 1, why);
    }
  }
  let connectionsEnd = outLength();
  // Paths: named ones, those of named neighbors, then parents of emitted connections (pruning).
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    let k = refKind(r);
    let s = refSlot(r);
    if (k == KIND_PATH) request(k, s, why);
    else if (k == KIND_NEIGHBOR && open(k, s)) {
      for (let p = head(k, s); p; p = next(KIND_PATH, p - 1)) request(KIND_PATH, p - 1, why);
    }
  }
  settleParentsOfOut(KIND_CONNECTION, 0, connectionsEnd, prune);
  let pathsEnd = outLength();
  // Neighbors: named ones, then parents of emitted paths.
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    if (refKind(r) == KIND_NEIGHBOR) request(KIND_NEIGHBOR, refSlot(r), why);
  }
  settleParentsOfOut(KIND_PATH, connectionsEnd, pathsEnd, prune);
  return <i32>outLength();
}

/**
 * Stages the `n` handles (f64) in the I/O window as entries [base, base + n) of the staging list,
 * each checked to be live (and, if `want` is not FREE, in state `want`); the first bad one fails
 * with its index `base + i`. Nothing in the table changes. 0 or -error.
 */
export function stageHandles(n: u32, base: u32, want: u8): i32 {
  if (<u64>base + <u64>n > <u64>MAX_LIST || !reserveStaging(base + n, base)) return fail(E_OUT_OF_MEMORY, -1, 0, 0);
  let at = io();
  for (let i: u32 = 0; i < n; i++) {
    let hf = load<f64>(at + (<usize>i << 3));
    let h = toHandle(hf);
    let e = checkHandle(h);
    if (e) return fail(e, base + i, hf, 0);
    let k = handleKind(h);
    let s = handleSlot(h);
    if (want != FREE) {
      let st = state(k, s);
      if (st != want) return fail(E_WRONG_STATE, base + i, hf, st);
    }
    setStaged(base + i, ref(k, s));
  }
  return 0;
}

/**
 * Terminates the `n` staged handles (any mix of kinds) and everything linked below them.
 * Output: the batch in post-order with a reason per entry. Returns its length or -error.
 */
export function terminate(n: u32, why: u8, prune: bool): i32 {
  return terminateStaged(n, why, prune);
}

/** Terminates everything on interface `ifIndex`. Returns the batch length or -error. */
export function terminateInterface(ifIndex: u32, why: u8, prune: bool): i32 {
  let n = interfaceCount(ifIndex);
  if (!reserveStaging(n)) return fail(E_OUT_OF_MEMORY, -1, 0, 0);
  let i: u32 = 0;
  for (let s = interfaceHead(ifIndex); s; s = next(KIND_NEIGHBOR, s - 1)) setStaged(i++, ref(KIND_NEIGHBOR, s - 1));
  return terminateStaged(n, why, prune);
}

/** Writes the handles of every live object of `kind` to the staging buffer; returns how many. */
function stageAll(kind: u32): i32 {
  let n = liveCount(kind);
  if (!reserveStaging(n)) return fail(E_OUT_OF_MEMORY, -1, 0, 0);
  let i: u32 = 0;
  let hw = highWaterOf(kind);
  for (let s: u32 = 0; s < hw; s++) if (state(kind, s) != FREE) setStaged(i++, ref(kind, s));
  return <i32>n;
}

/** Terminates everything in the table. Returns the batch length or -error. */
export function terminateAll(why: u8, prune: bool): i32 {
  let n = stageAll(KIND_NEIGHBOR);
  if (n < 0) return n;
  return terminateStaged(<u32>n, why, prune);
}

// ---- completions -------------------------------------------------------------------------------

/** Frees a TERMINATING or failed object: index, parent's list, slot. */
function release(kind: u32, slot: u32, bulk: bool): void {
  if (!bulk) indexRemove(kind, slot);
  if (kind == KIND_NEIGHBOR) interfaceUnlink(slot);
  else unlink(kind, slot, kind - 1);
  releaseSlot(kind, slot);
}

/**
 * Frees every staged object of `kind` that is still allocated (staged objects are MARKed). When
 * that is an eighth of the kind or more, the index is swept once afterwards instead of shifting
 * probe runs back one removal at a time (completing a cascade of everything costs O(n), not
 * O(n x run length)).
 */
function releaseStaged(n: u32, kind: u32): void {
  let count: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (refKind(staged32(i)) == kind) count++;
  let bulk = <u64>count * 8 >= <u64>indexUsed(kind);
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    if (refKind(r) != kind) continue;
    let s = refSlot(r);
    if (state(kind, s) != FREE) release(kind, s, bulk);
  }
  if (bulk) indexSweep(kind);
}

/** Settles the parents of the staged objects of `kind`, which were just freed. */
function settleParentsOfStaged(n: u32, kind: u32, orphans: bool): void {
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    if (refKind(r) == kind) settle(kind - 1, parent(kind, refSlot(r)), orphans);
  }
}

/**
 * Frees the `n` staged TERMINATING objects. Refuses (changing nothing) if one still has a linked
 * dependent that is not staged. Output: parents that can go now (PENDING ones with their reason,
 * others as ORPHANED when `prune`), TERMINATING. Returns the output length or -error.
 */
export function completeTerminate(n: u32, prune: bool): i32 {
  let e = checkDependentsStaged(n);
  if (e) { clearMarks(n); return e; }
  // Output: parents left behind (at most two per freed object: a path and its neighbor), all live.
  if (!reserveOut(n, <u32>min(<u64>n * 2, <u64>(liveTotal() - distinct)))) { clearMarks(n); return fail(E_OUT_OF_MEMORY, -1, 0, 0); }
  releaseStaged(n, KIND_CONNECTION); // releaseSlot clears MARK
  releaseStaged(n, KIND_PATH);
  releaseStaged(n, KIND_NEIGHBOR);
  newEpoch();
  outReset();
  settleParentsOfStaged(n, KIND_CONNECTION, prune);
  let pathsFrom: u32 = 0;
  let pathsTo = outLength();
  settleParentsOfStaged(n, KIND_PATH, prune);
  settleParentsOfOut(KIND_PATH, pathsFrom, pathsTo, prune);
  return <i32>outLength();
}

/**
 * Completes the initiate of the `n` staged OFFLOADING objects.
 * ok: they become OFFLOADED; a child's parent must be OFFLOADED already or completed in the same
 * call. Those whose termination was requested meanwhile (PENDING) enter TERMINATING now.
 * !ok: they are freed; every linked dependent must be failed in the same call. A PENDING parent
 * whose last obstacle this removes enters TERMINATING. Failing is not terminating: no pruning.
 * Output: the objects that entered TERMINATING, in post-order. Returns its length or -error.
 */
export function completeOffload(n: u32, ok: bool, prune: bool): i32 {
  distinct = 0;
  distinctPending = 0;
  if (ok) {
    for (let i: u32 = 0; i < n; i++) markOnce(refKind(staged32(i)), refSlot(staged32(i)));
    for (let i: u32 = 0; i < n; i++) {
      let r = staged32(i);
      let k = refKind(r);
      if (k == KIND_NEIGHBOR) continue;
      let p = parent(k, refSlot(r));
      if (state(k - 1, p) == OFFLOADING && !(flags(k - 1, p) & F_MARK)) {
        clearMarks(n);
        return fail(E_WRONG_STATE, i, handleOf(k, refSlot(r)), handleOf(k - 1, p));
      }
    }
  } else {
    let e = checkDependentsStaged(n);
    if (e) { clearMarks(n); return e; }
  }
  // Output: ok, pending objects that go now and the parents they leave (three each at most);
  // failed, the parents they leave (two each at most, none of them freed).
  let bound = ok ? min(<u64>distinctPending * 3, <u64>liveTotal()) : min(<u64>n * 2, <u64>(liveTotal() - distinct));
  if (!reserveOut(n, <u32>bound)) { clearMarks(n); return fail(E_OUT_OF_MEMORY, -1, 0, 0); }
  clearMarks(n);
  if (!ok) {
    releaseStaged(n, KIND_CONNECTION);
    releaseStaged(n, KIND_PATH);
    releaseStaged(n, KIND_NEIGHBOR);
    newEpoch();
    outReset();
    settleParentsOfStaged(n, KIND_CONNECTION, false);
    let pathsTo = outLength();
    settleParentsOfStaged(n, KIND_PATH, false);
    settleParentsOfOut(KIND_PATH, 0, pathsTo, false);
    return <i32>outLength();
  }
  for (let i: u32 = 0; i < n; i++) {
    let k = refKind(staged32(i));
    let s = refSlot(staged32(i));
    if (state(k, s) != OFFLOADING) continue; // listed twice
    setState(k, s, OFFLOADED);
    // A pending connection is not listed: settle emits it below, and its lruPrev holds its reason.
    if (k == KIND_CONNECTION && !(flags(k, s) & F_PENDING)) lruAppend(s);
  }
  newEpoch();
  outReset();
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    if (refKind(r) == KIND_CONNECTION) settle(KIND_CONNECTION, refSlot(r), false);
  }
  let connectionsEnd = outLength();
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    if (refKind(r) == KIND_PATH) settle(KIND_PATH, refSlot(r), false);
  }
  settleParentsOfOut(KIND_CONNECTION, 0, connectionsEnd, prune);
  let pathsEnd = outLength();
  for (let i: u32 = 0; i < n; i++) {
    let r = staged32(i);
    if (refKind(r) == KIND_NEIGHBOR) settle(KIND_NEIGHBOR, refSlot(r), false);
  }
  settleParentsOfOut(KIND_PATH, connectionsEnd, pathsEnd, prune);
  return <i32>outLength();
}

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
// Each takes a handle as f64 and returns -error for a bad one.

export function kindOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  return e ? -e : <i32>handleKind(h);
}

export function stateOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  return e ? -e : <i32>state(handleKind(h), handleSlot(h));
}

/** Bit 0: PENDING; bits 8..15: reason (pending or actual); -error. */
export function statusOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return -e;
  let k = handleKind(h);
  let s = handleSlot(h);
  return <i32>(flags(k, s) & F_PENDING) | (<i32>reason(k, s) << 8);
}

/** Parent handle, 0 for a neighbor, or -error. */
export function parentOf(hf: f64): f64 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return <f64>-e;
  let k = handleKind(h);
  return k == KIND_NEIGHBOR ? 0 : parentHandle(k, handleSlot(h));
}

export function refCountOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return -e;
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
  if (e) return -e;
  let k = handleKind(h);
  if (!listingRoom()) return -E_OUT_OF_MEMORY;
  setCursor(LIST_DONE);
  if (k == KIND_CONNECTION) return 0;
  let cap = outCapacity();
  let d = from ? from : head(k, handleSlot(h));
  for (; d && outLength() < cap; d = next(k + 1, d - 1)) outPush(ref(k + 1, d - 1));
  if (d) setCursor(d);
  return <i32>outLength();
}

/**
 * Writes the key and cached variables of `h` to the key scratch; returns its kind or -error.
 *   neighbor:   KEY_SRC address, KEY_AUX[0] ifIndex, KEY_AUX[2..3] link-layer address (u64)
 *   path:       KEY_SRC source, KEY_DST destination, KEY_AUX[0] mtu
 *   connection: KEY_SRC source, KEY_DST destination, KEY_AUX[0] ports, KEY_AUX[1] priority
 */
export function keyOf(hf: f64): i32 {
  let h = toHandle(hf);
  let e = checkHandle(h);
  if (e) return -e;
  let k = handleKind(h);
  let s = handleSlot(h);
  if (k == KIND_NEIGHBOR) {
    memory.copy(KEY_SRC, at128(k, s, OFF_ADDR), 16);
    store<u32>(KEY_AUX, load<u32>(at32(k, s, OFF_IFINDEX)));
    store<u64>(KEY_AUX, load<u64>(at64(k, s, OFF_LLADDR)), 8);
  } else if (k == KIND_PATH) {
    memory.copy(KEY_SRC, at128(k, s, OFF_SRC), 16);
    memory.copy(KEY_DST, at128(k, s, OFF_DST), 16);
    store<u32>(KEY_AUX, <u32>load<u16>(at16(k, s, OFF_MTU)));
  } else {
    let p = parent(k, s);
    memory.copy(KEY_SRC, at128(KIND_PATH, p, OFF_SRC), 16);
    memory.copy(KEY_DST, at128(KIND_PATH, p, OFF_DST), 16);
    store<u32>(KEY_AUX, load<u32>(at32(k, s, OFF_PORTS)));
    store<u32>(KEY_AUX, <u32>load<u8>(at8(k, s, OFF_PRIO)), 4);
    trafficOf(s, KEY_AUX + 8);
  }
  return <i32>k;
}

// ---- cached variables --------------------------------------------------------------------------
// The host owns CACHED variables and pushes changes to the target with an update; the table keeps
// the current values. Objects leaving (TERMINATING or pending) cannot be updated.

/** 0 if `h` is a live object of `kind` that is neither TERMINATING nor pending, else an error. */
function checkOpen(h: u64, kind: u32): i32 {
  let e = checkHandle(h);
  if (e) return e;
  if (handleKind(h) != kind) return E_WRONG_KIND;
  return open(kind, handleSlot(h)) ? 0 : E_WRONG_STATE;
}

/** Sets a path's MTU. 0 or -error. */
export function setMtu(hf: f64, mtu: u32): i32 {
  let h = toHandle(hf);
  let e = checkOpen(h, KIND_PATH);
  if (e) return fail(e, -1, hf, 0);
  store<u16>(at16(KIND_PATH, handleSlot(h), OFF_MTU), <u16>mtu);
  return 0;
}

/** Sets a neighbor's link-layer address. 0 or -error. */
export function setLinkLayerAddress(hf: f64, lladdr: u64): i32 {
  let h = toHandle(hf);
  let e = checkOpen(h, KIND_NEIGHBOR);
  if (e) return fail(e, -1, hf, 0);
  store<u64>(at64(KIND_NEIGHBOR, handleSlot(h), OFF_LLADDR), lladdr);
  return 0;
}

/**
 * Moves a path (with its connections) to another neighbor, e.g. after a route change. Both must be
 * OFFLOADED, neither leaving; the old neighbor keeps its other paths (and may be left with none).
 * 0 or -error.
 */
export function relinkPath(hf: f64, neighborHandle: f64): i32 {
  let h = toHandle(hf);
  let neighbor = toHandle(neighborHandle);
  let e = checkOpen(h, KIND_PATH);
  if (e) return fail(e, -1, hf, 0);
  e = checkOpen(neighbor, KIND_NEIGHBOR);
  if (e) return fail(e, -1, neighborHandle, 0);
  let s = handleSlot(h);
  let old = parent(KIND_PATH, s);
  if (state(KIND_PATH, s) != OFFLOADED) return fail(E_WRONG_STATE, -1, hf, state(KIND_PATH, s));
  if (state(KIND_NEIGHBOR, handleSlot(neighbor)) != OFFLOADED) return fail(E_WRONG_STATE, -1, neighborHandle, OFFLOADING);
  if (!open(KIND_NEIGHBOR, old)) return fail(E_WRONG_STATE, -1, handleOf(KIND_NEIGHBOR, old), 0);
  if (old == handleSlot(neighbor)) return 0;
  unlink(KIND_PATH, s, KIND_NEIGHBOR);
  link(KIND_PATH, s, KIND_NEIGHBOR, handleSlot(neighbor));
  return 0;
}

/** Writes live handles of `kind` from slot `from` on (see dependentsOf for the chunking). */
export function listAll(kind: u32, from: u32): i32 {
  if (!listingRoom()) return -E_OUT_OF_MEMORY;
  let cap = outCapacity();
  let hw = highWaterOf(kind);
  let s = from;
  for (; s < hw && outLength() < cap; s++) if (state(kind, s) != FREE) outPush(ref(kind, s));
  setCursor(s < hw ? s : LIST_DONE);
  return <i32>outLength();
}

/** Writes the neighbors on `ifIndex` from neighbor slot+1 `from` on (0: the first). */
export function listInterface(ifIndex: u32, from: u32): i32 {
  if (!listingRoom()) return -E_OUT_OF_MEMORY;
  let cap = outCapacity();
  let s = from ? from : interfaceHead(ifIndex);
  for (; s && outLength() < cap; s = next(KIND_NEIGHBOR, s - 1)) outPush(ref(KIND_NEIGHBOR, s - 1));
  setCursor(s ? s : LIST_DONE);
  return <i32>outLength();
}
