// pcapng: a sequence of blocks, in sections. Each section starts with a Section Header Block whose
// byte-order magic sets the byte order of every block up to the next section; interfaces (and
// their ids, link types and timestamp units) are numbered per section.
//
//   every block                                  Section Header Block (type 0x0a0d0d0a)
//   +---------------------------+                +---------------------------+
//   | block type              4 |                | type, total length      8 |
//   | block total length      4 |                | byte-order magic 1a2b3c4d 4 |
//   | body (padded to 4)    ... |                | major 2 | minor 2         |
//   | block total length      4 |  (a copy)      | section length (or -1)  8 |
//   +---------------------------+                | options ..., length     4 |
//                                                +---------------------------+
//   Interface Description Block (type 1)         Enhanced Packet Block (type 6)
//   +---------------------------+                +---------------------------+
//   | type, total length      8 |                | type, total length      8 |
//   | link type 2 | reserved 2  |                | interface id            4 |
//   | snap length             4 |                | timestamp high          4 |
//   | options: if_tsresol (9),  |                | timestamp low           4 |
//   |  if_tsoffset (14), ...    |                | captured length         4 |
//   | total length            4 |                | original length         4 |
//   +---------------------------+                | data (padded), options    |
//                                                +---------------------------+
//   Simple Packet Block (type 3)                 Obsolete Packet Block (type 2)
//   +---------------------------+                +---------------------------+
//   | type, total length      8 |                | type, total length      8 |
//   | original length         4 |                | interface id 2 | drops 2  |
//   | data: min(original, snap  |                | timestamp high, low     8 |
//   |  of interface 0, room)    |                | captured, original len  8 |
//   | total length            4 |                | data (padded), options    |
//   +---------------------------+                +---------------------------+
//
// Options are code(2) length(2) value(padded to 4), ending with code 0. Timestamps count units of
// if_tsresol (10^-6 s by default; the high bit set means 2^-n) since 1970, plus if_tsoffset seconds.
// Every other block type (statistics, name resolution, custom, ...) is skipped by its length.

import { at, TraceError } from './errors.js';
import type { ByteInput } from './input.js';
import type { FlowAssembler } from './flows.js';
import { linkTypeSupported } from './decode.js';
import { MAX_RECORD, NEED_MORE, STOPPED, type CaptureParser } from './parser.js';

export const SHB = 0x0a0d0d0a;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const EPB = 6;
/** Obsolete packet blocks name interfaces with 16 bits; no real capture comes near. */
const MAX_INTERFACES = 65536;
const MAX_WARNINGS = 20;

interface Interface {
  linkType: number;
  snapLength: number;
  unitsPerMs: number;
  offsetMs: number;
  /** 1-based, counted over the whole file (interface ids restart in every section). */
  ifIndex: number;
  supported: boolean;
}

export class PcapngParser implements CaptureParser {
  readonly format = 'pcapng';
  stopAt = Infinity;
  pendingMs = NaN;
  readonly warnings: string[] = [];
  /** Interfaces over the whole file. */
  interfaceCount = 0;
  sections = 0;
  private le = false;
  private interfaces: Interface[] = [];
  /** The current section has a version this reader does not know: skip to the next one. */
  private skipSection = false;
  private lastMs = 0;
  private readonly gzip: boolean;

  constructor(input: ByteInput) {
    this.gzip = input.gzip;
  }

  private fail(input: ByteInput, p: number, what: string): never {
    throw new TraceError('BadLength', `${input.path}: the pcapng block ${at(input.offset(p), this.gzip)} ${what}: the file is damaged there.`, input.offset(p));
  }

  parse(input: ByteInput, flows: FlowAssembler): typeof NEED_MORE | typeof STOPPED {
    const { bytes, view } = input;
    const end = input.end;
    let p = input.start;
    while (p + 12 <= end) {
      let type = view.getUint32(p, this.le);
      if (view.getUint32(p, false) === SHB) {
        type = SHB;
        const bom = view.getUint32(p + 8, false);
        if (bom === 0x1a2b3c4d) this.le = false;
        else if (bom === 0x4d3c2b1a) this.le = true;
        else {
          input.start = p;
          throw new TraceError(
            'BadByteOrder',
            `${input.path}: the pcapng section header ${at(input.offset(p), this.gzip)} has byte-order magic 0x${bom.toString(16).padStart(8, '0')}, not 0x1a2b3c4d in either order: this is not a pcapng section (or it is damaged).`,
            input.offset(p),
          );
        }
      }
      const le = this.le;
      const len = view.getUint32(p + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
        input.start = p;
        this.fail(input, p, `says it is ${len.toLocaleString('en-US')} bytes long (a block is 12 bytes to 16 MiB, a multiple of 4)`);
      }
      if (p + len > end) break;
      if (view.getUint32(p + len - 4, le) !== len) {
        input.start = p;
        this.fail(
          input,
          p,
          `says it is ${len.toLocaleString('en-US')} bytes long at its start but ${view.getUint32(p + len - 4, le).toLocaleString('en-US')} at its end`,
        );
      }
      if (type === SHB) {
        if (len < 28) this.fail(input, p, `is a section header of ${len} bytes (at least 28)`);
        const major = view.getUint16(p + 12, le);
        this.sections++;
        this.interfaces = [];
        this.skipSection = major !== 1;
        if (this.skipSection) {
          this.warn(
            `section ${this.sections} ${at(input.offset(p), this.gzip)} is pcapng version ${major}.${view.getUint16(p + 14, le)}, which this reader does not know: its packets were skipped`,
          );
        }
      } else if (this.skipSection) {
        if (type === EPB || type === SPB || type === OPB) {
          flows.stats.packets++;
          flows.stats.skip('packets in a pcapng section of an unknown version');
        }
      } else if (type === IDB) {
        if (len < 20) this.fail(input, p, `is an interface description of ${len} bytes (at least 20)`);
        if (this.interfaces.length === MAX_INTERFACES)
          this.fail(input, p, `is interface number ${MAX_INTERFACES + 1} of its section (pcapng allows ${MAX_INTERFACES} that packet blocks can name)`);
        this.interfaces.push(this.readInterface(view, p, len, le));
      } else if (type === EPB || type === OPB || type === SPB) {
        let iface: Interface | undefined;
        let ts: number;
        let caplen: number;
        let data: number;
        if (type === SPB) {
          if (len < 16) this.fail(input, p, `is a simple packet block of ${len} bytes (at least 16)`);
          iface = this.interfaces[0];
          // No timestamp: it counts at the time of the packet before it.
          ts = this.lastMs;
          const original = view.getUint32(p + 8, le);
          caplen = Math.min(original, len - 16);
          if (iface !== undefined && iface.snapLength > 0) caplen = Math.min(caplen, iface.snapLength);
          data = p + 12;
        } else {
          if (len < 32) this.fail(input, p, `is a packet block of ${len} bytes (at least 32)`);
          iface = this.interfaces[type === EPB ? view.getUint32(p + 8, le) : view.getUint16(p + 8, le)];
          caplen = view.getUint32(p + 20, le);
          if (caplen > len - 32) this.fail(input, p, `says it captured ${caplen.toLocaleString('en-US')} bytes but has room for ${len - 32}`);
          ts = iface === undefined ? 0 : (view.getUint32(p + 12, le) * 4294967296 + view.getUint32(p + 16, le)) / iface.unitsPerMs + iface.offsetMs;
          data = p + 28;
        }
        if (iface === undefined) {
          flows.stats.packets++;
          flows.stats.skip('packets on an interface the pcapng file never described');
        } else {
          if (ts >= this.stopAt) {
            this.pendingMs = ts;
            input.start = p;
            return STOPPED;
          }
          this.lastMs = ts;
          if (iface.supported) flows.frame(ts, iface.ifIndex, iface.linkType, bytes, view, data, caplen);
          else this.unsupported(flows, iface);
        }
      }
      p += len;
    }
    input.start = p;
    return NEED_MORE;
  }

  /** A damaged file could hold millions of odd sections or interfaces: keep the first warnings. */
  private warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else if (this.warnings.length === MAX_WARNINGS) this.warnings.push('more warnings like these were left out');
  }

  private unsupported(flows: FlowAssembler, iface: Interface): void {
    flows.stats.packets++;
    flows.stats.skip(`link type ${iface.linkType} (not decoded)`);
  }

  private readInterface(view: DataView, p: number, len: number, le: boolean): Interface {
    const iface: Interface = {
      linkType: view.getUint16(p + 8, le),
      snapLength: view.getUint32(p + 12, le),
      unitsPerMs: 1000,
      offsetMs: 0,
      ifIndex: ++this.interfaceCount,
      supported: false,
    };
    iface.supported = linkTypeSupported(iface.linkType);
    if (!iface.supported) this.warn(`interface ${iface.ifIndex} has link type ${iface.linkType}, which this reader does not decode: its packets were skipped`);
    // Options: a lying option length ends the option list, never the read.
    const end = p + len - 4;
    for (let o = p + 16; o + 4 <= end; ) {
      const code = view.getUint16(o, le);
      const olen = view.getUint16(o + 2, le);
      if (code === 0 || o + 4 + olen > end) break;
      if (code === 9 && olen >= 1) {
        const r = view.getUint8(o + 4);
        const exponent = r & 0x7f;
        // A unit finer than 10^-18 s (or 2^-63 s) leaves a 64-bit count less than 20 s of range:
        // no capture means that, so the option is damaged and microseconds are assumed.
        if (exponent <= (r & 0x80 ? 63 : 18)) iface.unitsPerMs = (r & 0x80 ? 2 ** exponent : 10 ** exponent) / 1000;
        else
          this.warn(
            `interface ${iface.ifIndex} has if_tsresol 0x${r.toString(16)} (finer than a 64-bit timestamp can count): its timestamps were read as microseconds`,
          );
      } else if (code === 14 && olen >= 8) {
        // Beyond 2^32 s (the year 2106) either way, an offset would swamp every timestamp's own
        // bits (all packets would share one time). The Zeek reader draws the same line; pcap's 32-bit
        // seconds cannot cross it.
        const seconds = Number(view.getBigInt64(o + 4, le));
        if (Math.abs(seconds) <= 2 ** 32) iface.offsetMs = seconds * 1000;
        else this.warn(`interface ${iface.ifIndex} has if_tsoffset ${seconds} s (beyond the year 2106): the offset was ignored`);
      }
      o += 4 + ((olen + 3) & ~3);
    }
    return iface;
  }
}
