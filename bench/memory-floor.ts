// The memory floor at a table's size (bench/floor, compiled by npm run bench into build/floor.wasm):
// what touching memory costs inside Wasm with no table logic, in the units every benchmark is
// reported in.
import { readFileSync } from 'node:fs';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * The floor at a table's memory size, in Wasm: ns per independent random u32 read (the CPU overlaps
 * their misses: the throughput floor), per dependent random read (each address from the previous
 * read: the latency floor) and per sequential u32 read; `clock` says whose time: wall (the unit of
 * benchmark.js) or this process's CPU time (steadier on a shared machine).
 */
export async function floor(bytes: number, clock: 'wall' | 'cpu' = 'wall'): Promise<{ probe: number; chain: number; scan: number }> {
  const at = new URL('../build/floor.wasm', import.meta.url);
  let wasm: Uint8Array;
  try {
    wasm = readFileSync(at);
  } catch {
    throw new Error(
      'build/floor.wasm is missing: npm run bench builds it (asc bench/floor/index.ts -O3 --runtime stub --noAssert --use abort= -o build/floor.wasm)',
    );
  }
  // asc applies asconfig.json here too, so the floor module imports its memory like the core.
  const { instance } = await WebAssembly.instantiate(wasm as BufferSource, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
  const f = instance.exports as {
    buffer(b: number): number;
    scan(p: number, b: number): number;
    probe(p: number, b: number, n: number, s: number): number;
    fill(p: number, b: number, s: number): void;
    chain(p: number, b: number, n: number): number;
  };
  const base = f.buffer(bytes);
  f.fill(base, bytes, 12345);
  const n = 4_000_000;
  const time = (fn: () => void) => {
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      fn();
      const c = process.cpuUsage(c0);
      xs.push(clock === 'cpu' ? (c.user + c.system) * 1000 : Number(process.hrtime.bigint() - t0));
    }
    return median(xs);
  };
  const m = 1_000_000;
  return {
    probe: time(() => f.probe(base, bytes, n, 12345)) / n,
    chain: time(() => f.chain(base, bytes, m)) / m,
    scan: time(() => f.scan(base, bytes)) / (bytes / 4),
  };
}
