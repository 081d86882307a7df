// IP addresses as the core stores them: 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).

import { invalid } from './errors.js';
import { typedArrayLength, typedArrayType } from './validate.js';

/** An IPv4 or IPv6 address: text, or 16 bytes (IPv4-mapped for IPv4). */
export type Address = string | Uint8Array | readonly number[];

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Writes the IPv4 text `text` as IPv4-mapped at out[at..at+16]; false if it is not IPv4: four
 * decimal octets 0..255, no leading zeros ('01'), nothing else. Read by character codes, without
 * split or a regular expression: a path offload parses two addresses, and this is most of the
 * JS cost of the one-call path's text (BENCHMARKS.md, issue 12).
 */
function parseIPv4(text: string, out: Uint8Array, at: number): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || part === 3) return false;
      out[at + 12 + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false; // also four digits or more, since none leads with 0
    } else return false;
  }
  if (part !== 3 || digits === 0) return false;
  out[at + 15] = value;
  out.fill(0, at, at + 10);
  out[at + 10] = 0xff;
  out[at + 11] = 0xff;
  return true;
}

/** Writes IPv6 text at out[at..at+16]; false if it is not IPv6 (zone ids are not accepted). */
function parseIPv6(text: string, out: Uint8Array, at: number): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups: number[][] = [];
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h]!;
    const words: number[] = [];
    if (half !== '') {
      const parts = half.split(':');
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        if (HEX_GROUP.test(part)) words.push(parseInt(part, 16));
        // An embedded IPv4 address may only end the address: the last group of the last half
        // (by position: '1.2.3.4::1.2.3.4' has two equal halves, and the first may not hold one).
        else if (i === parts.length - 1 && h === halves.length - 1 && part.includes('.')) {
          const v4 = new Uint8Array(16);
          if (!parseIPv4(part, v4, 0)) return false;
          words.push((v4[12]! << 8) | v4[13]!, (v4[14]! << 8) | v4[15]!);
        } else return false;
      }
    }
    groups.push(words);
  }
  const head = groups[0]!;
  const tail = groups[1] ?? [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return false;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = words[i]! >> 8;
    out[at + 2 * i + 1] = words[i]! & 0xff;
  }
  return true;
}

/**
 * An address given as bytes, its entries read once into a private copy (`entries` is null when the
 * length is not 16: nothing else was read). Validation happens later, when it is written.
 */
class CopiedBytes {
  constructor(
    readonly length: unknown,
    readonly entries: unknown[] | null,
  ) {}
}

/**
 * The 16 bytes of a real Uint8Array address, copied when taken into a buffer of this pool and
 * given back when written: the host offloads a path from two such addresses for most of its
 * connections, and copying them into two arrays and two objects per path was garbage. A buffer
 * is taken off the pool, so a call that runs while another is between taking and writing (from a
 * getter of its other address) copies into a buffer of its own. One that is never written (the
 * call threw first) is left to the garbage collector.
 */
const TAKEN_BYTES: Uint8Array[] = [];

/** An address as taken from a caller: text, bytes copied, or anything else (refused when written). */
export type TakenAddress = string | Uint8Array | CopiedBytes | { readonly other: unknown };

/**
 * Reads an address argument once, running any code of the caller's (a getter, a Proxy) now, so
 * that writing it later (writeTaken) runs none. Text is kept as it is; bytes are copied.
 */
export function takeAddress(address: unknown): TakenAddress {
  if (typeof address === 'string') return address;
  // A real Uint8Array (not a Proxy or a look-alike) of 16 bytes: one set() from its internal
  // slots copies it, running no code of the caller's, and any 16 bytes are an address.
  if (typedArrayType(address) === 'Uint8Array' && typedArrayLength(address) === 16) {
    const copy = TAKEN_BYTES.pop() ?? new Uint8Array(16);
    copy.set(address as Uint8Array);
    return copy;
  }
  if (address instanceof Uint8Array || Array.isArray(address)) {
    const bytes = address as ArrayLike<unknown>;
    const length = bytes.length;
    if (length !== 16) return new CopiedBytes(length, null);
    const entries = new Array<unknown>(16);
    for (let i = 0; i < 16; i++) entries[i] = bytes[i];
    return new CopiedBytes(16, entries);
  }
  return { other: address };
}

/**
 * Writes an address taken by takeAddress as 16 bytes at out[at..at+16], running no code of the
 * caller's; each taken address is written at most once. Throws InvalidArgument naming `field`
 * (and `index` inside a batch) when it is not an IPv4 or IPv6 address; nothing is written then.
 */
export function writeTaken(taken: TakenAddress, out: Uint8Array, at: number, field: string, index?: number): void {
  if (typeof taken === 'string') {
    if (taken.length <= 45 && (parseIPv4(taken, out, at) || parseIPv6(taken, out, at))) return;
    invalid(`${field}: ${JSON.stringify(taken.slice(0, 60))} is not an IPv4 or IPv6 address (e.g. '10.0.0.1', 'fe80::1')`, index);
  }
  if (taken instanceof Uint8Array) {
    // One of TAKEN_BYTES (takeAddress returns no other Uint8Array): written once, then given back.
    out.set(taken, at);
    TAKEN_BYTES.push(taken);
    return;
  }
  if (taken instanceof CopiedBytes) {
    const entries = taken.entries;
    if (entries === null) {
      invalid(
        `${field}: an address given as bytes must have 16 of them (IPv4-mapped for IPv4), got ${typeof taken.length === 'number' ? taken.length : typeName(taken.length)}`,
        index,
      );
    }
    for (let i = 0; i < 16; i++) {
      const b = entries[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
        invalid(`${field}: byte ${i} of the address is ${typeName(b)}, not an integer 0..255`, index);
      }
    }
    for (let i = 0; i < 16; i++) out[at + i] = entries[i] as number;
    return;
  }
  invalid(`${field}: expected an IPv4 or IPv6 address as a string or 16 bytes, got ${typeName(taken.other)}`, index);
}

/**
 * Writes `address` as 16 bytes at out[at..at+16]. Throws InvalidArgument naming `field`
 * (and `index` inside a batch) when it is not an IPv4 or IPv6 address.
 */
export function writeAddress(address: unknown, out: Uint8Array, at: number, field: string, index?: number): void {
  writeTaken(takeAddress(address), out, at, field, index);
}

/** Parses an address into a new 16-byte array. */
export function parseAddress(address: Address, field = 'address'): Uint8Array {
  const out = new Uint8Array(16);
  writeAddress(address, out, 0, field);
  return out;
}

/** Packs many addresses into one array of 16 bytes each, the input of batch lookups. */
export function encodeAddresses(addresses: readonly Address[], field = 'addresses'): Uint8Array {
  const out = new Uint8Array(addresses.length * 16);
  for (let i = 0; i < addresses.length; i++) writeAddress(addresses[i], out, i * 16, `${field}[${i}]`, i);
  return out;
}

// A byte's decimal text, with and without its dot: a dotted quad is three concatenations of
// these (the lab formats addresses for most paths it offloads), not four number conversions and
// a template's seven pieces.
const DECIMAL = Array.from({ length: 256 }, (_, b) => String(b));
const DECIMAL_DOT = DECIMAL.map((d) => `${d}.`);

/** Text of the 16-byte address at bytes[at..at+16]: dotted quad for IPv4-mapped, RFC 5952 otherwise. */
export function formatAddress(bytes: Uint8Array, at = 0): string {
  if (!(bytes instanceof Uint8Array)) invalid(`formatAddress: expected a Uint8Array holding 16 bytes at \`at\`, got ${typeName(bytes)}`);
  if (!Number.isSafeInteger(at) || at < 0) invalid(`formatAddress: at must be an integer 0 or more, got ${typeName(at)}`);
  if (at + 16 > bytes.length) invalid(`formatAddress: needs 16 bytes from at = ${at}, the array holds ${bytes.length}`);
  let mapped = bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[at + i] !== 0) mapped = false;
  if (mapped) return DECIMAL_DOT[bytes[at + 12]!]! + DECIMAL_DOT[bytes[at + 13]!]! + DECIMAL_DOT[bytes[at + 14]!]! + DECIMAL[bytes[at + 15]!]!;
  // Longest run of two or more zero words (the first of equals) becomes '::'. No arrays: the lab
  // formats a path's addresses for every path it offloads.
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (bytes[at + 2 * i] !== 0 || bytes[at + 2 * i + 1] !== 0) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = i;
    if (i - runStart + 1 > bestLength) {
      bestStart = runStart;
      bestLength = i - runStart + 1;
    }
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      // The word before it (if any) wrote its ':' already.
      text += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    text += ((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!).toString(16);
    if (i < 7) text += ':';
  }
  return text;
}

/** Parses a link-layer (MAC) address 'aa:bb:cc:dd:ee:ff' or 6 bytes into a number (48 bits). */
export function parseLinkLayerAddress(value: unknown, field = 'linkLayerAddress'): number {
  let bytes: ArrayLike<unknown>;
  if (typeof value === 'string') {
    const parts = value.split(/[:-]/);
    if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
      invalid(`${field}: ${JSON.stringify(value.slice(0, 40))} is not a link-layer address like 'aa:bb:cc:dd:ee:ff'`);
    }
    bytes = parts.map((p) => parseInt(p, 16));
  } else if (value instanceof Uint8Array || Array.isArray(value)) {
    bytes = value;
  } else {
    invalid(`${field}: expected 'aa:bb:cc:dd:ee:ff' or 6 bytes, got ${typeName(value)}`);
  }
  const length = bytes.length;
  if (length !== 6) invalid(`${field}: a link-layer address has 6 bytes, got ${typeof length === 'number' ? length : typeName(length)}`);
  let result = 0;
  for (let i = 0; i < 6; i++) {
    const b = bytes[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
      invalid(`${field}: byte ${i} is ${typeName(b)}, not an integer 0..255`);
    }
    result = result * 256 + b;
  }
  return result;
}

/** 'aa:bb:cc:dd:ee:ff' of a 48-bit number. */
export function formatLinkLayerAddress(value: number): string {
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push((Math.floor(value / 2 ** (8 * i)) & 0xff).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/**
 * A value as a message shows it: "number 70000", "the string \"x\"", "undefined", "null",
 * "an array", "a Uint8Array", "a function". Never runs code of the value's (no toString, no getter).
 */
export function typeName(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.slice(0, 40))}${value.length > 40 ? ' (cut)' : ''}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${String(value)}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (Array.isArray(value)) return 'an array';
  // The prototype's constructor, read without calling a getter (a Proxy's trap may still run: its answer is only named).
  let name = '';
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor = proto ? Object.getOwnPropertyDescriptor(proto, 'constructor')?.value : undefined;
    if (typeof ctor === 'function' && typeof ctor.name === 'string') name = ctor.name;
  } catch {
    // A Proxy whose getPrototypeOf throws: it stays "an object".
  }
  if (name === '' || name === 'Object') return 'an object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}
