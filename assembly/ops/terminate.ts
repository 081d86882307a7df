// Terminate: named objects (any mix of kinds), one interface, or everything, with everything
// linked below them, as one post-order batch (see ops/batch.ts for the emission rules).
//
// Termination walks the tree level by level, never recursively: all connections of the batch,
// then all paths, then all neighbors.

import { ErrorCode } from '../contract';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, FREE, ref, refKind, refSlot, state, head, next, refCount,
  highWater as highWaterOf, newEpoch, liveCount,
} from '../memory/slab';
import { interfaceHead, interfaceCount } from '../indexes/interfaces';
import { staged32, setStaged, reserveStaging, reserveOut, outReset, outLength, fail, MAX_LIST } from '../memory/buffers';
import { open } from './checks';
import { liveTotal, request, settleParentsOfOut } from './batch';

// unmanaged! raw pointers into linear memory throughout.


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

/** Requests termination of every connection of an open path. */
@inline function requestConnectionsOf(pathSlot: u32, why: u8): void {
  if (!open(KIND_PATH, pathSlot)) return;
  for (let c = head(KIND_PATH, pathSlot); c; c = next(KIND_CONNECTION, c - 1)) request(KIND_CONNECTION, c - 1, why);
}

/** The terminate of the first `n` staged handles (validated). Returns the output length. */
function terminateStaged(n: u32, why: u8, prune: bool): i32 {
  let bound = terminateBound(n);
  if (bound > <u64>MAX_LIST || !reserveOut(n, <u32>bound)) return fail(ErrorCode.OutOfMemory, -1, 0, 0);
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
 * Terminates the `n` staged handles (any mix of kinds) and everything linked below them.
 * Output: the batch in post-order with a reason per entry. Returns its length or -error.
 */
export function terminate(n: u32, why: u8, prune: bool): i32 {
  return terminateStaged(n, why, prune);
}

/** Terminates everything on interface `ifIndex`. Returns the batch length or -error. */
export function terminateInterface(ifIndex: u32, why: u8, prune: bool): i32 {
  let n = interfaceCount(ifIndex);
  if (!reserveStaging(n)) return fail(ErrorCode.OutOfMemory, -1, 0, 0);
  let i: u32 = 0;
  for (let s = interfaceHead(ifIndex); s; s = next(KIND_NEIGHBOR, s - 1)) setStaged(i++, ref(KIND_NEIGHBOR, s - 1));
  return terminateStaged(n, why, prune);
}

/** Writes the handles of every live object of `kind` to the staging buffer; returns how many. */
function stageAll(kind: u32): i32 {
  let n = liveCount(kind);
  if (!reserveStaging(n)) return fail(ErrorCode.OutOfMemory, -1, 0, 0);
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
