#!/usr/bin/env node
// chimney-host <command>: one small table of commands; adding one is one line here.
// Exit codes: 0 done and every check held; 1 a check failed or the run broke; 2 bad arguments or
// input (nothing was run).

import * as simulate from './simulate.js';
import * as compare from './compare.js';
import * as merge from './merge.js';
import { helpText } from './args.js';
import { isTraceError } from '../trace/errors.js';

interface Command {
  /** One line for the command list. */
  summary: string;
  /** The command's help (for `chimney-host help <command>`); absent: `<command> --help` prints it. */
  help?(): string;
  main(argv: string[]): Promise<number>;
}

/** A command whose options are a CommandSpec (src/cli/args.ts). */
const withSpec = (m: typeof simulate | typeof compare | typeof merge): Command => ({ summary: m.spec.summary, help: () => helpText(m.spec), main: m.main });
const trace = () => import('./trace.js');

const COMMANDS: Record<string, Command> = {
  simulate: withSpec(simulate),
  compare: withSpec(compare),
  merge: withSpec(merge),
  trace: {
    summary: 'what a recorded trace (pcap, pcapng, Zeek conn.log) holds, before --trace replays it',
    main: async (argv) => (await trace()).traceCommand(argv),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `usage: chimney-host <command> [arguments]\n\n${Object.entries(COMMANDS)
    .map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`)
    .join('\n')}\n\nchimney-host <command> --help tells more.`;
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const which = name === 'help' ? COMMANDS[rest[0] ?? ''] : undefined;
    if (which && !which.help) return which.main(['--help']);
    process[name === undefined ? 'stderr' : 'stdout'].write(`${which?.help ? which.help() : usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`chimney-host: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  return command.main(rest);
}

// `chimney-host compare | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (isTraceError(error)) {
      // A damaged trace found deep in the file, after the run started: bad input, not a bug.
      process.stderr.write(
        `chimney-host: ${error.message}\nThe run stopped there. Repair the file (pcapfix) or cut it before the damage (editcap -r), and run again.\n`,
      );
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `chimney-host: the run failed: ${error instanceof Error ? error.stack : String(error)}\nThis is a bug in chimney-host (or in a policy module); please report it with the command line.\n`,
    );
    process.exitCode = 1;
  },
);
