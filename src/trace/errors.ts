// Errors of the trace readers. A TraceError names what is wrong and where: the byte offset in
// the file (in the decompressed stream for a gzip file), so a person can look at it with a hex
// dump, and a code that tests and the CLI can tell apart.

export type TraceErrorCode =
  /** Not a pcap, pcapng or Zeek conn.log: the first bytes match none of them. */
  | 'BadMagic'
  /** A length field that cannot be true: a block or record longer than allowed, shorter than its header, not a multiple of 4, or disagreeing with its copy. */
  | 'BadLength'
  /** A pcap snap length no capture uses. */
  | 'BadSnapLength'
  /** A pcap link type this reader does not decode. */
  | 'UnknownLinkType'
  /** A pcapng section header whose byte-order magic is neither order. */
  | 'BadByteOrder'
  /** The gzip stream is corrupt. */
  | 'Gzip'
  /** A Zeek conn.log line that cannot be read. */
  | 'BadRecord'
  /** The file cannot be opened or read. */
  | 'Io'
  /** An option given to openTraceWorkload is unknown or out of range (no file was read). */
  | 'BadOption';

export class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(
    readonly code: TraceErrorCode,
    message: string,
    /** Byte offset of the problem (decompressed stream for gzip files); -1 when not about a place. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** "at byte 1,234" or "at byte 1,234 of the decompressed stream". */
export function at(offset: number, gzip: boolean): string {
  return `at byte ${offset.toLocaleString('en-US')}${gzip ? ' of the decompressed stream' : ''}`;
}

/**
 * Is this a TraceError, also after crossing a worker thread (where the class is lost and only
 * name, message and own fields survive)?
 */
export function isTraceError(error: unknown): error is TraceError {
  return error instanceof Error && error.name === 'TraceError';
}
