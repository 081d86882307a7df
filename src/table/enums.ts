// The public enums, fixed by the design. Kind, State, Reason and ErrorCode are also the core's
// (assembly/contract.ts, exported as globals); test/table/core.test.ts checks that every member
// here equals the core's and that the core has no member missing here. The core's error numbers
// become these codes by name (src/table/core.ts, Core.errorCode).

/** Kind of state object. */
export enum Kind {
  Neighbor = 1,
  Path = 2,
  Connection = 3,
}

/** Life cycle of a state object: Offloading → Offloaded → Terminating → freed. */
export enum State {
  /** Handed to the target; its initiate has not completed. */
  Offloading = 1,
  /** The target holds it. */
  Offloaded = 2,
  /** In a termination batch; freed by completeTerminate. */
  Terminating = 3,
}

/**
 * Why the host terminates an object. The list is open-ended: values 64..255 are free for an
 * application's own reasons; 1..63 are reserved for this library.
 */
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

/** Why the target asks the host to upload (terminate) one connection. */
export enum UploadReason {
  // The host must honour these.
  HardwareFailure = 1,
  InvalidState = 2,
  ReceivedUrgentData = 3,
  TimeoutExpiration = 4,
  UploadRequested = 5,
  // The host may ignore these.
  HighDropRate = 6,
  HighFragmentation = 7,
  HighOutOfOrderPackets = 8,
  LowActivity = 9,
  NoBufferPreposting = 10,
  SmallIO = 11,
}

/** What went wrong, on every OffloadError. */
export enum ErrorCode {
  InvalidArgument = 'InvalidArgument',
  StaleHandle = 'StaleHandle',
  WrongKind = 'WrongKind',
  WrongState = 'WrongState',
  DuplicateKey = 'DuplicateKey',
  HasDependents = 'HasDependents',
  Capacity = 'Capacity',
  OutOfMemory = 'OutOfMemory',
  /** check() found a broken invariant: a bug in this library, please report it. */
  InvariantBroken = 'InvariantBroken',
}
