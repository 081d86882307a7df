// Repository hygiene: comments and docs never name a file that does not exist. A comment that
// sends the reader to a file that was renamed or never written leaves the next engineer nowhere.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const test = suite('hygiene');

/** Names that look like files but are not files of this repository. */
const NOT_FILES = new Set([
  'benchmark.js', // the npm package
  'scenario.json',
  'mine.mjs',
  'my-policy.mjs',
  'FILE.html',
  'OUT.cdf', // placeholders in usage text
  'a.json',
  'b.json',
  'run.html', // placeholders in `merge` and `--report` examples
]);
/** A host name at the start: a URL written without its scheme (tcpdump.org/linktypes.html). */
const HOST = /^[\w-]+(\.[\w-]+)+\//;
/** Folders whose files are built, not committed. */
const BUILT = /^(\.\/)?(dist|build|src\/table\/generated|test-results|docs\/api|coverage|node_modules)\//;

const FILE_NAME = /(?<![\w/.:@-])((?:[\w.-]+\/)*[\w-]+(?:\.[\w-]+)*\.(?:ts|mjs|js|json|md|cdf|wasm|html))\b/g;

test('comments and docs name only files that exist', () => {
  const files = execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const paths = new Set(files);
  const names = new Set(files.map((f) => basename(f)));
  // A bare name matches any file of that name; a name with a folder must be a path of the
  // repository or end one (`target/tcp-columns.js` for src/target/tcp-columns.ts), so that a file
  // moved to another folder leaves no stale path behind. A built name counts when its TypeScript
  // source exists.
  const exists = (name: string) =>
    [name, name.replace(/\.js$/, '.ts')].some((n) =>
      n.includes('/') ? paths.has(n.replace(/^\.\//, '')) || files.some((f) => f.endsWith(`/${n}`)) : names.has(n),
    );
  const missing: string[] = [];
  for (const file of files) {
    if (!/\.(ts|mjs|js|md)$/.test(file)) continue;
    const markdown = file.endsWith('.md');
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const at = line.indexOf('//');
        const comment = markdown ? line : /^\s*(\*|\/\*)/.test(line) ? line : at >= 0 ? line.slice(at) : '';
        for (const m of comment.matchAll(FILE_NAME)) {
          const name = m[1]!;
          if (NOT_FILES.has(basename(name)) || BUILT.test(name) || HOST.test(name) || name.startsWith('path/to/')) continue;
          if (!exists(name)) missing.push(`${file}:${i + 1} names ${name}`);
        }
      });
  }
  assert.equal(missing, [], `these name files that do not exist:\n${missing.join('\n')}`);
});

test.run();
