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

/**
 * Handle layout (assembly/memory/slab.ts): kind above a 25-bit generation above a 26-bit slot. The
 * README documents it and the reference model follows it without a Wasm instance, so it is written
 * here too; test/table/core.test.ts checks it against the core's HANDLE_* exports.
 */
export const HANDLE_SLOT_BITS = 26;
export const HANDLE_GENERATION_BITS = 25;
/** Slots per kind, and the slot's place value in a handle. */
export const SLOT_SPAN = 2 ** HANDLE_SLOT_BITS;
/** Generations per slot: objects one slot holds before it retires. */
export const GENERATION_SPAN = 2 ** HANDLE_GENERATION_BITS;
/** The kind's place value in a handle: the smallest handle of kind k is k x KIND_SPAN. */
export const KIND_SPAN = 2 ** (HANDLE_SLOT_BITS + HANDLE_GENERATION_BITS);

/** "connection #17 (handle 6755399441055761)": a handle as a person can follow it (slot, kind). */
export function describeHandle(handle: number): string {
  const kind = Math.floor(handle / KIND_SPAN);
  const name = kind >= 1 && kind <= 3 ? Kind[kind]!.toLowerCase() : 'object';
  return `${name} #${handle % SLOT_SPAN} (handle ${handle})`;
}
