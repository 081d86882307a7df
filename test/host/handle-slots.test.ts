// SlotsByHandle (src/host/handle-slots.ts): the engine's table handle -> host slot index, direct by
// table slot. It must answer exactly as a Map of the entries set and not deleted, for any number
// asked (junk, other kinds, freed handles whose table slot holds a new connection).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SlotsByHandle } from '../../src/host/handle-slots.js';
import { OffloadTable } from '../../src/table/table.js';
import { Kind } from '../../src/table/enums.js';
import { withFailingAllocation } from '../helpers.js';

const test = suite('handle slots');

const { slotBits, generationBits } = OffloadTable.createSync({ maxMemoryBytes: 1 << 24 }).handleLayout();
const SLOT = 2 ** slotBits;
const KIND = 2 ** (slotBits + generationBits);
const handle = (kind: number, generation: number, slot: number) => kind * KIND + generation * SLOT + slot;

test('the layout comes from the core: 26 slot bits, 25 generation bits (README)', () => {
  assert.is(slotBits, 26);
  assert.is(generationBits, 25);
});

test('one entry: its handle finds it; every other number, of any kind or size, does not', () => {
  const index = new SlotsByHandle(slotBits);
  const h = handle(Kind.Connection, 7, 5);
  index.set(h, 3);
  assert.is(index.get(h), 3);
  const others = [
    handle(Kind.Path, 7, 5), // a path with the same slot and generation
    handle(Kind.Neighbor, 7, 5),
    handle(Kind.Connection, 6, 5), // the slot's earlier connection
    handle(Kind.Connection, 8, 5), // its next one
    h % 2 ** 32, // the same low 32 bits
    h + 2 ** 32,
    h - 2 ** 32,
    5, // the bare slot
    5.5,
    h + 0.5 * (h < 2 ** 52 ? 1 : 2), // not an integer (or the next one up, where doubles step by 2)
    0,
    -0,
    -h,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    2 ** 53 + 5 * 2, // past 2^53: the slot bits would say 10
    Number.MAX_VALUE,
  ];
  for (const o of others) {
    assert.is(index.get(o), -1, `${o}`);
    assert.is(index.deliver(o, 7), false, `deliver(${o})`);
    assert.is(index.delivered(o), 0, `delivered(${o})`);
  }
  assert.ok(index.deliver(h, 7));
  assert.is(index.delivered(h), 7, 'only its own deliveries');
  index.delete(h);
  assert.is(index.get(h), -1, 'deleted');
});

test('a table slot taken by a new connection before the old one is deleted: both are found until deleted', () => {
  const index = new SlotsByHandle(slotBits);
  const old = handle(Kind.Connection, 1, 9);
  const young = handle(Kind.Connection, 2, 9);
  index.set(old, 1);
  assert.ok(index.deliver(old, 5));
  index.set(young, 4);
  assert.is(index.get(old), 1, 'the older entry is still set');
  assert.ok(index.deliver(old, 6));
  assert.ok(index.deliver(young, 1));
  assert.equal([index.delivered(old), index.delivered(young)], [11, 1], 'the older entry keeps its bytes');
  assert.is(index.get(young), 4);
  index.delete(old);
  assert.is(index.get(old), -1);
  assert.is(index.get(young), 4);
  index.delete(young);
  assert.is(index.get(young), -1);
});

test('grows to table slots far apart, and a huge slot number is no problem', () => {
  const index = new SlotsByHandle(slotBits);
  const far = handle(Kind.Connection, 3, SLOT - 1);
  index.set(far, 2);
  assert.is(index.get(far), 2);
  assert.is(index.get(handle(Kind.Connection, 3, SLOT - 2)), -1);
});

test('regression: a growth whose second allocation fails leaves the index as it was: entries set later are found', () => {
  const index = new SlotsByHandle(slotBits);
  const a = handle(Kind.Connection, 1, 5);
  index.set(a, 1);
  const b = handle(Kind.Connection, 1, 3000);
  assert.throws(() => withFailingAllocation(1, () => index.set(b, 2), 'Int32Array'), /allocation failed/);
  index.set(handle(Kind.Connection, 1, 1500), 3);
  assert.is(index.get(handle(Kind.Connection, 1, 1500)), 3);
  assert.is(index.get(a), 1);
  index.set(b, 2);
  assert.is(index.get(b), 2);
});

test('differential: any sequence of sets, deletes, deliveries and lookups answers as a Map', () => {
  // A small table: 6 table slots, handles of every kind, generations going up at each reuse; the
  // host frees a connection in the table first and deletes it from the index later (or never
  // before the slot is reused), as HostStack does.
  const op = fc.oneof(
    fc.record({ op: fc.constant('offload' as const), tableSlot: fc.nat(5), row: fc.nat(11) }),
    fc.record({ op: fc.constant('free' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('forget' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('ask' as const), kind: fc.constantFrom(1, 2, 3), generation: fc.nat(9), tableSlot: fc.nat(7) }),
    fc.record({ op: fc.constant('junk' as const), value: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 2 ** 53, 2 ** 53 + 8, 2 ** 32 + 3)) }),
    fc.record({ op: fc.constant('deliver' as const), kind: fc.constantFrom(1, 2, 3), generation: fc.nat(9), tableSlot: fc.nat(7), bytes: fc.nat(1000) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const hostHandles = new Float64Array(12); // the host slots' handles: a host slot holds one at a time
      const index = new SlotsByHandle(slotBits);
      const model = new Map<number, number>();
      const bytes = new Map<number, number>(); // delivered per entry of the model
      const generation = new Array<number>(6).fill(0);
      const inTable = new Map<number, number>(); // table slot -> live handle (the table's view)
      const freed: [number, number][] = []; // freed in the table, not yet deleted from the index
      for (const o of ops) {
        if (o.op === 'offload') {
          // The table gives a slot only if it holds nothing; the host slot must be free too.
          if (inTable.has(o.tableSlot) || hostHandles[o.row] !== 0) continue;
          const h = handle(Kind.Connection, ++generation[o.tableSlot]!, o.tableSlot);
          inTable.set(o.tableSlot, h);
          hostHandles[o.row] = h;
          index.set(h, o.row);
          model.set(h, o.row);
          bytes.set(h, 0);
        } else if (o.op === 'free') {
          const live = [...inTable.entries()];
          if (!live.length) continue;
          const [t, h] = live[o.pick % live.length]!;
          inTable.delete(t);
          freed.push([h, model.get(h)!]);
        } else if (o.op === 'forget') {
          if (!freed.length) continue;
          const [h, row] = freed.splice(o.pick % freed.length, 1)[0]!;
          index.delete(h);
          hostHandles[row] = 0;
          model.delete(h);
          bytes.delete(h);
        } else if (o.op === 'deliver') {
          // Mostly handles that have an entry (the last one set), else any handle of the small table.
          const known = [...model.keys()];
          const h = known.length && o.bytes % 3 !== 0 ? known[o.bytes % known.length]! : handle(o.kind, o.generation, o.tableSlot);
          assert.is(index.deliver(h, o.bytes), model.has(h), `deliver(${h})`);
          if (model.has(h)) bytes.set(h, bytes.get(h)! + o.bytes);
        } else {
          const h = o.op === 'ask' ? handle(o.kind, o.generation, o.tableSlot) : o.value;
          assert.is(index.get(h), model.get(h) ?? -1, `get(${h})`);
          assert.is(index.delivered(h), bytes.get(h) ?? 0, `delivered(${h})`);
          assert.is(index.deliver(h, 0), model.has(h), `deliver(${h}, 0)`);
        }
        for (const [h, row] of model) {
          assert.is(index.get(h), row, `entry ${h}`);
          assert.is(index.delivered(h), bytes.get(h), `delivered to ${h}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test.run();
