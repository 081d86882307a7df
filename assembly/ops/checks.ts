// The handle checks operations start with. Each returns 0 or an ErrorCode (the caller passes it to
// fail() with the detail it knows). A handle arrives as the u64 of toHandle (0 if the f64 was not
// an integer in 1..2^53-1).

import { ErrorCode } from '../contract';
import {
  KIND_CONNECTION, TERMINATING, F_PENDING, handleKind, handleSlot, handleGen, isLive, state, flags,
} from '../memory/slab';

/** 0 if `h` names a live object. */
export function checkHandle(h: u64): i32 {
  let k = handleKind(h);
  if (k == 0) return ErrorCode.InvalidArgument;
  return isLive(k, handleSlot(h), handleGen(h)) ? 0 : ErrorCode.StaleHandle;
}

/** 0 if `h` is a live object of `kind`. */
export function checkKind(h: u64, kind: u32): i32 {
  let e = checkHandle(h);
  if (e) return e;
  return handleKind(h) == kind ? 0 : ErrorCode.WrongKind;
}

/** True unless the object is TERMINATING or PENDING (its subtree is then already handled). */
@inline export function open(kind: u32, slot: u32): bool {
  return state(kind, slot) != TERMINATING && !(flags(kind, slot) & F_PENDING);
}

/**
 * 0 if `h` is a live object of `kind` that is neither TERMINATING nor pending: one that can take a
 * new dependent or a changed cached variable.
 */
export function checkOpen(h: u64, kind: u32): i32 {
  let e = checkKind(h, kind);
  if (e) return e;
  return open(kind, handleSlot(h)) ? 0 : ErrorCode.WrongState;
}

/** 0 if `h` is a live connection. */
@inline export function checkConnection(h: u64): i32 {
  return checkKind(h, KIND_CONNECTION);
}
