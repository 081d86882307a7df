// chimney-host: the host-stack side of stateful TCP offload.
export { Kind, State, Reason, UploadReason, ErrorCode } from './table/enums.js';
export { OffloadError } from './table/errors.js';
export { OffloadTable } from './table/table.js';
export type {
  Address,
  NeighborKey,
  NeighborInit,
  PathKey,
  PathInit,
  ConnectionInit,
  ConnectionKey,
  ConnectionKeys,
  TerminateBatch,
  TerminateOptions,
  TableOptions,
  ObjectInfo,
} from './table/types.js';
export { parseAddress, formatAddress, encodeAddresses } from './table/address.js';
export { HostStack, DEFAULT_TARGET_TIMEOUT_MS } from './host/stack.js';
export type { TargetFault } from './host/target-calls.js';
export type { HostPolicy, OffloadRequest, HostEvents, HostStackOptions } from './host/stack.js';
export { SimulatedTarget } from './target/simulated-target.js';
export { TargetIndications } from './target/indications.js';
export type { SimulatedTargetOptions } from './target/simulated-target.js';
export { ManualClock } from './target/clock.js';
export type { Clock } from './target/clock.js';
export type {
  OffloadTarget,
  TargetEvents,
  DelegatedState,
  Segment,
  InitiateBlock,
  NeighborBlock,
  PathBlock,
  ConnectionBlock,
  TerminateBlock,
  UpdateBlock,
  BlockStatus,
  TerminateResult,
  QueryResult,
} from './target/offload-target.js';
export type { ActivityPolicy, TrafficInfo } from './table/types.js';
export { seededRandom, type SeededRandom } from './util/random.js';
export { ConnectionStatus } from './host/policy.js';
export type { ConnectionColumns, PolicyContext, PolicyDecision, OffloadPolicy, PolicyFactory } from './host/policy.js';
export { eager, threshold, rebalance, policies, loadPolicy, optionProblems } from './host/policies/index.js';
export type { EagerOptions, ThresholdOptions, RebalanceOptions, PolicySchema, OptionSpec } from './host/policies/index.js';
export type { HostMetrics } from './host/metrics.js';
export type { OpenedColumns } from './host/engine.js';
