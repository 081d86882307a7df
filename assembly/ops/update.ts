// Cached variables: the host owns them and pushes changes to the target with an update; the table
// keeps the current values. Objects leaving (TERMINATING or pending) cannot be updated.

import { ErrorCode } from '../contract';
import {
  KIND_NEIGHBOR, KIND_PATH, OFFLOADED, OFFLOADING, toHandle, handleSlot, handleOf, state, parent, at16, at64, link,
  unlink, OFF_MTU, OFF_LLADDR,
} from '../memory/slab';
import { fail } from '../memory/buffers';
import { checkOpen, open } from './checks';

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
  if (state(KIND_PATH, s) != OFFLOADED) return fail(ErrorCode.WrongState, -1, hf, state(KIND_PATH, s));
  if (state(KIND_NEIGHBOR, handleSlot(neighbor)) != OFFLOADED) return fail(ErrorCode.WrongState, -1, neighborHandle, OFFLOADING);
  if (!open(KIND_NEIGHBOR, old)) return fail(ErrorCode.WrongState, -1, handleOf(KIND_NEIGHBOR, old), 0);
  if (old == handleSlot(neighbor)) return 0;
  unlink(KIND_PATH, s, KIND_NEIGHBOR);
  link(KIND_PATH, s, KIND_NEIGHBOR, handleSlot(neighbor));
  return 0;
}
