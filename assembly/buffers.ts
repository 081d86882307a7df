// Buffers shared with JavaScript, found through one static header whose address JS reads once.
//
//   HDR (u32 words):
//   [0] staging address  [1] staging bytes   input of batch calls, written by JS
//   [2] out handles addr [3] out reasons addr [4] out capacity (entries)   output of batch calls
//   [5] error index      [6] error handle    [7] error aux                 detail of the last error
//   [8..15] key scratch (32 bytes): addresses of single-object calls, and key() results
//   [16..19] key scratch, continued (ports, mtu, link-layer address)
//
// Staging and out are power-of-two blocks that move when they grow; JS re-reads their addresses
// from the header after every call that may have grown them (and rebuilds its views if memory grew).

import { allocBlock, freeBlock } from './alloc';

// unmanaged! raw pointers into linear memory throughout.

export const HDR: usize = memory.data(96);
export const KEY: usize = HDR + 32;
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

/** Makes the staging buffer at least `bytes` long; false when out of memory. */
export function reserveStaging(bytes: usize): bool {
  let have = <usize>load<u32>(HDR, H_STAGING_BYTES);
  if (bytes <= have) return true;
  let want = max<usize>(bytes, 1024);
  let fresh = allocBlock(want);
  if (!fresh) return false;
  freeBlock(<usize>load<u32>(HDR, H_STAGING), have);
  store<u32>(HDR, <u32>fresh, H_STAGING);
  store<u32>(HDR, <u32>want, H_STAGING_BYTES);
  return true;
}

@inline export function staging(): usize { return <usize>load<u32>(HDR, H_STAGING); }
/** The i-th u32 of the staging buffer. */
@inline export function staged32(i: u32): u32 { return load<u32>(staging() + (<usize>i << 2)); }

/** Makes room for `n` output entries; false when out of memory. Keeps nothing already written. */
export function reserveOut(n: u32): bool {
  let cap = load<u32>(HDR, H_OUT_CAP);
  if (n <= cap) return true;
  let want = max<u32>(n, 256);
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

/** Records the detail of an error for JS and returns the negated code. */
export function fail(code: i32, index: i32, handle: u32, aux: u32): i32 {
  store<i32>(HDR, index, H_ERR_INDEX);
  store<u32>(HDR, handle, H_ERR_HANDLE);
  store<u32>(HDR, aux, H_ERR_AUX);
  return -code;
}
