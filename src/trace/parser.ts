// What the capture readers (pcap.ts, pcapng.ts) share: they parse records from a ByteInput's
// window and hand each frame to a FlowAssembler, stopping before the first frame at or past
// `stopAt` (the end of the current tick) or when the next record is not all in the window.
import type { ByteInput } from './input.js';
import type { FlowAssembler } from './flows.js';

export const NEED_MORE = 0;
export const STOPPED = 1;

export interface CaptureParser {
  readonly format: 'pcap' | 'pcapng';
  /** Frames at or after this time (ms since the epoch) wait for the next call. */
  stopAt: number;
  /** The timestamp of the frame that stopped the last call. */
  pendingMs: number;
  /** Things worth telling a person that did not stop the reading. */
  readonly warnings: string[];
  /** Parses from input.start on; advances input.start past what it consumed. */
  parse(input: ByteInput, flows: FlowAssembler): typeof NEED_MORE | typeof STOPPED;
}

/** The largest record or block accepted: 16 MiB, far above any real snap length (256 KiB). */
export const MAX_RECORD = 16 << 20;
