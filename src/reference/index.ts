// chimney-host/reference: the plain-TypeScript model of OffloadTable, for comparing and testing.
export { ReferenceTable } from './table.js';
export { Kind, State, Reason, UploadReason, ErrorCode } from '../table/enums.js';
export { OffloadError } from '../table/errors.js';
