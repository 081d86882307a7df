// The floor of the benchmarks: what touching memory costs inside Wasm, with no table logic.
// Compiled on its own by npm run bench into build/floor.wasm; never part of the package.

/** Grows memory to hold `bytes` after the static data and returns where the buffer starts. */
export function buffer(bytes: u32): usize {
  let base = (__heap_base + 15) & ~15;
  let need = <i32>((base + bytes + 0xffff) >>> 16) - memory.size();
  if (need > 0 && memory.grow(need) < 0) unreachable();
  return base;
}

/** Reads every u32 of the buffer in order; returns their sum so the reads are not optimized out. */
export function scan(base: usize, bytes: u32): u32 {
  let sum: u32 = 0;
  for (let p = base, end = base + bytes; p < end; p += 4) sum += load<u32>(p);
  return sum;
}

/** Reads `n` u32 at random places of the buffer (xorshift); returns their sum. */
export function probe(base: usize, bytes: u32, n: u32, seed: u32): u32 {
  let x = seed | 1;
  let words = bytes >>> 2;
  let sum: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    sum += load<u32>(base + (<usize>(x % words) << 2));
  }
  return sum;
}

/** Fills the buffer with xorshift values, which chain() reads as the next address. */
export function fill(base: usize, bytes: u32, seed: u32): void {
  let x = seed | 1;
  for (let p = base, end = base + bytes; p < end; p += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    store<u32>(p, x);
  }
}

/**
 * Reads `n` u32 where each address comes from the previous read (a dependent chain: no two misses
 * overlap, the latency floor). The step count is mixed in so the walk never falls into a short
 * cycle that would stay in cache. Returns where it ended so the reads are not optimized out.
 */
export function chain(base: usize, bytes: u32, n: u32): u32 {
  let words = bytes >>> 2;
  let i: u32 = 0;
  for (let k: u32 = 0; k < n; k++) i = (load<u32>(base + (<usize>i << 2)) ^ (k * 0x9e3779b9)) % words;
  return i;
}
