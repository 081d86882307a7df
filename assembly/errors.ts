// Error codes shared by every operation (as in src/table/enums.ts, CORE_ERROR_CODES), and the handle
// check they all start with.

import { handleKind, handleSlot, handleGen, isLive } from './slab';

export const E_INVALID: i32 = 1;
export const E_STALE: i32 = 2;
export const E_WRONG_KIND: i32 = 3;
export const E_WRONG_STATE: i32 = 4;
export const E_DUPLICATE: i32 = 5;
export const E_HAS_DEPENDENTS: i32 = 6;
export const E_CAPACITY: i32 = 7;
export const E_OUT_OF_MEMORY: i32 = 8;

/** 0 if `h` (a handle as u64; 0 if the f64 was not one, see toHandle) names a live object, else an error code. */
export function checkHandle(h: u64): i32 {
  let k = handleKind(h);
  if (k == 0) return E_INVALID;
  return isLive(k, handleSlot(h), handleGen(h)) ? 0 : E_STALE;
}
