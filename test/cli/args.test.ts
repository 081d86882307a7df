// Command-line parsing: every problem at once, values that look like options are not swallowed,
// --name=value works, and the help lists every option.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { helpText, integer, list, parseArgs, type CommandSpec } from '../../src/cli/args.js';
import { Progress } from '../../src/cli/progress.js';

const test = suite('cli/args');

const spec: CommandSpec = {
  name: 'demo',
  usage: '[file]',
  summary: 'a command',
  description: 'A command.',
  options: [
    { name: '--json', help: 'JSON' },
    { name: '--report', value: 'FILE', help: 'a report' },
    { name: '--workers', value: 'N', help: 'threads', read: integer(1, 8) },
    { name: '--policies', value: 'LIST', help: 'names', read: list('names') },
  ],
};

test('good arguments, in both spellings', () => {
  const p = parseArgs(['a.json', '--workers=3', '--report', 'r.html', '--json', '--policies', 'x, y'], spec);
  assert.equal(p, { options: { '--workers': 3, '--report': 'r.html', '--json': true, '--policies': ['x', 'y'] }, positionals: ['a.json'], problems: [] });
});

test('every problem is named, and --report --json does not write a file called --json', () => {
  const p = parseArgs(['--report', '--json', '--workers', '0', '--bogus', '--json=1', 'a', 'b', '--policies', 'x,,y', '--workers', '2'], spec);
  assert.equal(p.problems, [
    '--report needs FILE (got the option --json)',
    "--workers: needs an integer 1..8, got '0'",
    "unknown option '--bogus' (demo takes --json, --report, --workers, --policies)",
    '--json is given twice',
    '--json takes no value',
    "--policies: needs a comma-separated list of names, got 'x,,y'",
    '--workers is given twice',
    "demo takes one file, got 'a', 'b'",
  ]);
  assert.is(p.options['--report'], undefined);
  assert.is(parseArgs(['--report'], spec).problems[0], '--report needs FILE');
});

test('help lists every option with its value', () => {
  const h = helpText(spec);
  assert.match(h, /^usage: chimney-host demo \[file\]/);
  for (const o of ['--json', '--report FILE', '--workers N', '--policies LIST']) assert.ok(h.includes(o), o);
});

test('the progress line is drawn only on a terminal, and erased at the end', () => {
  const written: string[] = [];
  const tty = { isTTY: true, columns: 40, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const p = new Progress(tty);
  p.update(0.5, 'compare: 1/2 runs done', true);
  p.done();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape that clears a terminal line is what is tested
  assert.match(written[0]!, /^\r\x1b\[Kcompare: 1\/2 runs done · 50%/);
  assert.ok(written[0]!.length <= 4 + 39, 'fits the terminal');
  assert.is(written[1], '\r\x1b[K');
  const pipe = { isTTY: false, write: () => assert.unreachable('wrote to a pipe') } as unknown as NodeJS.WriteStream;
  const q = new Progress(pipe);
  q.update(0.5, 'x', true);
  q.done();
});

test.run();
