// The offload table core: the one export list of the Wasm module.
//
//   memory/   alloc.ts pages; slab.ts objects and handles; buffers.ts the header, the I/O window
//             and the pool of staged and output refs
//   indexes/  keyindex.ts keys to objects; interfaces.ts neighbors per interface; victims.ts the
//             victim order
//   ops/      offload.ts, terminate.ts, complete.ts (with batch.ts, what they share), query.ts,
//             update.ts, traffic.ts; checks.ts the handle checks they start with
//   check.ts  every invariant, from scratch; contract.ts the enums JS shares
//
// JS talks to the core through scalar arguments and three shared areas whose addresses the
// header gives (memory/buffers.ts): the key scratch for single-object calls, the I/O window for
// batch input and output. Batch calls take only counts.
//
// The contract with JS is exported here and nowhere else written twice: the enums of contract.ts
// (each member a global named "Kind.Neighbor", "ErrorCode.StaleHandle", ...), the header's and the
// key scratch's offsets (HEADER_*, KEY_*), the handle's bits (HANDLE_*) and LIST_DONE.
// src/table/core.ts reads them when it loads the module.
//
// ONE ERROR CONVENTION, for every export that can fail: it returns a number, >= 0 its result (a
// count, a handle, a kind, ...), < 0 the negated ErrorCode; and it has written the detail to the
// header first (memory/buffers.ts, fail): errIndex, the batch entry (-1: none); errHandle, the
// handle the error is about (0: none); errAux, what the code says (Capacity: the live count;
// WrongState: the state found or the parent in the way; HasDependents: the dependent;
// InvariantBroken: the Invariant). Nothing traps, and a failed call has changed nothing. Exports
// that cannot fail (widen, unplaceConnections, count, ...) return their result or nothing.

import { initSlabs, liveCount, capacity, bytesPerSlot, retiredCount, setGeneration, SLOT_BITS, GEN_BITS } from './memory/slab';
import { HDR, initIo } from './memory/buffers';
import { usedBytes } from './memory/alloc';
import { indexBuckets } from './indexes/keyindex';

export { Kind, State, Reason, ErrorCode, Invariant } from './contract';
export {
  HEADER_IO, HEADER_IO_BYTES, HEADER_ERROR_INDEX, HEADER_CURSOR, HEADER_ERROR_HANDLE, HEADER_ERROR_AUX, KEY_SOURCE,
  KEY_DESTINATION, KEY_IF_INDEX, KEY_MTU, KEY_PORTS, KEY_PRIORITY, KEY_LINK_LAYER_ADDRESS, KEY_BYTES, KEY_RATE,
  KEY_QUIET_MS, LIST_DONE,
} from './memory/buffers';
/** Bits of a handle's slot and generation; its kind sits above both (memory/slab.ts). */
export const HANDLE_SLOT_BITS: i32 = SLOT_BITS;
export const HANDLE_GENERATION_BITS: i32 = GEN_BITS;

export {
  offloadNeighbor, offloadPath, offloadConnection, offloadConnections, validateConnections, reserveConnections,
  placeConnections, unplaceConnections,
} from './ops/offload';
export { stageHandles } from './ops/batch';
export { terminate, terminateInterface, terminateAll } from './ops/terminate';
export { completeOffload, completeTerminate } from './ops/complete';
export {
  findNeighbor, findPath, findConnection, findConnections, kindOf, stateOf, statusOf, parentOf, refCountOf,
  dependentsOf, keyOf, listAll, listInterface,
} from './ops/query';
export { setMtu, setLinkLayerAddress, relinkPath } from './ops/update';
export { recordTraffic, checkTraffic, applyTraffic, tick, chooseVictims } from './ops/traffic';
export { widen } from './memory/buffers';
export { check } from './check';
export { setLookupGroup } from './indexes/keyindex';

/** Sets the per-kind limits and allocates the I/O window; returns the header address, 0 if out of memory. */
export function init(maxNeighbors: u32, maxPaths: u32, maxConnections: u32): usize {
  initSlabs(maxNeighbors, maxPaths, maxConnections);
  return initIo() ? HDR : 0;
}

/** Slots of `kind` retired because their generation was used up. */
export function retired(kind: u32): u32 {
  return retiredCount(kind);
}

/**
 * TEST ONLY: sets the generation of a live object's slot (so tests reach slot retirement without
 * 2^25 reuses). Not part of the public API; OffloadTable exposes it as debugSetGeneration.
 */
export function debugSetGeneration(kind: u32, slot: u32, gen: u32): bool {
  return setGeneration(kind, slot, gen);
}

/** Live objects of `kind`. */
export function count(kind: u32): u32 {
  return liveCount(kind);
}

/** Bytes of linear memory in use by slabs, indexes and buffers (allocated, not just grown). */
export function heapBytes(): u32 {
  return <u32>usedBytes();
}

/** Slots backed by slab chunks for `kind`, and bytes per slot: for memory accounting. */
export function slabCapacity(kind: u32): u32 {
  return capacity(kind);
}
export function slabBytesPerSlot(kind: u32): u32 {
  return bytesPerSlot(kind);
}
export function indexCapacity(kind: u32): u32 {
  return indexBuckets(kind);
}
