// The policy registry and loadPolicy: built-ins by name, a user's module by path (the example
// module of the README), its options, and every way a module can be wrong.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  loadPolicy,
  policies,
  eager,
  threshold,
  rebalance,
  ErrorCode,
  OffloadError,
  ConnectionStatus as S,
  HostStack,
  SimulatedTarget,
} from '../../../src/index.js';
import { opened } from '../lab.js';

const test = suite('policy loading');

async function rejects(p: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    // By name: a module loaded from dist/ has its own copy of the class.
    assert.is((e as OffloadError).name, 'OffloadError', String(e));
    assert.is((e as OffloadError).code, ErrorCode.InvalidArgument);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable('expected a rejection');
}

test('built-ins by name, with options checked', async () => {
  assert.equal(Object.keys(policies), ['eager', 'threshold', 'rebalance']);
  assert.is(policies.threshold, threshold);
  assert.is((await loadPolicy('rebalance', { maxSwaps: 4 })).name, 'rebalance');
  assert.is((await loadPolicy('eager')).name, eager.name);
  void rebalance;
  await rejects(loadPolicy('threshold', { bytes: -5 }), /bytes: must be an integer/);
  await rejects(loadPolicy('lru'), /'lru' is not a built-in policy \(eager, threshold, rebalance\)/);
  await rejects(loadPolicy(''), /specifier must be/);
});

test('the example module loads by relative path, takes options, and runs in a host', async () => {
  const policy = await loadPolicy('./examples/my-policy.mjs', { minBytes: 100 });
  assert.is(policy.name, 'busiest');
  await rejects(loadPolicy('./examples/my-policy.mjs', { minBytes: -1, colour: 'red' }), /colour: not an option.*minBytes: must be an integer/);
  const target = new SimulatedTarget({ capacity: 1 });
  const host = await HostStack.create({ target, policy: { offload: policy, lowActivity: false } });
  const errors: string[] = [];
  host.on('error', (e) => errors.push(e.message));
  const [a, b] = host.open(opened([{}, {}]));
  const status = (id: number) => host.connections.status[host.connections.id.indexOf(id)];
  host.traffic([a!, b!], [500, 50], [0, 0]);
  host.tick(100);
  await host.settle();
  assert.is(status(a!), S.Offloaded, 'busy enough');
  assert.is(status(b!), S.Software, 'below minBytes');
  // a goes quiet for 2 s while b gets busy: a is given up and b takes its place.
  for (let t = 2; t <= 26; t++) {
    host.traffic([b!], [5000], [0]);
    host.tick(t * 100);
    await host.settle();
  }
  assert.is(status(b!), S.Offloaded);
  assert.is(status(a!), S.Software);
  assert.equal(errors, []);
});

test('absolute paths and file URLs; a module exporting a policy object', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  const file = join(dir, 'plain.mjs');
  writeFileSync(file, "export default { name: 'nothing', tick() { return undefined; } };\n");
  assert.is((await loadPolicy(file)).name, 'nothing');
  assert.is((await loadPolicy(`file://${file}`)).name, 'nothing');
  assert.is((await loadPolicy(`./${relative(process.cwd(), file)}`)).name, 'nothing');
  await rejects(loadPolicy(file, { x: 1 }), /takes no options/);
});

test('a module that is missing, broken, or exports the wrong thing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const absent = join(dir, 'absent.mjs');
  const escaped = absent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await rejects(loadPolicy(absent), new RegExp(`^loadPolicy: there is no policy module at ${escaped} \\(from '${escaped}'\\); check the path$`));
  await rejects(loadPolicy(write('syntax.mjs', 'export default {')), /cannot import/);
  await rejects(loadPolicy(write('none.mjs', 'export const x = 1;')), /default export .* must be a PolicyFactory .* got undefined/);
  await rejects(
    loadPolicy(write('bad-create.mjs', "export default { name: 'b', description: '', create() { return 42; } };")),
    /create\(\) returned: expected an OffloadPolicy/,
  );
});

test.run();
