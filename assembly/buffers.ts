// Buffers shared with JavaScript, found through one static header whose address JS reads once.
//
//   HDR (bytes):
//   [0]  io address u32     [4] io bytes u32      the I/O window: every batch goes through it
//   [8]  error index i32    [12] cursor u32       where a chunked listing goes on (see listAll)
//   [16] error handle f64   [24] error aux f64    detail of the last error
//   [64..95]  key scratch: two 16-byte addresses of single-object calls and key() results
//   [96..127] key scratch, continued (ifIndex, ports, mtu, priority, link-layer address)
//
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
// table.ts), so terminateAll, terminateInterface, a terminate of neighbors, and the completion of
// any of their batches never need memory: what is staged plus what is output stays within that.
// A call that stages many objects AND outputs many (a terminate naming every connection) may need
// more, and at the memory cap it then fails with OutOfMemory, changing nothing.
// The pool grows by chunks of 65,536 entries (256 KiB) that never move and are never freed, like
// the slabs: it is sized to what the table needs rather than to a power of two, and growing never
// copies or strands memory (at 33.5M connections each byte per entry is a byte per connection).
//
//   POOL_DIR: [chunk 0][chunk 1] ... [chunk 4095]   (u32 addresses)   entry i: chunk i >>> 16, i & 0xffff

import { allocBlock, allocRaw } from './alloc';
import { refKind, refSlot, reason, handleOf } from './slab';

// unmanaged! raw pointers into linear memory throughout.

export const HDR: usize = memory.data(128, 16);
export const KEY: usize = HDR + 64;
export const KEY_SRC: usize = KEY;       // 16-byte address (neighbor address, path source)
export const KEY_DST: usize = KEY + 16;  // 16-byte address (path destination)
export const KEY_AUX: usize = KEY + 32;  // u32 words: ifIndex / ports / mtu ...

const H_IO: usize = 0;
const H_IO_BYTES: usize = 4;
const H_ERR_INDEX: usize = 8;
const H_CURSOR: usize = 12;
const H_ERR_HANDLE: usize = 16;
const H_ERR_AUX: usize = 24;

/** Bytes of the I/O window: 16,384 handles (f64) per chunk. */
export const IO_BYTES: u32 = 1 << 17;

/** Allocates the I/O window; false when out of memory. */
export function initIo(): bool {
  let at = allocBlock(<usize>IO_BYTES);
  POOL_DIR = allocRaw(<usize>(MAX_LIST >>> POOL_CHUNK_BITS) << 2);
  if (!at || !POOL_DIR) return false;
  store<u32>(HDR, <u32>at, H_IO);
  store<u32>(HDR, IO_BYTES, H_IO_BYTES);
  return true;
}

/** Address of the I/O window. */
@inline export function io(): usize { return <usize>load<u32>(HDR, H_IO); }

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
@inline export function setCursor(next: u32): void { store<u32>(HDR, next, H_CURSOR); }
export const LIST_DONE: u32 = 0xffffffff;
/** Output entries a listing may always count on (allocated once, tiny). */
export const LIST_CHUNK: u32 = 4096;

/** Records the detail of an error for JS and returns the negated code. */
export function fail(code: i32, index: i32, handle: f64, aux: f64): i32 {
  store<i32>(HDR, index, H_ERR_INDEX);
  store<f64>(HDR, handle, H_ERR_HANDLE);
  store<f64>(HDR, aux, H_ERR_AUX);
  return -code;
}
