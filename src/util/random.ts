// One seeded generator for everything that must replay: SimulatedTarget, simulations, tests.

/** mulberry32: a small, fast generator of numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  // The state lives in an Int32Array, not a closure variable: a variable holding a uint32 is a
  // heap number past 2^30, and every draw stored a new one (the simulated target's step, which
  // draws 3-4 times per connection per tick, spent most of its time there). The same bits either
  // way: every operation below reads the state as 32 bits.
  const state = new Int32Array(1);
  state[0] = seed | 0;
  return () => {
    const a = (state[0]! + 0x6d2b79f5) | 0;
    state[0] = a;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
