// `agentctl instrument-taskdef`: reads a task definition (ECS JSON) or a
// CloudFormation template (YAML or JSON) from FILE or stdin, writes the
// instrumented document on stdout. Exit 0: done; 1: the document cannot be
// instrumented (every reason on stderr); 2: usage.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { instrumentDocument } from '../deploy/document.js';
import { DEFAULT_IMAGE, DEFAULT_ORCHESTRATOR_PORT, InstrumentError, type InstrumentOptions, type Value } from '../deploy/taskdef.js';

export const USAGE = `usage: agentctl instrument-taskdef [options] [FILE]

Instruments an ECS task definition (register-task-definition JSON) or a
CloudFormation template (YAML or JSON) read from FILE, or stdin without FILE,
and writes the result on stdout. Every container gets EntryPoint
/opt/draios/bin/instrument followed by its EntryPoint and Command, SYS_PTRACE,
VolumesFrom the SysdigInstrumentation sidecar (read-only) and the SYSDIG_*
variables below; the sidecar is added. Running it twice changes nothing.

options:
  --orchestrator-host H   SYSDIG_ORCHESTRATOR
  --orchestrator-port P   SYSDIG_ORCHESTRATOR_PORT (${DEFAULT_ORCHESTRATOR_PORT} when a host is given)
  --collector-host H      SYSDIG_COLLECTOR
  --collector-port P      SYSDIG_COLLECTOR_PORT
  --access-key K          SYSDIG_ACCESS_KEY
  --logging LEVEL         SYSDIG_LOGGING
  --priority P            SYSDIG_PRIORITY (availability | security)
  --sidecar MODE          SYSDIG_SIDECAR (auto | force)
  --extra-args ARGS       SYSDIG_EXTRA_ARGS
  --image IMAGE           the sidecar's image (default ${DEFAULT_IMAGE})
  --entrypoint NAME=JSON  the image's default ENTRYPOINT for container NAME,
                          which has none in the task definition, as a JSON
                          list: --entrypoint 'App=["/usr/bin/app","-v"]'
                          (repeatable; 'App=[]' if the image has none)
  -h, --help

In CloudFormation YAML, a value may be an intrinsic: --image '!Ref AgentImage'.
`;

const ENV_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['orchestrator-host', 'SYSDIG_ORCHESTRATOR'],
  ['orchestrator-port', 'SYSDIG_ORCHESTRATOR_PORT'],
  ['collector-host', 'SYSDIG_COLLECTOR'],
  ['collector-port', 'SYSDIG_COLLECTOR_PORT'],
  ['access-key', 'SYSDIG_ACCESS_KEY'],
  ['logging', 'SYSDIG_LOGGING'],
  ['priority', 'SYSDIG_PRIORITY'],
  ['sidecar', 'SYSDIG_SIDECAR'],
  ['extra-args', 'SYSDIG_EXTRA_ARGS'],
];

class UsageError extends Error {}

/** Parses the command line into options and an optional file. */
export function parseOptions(args: string[]): { opts: InstrumentOptions; file: string | undefined; help: boolean } {
  const options = {
    image: { type: 'string' },
    entrypoint: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
    ...Object.fromEntries(ENV_OPTIONS.map(([o]) => [o, { type: 'string' }])),
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (parsed.positionals.length > 1) throw new UsageError(`one FILE at most, got ${parsed.positionals.length}`);

  const env: [string, Value][] = [];
  for (const [opt, name] of ENV_OPTIONS) {
    const value = v[opt];
    if (typeof value === 'string') env.push([name, value]);
    else if (opt === 'orchestrator-port' && typeof v['orchestrator-host'] === 'string') env.push([name, DEFAULT_ORCHESTRATOR_PORT]);
  }
  const entryPoints = new Map<string, string[]>();
  for (const spec of (v['entrypoint'] as string[] | undefined) ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--entrypoint ${spec}: expected NAME=["program","arg"]`);
    let argv: unknown;
    try {
      argv = JSON.parse(spec.slice(eq + 1));
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
      throw new UsageError(`--entrypoint ${spec}: the value must be a JSON list of strings, e.g. ["/usr/bin/app","-v"]`);
    }
    entryPoints.set(spec.slice(0, eq), argv as string[]);
  }
  const opts: InstrumentOptions = { env, entryPoints };
  if (typeof v['image'] === 'string') opts.image = v['image'];
  return { opts, file: parsed.positionals[0], help: v['help'] === true };
}

/** Entry point of the subcommand; returns the exit code. */
export async function instrumentTaskdef(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`agentctl instrument-taskdef: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let text: string;
  const source = parsed.file ?? '(stdin)';
  try {
    text = readFileSync(parsed.file ?? 0, 'utf8');
  } catch (err) {
    process.stderr.write(`agentctl instrument-taskdef: cannot read ${source}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const result = instrumentDocument(text, parsed.opts);
    process.stdout.write(result.text);
    return 0;
  } catch (err) {
    const lines = err instanceof InstrumentError ? err.problems : [(err as Error).message];
    for (const line of lines) process.stderr.write(`agentctl instrument-taskdef: ${source}: ${line}\n`);
    return 1;
  }
}
