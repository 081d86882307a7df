// Address parsing and formatting: IPv4 stored IPv4-mapped, IPv6 text in all its forms, RFC 5952 output.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { parseAddress, formatAddress, encodeAddresses, ErrorCode } from '../../src/index.js';
import { parseLinkLayerAddress, formatLinkLayerAddress } from '../../src/table/address.js';
import { throwsCode } from '../helpers.js';

const test = suite('address');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('IPv4 is stored IPv4-mapped and printed as a dotted quad', () => {
  assert.is(hex(parseAddress('10.0.0.1')), '00000000000000000000ffff0a000001');
  assert.is(hex(parseAddress('::ffff:10.0.0.1')), hex(parseAddress('10.0.0.1')));
  assert.is(formatAddress(parseAddress('255.255.255.255')), '255.255.255.255');
  assert.is(formatAddress(parseAddress('0.0.0.0')), '0.0.0.0');
});

test('IPv6 in every textual form parses to the same bytes', () => {
  const forms = ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0::0:1'];
  for (const f of forms) assert.is(hex(parseAddress(f)), '20010db8000000000000000000000001', f);
  assert.is(hex(parseAddress('::')), '0'.repeat(32));
  assert.is(hex(parseAddress('::1')), '0'.repeat(31) + '1');
  assert.is(hex(parseAddress('fe80::')), 'fe80' + '0'.repeat(28));
  assert.is(hex(parseAddress('64:ff9b::192.0.2.33')), '0064ff9b0000000000000000c0000221');
});

test('formatting follows RFC 5952: lowercase, longest zero run compressed, first on ties', () => {
  const cases: [string, string][] = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
  ];
  for (const [input, output] of cases) assert.is(formatAddress(parseAddress(input)), output, input);
});

test('property: IPv6 text is what the WHATWG URL serializer (also RFC 5952 compression) prints, for any 16 bytes but IPv4-mapped', () => {
  // Words drawn mostly zero, so runs of every length and position (and ties) come up.
  const word = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(word, { minLength: 8, maxLength: 8 }), fc.nat(32), (words, at) => {
      const bytes = new Uint8Array(at + 16);
      words.forEach((w, i) => {
        bytes[at + 2 * i] = w >> 8;
        bytes[at + 2 * i + 1] = w & 0xff;
      });
      const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
      fc.pre(!mapped);
      const text = formatAddress(bytes, at);
      assert.is(text, new URL(`http://[${text}]/`).hostname.slice(1, -1), 'canonical');
      assert.equal(parseAddress(text), bytes.subarray(at, at + 16), 'parses back to the same bytes');
    }),
    { numRuns: 3000 },
  );
});

test('formatAddress refuses fewer than 16 bytes from `at`, a bad `at`, or no bytes (it printed text for bytes that are not there)', () => {
  const bytes = new Uint8Array(20);
  for (const [call, message] of [
    [() => formatAddress(new Uint8Array(4)), /16 bytes/],
    [() => formatAddress(bytes, 5), /16 bytes/],
    [() => formatAddress(bytes, -1), /at/],
    [() => formatAddress(bytes, 1.5), /at/],
    [() => formatAddress(null as never), /Uint8Array/],
    [() => formatAddress([10, 0, 0, 1] as never), /Uint8Array/],
  ] as [() => unknown, RegExp][])
    throwsCode(call, ErrorCode.InvalidArgument, message);
  assert.is(formatAddress(bytes, 4), '::');
});

test('16 bytes are accepted as they are', () => {
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => i);
  assert.is(hex(parseAddress(bytes)), hex(bytes));
  assert.is(hex(parseAddress([...bytes])), hex(bytes));
});

test('anything else is InvalidArgument, naming the field and the value', () => {
  for (const bad of [
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.04',
    '::1::2',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    'fe80::1%eth0',
    '12345::1',
    'g::1',
    '::ffff:1.2.3',
    '1.2.3.4::',
    ':',
    '',
    ' 1.2.3.4',
    '1:2:3:4:5:6:7:8::',
  ]) {
    throwsCode(() => parseAddress(bad, 'source'), ErrorCode.InvalidArgument, /^source: /);
  }
  throwsCode(() => parseAddress(new Uint8Array(4)), ErrorCode.InvalidArgument, /16 of them/);
  throwsCode(() => parseAddress([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 300]), ErrorCode.InvalidArgument, /byte 15/);
  throwsCode(() => parseAddress(42 as never), ErrorCode.InvalidArgument, /number 42/);
});

test('encodeAddresses packs 16 bytes each and names the bad entry', () => {
  const packed = encodeAddresses(['10.0.0.1', '::1']);
  assert.is(packed.length, 32);
  assert.is(formatAddress(packed, 16), '::1');
  const e = throwsCode(() => encodeAddresses(['10.0.0.1', 'nope']), ErrorCode.InvalidArgument, /addresses\[1\]/);
  assert.is(e.index, 1);
});

test('link-layer addresses round-trip', () => {
  assert.is(formatLinkLayerAddress(parseLinkLayerAddress('02:00:5E:10:00:FF')), '02:00:5e:10:00:ff');
  assert.is(formatLinkLayerAddress(parseLinkLayerAddress([255, 255, 255, 255, 255, 255])), 'ff:ff:ff:ff:ff:ff');
  assert.is(parseLinkLayerAddress('00-00-00-00-00-01'), 1);
});

test.run();
