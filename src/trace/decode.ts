// From a captured frame to a TCP segment: link layer, IPv4/IPv6 (with extension headers), TCP.
// One call per packet, no allocation: the result goes into a reusable Segment, the status is the
// return value (payload bytes as the IP header states them, or a negative Skip code).

/** Link types this reader decodes (LINKTYPE_* numbers from tcpdump.org/linktypes.html). */
export const LinkType = {
  Null: 0, // BSD loopback: 4-byte address family in the capturing host's byte order
  Ethernet: 1,
  Raw: 101, // raw IPv4 or IPv6
  RawBsd12: 12, // DLT_RAW as written by some BSDs
  RawBsd14: 14, // DLT_RAW as written by OpenBSD
  Loop: 108, // OpenBSD loopback: address family in network byte order
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const;

const SUPPORTED = new Set<number>(Object.values(LinkType));

export function linkTypeSupported(t: number): boolean {
  return SUPPORTED.has(t);
}

export const enum Skip {
  NotIp = -1,
  NotTcp = -2,
  Fragment = -3,
  Truncated = -4,
  Malformed = -5,
  Jumbogram = -6,
}

/** Why packets were skipped, by Skip code, for people. */
export const SKIP_REASONS: Record<number, string> = {
  [Skip.NotIp]: 'not IPv4 or IPv6 (ARP, LLDP, ...)',
  [Skip.NotTcp]: 'IP but not TCP (UDP, ICMP, ESP, ...)',
  [Skip.Fragment]: 'IP fragments',
  [Skip.Truncated]: 'headers cut off by the snap length',
  [Skip.Malformed]: 'malformed IP or TCP headers',
  [Skip.Jumbogram]: 'IPv6 jumbograms',
};

/**
 * The decoded segment. Addresses as four big-endian 32-bit words each, signed (IPv4 mapped into
 * IPv6: 0, 0, 0x0000ffff, address), the form the flow table keys on.
 */
export class Segment {
  // Int32: the optimizer keeps 32-bit words unboxed only while they fit in an int32.
  src = new Int32Array(4);
  dst = new Int32Array(4);
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte: FIN 1, SYN 2, RST 4, PSH 8, ACK 16. */
  flags = 0;
}

export const FIN = 1;
export const SYN = 2;
export const RST = 4;
export const ACK = 16;

/**
 * Decodes the frame bytes[off .. off+caplen) of `linkType`; fills `seg` and returns the TCP
 * payload length (>= 0) or a Skip code.
 */
export function decodeFrame(linkType: number, bytes: Uint8Array, view: DataView, off: number, caplen: number, seg: Segment): number {
  const end = off + caplen;
  let p = off;
  let ethertype = 0;
  switch (linkType) {
    case 1: {
      // Ethernet II: dst(6) src(6) type(2); 802.1Q (0x8100), 802.1ad (0x88a8) and old QinQ
      // (0x9100) tags are 4 bytes each: TCI(2) then the next type.
      //  +--------+--------+------+ [+------+-----+]* +----------
      //  | dst 6  | src 6  | 8100 |  | TCI  | type |    | IP ...
      // A PPPoE session (0x8864) carries IP after 8 more bytes (below).
      if (caplen < 14) return Skip.Truncated;
      ethertype = view.getUint16(p + 12);
      p += 14;
      while (ethertype === 0x8100 || ethertype === 0x88a8 || ethertype === 0x9100) {
        if (p + 4 > end) return Skip.Truncated;
        ethertype = view.getUint16(p + 2);
        p += 4;
      }
      if (ethertype === 0x8864) {
        // PPPoE session: ver/type(1) code(1) session(2) length(2), then PPP protocol(2):
        // 0x0021 IPv4, 0x0057 IPv6.
        if (p + 8 > end) return Skip.Truncated;
        const ppp = view.getUint16(p + 6);
        ethertype = ppp === 0x0021 ? 0x0800 : ppp === 0x0057 ? 0x86dd : 0;
        p += 8;
      }
      if (ethertype < 0x0600) return Skip.NotIp; // 802.3 length field: LLC/SNAP, not IP here
      break;
    }
    case 113: {
      // Linux cooked v1: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
      if (caplen < 16) return Skip.Truncated;
      ethertype = view.getUint16(p + 14);
      p += 16;
      break;
    }
    case 276: {
      // Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
      if (caplen < 20) return Skip.Truncated;
      ethertype = view.getUint16(p);
      p += 20;
      break;
    }
    case 0:
    case 108: {
      // Loopback: a 4-byte address family. NULL writes it in the capturing host's byte order,
      // LOOP in network order; AF_INET is 2 everywhere, AF_INET6 is 10, 24, 28 or 30 by OS.
      if (caplen < 4) return Skip.Truncated;
      let family = view.getUint32(p, true);
      if (family > 0xffff) family = view.getUint32(p, false);
      p += 4;
      if (family === 2) ethertype = 0x0800;
      else if (family === 10 || family === 24 || family === 28 || family === 30) ethertype = 0x86dd;
      else return Skip.NotIp;
      break;
    }
    case 101:
    case 12:
    case 14:
    case 228:
    case 229: {
      if (caplen < 1) return Skip.Truncated;
      const v = bytes[p]! >> 4;
      ethertype = v === 4 ? 0x0800 : v === 6 ? 0x86dd : 0;
      break;
    }
    default:
      return Skip.NotIp;
  }

  let proto: number;
  let ipPayload: number; // bytes after the IP header(s), as the IP header states them
  if (ethertype === 0x0800) {
    // IPv4:  ver/ihl(1) tos(1) total length(2) id(2) flags/fragment offset(2) ttl(1) proto(1)
    //        checksum(2) source(4) destination(4) options(ihl*4 - 20)
    if (p + 20 > end) return Skip.Truncated;
    const vihl = bytes[p]!;
    const ihl = (vihl & 15) << 2;
    if (vihl >> 4 !== 4 || ihl < 20) return Skip.Malformed;
    const total = view.getUint16(p + 2);
    if (total < ihl) return Skip.Malformed;
    if ((view.getUint16(p + 6) & 0x3fff) !== 0) return Skip.Fragment; // MF set or offset != 0
    proto = bytes[p + 9]!;
    if (proto !== 6) return Skip.NotTcp;
    seg.src[0] = 0;
    seg.src[1] = 0;
    seg.src[2] = 0xffff;
    seg.src[3] = view.getInt32(p + 12);
    seg.dst[0] = 0;
    seg.dst[1] = 0;
    seg.dst[2] = 0xffff;
    seg.dst[3] = view.getInt32(p + 16);
    ipPayload = total - ihl;
    p += ihl;
  } else if (ethertype === 0x86dd) {
    // IPv6:  ver/class/flow(4) payload length(2) next header(1) hop limit(1) source(16) destination(16)
    if (p + 40 > end) return Skip.Truncated;
    if (bytes[p]! >> 4 !== 6) return Skip.Malformed;
    ipPayload = view.getUint16(p + 4);
    proto = bytes[p + 6]!;
    for (let i = 0; i < 4; i++) {
      seg.src[i] = view.getInt32(p + 8 + 4 * i);
      seg.dst[i] = view.getInt32(p + 24 + 4 * i);
    }
    p += 40;
    if (ipPayload === 0 && proto === 0) return Skip.Jumbogram;
    // Extension headers: next header(1) then a length; hop-by-hop 0, routing 43, destination
    // options 60, mobility 135, HIP 139, shim6 140 count 8-byte units past the first 8; AH 51
    // counts 4-byte units past the first 8; a fragment header 44 is 8 bytes.
    for (let hops = 0; proto !== 6; hops++) {
      if (hops > 16) return Skip.Malformed;
      if (proto === 0 || proto === 43 || proto === 60 || proto === 135 || proto === 139 || proto === 140 || proto === 51 || proto === 44) {
        if (p + 8 > end) return Skip.Truncated;
        if (proto === 44 && (view.getUint16(p + 2) & 0xfff9) !== 0) return Skip.Fragment; // offset or M
        const len = proto === 44 ? 8 : proto === 51 ? (bytes[p + 1]! + 2) << 2 : (bytes[p + 1]! + 1) << 3;
        proto = bytes[p]!;
        p += len;
        ipPayload -= len;
        if (ipPayload < 0) return Skip.Malformed;
      } else {
        return Skip.NotTcp;
      }
    }
  } else {
    return Skip.NotIp;
  }

  // TCP:  source port(2) destination port(2) seq(4) ack(4) data offset/reserved(1) flags(1) ...
  if (p + 14 > end) return Skip.Truncated;
  seg.srcPort = view.getUint16(p);
  seg.dstPort = view.getUint16(p + 2);
  const tcpHeader = (bytes[p + 12]! >> 4) << 2;
  seg.flags = bytes[p + 13]!;
  if (tcpHeader < 20 || tcpHeader > ipPayload) return Skip.Malformed;
  return ipPayload - tcpHeader;
}
