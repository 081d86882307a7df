// Buffers shared with JavaScript, found through one static header whose address init() returns.
//
//   HDR: Header, then Key (the key scratch)
//   +0  io        u32   address of the I/O window: every batch goes through it
//   +4  ioBytes   u32   its size
//   +8  errIndex  i32   the batch entry the last error is about (-1: none)
//   +12 cursor    u32   where a chunked listing goes on (see ops/query.ts), LIST_DONE when finished
//   +16 errHandle f64   the handle the last error is about (0: none)
//   +24 errAux    f64   more detail: a count, a state, another handle, an Invariant (see fail)
//   +32 Key: single-object calls read addresses here, keyOf writes a whole key here
//       +0 source 16 bytes (a neighbor's address)  +16 destination 16 bytes
//       +32 ifIndex u32  +36 mtu u32  +40 ports u32 (local << 16 | remote)  +44 priority u32
//       +48 linkLayerAddress u64 (6 bytes used)  +56 bytes u32  +60 rate f32  +64 quietMs u32
//
// JS reads no offset of its own: index.ts exports each field's offset (HEADER_*, KEY_*, from the
// classes below), and src/table/core.ts reads them at load.
// Batches cross the JS/Wasm boundary only through the I/O window, a fixed block of IO_BYTES
// allocated at init, in chunks that fit it: JS writes a chunk of input (handles as f64, ports,
// keys), the core reads it and writes a chunk of results (handles as f64) back. So no batch size
// reaches an allocation from JS, and reading results never needs memory.
//
// Inside the core, a call that needs its whole input at once (terminate, completions) gathers it
// as staged refs, and a call whose result is a batch writes output refs; both are compact refs
// (u32 kind << 26 | slot, see slab.ts) in one pool: the staged refs of the current call first,
// its output right after them.
//
//   pool: [ staged ref x n | output ref x m | free ]   -> widen() -> I/O window as f64 handles
//
// Offloads keep the pool at one entry per live object plus one per neighbor (see reserveFor in
// ops/offload.ts), so terminateAll, terminateInterface, a terminate of neighbors, and the completion of
// any of their batches never need memory: what is staged plus what is output stays within that.
// A call that stages many objects AND outputs many (a terminate naming every connection) may need
// more, and at the memory cap it then fails with OutOfMemory, changing nothing.
// The pool grows by chunks of 65,536 entries (256 KiB) that never move and are never freed, like
// the slabs: it is sized to what the table needs rather than to a power of two, and growing never
// copies or strands memory (at 33.5M connections each byte per entry is a byte per connection).
//
//   POOL_DIR: [chunk 0][chunk 1] ... [chunk 4095]   (u32 addresses)   entry i: chunk i >>> 16, i & 0xffff

import { allocBlock, allocRaw } from './alloc';
import { ErrorCode } from '../contract';
import { refKind, refSlot, reason, handleOf } from './slab';

// unmanaged! raw pointers into linear memory throughout.

@unmanaged export class Header {
  io: u32;
  ioBytes: u32;
  errIndex: i32;
  cursor: u32;
  errHandle: f64;
  errAux: f64;
}

@unmanaged export class Key {
  sourceLow: u64;
  sourceHigh: u64;
  destinationLow: u64;
  destinationHigh: u64;
  ifIndex: u32;
  mtu: u32;
  ports: u32;
  priority: u32;
  linkLayerAddress: u64;
  bytes: u32;
  rate: f32;
  quietMs: u32;
}

export const HDR: usize = memory.data(<i32>(offsetof<Header>() + offsetof<Key>()), 16);
/** The header and the key scratch as records. */
export const header: Header = changetype<Header>(HDR);
export const KEY: usize = HDR + offsetof<Header>();
export const key: Key = changetype<Key>(KEY);
/** The two 16-byte addresses of the key scratch. */
export const KEY_SRC: usize = KEY + offsetof<Key>('sourceLow');
export const KEY_DST: usize = KEY + offsetof<Key>('destinationLow');

// The layout as JS reads it: byte offsets from the header (exported by index.ts).
export const HEADER_IO: i32 = offsetof<Header>('io');
export const HEADER_IO_BYTES: i32 = offsetof<Header>('ioBytes');
export const HEADER_ERROR_INDEX: i32 = offsetof<Header>('errIndex');
export const HEADER_CURSOR: i32 = offsetof<Header>('cursor');
export const HEADER_ERROR_HANDLE: i32 = offsetof<Header>('errHandle');
export const HEADER_ERROR_AUX: i32 = offsetof<Header>('errAux');
export const KEY_SOURCE: i32 = <i32>(KEY_SRC - HDR);
export const KEY_DESTINATION: i32 = <i32>(KEY_DST - HDR);
export const KEY_IF_INDEX: i32 = <i32>(KEY - HDR + offsetof<Key>('ifIndex'));
export const KEY_MTU: i32 = <i32>(KEY - HDR + offsetof<Key>('mtu'));
export const KEY_PORTS: i32 = <i32>(KEY - HDR + offsetof<Key>('ports'));
export const KEY_PRIORITY: i32 = <i32>(KEY - HDR + offsetof<Key>('priority'));
export const KEY_LINK_LAYER_ADDRESS: i32 = <i32>(KEY - HDR + offsetof<Key>('linkLayerAddress'));
export const KEY_BYTES: i32 = <i32>(KEY - HDR + offsetof<Key>('bytes'));
export const KEY_RATE: i32 = <i32>(KEY - HDR + offsetof<Key>('rate'));
export const KEY_QUIET_MS: i32 = <i32>(KEY - HDR + offsetof<Key>('quietMs'));

/** Bytes of the I/O window: 16,384 handles (f64) per chunk. */
export const IO_BYTES: u32 = 1 << 17;

/** Allocates the I/O window; false when out of memory. */
export function initIo(): bool {
  let at = allocBlock(<usize>IO_BYTES);
  POOL_DIR = allocRaw(<usize>(MAX_LIST >>> POOL_CHUNK_BITS) << 2);
  if (!at || !POOL_DIR) return false;
  header.io = <u32>at;
  header.ioBytes = IO_BYTES;
  return true;
}

/** Address of the I/O window. */
@inline export function io(): usize { return <usize>header.io; }

// ---- the pool: staged refs, then output refs ---------------------------------------------------

/** Most entries of the pool: 2^28 (1 GiB of refs), more than any table holds. */
export const MAX_LIST: u32 = 1 << 28;

const POOL_CHUNK_BITS: u32 = 16;
const POOL_CHUNK_MASK: u32 = (1 << POOL_CHUNK_BITS) - 1;
/** Chunk directory of the pool: MAX_LIST >>> POOL_CHUNK_BITS addresses (16 KiB, allocated by initIo). */
let POOL_DIR: usize = 0;
let poolCap: u32 = 0; // entries
/** First output entry: the staged refs of the current call come before it. */
let outBase: u32 = 0;
/** Entries written to the output by the current call. */
let outLen: u32 = 0;

/** Address of pool entry `i`. */
@inline function poolEntry(i: u32): usize {
  return <usize>load<u32>(POOL_DIR + (<usize>(i >>> POOL_CHUNK_BITS) << 2)) + (<usize>(i & POOL_CHUNK_MASK) << 2);
}

/** Makes the pool hold at least `n` entries (contents kept: chunks never move); false when out of memory. */
function reservePool(n: u32, keep: u32): bool {
  if (n <= poolCap) return true;
  if (n > MAX_LIST) return false;
  while (poolCap < n) {
    let chunk = allocRaw(<usize>(POOL_CHUNK_MASK + 1) << 2);
    if (!chunk) return false; // the chunks added so far stay: harmless, they are reused
    store<u32>(POOL_DIR + (<usize>(poolCap >>> POOL_CHUNK_BITS) << 2), <u32>chunk);
    poolCap += POOL_CHUNK_MASK + 1;
  }
  return true;
}

/** Reserves the pool for `n` entries between calls (offloads reserve one per live object). */
export function reservePoolFor(n: u32): bool {
  return reservePool(n, 0);
}

/** Makes room for `n` staged refs, keeping the first `keep` already staged; false when out of memory. */
export function reserveStaging(n: u32, keep: u32 = 0): bool {
  return reservePool(n, keep);
}

/** The i-th staged ref. */
@inline export function staged32(i: u32): u32 { return load<u32>(poolEntry(i)); }
/** Sets the i-th staged ref (reserveStaging must have made room). */
@inline export function setStaged(i: u32, r: u32): void { store<u32>(poolEntry(i), r); }

/**
 * Starts the output of a call after its `staged` refs, with room for `n` entries (keeping the
 * staged ones); false when out of memory.
 */
export function reserveOut(staged: u32, n: u32): bool {
  if (<u64>staged + <u64>n > <u64>MAX_LIST || !reservePool(staged + n, staged)) return false;
  outBase = staged;
  outLen = 0;
  return true;
}

@inline export function outReset(): void { outLen = 0; }
@inline export function outLength(): u32 { return outLen; }
/** Appends a ref to the output (reserveOut must have made room). */
@inline export function outPush(r: u32): void {
  store<u32>(poolEntry(outBase + outLen), r);
  outLen++;
}
/** The i-th ref written to the output. */
@inline export function outAt(i: u32): u32 { return load<u32>(poolEntry(outBase + i)); }

/** Output entries the pool holds without growing. */
@inline export function outCapacity(): u32 { return poolCap - outBase; }

/**
 * Writes output entries [from, from + n) to the I/O window as handles (f64), and with `reasons`
 * each object's reason as a byte after them: [ handle f64 x n | reason u8 x n ]. A ref of 0 (no
 * object, e.g. a lookup that found nothing) becomes handle 0. The objects are live: a call's
 * output is read before the next call. Returns n.
 */
export function widen(from: u32, n: u32, reasons: bool): i32 {
  let at = io();
  let reasonsAt = at + (<usize>n << 3);
  for (let i: u32 = 0; i < n; i++) {
    let r = outAt(from + i);
    let k = refKind(r);
    let s = refSlot(r);
    store<f64>(at + (<usize>i << 3), r ? handleOf(k, s) : 0);
    if (reasons) store<u8>(reasonsAt + <usize>i, r ? reason(k, s) : 0);
  }
  return <i32>n;
}

// ---- listings and errors -----------------------------------------------------------------------

/** Sets where a chunked listing goes on; LIST_DONE when it is complete. */
@inline export function setCursor(next: u32): void { header.cursor = next; }
/** The cursor of a finished listing (JS reads it as a u32). */
export const LIST_DONE: u32 = 0xffffffff;
/** Output entries a listing may always count on (allocated once, tiny). */
export const LIST_CHUNK: u32 = 4096;

/**
 * Records the detail of an error for JS and returns -code: every failing export returns this (see
 * the convention in index.ts). `index` is the batch entry (-1: none), `handle` the object the error
 * is about (0: none), `aux` what the code says it is (a count, a state, another handle, an Invariant).
 */
export function fail(code: ErrorCode, index: i32, handle: f64, aux: f64): i32 {
  header.errIndex = index;
  header.errHandle = handle;
  header.errAux = aux;
  return -code;
}

/** fail() for exports that return a handle (f64): -code, never a handle. */
@inline export function failHandle(code: ErrorCode, index: i32, handle: f64, aux: f64): f64 {
  return <f64>fail(code, index, handle, aux);
}
