// One seeded generator for everything that must replay: SimulatedTarget, simulations, tests.
//
// mulberry32: the state is a 32-bit counter that advances by MULBERRY32_STEP at every draw, and
// each draw is a mix of the counter. The state lives in an Int32Array, not a closure variable: a
// variable holding a uint32 is a heap number past 2^30, and every draw stored a new one. A hot loop
// that draws many times (TcpColumns.step) keeps the counter in a local, draws with mulberry32Draw,
// and writes it back: the same numbers as calling the generator, with no call or memory per draw.

/** How far the state moves at each draw. */
export const MULBERRY32_STEP = 0x6d2b79f5;

/** The number in [0, 1) drawn from state `a` (the state after it moved). */
export function mulberry32Draw(a: number): number {
  let t = Math.imul(a ^ (a >>> 15), a | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A generator of numbers in [0, 1); `state[0]` is its 32-bit state, for loops that draw inline. */
export type SeededRandom = (() => number) & { readonly state: Int32Array };

/** mulberry32: a small, fast generator of numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): SeededRandom {
  const state = new Int32Array(1);
  state[0] = seed | 0;
  const next = () => {
    const a = (state[0]! + MULBERRY32_STEP) | 0;
    state[0] = a;
    return mulberry32Draw(a);
  };
  return Object.assign(next, { state });
}
