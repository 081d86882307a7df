// The faulty-target fuzz, short: a few seeds of a few hundred steps (the long run: `npm run fuzz`).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hostFuzz } from './fuzz.js';

const test = suite('host fuzz');

for (const seed of [1, 2, 3]) {
  test(`faulty target, seed ${seed}: every object reported once, nothing lost unreported, nothing stuck`, async () => {
    const r = await hostFuzz(seed, 400);
    assert.ok(r.offloaded > 100, `it offloaded things (${r.offloaded})`);
    assert.ok(r.checked > 20, `connections came back whole (${r.checked})`);
    assert.ok(r.lost > 0, 'and some were lost and reported');
    for (const m of ['throw', 'reject', 'hang', 'drop', 'duplicate', 'invent', 'malformed', 'fail', 'strip'] as const)
      assert.ok(r.mischief[m] > 0, `${m} happened`);
  });
}

test('without faults nothing is lost', async () => {
  const r = await hostFuzz(9, 300, 0);
  assert.is(r.lost, 0);
  assert.ok(r.checked > 20);
});

test.run();
