// A subcommand's argv through node:util parseArgs, with the conventions every
// agentctl command keeps: `-h`/`--help` prints the usage on stdout (exit 0),
// a usage error prints the message and the usage on stderr (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed argv, or the exit code when the command should stop here. */
export function parseCommandArgs<O extends Options>(command: string, usage: string, args: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`agentctl ${command}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
