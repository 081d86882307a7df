// The Wasm-to-JS contract (src/table/core.ts): what the core exports as globals is what JS uses.
// The public enums and the handle layout are written in TS too (the design fixes them, and the
// reference model needs them without Wasm), so each is checked here against the core's exports,
// both ways: every TS member equals the core's, and the core has no member TS lacks.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, Kind, Reason, State, OffloadTable, OffloadError } from '../../src/index.js';
import { Core, INVARIANT_MESSAGES, readContract } from '../../src/table/core.js';
import { HANDLE_SLOT_BITS, HANDLE_GENERATION_BITS, KIND_SPAN, SLOT_SPAN, GENERATION_SPAN } from '../../src/table/errors.js';
import { SLOT_LIMIT } from '../../src/table/validate.js';

const test = suite('core contract');

const coreOf = (t: OffloadTable) => (t as unknown as { core: Core }).core;
const table = () => OffloadTable.createSync({ maxMemoryBytes: 1 << 24 });

/** The members of a TS enum, numeric or string: name to value (a numeric enum's reverse entries left out). */
const members = (e: Record<string, string | number>) => Object.fromEntries(Object.entries(e).filter(([name]) => !/^\d+$/.test(name)));

test('Kind, State and Reason: every TS member equals the core export, and the core has no other member', () => {
  const { enums } = coreOf(table()).contract;
  for (const [name, ts] of [
    ['Kind', Kind],
    ['State', State],
    ['Reason', Reason],
  ] as const) {
    assert.ok(enums[name], `the core exports no ${name}`);
    assert.equal(enums[name], members(ts), `${name}: core ${JSON.stringify(enums[name])}, TS ${JSON.stringify(members(ts))}`);
  }
});

test('ErrorCode: the same names on both sides, distinct positive numbers in the core', () => {
  const core = coreOf(table());
  const exported = core.contract.enums.ErrorCode!;
  assert.equal(Object.keys(exported).sort(), Object.keys(members(ErrorCode)).sort());
  const numbers = Object.values(exported);
  assert.is(new Set(numbers).size, numbers.length, 'two codes share a number');
  for (const [name, n] of Object.entries(exported)) {
    assert.ok(n > 0, `${name} is ${n}: an error is returned negated, so 0 cannot be one`);
    assert.is(core.errorCode(n), ErrorCode[name as keyof typeof ErrorCode]);
  }
});

test('Invariant: every invariant check() can report has a message, and every message an invariant', () => {
  const exported = coreOf(table()).contract.enums.Invariant!;
  assert.equal(Object.keys(exported).sort(), Object.keys(INVARIANT_MESSAGES).sort());
  for (const [name, n] of Object.entries(exported)) assert.is(coreOf(table()).invariantMessage(n), INVARIANT_MESSAGES[name]);
});

test("the handle layout in TS is the core's, and a handle the core returns decodes with it", () => {
  const t = table();
  const c = coreOf(t).contract;
  assert.is(c.handleSlotBits, HANDLE_SLOT_BITS);
  assert.is(c.handleGenerationBits, HANDLE_GENERATION_BITS);
  assert.equal(t.handleLayout(), { slotBits: c.handleSlotBits, generationBits: c.handleGenerationBits }, 'handleLayout() is what the core exports');
  assert.is(SLOT_LIMIT, 2 ** c.handleSlotBits);
  assert.is(t.limits().slotReuses, GENERATION_SPAN);
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  const p = t.offloadPath({ source: '10.0.0.2', destination: '10.0.0.3' }, n);
  for (const [h, kind] of [
    [n, Kind.Neighbor],
    [p, Kind.Path],
  ] as const) {
    assert.is(Math.floor(h / KIND_SPAN), kind);
    assert.is(h % SLOT_SPAN, 0); // the first slot of its kind
  }
  const again = t.debugSetGeneration(p, 5);
  assert.is(Math.floor((again % KIND_SPAN) / SLOT_SPAN), 5);
});

test('the header and the key scratch: offsets the core exports do not overlap', () => {
  const c = coreOf(table()).contract;
  const fields: [string, number, number][] = [
    ['io', c.header.io, 4],
    ['ioBytes', c.header.ioBytes, 4],
    ['errorIndex', c.header.errorIndex, 4],
    ['cursor', c.header.cursor, 4],
    ['errorHandle', c.header.errorHandle, 8],
    ['errorAux', c.header.errorAux, 8],
    ['source', c.key.source, 16],
    ['destination', c.key.destination, 16],
    ['ifIndex', c.key.ifIndex, 4],
    ['mtu', c.key.mtu, 4],
    ['ports', c.key.ports, 4],
    ['priority', c.key.priority, 4],
    ['linkLayerAddress', c.key.linkLayerAddress, 8],
    ['bytes', c.key.bytes, 4],
    ['rate', c.key.rate, 4],
    ['quietMs', c.key.quietMs, 4],
  ];
  fields.sort((a, b) => a[1] - b[1]);
  for (let i = 1; i < fields.length; i++) {
    const [before, at, size] = fields[i - 1]!;
    assert.ok(at + size <= fields[i]![1], `${before} overlaps ${fields[i]![0]}`);
  }
  for (const [name, at, size] of fields) assert.is(at % Math.min(size, 8), 0, `${name} is not aligned`);
  assert.is(c.listDone, 0xffffffff);
});

test('one error convention: a failing getter returns -code and leaves its handle in the header', () => {
  const t = table();
  const core = coreOf(t);
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  t.completeOffload([n]);
  t.completeTerminate(t.terminate([n], Reason.Application).handles);
  const stale = core.contract.enums.ErrorCode!.StaleHandle!;
  for (const call of ['kindOf', 'stateOf', 'statusOf', 'parentOf', 'refCountOf', 'keyOf'] as const) {
    core.exports.setMtu(1, 1500); // some other failure first: the header must not keep its detail
    assert.is(core.exports[call](n), -stale, call);
    assert.is(core.errorHandle(), n, `${call} left no handle in the header`);
    assert.is(core.errorIndex(), -1, call);
  }
  assert.is(core.exports.dependentsOf(n, 0), -stale);
  assert.is(core.errorHandle(), n);
});

test('readContract refuses a core from another build, naming what is missing', () => {
  assert.throws(() => readContract({}), /does not export HEADER_IO.*npm run build/);
  // ...and an OffloadTable error still reads its detail through the contract.
  const t = table();
  const err = (() => {
    try {
      t.kind(5);
    } catch (e) {
      return e as OffloadError;
    }
  })();
  assert.is(err?.code, ErrorCode.InvalidArgument);
});

test('check(): a broken invariant comes back as -InvariantBroken with the invariant in aux, and is reported by name', () => {
  const t = table();
  const core = coreOf(t);
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  assert.is(core.exports.check(), 0);
  // Play the core's part of a failing check() (a real one needs corrupted memory): -code, detail in the header.
  const code = core.contract.enums.ErrorCode!.InvariantBroken!;
  const f64 = core.f64;
  f64[(core.header + core.contract.header.errorHandle) >>> 3] = n;
  f64[(core.header + core.contract.header.errorAux) >>> 3] = core.contract.enums.Invariant!.RefCount!;
  const faked = Object.create(core, { exports: { value: { ...core.exports, check: () => -code } } });
  (t as unknown as { core: Core }).core = faked;
  const err = (() => {
    try {
      t.check();
    } catch (e) {
      return e as OffloadError;
    }
  })();
  assert.is(err?.code, ErrorCode.InvariantBroken);
  assert.match(err!.message, /a refcount differs from the number of linked dependents at neighbor #0/);
  assert.is(err!.handle, n);
});

test.run();
