// Writes TCP segments as a capture file: pcap or pcapng, either byte order, µs or ns (or 2^-n for
// pcapng) timestamps, any link type the reader decodes. Payload bytes are zeros and may be cut by
// a snap length (the IP header still states the full length, as in a real capture). Used by
// scripts/write-capture.ts (large synthetic captures for the benchmark) and by the tests, which
// cross-check what it writes against tshark.
//
// The block and record layouts are drawn in pcap.ts and pcapng.ts; the frames it builds:
//   link header (by link type) | IPv4 (20) or IPv6 (40 [+ 8 hop-by-hop]) | TCP (20) | payload

export interface CaptureLayout {
  format: 'pcap' | 'pcapng';
  /** Byte order of the file's headers (default true: little-endian). */
  littleEndian?: boolean;
  /** pcap: nanosecond timestamps; pcapng: if_tsresol 9. */
  nanoseconds?: boolean;
  /** pcapng: if_tsresol as a power of two (2^-n s); overrides `nanoseconds`. */
  binaryResolution?: number;
  /** LINKTYPE_* (default 1, Ethernet). */
  linkType?: number;
  /** Ethernet: 802.1Q tags to add (1 = one tag, 2 = QinQ). */
  vlanTags?: number;
  /** IPv6 packets carry a hop-by-hop options header before TCP. */
  ipv6HopByHop?: boolean;
  /** pcapng: if_tsoffset, seconds added to every timestamp of the interface. */
  tsOffsetSeconds?: number;
  /** pcapng: the packet block to use (default 'epb'). 'spb' has no timestamps. */
  block?: 'epb' | 'opb' | 'spb';
  /** Bytes of each frame kept (default 65535). */
  snapLength?: number;
}

const CHUNK = 1 << 22;

/** Builds a capture in memory chunks; `take()` hands out what is ready (for writing to a file). */
export class CaptureWriter {
  private buf = new Uint8Array(CHUNK + 256);
  private view = new DataView(this.buf.buffer);
  private n = 0;
  private readonly le: boolean;
  private readonly linkType: number;
  private readonly snap: number;
  /** Timestamp units per ms (pcapng). */
  private readonly unitsPerMs: number;

  constructor(readonly layout: CaptureLayout) {
    this.le = layout.littleEndian ?? true;
    this.linkType = layout.linkType ?? 1;
    this.snap = layout.snapLength ?? 65535;
    this.unitsPerMs = layout.binaryResolution !== undefined ? 2 ** layout.binaryResolution / 1000 : layout.nanoseconds ? 1e6 : 1e3;
    if (layout.format === 'pcap') this.pcapHeader();
    else this.section();
  }

  private u16(v: number): void {
    this.view.setUint16(this.n, v, this.le);
    this.n += 2;
  }
  private u32(v: number): void {
    this.view.setUint32(this.n, v, this.le);
    this.n += 4;
  }

  private pcapHeader(): void {
    this.u32(this.layout.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4);
    this.u16(2);
    this.u16(4);
    this.u32(0);
    this.u32(0);
    this.u32(this.snap);
    this.u32(this.linkType);
  }

  /** A pcapng section: its header and one interface. Call again to start another section. */
  section(): void {
    this.u32(0x0a0d0d0a);
    this.u32(28);
    this.u32(0x1a2b3c4d);
    this.u16(1);
    this.u16(0);
    this.u32(0xffffffff);
    this.u32(0xffffffff);
    this.u32(28);
    const res = this.layout.binaryResolution !== undefined ? 0x80 | this.layout.binaryResolution : this.layout.nanoseconds ? 9 : -1;
    const offset = this.layout.tsOffsetSeconds ?? 0;
    const len = 20 + (res >= 0 ? 8 : 0) + (offset ? 12 : 0) + (res >= 0 || offset ? 4 : 0);
    this.u32(1);
    this.u32(len);
    this.u16(this.linkType);
    this.u16(0);
    this.u32(this.snap);
    if (res >= 0) {
      this.u16(9);
      this.u16(1);
      this.buf[this.n] = res;
      this.buf.fill(0, this.n + 1, this.n + 4);
      this.n += 4;
    }
    if (offset) {
      this.u16(14);
      this.u16(8);
      this.view.setBigInt64(this.n, BigInt(offset), this.le);
      this.n += 8;
    }
    if (res >= 0 || offset) {
      this.u16(0);
      this.u16(0);
    }
    this.u32(len);
  }

  /** A pcapng block of a type the reader does not know (it must skip it). */
  unknownBlock(type = 0x0badcafe, bodyBytes = 12): void {
    const len = 12 + ((bodyBytes + 3) & ~3);
    this.u32(type);
    this.u32(len);
    this.buf.fill(0x5a, this.n, this.n + len - 12);
    this.n += len - 12;
    this.u32(len);
  }

  /**
   * One TCP segment. Addresses are 16 bytes (IPv4-mapped means an IPv4 packet); `flags` as in the
   * TCP header (FIN 1, SYN 2, RST 4, ACK 16); `payload` bytes on the wire.
   */
  segment(tsMs: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, flags: number, payload: number): void {
    const v4 = isMapped(src) && isMapped(dst);
    const hbh = !v4 && this.layout.ipv6HopByHop ? 8 : 0;
    const ipLen = (v4 ? 20 : 40 + hbh) + 20 + payload;
    const link = this.linkHeaderLength();
    const frame = link + ipLen;
    const cap = Math.min(frame, this.snap);
    const fmt = this.layout.format;
    const block = this.layout.block ?? 'epb';
    if (this.n + frame + 64 > this.buf.length) {
      const g = new Uint8Array((this.n + frame + 64) * 2);
      g.set(this.buf.subarray(0, this.n));
      this.buf = g;
      this.view = new DataView(g.buffer);
    }
    // Record / block header.
    const start = this.n;
    if (fmt === 'pcap') {
      const sec = Math.floor(tsMs / 1000);
      const frac = Math.round((tsMs - sec * 1000) * (this.layout.nanoseconds ? 1e6 : 1e3));
      this.u32(sec);
      this.u32(frac);
      this.u32(cap);
      this.u32(frame);
    } else {
      const units = Math.round((tsMs - (this.layout.tsOffsetSeconds ?? 0) * 1000) * this.unitsPerMs);
      const hi = Math.floor(units / 4294967296);
      const lo = units - hi * 4294967296;
      if (block === 'spb') {
        this.u32(3);
        this.u32(0);
        this.u32(frame);
      } else if (block === 'opb') {
        this.u32(2);
        this.u32(0);
        this.u16(0);
        this.u16(0);
        this.u32(hi);
        this.u32(lo);
        this.u32(cap);
        this.u32(frame);
      } else {
        this.u32(6);
        this.u32(0);
        this.u32(0);
        this.u32(hi);
        this.u32(lo);
        this.u32(cap);
        this.u32(frame);
      }
    }
    // The frame, written whole (zeros for payload), then cut to `cap`.
    const f = this.n;
    this.buf.fill(0, f, f + frame);
    let p = this.linkHeader(f, v4);
    const b = this.buf;
    const dv = this.view;
    if (v4) {
      b[p] = 0x45;
      dv.setUint16(p + 2, ipLen);
      dv.setUint16(p + 6, 0x4000);
      b[p + 8] = 64;
      b[p + 9] = 6;
      b.set(src.subarray(12, 16), p + 12);
      b.set(dst.subarray(12, 16), p + 16);
      p += 20;
    } else {
      b[p] = 0x60;
      dv.setUint16(p + 4, ipLen - 40);
      b[p + 6] = hbh ? 0 : 6;
      b[p + 7] = 64;
      b.set(src, p + 8);
      b.set(dst, p + 24);
      p += 40;
      if (hbh) {
        b[p] = 6;
        b[p + 1] = 0;
        b[p + 2] = 1;
        b[p + 3] = 4; // next: TCP; PadN option filling 8 bytes
        p += 8;
      }
    }
    dv.setUint16(p, srcPort);
    dv.setUint16(p + 2, dstPort);
    b[p + 12] = 0x50;
    b[p + 13] = flags;
    dv.setUint16(p + 14, 65535);
    this.n = f + cap;
    if (fmt === 'pcapng') {
      while ((this.n - f) % 4) b[this.n++] = 0;
      this.u32(0);
      const len = this.n - start;
      dv.setUint32(start + 4, len, this.le);
      dv.setUint32(this.n - 4, len, this.le);
    }
  }

  private linkHeaderLength(): number {
    switch (this.linkType) {
      case 1:
        return 14 + 4 * (this.layout.vlanTags ?? 0);
      case 113:
        return 16;
      case 276:
        return 20;
      case 0:
      case 108:
        return 4;
      default:
        return 0; // raw IP
    }
  }

  /** Writes the link header at `at`; returns where IP starts. */
  private linkHeader(at: number, v4: boolean): number {
    const dv = this.view;
    const type = v4 ? 0x0800 : 0x86dd;
    switch (this.linkType) {
      case 1: {
        this.buf.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], at);
        let p = at + 12;
        const tags = this.layout.vlanTags ?? 0;
        for (let t = 0; t < tags; t++) {
          dv.setUint16(p, t === 0 && tags > 1 ? 0x88a8 : 0x8100);
          dv.setUint16(p + 2, 100 + t);
          p += 4;
        }
        dv.setUint16(p, type);
        return p + 2;
      }
      case 113:
        dv.setUint16(at, 0);
        dv.setUint16(at + 2, 1);
        dv.setUint16(at + 4, 6);
        dv.setUint16(at + 14, type);
        return at + 16;
      case 276:
        dv.setUint16(at, type);
        dv.setUint32(at + 4, 2);
        dv.setUint16(at + 8, 1);
        this.buf[at + 11] = 6;
        return at + 20;
      case 0:
        // The capturing host's byte order: write it as the file's.
        dv.setUint32(at, v4 ? 2 : 30, this.le);
        return at + 4;
      case 108:
        dv.setUint32(at, v4 ? 2 : 24);
        return at + 4;
      default:
        return at;
    }
  }

  /** Bytes ready to write, once at least `min` have built up (0: everything). Empty if fewer. */
  take(min = CHUNK): Uint8Array {
    if (this.n < min || this.n === 0) return new Uint8Array(0);
    const out = this.buf.slice(0, this.n);
    this.n = 0;
    return out;
  }
}

function isMapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}
