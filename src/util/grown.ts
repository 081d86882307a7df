// Growing a typed-array column: the one way every reader and source of this package does it.

/** `a` if it holds `length` entries, else a copy at least twice as long (amortised O(1) appends). */
export function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, length: number): T {
  if (a.length >= length) return a;
  const out = new (a.constructor as new (n: number) => T)(Math.max(length, a.length * 2));
  out.set(a);
  return out;
}
