// The registry of neighbors and paths the host made for its connections.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ParentRegistry } from '../../src/host/parents.js';
import { Kind, State } from '../../src/index.js';

const test = suite('host parents');

/** Address words of `n` keys: 8 words each (a neighbor uses the first 4). */
const keyWords = (n: number, f: (i: number, w: number) => number) => {
  const words = new Uint32Array(8 * n);
  for (let i = 0; i < n; i++) for (let w = 0; w < 8; w++) words[8 * i + w] = f(i, w) >>> 0;
  return words;
};

test('add, find by key and by handle, remove; entries are reused', () => {
  const r = new ParentRegistry();
  const words = keyWords(200, (i, w) => (w === 3 ? i : w === 7 ? i * 3 : 0));
  const entries = Array.from({ length: 200 }, (_, i) => (i % 2 ? r.addPath(words, 8 * i, 1000 + i, 1) : r.addNeighbor(1, words, 8 * i, 1000 + i, 1)));
  assert.is(r.size, 200);
  assert.is(r.findPath(words, 8 * 7), entries[7]);
  assert.is(r.findNeighbor(1, words, 8 * 7), -1, 'a path is no neighbor');
  assert.is(r.findNeighbor(2, words, 8 * 8), -1, 'another interface');
  assert.is(r.findNeighbor(1, words, 8 * 8), entries[8]);
  assert.is(r.entryOf(1007), entries[7]);
  assert.is(r.entryOf(0), -1);
  assert.is(r.state[entries[7]!], State.Offloading);
  assert.is(r.kind[entries[7]!], Kind.Path);
  r.remove(entries[7]!);
  r.remove(entries[7]!); // twice: nothing more happens
  r.remove(-1);
  assert.is(r.size, 199);
  assert.is(r.findPath(words, 8 * 7), -1);
  assert.is(r.entryOf(1007), -1);
  assert.is(r.addPath(words, 8 * 9, 5, 2), entries[7], 'the freed entry is reused');
  assert.is(r.findNeighbor(1, words, 8 * 8), entries[8]);
});

test('property: under churn (adds and removes in any order, keys that differ in one word), it finds what a Map of string keys finds', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          op: fc.constantFrom('add', 'add', 'remove'),
          path: fc.boolean(),
          ifIndex: fc.constantFrom(0, 1, 2 ** 32 - 1),
          // Few distinct values per word, so keys collide in all but one word and probe runs are long.
          words: fc.array(fc.constantFrom(0, 1, 0xffffffff), { minLength: 8, maxLength: 8 }),
          pick: fc.nat(),
        }),
        { minLength: 50, maxLength: 400, size: 'max' },
      ),
      (ops) => {
        const r = new ParentRegistry();
        const model = new Map<string, number>(); // key -> handle
        const entryOf = new Map<number, string>(); // handle -> key
        let next = 1;
        for (const o of ops) {
          const words = Uint32Array.from(o.words);
          const ifIndex = o.path ? 0 : o.ifIndex;
          const key = `${o.path ? 'P' : 'N'}${ifIndex}:${(o.path ? o.words : o.words.slice(0, 4)).join(',')}`;
          const found = o.path ? r.findPath(words, 0) : r.findNeighbor(ifIndex, words, 0);
          assert.is(found >= 0 ? r.handle[found] : undefined, model.get(key), key);
          if (o.op === 'add' && found < 0) {
            const h = next++;
            const e = o.path ? r.addPath(words, 0, h, 1) : r.addNeighbor(ifIndex, words, 0, h, 1);
            assert.is(r.entryOf(h), e);
            model.set(key, h);
            entryOf.set(h, key);
          } else if (o.op === 'remove' && entryOf.size) {
            const handles = [...entryOf.keys()];
            const h = handles[o.pick % handles.length]!;
            r.remove(r.entryOf(h));
            model.delete(entryOf.get(h)!);
            entryOf.delete(h);
          }
          assert.is(r.size, model.size);
        }
        // Everything left is found by key and by handle.
        for (const [h, key] of entryOf) {
          const e = r.entryOf(h);
          assert.ok(e >= 0, key);
          assert.is(r.kind[e], key.startsWith('P') ? Kind.Path : Kind.Neighbor);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
