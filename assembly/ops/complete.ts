// Completions: the target finished what the host asked. completeOffload settles initiates (ok:
// OFFLOADED; failed: freed), completeTerminate frees a finished termination batch. Both emit the
// objects that could not go before and can now (see ops/batch.ts), in post-order.

import { ErrorCode } from '../contract';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, OFFLOADING, OFFLOADED, F_PENDING, F_MARK, handleOf, refKind, refSlot,
  state, setState, flags, parent, newEpoch,
} from '../memory/slab';
import { lruAppend } from '../indexes/victims';
import { staged32, reserveOut, outReset, outLength, fail } from '../memory/buffers';
import {
  liveTotal, distinct, distinctPending, resetDistinct, markOnce, clearMarks, checkDependentsStaged, settle,
  settleParentsOfOut, freeStagedAndSettle,
} from './batch';

// unmanaged! raw pointers into linear memory throughout.

/**
 * Frees the `n` staged TERMINATING objects. Refuses (changing nothing) if one still has a linked
 * dependent that is not staged. Output: parents that can go now (PENDING ones with their reason,
 * others as Orphaned when `prune`), TERMINATING. Returns the output length or -error.
 */
export function completeTerminate(n: u32, prune: bool): i32 {
  let e = checkDependentsStaged(n);
  if (e) { clearMarks(n); return e; }
  // Output: parents left behind (at most two per freed object: a path and its neighbor), all live.
  if (!reserveOut(n, <u32>min(<u64>n * 2, <u64>(liveTotal() - distinct)))) { clearMarks(n); return fail(ErrorCode.OutOfMemory, -1, 0, 0); }
  return freeStagedAndSettle(n, prune);
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
  resetDistinct();
  if (ok) {
    for (let i: u32 = 0; i < n; i++) markOnce(refKind(staged32(i)), refSlot(staged32(i)));
    for (let i: u32 = 0; i < n; i++) {
      let r = staged32(i);
      let k = refKind(r);
      if (k == KIND_NEIGHBOR) continue;
      let p = parent(k, refSlot(r));
      if (state(k - 1, p) == OFFLOADING && !(flags(k - 1, p) & F_MARK)) {
        clearMarks(n);
        return fail(ErrorCode.WrongState, i, handleOf(k, refSlot(r)), handleOf(k - 1, p));
      }
    }
  } else {
    let e = checkDependentsStaged(n);
    if (e) { clearMarks(n); return e; }
  }
  // Output: ok, pending objects that go now and the parents they leave (three each at most);
  // failed, the parents they leave (two each at most, none of them freed).
  let bound = ok ? min(<u64>distinctPending * 3, <u64>liveTotal()) : min(<u64>n * 2, <u64>(liveTotal() - distinct));
  if (!reserveOut(n, <u32>bound)) { clearMarks(n); return fail(ErrorCode.OutOfMemory, -1, 0, 0); }
  clearMarks(n);
  if (!ok) return freeStagedAndSettle(n, false);
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
