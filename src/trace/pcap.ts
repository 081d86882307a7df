// pcap (libpcap's classic format): a global header, then records. The magic's byte order is the
// file's; 0xa1b2c3d4 means microsecond timestamps, 0xa1b23c4d nanosecond.
//
//   global header, 24 bytes                      record header, 16 bytes, then incl_len bytes
//   +---------------------------+                +---------------------------+
//   | magic                   4 |                | ts seconds              4 |
//   | version major 2 | minor 2 |                | ts µs or ns             4 |
//   | thiszone                4 |                | incl_len (captured)     4 |
//   | sigfigs                 4 |                | orig_len (on the wire)  4 |
//   | snaplen                 4 |                +---------------------------+
//   | FCS bits 4 | linktype  28 |                | packet data (incl_len)    |
//   +---------------------------+                +---------------------------+

import { at, TraceError } from './errors.js';
import type { ByteInput } from './input.js';
import type { FlowAssembler } from './flows.js';
import { linkTypeSupported } from './decode.js';
import { MAX_RECORD, NEED_MORE, STOPPED, type CaptureParser } from './parser.js';

export const PCAP_HEADER = 24;

/** Is this the start of a pcap file? (Either byte order, µs or ns.) */
export function isPcapMagic(m: number): boolean {
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1;
}

export class PcapParser implements CaptureParser {
  readonly format = 'pcap';
  stopAt = Infinity;
  pendingMs = NaN;
  readonly warnings: string[] = [];
  readonly littleEndian: boolean;
  readonly nanoseconds: boolean;
  readonly linkType: number;
  readonly snapLength: number;
  private readonly maxRecord: number;
  private readonly gzip: boolean;

  /** Reads the global header (24 bytes must be in the window). */
  constructor(input: ByteInput) {
    const v = input.view;
    const p = input.start;
    this.gzip = input.gzip;
    const m = v.getUint32(p, false);
    this.littleEndian = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
    this.nanoseconds = m === 0xa1b23c4d || m === 0x4d3cb2a1;
    const le = this.littleEndian;
    this.snapLength = v.getUint32(p + 16, le);
    this.linkType = v.getUint32(p + 20, le) & 0x0fffffff;
    if (this.snapLength > MAX_RECORD) {
      throw new TraceError(
        'BadSnapLength',
        `${input.path}: the pcap header's snap length is ${this.snapLength.toLocaleString('en-US')} bytes ${at(input.offset(p + 16), this.gzip)}; captures use at most 262,144. The header is damaged (pcapfix can repair it).`,
        input.offset(p + 16),
      );
    }
    if (!linkTypeSupported(this.linkType)) {
      throw new TraceError(
        'UnknownLinkType',
        `${input.path}: link type ${this.linkType} ${at(input.offset(p + 20), this.gzip)} is not one this reader decodes (Ethernet 1, raw IP 101/228/229, Linux cooked 113/276, loopback 0/108). Convert it with editcap or tshark first.`,
        input.offset(p + 20),
      );
    }
    // Some writers put records a little over the snap length; a record far over it is damage.
    this.maxRecord = Math.min(MAX_RECORD, Math.max(this.snapLength, 262_144));
    input.start += PCAP_HEADER;
  }

  parse(input: ByteInput, flows: FlowAssembler): typeof NEED_MORE | typeof STOPPED {
    const { bytes, view } = input;
    const le = this.littleEndian;
    const end = input.end;
    const stopAt = this.stopAt;
    const fracToMs = this.nanoseconds ? 1e-6 : 1e-3;
    const linkType = this.linkType;
    let p = input.start;
    while (p + 16 <= end) {
      const incl = view.getUint32(p + 8, le);
      if (incl > this.maxRecord) {
        input.start = p;
        throw new TraceError(
          'BadLength',
          `${input.path}: the record ${at(input.offset(p), this.gzip)} says it holds ${incl.toLocaleString('en-US')} captured bytes, more than the snap length ${this.snapLength.toLocaleString('en-US')} allows: the file is damaged there (pcapfix can repair it).`,
          input.offset(p),
        );
      }
      if (p + 16 + incl > end) break;
      const ts = view.getUint32(p, le) * 1000 + view.getUint32(p + 4, le) * fracToMs;
      if (ts >= stopAt) {
        this.pendingMs = ts;
        input.start = p;
        return STOPPED;
      }
      flows.frame(ts, 1, linkType, bytes, view, p + 16, incl);
      p += 16 + incl;
    }
    input.start = p;
    return NEED_MORE;
  }
}
