// `agentctl`: the operator's command line. Importing this module runs it on
// process.argv (bin/agentctl and the bundled lib/agentctl.mjs do just that).
// Each subcommand is one entry of `commands`, loaded only when it is run.

import { AGENT_VERSION } from '../util/version.js';

type Command = {
  summary: string;
  run: (args: string[]) => Promise<number>;
};

export const commands: Record<string, Command> = {
  validate: {
    summary: 'check a rules file (default: the bundled default rules)',
    // Owned by the rules engine (src/rules/validate.ts); loaded lazily so other subcommands do not pay for it.
    run: async (args) => (await import('../rules/validate.js')).validateCommand(args),
  },
  replay: {
    summary: 'evaluate rules on a scap capture (--capture-file, sysdig -w, Falco traces)',
    run: async (args) => (await import('../capture/replay-command.js')).replayCommand(args),
  },
  'instrument-taskdef': {
    summary: 'instrument an ECS task definition or a CloudFormation template',
    run: async (args) => (await import('./instrument-taskdef.js')).instrumentTaskdef(args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `usage: agentctl COMMAND [ARGS...]\n       agentctl --help | --version\n\ncommands:\n${lines.join('\n')}\n\n'agentctl COMMAND --help' for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === 'version') {
    process.stdout.write(`agentctl ${AGENT_VERSION}\n`);
    return 0;
  }
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    process.stderr.write(`agentctl: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    // Bad input gets a one-line error, never a stack trace.
    process.stderr.write(`agentctl ${name}: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
