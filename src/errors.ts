import { ErrorCode, Kind } from './enums.js';

/** The one error type of this library: `code` says what went wrong, the message says what to do. */
export class OffloadError extends Error {
  override readonly name = 'OffloadError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Position of the offending entry in a batch, when the call took one. */
    readonly index?: number,
    /** The handle the error is about, when there is one. */
    readonly handle?: number,
  ) {
    super(message);
  }
}

/** Throws InvalidArgument. */
export function invalid(message: string, index?: number): never {
  throw new OffloadError(ErrorCode.InvalidArgument, message, index);
}

/** "connection #17 (handle 3221225489)": a handle as a person can follow it. */
export function describeHandle(handle: number): string {
  const kind = handle >>> 30;
  const name = kind === 0 ? 'object' : Kind[kind]!.toLowerCase();
  return `${name} #${handle & 0x3fffff} (handle ${handle})`;
}
