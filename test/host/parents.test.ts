// The registry of neighbors and paths the host made for its connections.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ParentRegistry, neighborKey, pathKey } from '../../src/host/parents.js';
import { Kind, State } from '../../src/index.js';

const test = suite('host parents');

test('keys: distinct addresses and interfaces give distinct keys; neighbors and paths never collide', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(), fc.nat(), (a, b, i, j) => {
      const same = a.every((x, k) => x === b[k]);
      assert.is(pathKey(a, 0) === pathKey(b, 0), same);
      const sameNeighbor = a.subarray(0, 16).every((x, k) => x === b[k]) && i === j;
      assert.is(neighborKey(i, a, 0) === neighborKey(j, b, 0), sameNeighbor);
      assert.is.not(neighborKey(i, a, 0), pathKey(a, 0));
    }),
  );
});

test('add, find by key and by handle, remove; entries are reused', () => {
  const r = new ParentRegistry();
  const entries = Array.from({ length: 200 }, (_, i) => r.add(`k${i}`, i % 2 ? Kind.Path : Kind.Neighbor, 1000 + i, 1));
  assert.is(r.size, 200);
  assert.is(r.find('k7'), entries[7]);
  assert.is(r.entryOf(1007), entries[7]);
  assert.is(r.state[entries[7]!], State.Offloading);
  r.remove(entries[7]!);
  r.remove(entries[7]!); // twice: nothing more happens
  r.remove(-1);
  assert.is(r.size, 199);
  assert.is(r.find('k7'), -1);
  assert.is(r.entryOf(1007), -1);
  assert.is(r.add('again', Kind.Path, 5, 2), entries[7], 'the freed entry is reused');
  assert.is(r.find('k8'), entries[8]);
});

test.run();
