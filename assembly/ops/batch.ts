// What terminate and the completions share: the staged input, marks, and the post-order emission
// of objects into TERMINATING (emit, request, settle), with the free-then-settle step of the
// completions written once (freeStagedAndSettle).
//
// An object is emitted (enters TERMINATING and is reported) only once every dependent still linked
// to it is emitted in the same batch; otherwise it is marked PENDING with its reason and emitted
// later, by the call that removes its last obstacle:
//   * a dependent that is OFFLOADING (its initiate is in flight) is marked PENDING too, and
//     completeOffload emits it when the initiate succeeds;
//   * a dependent TERMINATING from an earlier batch stays linked until that batch completes, and
//     completeTerminate emits the parent when it frees the last such dependent.
// Orphan pruning uses the same rule: a parent all of whose dependents just joined the batch (or
// were just freed) joins it with Reason.Orphaned.
//
// The tree has exactly three levels (connection -> path -> neighbor), so emitting all connections
// of a batch, then all paths, then all neighbors is a post-order: every dependent before its parent.

import { ErrorCode, Reason } from '../contract';
import {
  KIND_NEIGHBOR, KIND_PATH, KIND_CONNECTION, FREE, OFFLOADED, TERMINATING, F_PENDING, F_MARK, toHandle,
  handleKind, handleSlot, handleOf, ref, refKind, refSlot, state, setState, flags, setFlags, reason, setReason,
  parent, head, next, refCount, unlink, newEpoch, cnt, bumpCnt, releaseSlot, liveCount,
} from '../memory/slab';
import { indexRemove, indexSweep, indexUsed } from '../indexes/keyindex';
import { interfaceUnlink } from '../indexes/interfaces';
import { lruRemove } from '../indexes/victims';
import { io, staged32, setStaged, reserveStaging, outReset, outLength, outPush, outAt, fail, MAX_LIST } from '../memory/buffers';
import { checkHandle } from './checks';

// unmanaged! raw pointers into linear memory throughout.

/** Live objects of every kind (at most 3 * 2^26, so no overflow). */
export function liveTotal(): u32 {
  return liveCount(KIND_NEIGHBOR) + liveCount(KIND_PATH) + liveCount(KIND_CONNECTION);
}

// ---- staged input ------------------------------------------------------------------------------

/**
 * Stages the `n` handles (f64) in the I/O window as entries [base, base + n) of the staging list,
 * each checked to be live (and, if `want` is not FREE, in state `want`); the first bad one fails
 * with its index `base + i`. Nothing in the table changes. 0 or -error.
 */
export function stageHandles(n: u32, base: u32, want: u8): i32 {
  if (<u64>base + <u64>n > <u64>MAX_LIST || !reserveStaging(base + n, base)) return fail(ErrorCode.OutOfMemory, -1, 0, 0);
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
      if (st != want) return fail(ErrorCode.WrongState, base + i, hf, st);
    }
    setStaged(base + i, ref(k, s));
  }
  return 0;
}

// ---- marks -------------------------------------------------------------------------------------

/** Distinct objects marked by the current call (markOnce), for exact output bounds. */
export let distinct: u32 = 0;
/** Of those, the ones whose termination is pending. */
export let distinctPending: u32 = 0;

/** Starts counting distinct staged objects. */
export function resetDistinct(): void {
  distinct = 0;
  distinctPending = 0;
}

/** Sets MARK on every staged handle; true for the first time a handle is seen (dedup). */
@inline export function markOnce(kind: u32, slot: u32): bool {
  let f = flags(kind, slot);
  if (f & F_MARK) return false;
  setFlags(kind, slot, f | F_MARK);
  distinct++;
  if (f & F_PENDING) distinctPending++;
  return true;
}

/** Clears MARK on the first `n` staged handles (all live). */
export function clearMarks(n: u32): void {
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
export function checkDependentsStaged(n: u32): i32 {
  newEpoch();
  resetDistinct();
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
      return fail(ErrorCode.HasDependents, i, handleOf(k, s), d ? handleOf(k + 1, d - 1) : 0);
    }
  }
  return 0;
}

// ---- emission ----------------------------------------------------------------------------------

/** Emits an object: TERMINATING with `why`, reported in the output, counted for its parent. */
@inline function emit(kind: u32, slot: u32, why: u8): void {
  // No longer a victim: it is leaving (a pending one was never listed; see ops/complete.ts).
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
export function request(kind: u32, slot: u32, why: u8): void {
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
export function settle(kind: u32, slot: u32, orphans: bool): void {
  if (state(kind, slot) != OFFLOADED) return;
  let pending = (flags(kind, slot) & F_PENDING) != 0;
  if (!pending && !orphans) return;
  if (!allDependentsIn(kind, slot)) return;
  emit(kind, slot, pending ? reason(kind, slot) : <u8>Reason.Orphaned);
}

/** Settles the parents of output entries [from, to), which are all of `kind`. */
export function settleParentsOfOut(kind: u32, from: u32, to: u32, orphans: bool): void {
  for (let i = from; i < to; i++) settle(kind - 1, parent(kind, refSlot(outAt(i))), orphans);
}

// ---- free, then settle -------------------------------------------------------------------------

/** Frees a TERMINATING or failed object: index (unless swept in bulk), parent's list, slot. */
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
 * Frees the `n` staged objects (checked: every linked dependent is staged too; output reserved),
 * dependents first, then settles the parents they leave: paths of freed connections, then
 * neighbors of freed and of just emitted paths (post-order). `orphans` allows pruning. Returns the
 * output length: the parents that entered TERMINATING.
 */
export function freeStagedAndSettle(n: u32, orphans: bool): i32 {
  releaseStaged(n, KIND_CONNECTION); // releaseSlot clears MARK
  releaseStaged(n, KIND_PATH);
  releaseStaged(n, KIND_NEIGHBOR);
  newEpoch();
  outReset();
  settleParentsOfStaged(n, KIND_CONNECTION, orphans);
  let pathsTo = outLength();
  settleParentsOfStaged(n, KIND_PATH, orphans);
  settleParentsOfOut(KIND_PATH, 0, pathsTo, orphans);
  return <i32>outLength();
}
