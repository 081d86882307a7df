// Page allocator for the offload table.
//
// The table allocates two kinds of memory, and neither needs a general-purpose heap:
//
//   * slab chunks: fixed size per kind, allocated once, never freed (a freed object returns its
//     slot to the kind's free list, not its bytes to the allocator);
//   * blocks: power-of-two sized buffers (hash indexes, the staging and output buffers, the
//     duplicate-detection set of a batch). A freed block goes on the free list of its size class
//     and is handed out again whole.
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

/** Allocates `bytes` from the bump region, 16-byte aligned; 0 when memory cannot grow. */
export function allocRaw(bytes: usize): usize {
  let ptr = top;
  let end = ptr + ((bytes + 15) & ~15);
  if (end < ptr) return 0; // wrapped: larger than the address space
  let have = <usize>memory.size() * PAGE;
  if (end > have) {
    let need = <i32>((end - have + PAGE - 1) / PAGE);
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

/** Returns a block to its size class. `bytes` is the size it was allocated with. */
export function freeBlock(ptr: usize, bytes: usize): void {
  if (!ptr) return;
  let head = FREE_HEADS + (<usize>classOf(bytes) << 2);
  store<u32>(ptr, load<u32>(head));
  store<u32>(head, <u32>ptr);
}

/** Bytes handed out so far (chunks and blocks, including free blocks). */
export function usedBytes(): usize {
  return top;
}
