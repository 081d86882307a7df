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
// in the staging list, and a call whose result is a batch writes it to the out list; both hold
// compact refs (u32 kind << 26 | slot, see slab.ts). Offloads reserve an entry in each per live
// object (see reserveFor in table.ts), so terminating and completing everything never needs memory.
//
//   staging: [ref][ref][ref] ...       out: [ref][ref] ... -> widen() -> I/O window as f64 handles
//
// Staging and out are power-of-two blocks that move when they grow; only the core addresses them.

import { allocBlock, freeBlock, blockSize } from './alloc';
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
  if (!at) return false;
  store<u32>(HDR, <u32>at, H_IO);
  store<u32>(HDR, IO_BYTES, H_IO_BYTES);
  return true;
}

/** Address of the I/O window. */
@inline export function io(): usize { return <usize>load<u32>(HDR, H_IO); }

// ---- staging list ------------------------------------------------------------------------------

let stagingAt: usize = 0;
let stagingCap: u32 = 0; // entries

/**
 * Makes the staging list hold at least `n` refs, keeping its contents; false when out of memory.
 * Capacity is a power of two, so growing one object at a time reallocates only log2(n) times.
 */
export function reserveStaging(n: u32): bool {
  if (n <= stagingCap) return true;
  if (n > MAX_LIST) return false;
  let want = <u32>(blockSize(<usize>max<u32>(n, 256) << 2) >>> 2);
  let fresh = allocBlock(<usize>want << 2);
  if (!fresh) return false;
  if (stagingAt) {
    memory.copy(fresh, stagingAt, <usize>stagingCap << 2);
    freeBlock(stagingAt, <usize>stagingCap << 2);
  }
  stagingAt = fresh;
  stagingCap = want;
  return true;
}

/** The i-th staged ref. */
@inline export function staged32(i: u32): u32 { return load<u32>(stagingAt + (<usize>i << 2)); }
/** Sets the i-th staged ref (reserveStaging must have made room). */
@inline export function setStaged(i: u32, r: u32): void { store<u32>(stagingAt + (<usize>i << 2), r); }

// ---- out list ----------------------------------------------------------------------------------

/** Most entries of the staging or out list: 2^28 (1 GiB of refs), more than any table holds. */
export const MAX_LIST: u32 = 1 << 28;

let outAtBase: usize = 0;
let outCap: u32 = 0;

/** Makes room for `n` output entries; false when out of memory. Keeps nothing already written. */
export function reserveOut(n: u32): bool {
  if (n <= outCap) return true;
  if (n > MAX_LIST) return false;
  let want = <u32>(blockSize(<usize>max<u32>(n, 256) << 2) >>> 2);
  let fresh = allocBlock(<usize>want << 2);
  if (!fresh) return false;
  freeBlock(outAtBase, <usize>outCap << 2);
  outAtBase = fresh;
  outCap = want;
  return true;
}

/** Entries written to the output by the current call. */
let outLen: u32 = 0;

@inline export function outReset(): void { outLen = 0; }
@inline export function outLength(): u32 { return outLen; }
/** Appends a ref to the output (reserveOut must have made room). */
@inline export function outPush(r: u32): void {
  store<u32>(outAtBase + (<usize>outLen << 2), r);
  outLen++;
}
/** The i-th ref written to the output. */
@inline export function outAt(i: u32): u32 { return load<u32>(outAtBase + (<usize>i << 2)); }

/** Entries the output holds without growing. */
@inline export function outCapacity(): u32 { return outCap; }

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
