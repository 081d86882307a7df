// The offload table core: the one export list of the Wasm module.
//
// JS talks to the core through scalar arguments and three shared areas whose addresses the
// header gives (see buffers.ts): the key scratch for single-object calls, the staging buffer for
// batch input, and the output buffer for batch results. Batch calls take only counts.

import { initSlabs, liveCount, capacity, bytesPerSlot, retiredCount, setGeneration } from './slab';
import { HDR, initIo } from './buffers';
import { usedBytes } from './alloc';
import { indexBuckets } from './keyindex';

export {
  offloadNeighbor, offloadPath, offloadConnection, offloadConnections, stageHandles,
  validateConnections, reserveConnections, placeConnections, unplaceConnections,
  completeOffload, terminate, terminateInterface, terminateAll, completeTerminate,
  findNeighbor, findPath, findConnection, findConnections,
  kindOf, stateOf, statusOf, parentOf, refCountOf, dependentsOf, keyOf, listAll, listInterface,
  setMtu, setLinkLayerAddress, relinkPath,
} from './table';
export { recordTraffic, checkTraffic, applyTraffic, tick, chooseVictims } from './traffic';
export { widen } from './buffers';
export { check } from './check';
export { setLookupGroup } from './keyindex';

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
