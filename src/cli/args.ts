// Command-line arguments: each command declares its options once (name, value, help, reader), and
// parsing collects every problem (an unknown option, a missing or bad value) so that one run of a
// bad command line names all of them, exits 2, and runs nothing.

export interface OptionSpec {
  /** '--report' */
  name: string;
  /** The value's placeholder in the help ('FILE'); absent for a flag. */
  value?: string;
  help: string;
  /** Checks and converts the value; a string result of `problem()` is the message. */
  read?: (text: string) => unknown;
}

export interface CommandSpec {
  name: string;
  /** '[scenario.json]' */
  usage: string;
  /** One line, for the list of commands. */
  summary: string;
  /** More, for the command's help. */
  description: string;
  options: OptionSpec[];
  /** Positional arguments allowed (default 1). */
  maxPositionals?: number;
}

/** A reader's way to say the value is wrong. */
export class Problem {
  constructor(readonly message: string) {}
}
export const problem = (message: string) => new Problem(message);

export interface Parsed {
  options: Record<string, unknown>;
  positionals: string[];
  problems: string[];
}

export function parseArgs(argv: readonly string[], spec: CommandSpec): Parsed {
  const out: Parsed = { options: {}, positionals: [], problems: [] };
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const o = byName.get(name);
    if (!o) {
      out.problems.push(`unknown option '${name}' (${spec.name} takes ${spec.options.map((x) => x.name).join(', ')})`);
      continue;
    }
    if (seen.has(name)) out.problems.push(`${name} is given twice`);
    seen.add(name);
    if (!o.value) {
      if (eq > 0) out.problems.push(`${name} takes no value`);
      out.options[name] = true;
      continue;
    }
    let text: string | undefined;
    if (eq > 0) text = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && byName.has(next.split('=')[0]!))) {
        out.problems.push(`${name} needs ${o.value}${next === undefined ? '' : ` (got the option ${next})`}`);
        continue;
      }
      text = next;
      i++;
    }
    const value = o.read ? o.read(text) : text;
    if (value instanceof Problem) out.problems.push(`${name}: ${value.message}`);
    else out.options[name] = value;
  }
  const max = spec.maxPositionals ?? 1;
  if (out.positionals.length > max)
    out.problems.push(`${spec.name} takes ${max === 1 ? 'one file' : `at most ${max} files`}, got ${out.positionals.map((p) => `'${p}'`).join(', ')}`);
  return out;
}

/** An integer option in [min, max]. */
export const integer =
  (min: number, max: number) =>
  (text: string): unknown => {
    const v = Number(text);
    return /^-?\d+$/.test(text) && v >= min && v <= max ? v : problem(`needs an integer ${min}..${max}, got '${text}'`);
  };

/** A comma-separated list of non-empty items. */
export const list =
  (what: string) =>
  (text: string): unknown => {
    const items = text.split(',').map((s) => s.trim());
    return items.length && items.every(Boolean) ? items : problem(`needs a comma-separated list of ${what}, got '${text}'`);
  };

export function helpText(spec: CommandSpec): string {
  const width = Math.max(...spec.options.map((o) => o.name.length + (o.value ? o.value.length + 1 : 0)));
  return `usage: chimney-host ${spec.name} ${spec.usage}\n\n${spec.description}\n\n${spec.options.map((o) => `  ${`${o.name}${o.value ? ` ${o.value}` : ''}`.padEnd(width)}  ${o.help}`).join('\n')}`;
}
