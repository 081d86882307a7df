// Buffers shared with JavaScript, found through one static header whose address JS reads once.
//
//   HDR (u32 words):
//   [0] staging address  [1] staging bytes   input of batch calls, written by JS
//   [2] out handles addr [3] out reasons addr [4] out capacity (entries)   output of batch calls
//   [5] error index      [6] error handle    [7] error aux                 detail of the last error
//   [8] cursor: where a chunked listing goes on (see table.ts, listAll)
//   [16..23] key scratch: two 16-byte addresses of single-object calls and key() results
//   [24..31] key scratch, continued (ifIndex, ports, mtu, priority, link-layer address)
//
// Staging and out are power-of-two blocks that move when they grow; JS re-reads their addresses
// from the header after every call that may have grown them (and rebuilds its views if memory grew).

import { allocBlock, freeBlock, blockSize } from './alloc';

// unmanaged! raw pointers into linear memory throughout.

export const HDR: usize = memory.data(128);
export const KEY: usize = HDR + 64;
export const KEY_SRC: usize = KEY;       // 16-byte address (neighbor address, path source)
export const KEY_DST: usize = KEY + 16;  // 16-byte address (path destination)
export const KEY_AUX: usize = KEY + 32;  // u32 words: ifIndex / ports / mtu ...

const H_STAGING: usize = 0;
const H_STAGING_BYTES: usize = 4;
const H_OUT: usize = 8;
const H_OUT_REASONS: usize = 12;
const H_OUT_CAP: usize = 16;
const H_ERR_INDEX: usize = 20;
const H_ERR_HANDLE: usize = 24;
const H_ERR_AUX: usize = 28;
const H_CURSOR: usize = 32;

/**
 * Makes the staging buffer at least `bytes` long, keeping its contents (a call may grow it while
 * it holds that call's input); false when out of memory. Re-read staging() afterwards.
 */
export function reserveStaging(bytes: usize): bool {
  let have = <usize>load<u32>(HDR, H_STAGING_BYTES);
  if (bytes <= have) return true;
  let want = blockSize(max<usize>(bytes, 1024));
  let fresh = allocBlock(want);
  if (!fresh) return false;
  let old = <usize>load<u32>(HDR, H_STAGING);
  if (old) {
    memory.copy(fresh, old, have);
    freeBlock(old, have);
  }
  store<u32>(HDR, <u32>fresh, H_STAGING);
  store<u32>(HDR, <u32>want, H_STAGING_BYTES);
  return true;
}

@inline export function staging(): usize { return <usize>load<u32>(HDR, H_STAGING); }
/** The i-th u32 of the staging buffer. */
@inline export function staged32(i: u32): u32 { return load<u32>(staging() + (<usize>i << 2)); }

/**
 * Makes room for `n` output entries; false when out of memory. Keeps nothing already written.
 * Capacity is a power of two, so growing one object at a time reallocates only log2(n) times.
 */
export function reserveOut(n: u32): bool {
  let cap = load<u32>(HDR, H_OUT_CAP);
  if (n <= cap) return true;
  let want = <u32>(blockSize(<usize>max<u32>(n, 256) << 2) >>> 2);
  let handles = allocBlock(<usize>want << 2);
  if (!handles) return false;
  let reasons = allocBlock(<usize>want);
  if (!reasons) { freeBlock(handles, <usize>want << 2); return false; }
  freeBlock(<usize>load<u32>(HDR, H_OUT), <usize>cap << 2);
  freeBlock(<usize>load<u32>(HDR, H_OUT_REASONS), <usize>cap);
  store<u32>(HDR, <u32>handles, H_OUT);
  store<u32>(HDR, <u32>reasons, H_OUT_REASONS);
  store<u32>(HDR, want, H_OUT_CAP);
  return true;
}

/** Entries written to the output by the current call. */
let outLen: u32 = 0;

@inline export function outReset(): void { outLen = 0; }
@inline export function outLength(): u32 { return outLen; }
/** Appends a handle and its reason to the output (reserveOut must have made room). */
@inline export function outPush(handle: u32, reason: u8): void {
  store<u32>(<usize>load<u32>(HDR, H_OUT) + (<usize>outLen << 2), handle);
  store<u8>(<usize>load<u32>(HDR, H_OUT_REASONS) + <usize>outLen, reason);
  outLen++;
}
/** The i-th handle written to the output. */
@inline export function outAt(i: u32): u32 { return load<u32>(<usize>load<u32>(HDR, H_OUT) + (<usize>i << 2)); }

/** Entries the output holds without growing. */
@inline export function outCapacity(): u32 { return load<u32>(HDR, H_OUT_CAP); }

/** Sets where a chunked listing goes on; LIST_DONE when it is complete. */
@inline export function setCursor(next: u32): void { store<u32>(HDR, next, H_CURSOR); }
export const LIST_DONE: u32 = 0xffffffff;
/** Output entries a listing may always count on (allocated once, tiny). */
export const LIST_CHUNK: u32 = 4096;

/** Records the detail of an error for JS and returns the negated code. */
export function fail(code: i32, index: i32, handle: u32, aux: u32): i32 {
  store<i32>(HDR, index, H_ERR_INDEX);
  store<u32>(HDR, handle, H_ERR_HANDLE);
  store<u32>(HDR, aux, H_ERR_AUX);
  return -code;
}
