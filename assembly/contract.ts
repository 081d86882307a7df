// The numbers JS and the core share, written once: index.ts exports these enums, so each member is
// a WebAssembly.Global on the instance ("Kind.Neighbor", "ErrorCode.StaleHandle", ...) that
// src/table/core.ts reads at load. The public TS enums (src/table/enums.ts) are fixed by the
// design; test/table/core.test.ts checks that every member equals its export here and that no
// export lacks a member.

/** Kind of state object; a handle's top bits (see memory/slab.ts). */
export enum Kind {
  Neighbor = 1,
  Path = 2,
  Connection = 3,
}

/** Life cycle of an object. A slot without an object is FREE (0, memory/slab.ts): not a State. */
export enum State {
  Offloading = 1,
  Offloaded = 2,
  Terminating = 3,
}

/** Termination reasons this library defines (1..63 reserved; 64..255 are the application's). */
export enum Reason {
  Application = 1,
  HigherPriority = 2,
  TargetRequested = 3,
  LowActivity = 4,
  MediaDisconnect = 5,
  Pause = 6,
  PowerTransition = 7,
  Invalidated = 8,
  /** Given by pruning: the object's last dependent was terminated. */
  Orphaned = 9,
}

/** What went wrong: every failing export returns -ErrorCode (see index.ts). */
export enum ErrorCode {
  InvalidArgument = 1,
  StaleHandle = 2,
  WrongKind = 3,
  WrongState = 4,
  DuplicateKey = 5,
  HasDependents = 6,
  Capacity = 7,
  OutOfMemory = 8,
  /** check() found a broken invariant (which one: the error's aux, an Invariant). */
  InvariantBroken = 9,
}

/** What check() found broken (its messages for people: src/table/core.ts, INVARIANT_MESSAGES). */
export enum Invariant {
  /** A state outside FREE..TERMINATING, or PENDING on a TERMINATING object. */
  BadState = 1,
  /** A scratch MARK survived a call. */
  MarkLeft = 2,
  /** Live objects differ from the slab's count. */
  LiveCount = 3,
  /** The free list misses a free slot, holds a live or retired one, or loops. */
  FreeList = 4,
  /** An object's parent is not allocated. */
  ParentFree = 5,
  /** A dependent list has a bad link, or a member of another parent. */
  ListBroken = 6,
  /** A refcount differs from the dependents linked. */
  RefCount = 7,
  /** A live object is in no dependent list. */
  Unlisted = 8,
  /** A dependent's state does not fit its parent's. */
  StateOrder = 9,
  /** An index bucket names a free slot, or counts disagree. */
  IndexEntry = 10,
  /** An object is not found by its own key. */
  IndexMiss = 11,
  /** An interface list is broken or miscounted. */
  Interface = 12,
  /** The victim lists do not hold exactly the Offloaded connections. */
  Victims = 13,
}
