// chimney-host: the host-stack side of stateful TCP offload.
export { Kind, State, Reason, UploadReason, ErrorCode } from './enums.js';
export { OffloadError } from './errors.js';
export { OffloadTable } from './table.js';
export type {
  Address, NeighborKey, NeighborInit, PathKey, PathInit, ConnectionInit, ConnectionKey, ConnectionKeys,
  TerminateBatch, TerminateOptions, TableOptions, ObjectInfo,
} from './table.js';
export { parseAddress, formatAddress, encodeAddresses } from './address.js';
