// The host's connection columns: slots, ids that are never reused, the live list.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ConnectionStore, SLOT_SPACE } from '../../src/host/connections.js';
import { ConnectionStatus } from '../../src/index.js';

const test = suite('host connections store');

test('property: random allocate/release: ids unique for ever, slotOf exact, live lists exactly the slots in use', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(50)), { maxLength: 400 }), (ops) => {
      const c = new ConnectionStore(2);
      const everIssued = new Set<number>();
      const open = new Map<number, number>(); // id -> slot
      for (const op of ops) {
        if (op === -1 || open.size === 0) {
          const slot = c.allocate(0);
          const id = c.id[slot]!;
          assert.not.ok(everIssued.has(id), 'an id is never issued twice');
          assert.ok(Number.isSafeInteger(id) && id >= SLOT_SPACE);
          everIssued.add(id);
          open.set(id, slot);
        } else {
          const id = [...open.keys()][op % open.size]!;
          c.release(open.get(id)!);
          open.delete(id);
          assert.is(c.slotOf(id), -1, 'a released id is not open');
        }
      }
      for (const [id, slot] of open) {
        assert.is(c.slotOf(id), slot);
        assert.is(c.status[slot], ConnectionStatus.Software);
      }
      assert.equal(
        [...c.live.subarray(0, c.liveCount)].sort((a, b) => a - b),
        [...open.values()].sort((a, b) => a - b),
      );
      for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60, '5' as never, SLOT_SPACE * 9 + 1]) assert.is(c.slotOf(bad), -1);
    }),
  );
});

test('arrivals are listed until cleared; columns survive growth', () => {
  const c = new ConnectionStore(2);
  for (let i = 0; i < 10; i++) {
    const s = c.allocate(5);
    c.bytes[s] = i;
  }
  assert.is(c.arrived.count, 10);
  assert.equal([...c.bytes.subarray(0, 10)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.is(c.openedAt[9], 5);
  c.arrived.clear();
  assert.is(c.arrived.view().length, 0);
});

test('a reused slot opens exactly like a fresh one (allocate writes only what release leaves behind)', () => {
  const c = new ConnectionStore(2);
  const fresh = c.allocate(7);
  const columns = [
    'status',
    'openedAt',
    'lastActiveAt',
    'bytes',
    'offloadedBytes',
    'tickBytes',
    'rate',
    'handle',
    'offloadedAt',
    'sent',
    'everOffloaded',
    'path',
    'closed',
  ] as const;
  const opening = columns.map((k) => c[k][fresh]);
  // A whole life: offloaded, closed on the target, handed back (handle 0, path -1), freed.
  for (const k of columns) c[k][fresh] = 3;
  c.handle[fresh] = 0;
  c.path[fresh] = -1;
  c.closed[fresh] = 1;
  c.release(fresh);
  const again = c.allocate(7);
  assert.is(again, fresh, 'the freed slot is reused');
  assert.equal(
    columns.map((k) => c[k][again]),
    opening,
  );
  assert.equal(opening, [ConnectionStatus.Software, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0]);
});

test('a slot is reused with the next generation until its ids run out at 2^53, then retired', () => {
  const c = new ConnectionStore(4);
  const a = c.allocate(0);
  const b = c.allocate(0);
  const last = (2 ** 27 - 1) * SLOT_SPACE; // the last generation's first id
  c.id[a] = last - SLOT_SPACE + a; // one generation before the last (as if reused that often)
  c.id[b] = last + b; // the last generation
  c.release(b);
  c.release(a);
  const again = c.allocate(0);
  assert.is(again, a, 'the slot with generations left is reused');
  assert.is(c.id[again], last + a);
  assert.ok(Number.isSafeInteger(c.id[again]!));
  assert.is(c.slotOf(last + a), a);
  const fresh = c.allocate(0);
  assert.not.ok(fresh === a || fresh === b, 'the exhausted slot is retired, not wrapped');
  assert.is(c.id[fresh], SLOT_SPACE + fresh, 'a slot never used starts at generation 1');
});

test.run();
