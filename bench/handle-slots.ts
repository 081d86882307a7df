// The connection engine's delivery loop (deliveredBatch), before and after: the old hash
// (HandleIndex: handle -> host slot, then the host column of delivered bytes) against the direct
// index by table slot (SlotsByHandle.deliver: the bytes kept in the index's own 16-byte entry),
// on what a million-connection run sees: 20,000 connections on the target in table slots
// 0..20,000 (handles of many generations), host slots spread over 80,000, and 9,500 deliveries
// per tick in the target's row order (random to both). Both in one process, interleaved; medians
// of 7. Prints ms per 600 ticks.
//
//   node --import tsx bench/handle-slots.ts
import { HandleIndex } from '../src/target/handle-index.js';
import { SlotsByHandle } from '../src/host/handle-slots.js';
import { OffloadTable } from '../src/table/table.js';
import { seededRandom } from '../src/util/random.js';

const ON_TARGET = 20_000;
const HOST_SLOTS = 80_000;
const PER_TICK = 9_500;
const TICKS = 600;
const random = seededRandom(3);
const { slotBits } = OffloadTable.createSync({ maxMemoryBytes: 1 << 24 }).handleLayout();
const handles = new Float64Array(ON_TARGET);
const rows = new Int32Array(ON_TARGET);
const hostSlots = Array.from({ length: HOST_SLOTS }, (_, i) => i).sort(() => random() - 0.5);
for (let t = 0; t < ON_TARGET; t++) {
  handles[t] = 3 * 2 ** 51 + (1 + Math.floor(random() * 5000)) * 2 ** slotBits + t;
  rows[t] = hostSlots[t]!;
}
const ticks: Float64Array[] = [];
for (let k = 0; k < TICKS; k++) {
  const order = Float64Array.from({ length: PER_TICK }, () => handles[Math.floor(random() * ON_TARGET)]!);
  ticks.push(order);
}
const hash = new HandleIndex();
const direct = new SlotsByHandle(slotBits);
for (let t = 0; t < ON_TARGET; t++) {
  hash.set(handles[t]!, rows[t]!);
  direct.set(handles[t]!, rows[t]!);
}
const delivered = new Float64Array(HOST_SLOTS);

function runHash(): number {
  const start = performance.now();
  for (const batch of ticks) {
    for (let i = 0; i < batch.length; i++) {
      const slot = hash.get(batch[i]!);
      if (slot < 0) throw new Error('missing');
      delivered[slot]! += 1;
    }
  }
  return performance.now() - start;
}

function runDirect(): number {
  const start = performance.now();
  for (const batch of ticks) for (let i = 0; i < batch.length; i++) if (!direct.deliver(batch[i]!, 1)) throw new Error('missing');
  return performance.now() - start;
}

const times: { hash: number[]; direct: number[] } = { hash: [], direct: [] };
for (let r = 0; r < 7; r++) {
  times.hash.push(runHash());
  times.direct.push(runDirect());
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(`deliveries: ${TICKS} ticks x ${PER_TICK}, ${ON_TARGET} connections on the target, ${HOST_SLOTS} host slots`);
console.log(`hash + host column (HandleIndex)   ${median(times.hash).toFixed(0)} ms`);
console.log(`direct (SlotsByHandle.deliver)     ${median(times.direct).toFixed(0)} ms`);
console.log(`ratio                              ${(median(times.hash) / median(times.direct)).toFixed(2)}x`);
