// Ranking slots for a policy without sorting everything: the k best of n in O(n log k), with a
// small binary heap over a typed array. `before(a, b)` is true when slot a ranks before slot b.

/** The `k` best of the first `n` entries of `items`, best first. */
export function best(items: ArrayLike<number>, n: number, k: number, before: (a: number, b: number) => boolean): Uint32Array {
  const size = Math.min(k, n);
  if (size <= 0) return new Uint32Array(0);
  // A heap whose top is the worst of the best `size` seen so far.
  const heap = new Uint32Array(size);
  let count = 0;
  const worse = (a: number, b: number) => before(b, a);
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!worse(heap[i]!, heap[parent]!)) break;
      const t = heap[i]!;
      heap[i] = heap[parent]!;
      heap[parent] = t;
      i = parent;
    }
  };
  const down = (i: number, length: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < length && worse(heap[l]!, heap[top]!)) top = l;
      if (r < length && worse(heap[r]!, heap[top]!)) top = r;
      if (top === i) return;
      const t = heap[i]!;
      heap[i] = heap[top]!;
      heap[top] = t;
      i = top;
    }
  };
  for (let i = 0; i < n; i++) {
    const item = items[i]!;
    if (count < size) {
      heap[count++] = item;
      up(count - 1);
    } else if (before(item, heap[0]!)) {
      heap[0] = item;
      down(0, size);
    }
  }
  // Pop the worst to the end: the array ends up best first.
  for (let end = count - 1; end > 0; end--) {
    const t = heap[0]!;
    heap[0] = heap[end]!;
    heap[end] = t;
    down(0, end);
  }
  return heap;
}
