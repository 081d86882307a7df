// The package as a consumer gets it: the built entries named by package.json "exports", imported
// by a plain Node process (no TypeScript loader), with no runtime dependency.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const test = suite('package');

const consumer = `
  import { OffloadTable, Kind, State, Reason, UploadReason, OffloadError, ErrorCode } from 'chimney-host';
  import { ReferenceTable } from 'chimney-host/reference';
  const results = [];
  for (const t of [await OffloadTable.create(), OffloadTable.createSync(), new ReferenceTable()]) {
    const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
    const p = t.offloadPath({ source: '10.0.0.2', destination: '10.0.9.9' }, n);
    const c = t.offloadConnection({ localPort: 40000, remotePort: 443, priority: 3 }, p);
    t.completeOffload([n, p, c]);
    const b = t.terminate([p], Reason.LowActivity);
    let stale = '';
    t.completeTerminate(b.handles);
    try { t.state(c); } catch (e) { stale = e instanceof OffloadError ? e.code : 'other'; }
    results.push([t.count(Kind.Connection), b.length, [...b.reasons].join(), stale, State.Terminating, UploadReason.SmallIO]);
  }
  console.log(JSON.stringify(results));
`;

test('the built package imports by name and works like the sources', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', consumer], { encoding: 'utf8' });
  const expected = [0, 3, '4,4,9', 'StaleHandle', 3, 11];
  assert.equal(JSON.parse(out), [expected, expected, expected]);
});

test('package.json declares ESM, typed exports, engines, and no runtime dependencies', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.is(pkg.name, 'chimney-host');
  assert.is(pkg.type, 'module');
  assert.is(pkg.engines.node, '>=20');
  assert.is(pkg.dependencies, undefined);
  assert.ok(pkg.exports['.'].types && pkg.exports['./reference'].types);
});

test('the packed tarball installs into an empty project and works there: every subpath and the CLI', () => {
  // What a consumer gets from the registry: `npm pack` (package.json "files"), installed into a
  // project outside the repository, so nothing can resolve back to the sources or dev dependencies.
  const dir = mkdtempSync(join(tmpdir(), 'chimney-pack-'));
  try {
    const npm = (...args: string[]) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8' });
    const tarball = join(dir, execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop()!);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    npm('install', '--offline', '--ignore-scripts', tarball);
    writeFileSync(
      join(dir, 'use.mjs'),
      `${consumer}
      import { readScenario, SyntheticWorkload } from 'chimney-host/sim';
      import { openTraceWorkload } from 'chimney-host/trace';
      console.log(JSON.stringify([typeof readScenario, typeof SyntheticWorkload, typeof openTraceWorkload]));
    `,
    );
    const [tables, subpaths] = execFileSync(process.execPath, ['use.mjs'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
    const expected = [0, 3, '4,4,9', 'StaleHandle', 3, 11];
    assert.equal(JSON.parse(tables!), [expected, expected, expected]);
    assert.equal(JSON.parse(subpaths!), ['function', 'function', 'function']);
    const help = execFileSync(join(dir, 'node_modules', '.bin', 'chimney-host'), ['--help'], { cwd: dir, encoding: 'utf8' });
    assert.match(help, /^usage: chimney-host <command>/);
    assert.match(help, /simulate/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
