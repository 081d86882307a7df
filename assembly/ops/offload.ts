// Offloads: one neighbor, path or connection at a time, and batches of connections.
//
// Errors are returned, never trapped: a call validates everything first, then reserves every byte
// it may need, and only then changes the table.

import { ErrorCode } from '../contract';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, OFFLOADING, toHandle, handleSlot, handleOf, setState, at8, at16, at32,
  at64, at128, link, unlink, highWater as highWaterOf, withinLimit, reserveSlots, takeSlot, untakeSlot, liveCount,
  OFF_IFINDEX, OFF_ADDR, OFF_LLADDR, OFF_SRC, OFF_DST, OFF_MTU, OFF_PORTS, OFF_PRIO, OFF_HEAD, OFF_REF, OFF_PARENT,
} from '../memory/slab';
import {
  findNeighborSlot, findPathSlot, findConnectionSlot, reserveIndex, indexInsert, indexRemove, lookupGroup,
  findConnectionSlotsGroup, touchConnectionHomes, GROUP_SLOTS,
} from '../indexes/keyindex';
import { reserveInterface, interfaceLink } from '../indexes/interfaces';
import { KEY_SRC, KEY_DST, io, reservePoolFor, fail, failHandle, LIST_CHUNK, MAX_LIST } from '../memory/buffers';
import { checkOpen } from './checks';
import { trafficInit } from './traffic';

// unmanaged! raw pointers into linear memory throughout.

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
  if (dup) return failHandle(ErrorCode.DuplicateKey, -1, handleOf(KIND_NEIGHBOR, dup - 1), 0);
  if (!withinLimit(KIND_NEIGHBOR, 1)) return failHandle(ErrorCode.Capacity, -1, 0, liveCount(KIND_NEIGHBOR));
  if (!reserveFor(KIND_NEIGHBOR, 1) || !reserveInterface(ifIndex)) return failHandle(ErrorCode.OutOfMemory, -1, 0, 0);
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
  let e = checkOpen(neighbor, KIND_NEIGHBOR);
  if (e) return failHandle(e, -1, neighborHandle, 0);
  let dup = findPathSlot(KEY_SRC, KEY_DST);
  if (dup) return failHandle(ErrorCode.DuplicateKey, -1, handleOf(KIND_PATH, dup - 1), 0);
  if (!withinLimit(KIND_PATH, 1)) return failHandle(ErrorCode.Capacity, -1, 0, liveCount(KIND_PATH));
  if (!reserveFor(KIND_PATH, 1)) return failHandle(ErrorCode.OutOfMemory, -1, 0, 0);
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
  let e = checkOpen(path, KIND_PATH);
  if (e) return failHandle(e, -1, pathHandle, 0);
  let dup = findConnectionSlot(handleSlot(path), ports);
  if (dup) return failHandle(ErrorCode.DuplicateKey, -1, handleOf(KIND_CONNECTION, dup - 1), 0);
  if (!withinLimit(KIND_CONNECTION, 1)) return failHandle(ErrorCode.Capacity, -1, 0, liveCount(KIND_CONNECTION));
  if (!reserveFor(KIND_CONNECTION, 1)) return failHandle(ErrorCode.OutOfMemory, -1, 0, 0);
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
        let e = checkOpen(p, KIND_PATH);
        if (e) { bad = j; code = e; break; }
        store<u32>(GROUP_SLOTS + (<usize>j << 2), handleSlot(p) + 1);
      }
      findConnectionSlotsGroup(GROUP_SLOTS, portsAt + (<usize>i << 2), bad);
      for (let j: u32 = 0; j < bad; j++) {
        let dup = load<u32>(GROUP_SLOTS + (<usize>j << 2));
        if (dup) return fail(ErrorCode.DuplicateKey, base + i + j, handleOf(KIND_CONNECTION, dup - 1), 0);
      }
      if (bad < m) return fail(code, base + i + bad, load<f64>(at + (<usize>(i + bad) << 3)), 0);
    }
    return 0;
  }
  for (let i: u32 = 0; i < n; i++) {
    let pf = load<f64>(at + (<usize>i << 3));
    let p = toHandle(pf);
    let e = checkOpen(p, KIND_PATH);
    if (e) return fail(e, base + i, pf, 0);
    let dup = findConnectionSlot(handleSlot(p), load<u32>(portsAt + (<usize>i << 2)));
    if (dup) return fail(ErrorCode.DuplicateKey, base + i, handleOf(KIND_CONNECTION, dup - 1), 0);
  }
  return 0;
}

/** Reserves room for a batch of `total` connections (limit, memory). 0 or -error. */
export function reserveConnections(total: u32): i32 {
  if (!withinLimit(KIND_CONNECTION, total)) return fail(ErrorCode.Capacity, -1, 0, liveCount(KIND_CONNECTION));
  if (!reserveFor(KIND_CONNECTION, total)) return fail(ErrorCode.OutOfMemory, -1, 0, 0);
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
      return fail(ErrorCode.DuplicateKey, base + i, 0, 0);
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
