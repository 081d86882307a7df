// Page allocator for the offload table.
//
// The table allocates two kinds of memory, and neither needs a general-purpose heap:
//
//   * slab chunks: fixed size per kind, allocated once, never freed (a freed object returns its
//     slot to the kind's free list, not its bytes to the allocator);
//   * blocks: buffers (hash indexes, the pool of staged and output refs, the interface table).
//     A freed small block goes on the free list of its power-of-two size class and is handed out
//     again whole. A freed large block (1 MiB or more: an index or pool that grew) becomes a free
//     region that later chunks and blocks are carved from, first fit, so growing never strands
//     memory: at 33.5M connections the old indexes and pools hold slab chunks instead of nothing.
//
// Why not the AssemblyScript runtime's TLSF: it grows memory by doubling and traps with
// `unreachable` when `memory.grow` fails. Here growth is exact (plus a small slack) and failure is
// a return value of 0, which every caller turns into ErrorCode.OutOfMemory before it has changed
// anything. Out of memory is an error, never a trap.
//
//   0            __heap_base                               top            memory.size() << 16
//   +------------+-----------------------------------------+--------------+
//   | static data| chunks and blocks, bump-allocated       | grown, unused|
//   +------------+-----------------------------------------+--------------+

/** Bytes in a Wasm page. */
const PAGE: usize = 65536;
/** Pages grown beyond the request, so that a run of small allocations does not grow page by page. */
const SLACK_PAGES: i32 = 16;
/** Smallest block class: 2^MIN_CLASS bytes. */
const MIN_CLASS: u32 = 6;
/** Free list heads, one per size class 2^0 .. 2^31 (low classes unused). */
const FREE_HEADS: usize = memory.data(32 * 4);

/** Next unallocated byte. */
let top: usize = (__heap_base + 15) & ~15;
/** Smallest block that is freed as a region rather than to its size class. */
const LARGE: usize = 1 << 20;
/** Smallest remainder of a region kept as a region when something is carved from it. */
const MIN_REGION: usize = 4096;
/** Free regions, a list threaded through them: [ next u32 | bytes u32 ] at each region's start. */
let regions: usize = 0;

/**
 * Allocates `bytes`, 16-byte aligned and zeroed: carved from a free region (first fit) if one is
 * big enough, else from the bump region (fresh pages are zero). 0 when memory cannot grow.
 */
export function allocRaw(bytes: usize): usize {
  let want = (bytes + 15) & ~15;
  if (want < bytes) return 0; // wrapped: larger than the address space
  let link: usize = 0;
  for (let r = regions; r; r = <usize>load<u32>(r)) {
    let size = <usize>load<u32>(r, 4);
    if (size >= want) {
      let after = <usize>load<u32>(r);
      let rest = size - want;
      if (rest >= MIN_REGION) {
        let tail = r + want;
        store<u32>(tail, <u32>after);
        store<u32>(tail, <u32>rest, 4);
        after = tail;
      }
      if (link) store<u32>(link, <u32>after);
      else regions = after;
      memory.fill(r, 0, want);
      return r;
    }
    link = r;
  }
  let ptr = top;
  let end = ptr + want;
  if (end < ptr) return 0; // wrapped: larger than the address space
  let have = <usize>memory.size() * PAGE;
  if (end > have) {
    let need = <i32>((<u64>(end - have) + <u64>PAGE - 1) / <u64>PAGE); // u64: no wrap near 4 GiB
    if (memory.grow(need + SLACK_PAGES) < 0 && memory.grow(need) < 0) return 0;
  }
  top = end;
  return ptr;
}

/** Size class of a block of `bytes` (log2, rounded up). */
@inline function classOf(bytes: usize): u32 {
  let c = <u32>(32 - clz<u32>(<u32>(bytes - 1)));
  return c < MIN_CLASS ? MIN_CLASS : c;
}

/** Capacity in bytes of the block that holds `bytes`. */
export function blockSize(bytes: usize): usize {
  return <usize>1 << classOf(bytes);
}

/** Allocates a block of at least `bytes` (contents undefined); 0 when out of memory. */
export function allocBlock(bytes: usize): usize {
  let c = classOf(bytes);
  let head = FREE_HEADS + (<usize>c << 2);
  let ptr = <usize>load<u32>(head);
  if (ptr) {
    store<u32>(head, load<u32>(ptr)); // unmanaged! the next link lives in the free block itself
    return ptr;
  }
  return allocRaw(<usize>1 << c);
}

/**
 * Gives back memory from allocRaw as a free region (or lowers the top if it is the last thing
 * allocated). Regions are not merged: they are few (indexes and pools that grew).
 */
export function freeRegion(ptr: usize, bytes: usize): void {
  if (!ptr) return;
  bytes = (bytes + 15) & ~15;
  if (ptr + bytes == top) {
    memory.fill(ptr, 0, bytes); // the bump region must stay zero (see allocRaw)
    top = ptr;
    return;
  }
  if (bytes < MIN_REGION) return; // too small to be worth keeping: lost
  store<u32>(ptr, <u32>regions);
  store<u32>(ptr, <u32>bytes, 4);
  regions = ptr;
}

/** Returns a block to its size class (a large one becomes a free region). `bytes` is its size. */
export function freeBlock(ptr: usize, bytes: usize): void {
  if (!ptr) return;
  if (blockSize(bytes) >= LARGE) {
    freeRegion(ptr, blockSize(bytes));
    return;
  }
  let head = FREE_HEADS + (<usize>classOf(bytes) << 2);
  store<u32>(ptr, load<u32>(head));
  store<u32>(head, <u32>ptr);
}

/** Bytes handed out so far (chunks and blocks, including free blocks and regions). */
export function usedBytes(): usize {
  return top;
}

/**
 * Allocates exactly `bytes` (rounded to 16) if that is large, else a power-of-two block: for
 * buffers whose size is not a power of two (indexes). Free with freeSized and the same `bytes`.
 */
export function allocSized(bytes: usize): usize {
  return blockSize(bytes) >= LARGE ? allocRaw(bytes) : allocBlock(bytes);
}

/** Frees what allocSized(bytes) returned. */
export function freeSized(ptr: usize, bytes: usize): void {
  if (blockSize(bytes) >= LARGE) freeRegion(ptr, bytes);
  else freeBlock(ptr, bytes);
}
