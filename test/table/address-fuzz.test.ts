// The address parser against Node's own (net.isIPv4 / net.isIPv6) on random text built from the
// pieces addresses are made of, and the formatter against the WHATWG URL serializer, which writes
// IPv6 in RFC 5952's canonical form. Issue 8 item 10: '1.2.3.4::1.2.3.4' was accepted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isIPv4, isIPv6 } from 'node:net';
import { parseAddress, formatAddress, ErrorCode } from '../../src/index.js';
import { throwsCode } from '../helpers.js';

const test = suite('address fuzz');
const seed = process.env.SEED ? Number(process.env.SEED) : undefined;
const runs = Number(process.env.ADDRESS_RUNS ?? 5_000);

/** Parses, or undefined where the parser refuses (it must refuse with InvalidArgument). */
function tryParse(text: string): Uint8Array | undefined {
  try {
    return parseAddress(text);
  } catch (e) {
    assert.is((e as { code?: string }).code, ErrorCode.InvalidArgument, `refusal of ${JSON.stringify(text)}`);
    return undefined;
  }
}

/** Text made of address pieces: groups, octets, ':' '::' '.', and now and then junk. */
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((v) => v.toString(16)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((v) => v.toString(16).toUpperCase().padStart(4, '0')) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 300 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '00', '01', '00000', '12345', 'g', ' ', '', '-1', '1e2', '0x1') },
);
const sep = fc.constantFrom(':', ':', ':', '::', '.', '.', ':::');
const text = fc
  .array(fc.tuple(piece, sep), { maxLength: 10 })
  .chain((parts) =>
    fc.tuple(fc.constant(parts), piece, fc.boolean()).map(([ps, last, lead]) => (lead ? '::' : '') + ps.map(([p, s]) => p + s).join('') + last),
  );
/** Well-formed addresses of every shape, so both parsers' acceptance is reached often. */
const valid = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(fc.ipV6(), fc.ipV4()).map(([six, four]) => six.replace(/(:[0-9a-f]*){2}$/i, ':') + four),
);

test('the parser accepts exactly what Node accepts (zone ids aside) and round-trips', () => {
  fc.assert(
    fc.property(fc.oneof(text, valid), (t) => {
      const node = isIPv4(t) || (isIPv6(t) && !t.includes('%'));
      const bytes = tryParse(t);
      assert.is(bytes !== undefined, node, `${JSON.stringify(t)}: node says ${node}`);
      if (bytes) assert.equal(parseAddress(formatAddress(bytes)), bytes, `round trip of ${t}`);
    }),
    { numRuns: runs, seed },
  );
});

test('formatting is canonical: the URL serializer writes the same (IPv4-mapped: a dotted quad)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(7), (bytes, zeros) => {
      bytes.fill(0, zeros * 2, zeros * 2 + 2 * (zeros % 4)); // runs of zero groups of every length
      const mine = formatAddress(bytes);
      const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
      if (mapped) assert.is(mine, bytes.subarray(12).join('.'));
      else assert.is(mine, new URL(`http://[${mine}]`).hostname.slice(1, -1));
      assert.equal(parseAddress(mine), bytes);
    }),
    { numRuns: runs, seed },
  );
});

test("regression: an IPv4 part before '::' is refused ('1.2.3.4::1.2.3.4')", () => {
  for (const t of ['1.2.3.4::1.2.3.4', '1.2.3.4::', '1.2.3.4::1', '::1.2.3.4:1', '1.2.3.4:1::']) {
    throwsCode(() => parseAddress(t), ErrorCode.InvalidArgument, /not an IPv4 or IPv6 address/);
  }
  assert.is(formatAddress(parseAddress('::1.2.3.4')), '::102:304');
});

test('dotted text of digits and dots: accepted exactly when net.isIPv4 accepts it (the IPv4 parser reads char codes)', () => {
  const dotted = fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', '.', '.'), maxLength: 17 });
  fc.assert(
    fc.property(dotted, (t) => {
      const bytes = tryParse(t);
      if (isIPv4(t)) assert.equal([...bytes!.subarray(12)], t.split('.').map(Number), t);
      else if (!isIPv6(t)) assert.is(bytes, undefined, `${JSON.stringify(t)} is not an address`);
    }),
    { seed, numRuns: runs * 4 },
  );
});

test.run();
