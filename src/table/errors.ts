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

/** Handle layout (assembly/slab.ts): kind above a 25-bit generation above a 26-bit slot. */
const SLOT_SPAN = 2 ** 26;
const KIND_SPAN = 2 ** 51;

/** "connection #17 (handle 6755399441055761)": a handle as a person can follow it (slot, kind). */
export function describeHandle(handle: number): string {
  const kind = Math.floor(handle / KIND_SPAN);
  const name = kind >= 1 && kind <= 3 ? Kind[kind]!.toLowerCase() : 'object';
  return `${name} #${handle % SLOT_SPAN} (handle ${handle})`;
}
