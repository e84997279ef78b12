// `agentctl instrument-taskdef`: reads a document with ECS task definitions
// from FILE or stdin, writes the instrumented document on stdout, and on
// stderr what it did (task definitions skipped and why). Exit 0: done; 1: the
// document cannot be instrumented (every reason on stderr, nothing on
// stdout); 2: usage or an option value the agent would refuse.

import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { instrumentDocument, liftJson, type LocalInputs } from '../deploy/document.js';
import { DEPLOY_OPTIONS, optionsUsage, resolveOptions, type RawOptions } from '../deploy/options.js';
import { InstrumentError, type ImageConfig } from '../deploy/taskdef.js';

export const USAGE = `usage: agentctl instrument-taskdef [options] [FILE]

Instruments the ECS task definitions of FILE (stdin without FILE) and writes
the result on stdout. FILE may be: the bare container-definitions list
(Terraform), register-task-definition JSON, describe-task-definition output
(written back registrable), a query of Terraform's external data source, or a
CloudFormation template (YAML or JSON). Each container gets EntryPoint
[/opt/draios/bin/instrument, ...its EntryPoint] (Command untouched),
SYS_PTRACE, VolumesFrom the SysdigInstrumentation sidecar and the SYSDIG_*
variables; the sidecar is added. Only FARGATE-compatible task definitions
unless --all; kilt's tags (kilt-ignore, kilt-ignore-containers, kilt-include,
kilt-include-containers) are honoured. Running it twice changes nothing.

options:
${optionsUsage([
  ['--image-config NAME=FILE', "container NAME has no EntryPoint: its image's ENTRYPOINT and CMD from FILE, the output of `docker inspect IMAGE` (repeatable)"],
  ['--entrypoint NAME=JSON', "container NAME has no EntryPoint but a Command: its image's ENTRYPOINT as a JSON list, e.g. 'App=[\"/usr/bin/app\"]' (repeatable)"],
  ['-h, --help', ''],
])}

A value may be a CloudFormation intrinsic: --image '!Ref AgentImage',
--orchestrator-host '{"Fn::GetAtt": ["Orchestrator", "Outputs.OrchestratorHost"]}'.
`;

class UsageError extends Error {}

/** `docker inspect` output (a list of one object, or the object) -> its ENTRYPOINT and CMD. */
export function parseImageConfig(text: string, what: string): ImageConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what}: not JSON (expected the output of \`docker inspect IMAGE\`): ${(err as Error).message}`);
  }
  const obj = (Array.isArray(data) ? data[0] : data) as Record<string, unknown> | undefined;
  const cfg = (obj?.['Config'] ?? obj?.['config']) as Record<string, unknown> | undefined;
  if (!cfg || typeof cfg !== 'object') throw new UsageError(`${what}: no Config in it (expected the output of \`docker inspect IMAGE\`)`);
  const list = (v: unknown, field: string): string[] => {
    if (v === null || v === undefined) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    throw new UsageError(`${what}: Config.${field} is not a list of strings`);
  };
  return { entrypoint: list(cfg['Entrypoint'], 'Entrypoint'), cmd: list(cfg['Cmd'], 'Cmd') };
}

function nameValue(flag: string, spec: string): [string, string] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} ${spec}: expected NAME=${flag === '--entrypoint' ? 'JSON' : 'FILE'}`);
  return [spec.slice(0, eq), spec.slice(eq + 1)];
}

/** Parses the command line: raw options, local inputs, an optional file. */
export function parseOptions(args: string[]): { raw: RawOptions; local: LocalInputs; file: string | undefined; help: boolean } {
  const options = {
    ...Object.fromEntries(Object.entries(DEPLOY_OPTIONS).map(([name, s]) => [name, { type: s.type, ...('multiple' in s ? { multiple: true } : {}) }])),
    entrypoint: { type: 'string', multiple: true },
    'image-config': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, options: options as NonNullable<ParseArgsConfig['options']>, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (parsed.positionals.length > 1) throw new UsageError(`one FILE at most, got ${parsed.positionals.length}`);

  const raw: RawOptions = {};
  for (const name of Object.keys(DEPLOY_OPTIONS)) if (v[name] !== undefined) raw[name] = v[name];

  const entryPoints = new Map<string, string[]>();
  for (const spec of (v['entrypoint'] as string[] | undefined) ?? []) {
    const [name, json] = nameValue('--entrypoint', spec);
    let argv: unknown;
    try {
      argv = JSON.parse(json);
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
      throw new UsageError(`--entrypoint ${spec}: the value must be a JSON list of strings, e.g. ["/usr/bin/app","-v"]`);
    }
    entryPoints.set(name, argv as string[]);
  }
  const imageConfigs = new Map<string, ImageConfig>();
  for (const spec of (v['image-config'] as string[] | undefined) ?? []) {
    const [name, file] = nameValue('--image-config', spec);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--image-config ${spec}: cannot read ${file}: ${(err as Error).message}`);
    }
    imageConfigs.set(name, parseImageConfig(text, `--image-config ${spec}`));
  }
  return { raw, local: { entryPoints, imageConfigs }, file: parsed.positionals[0], help: v['help'] === true };
}

/** Entry point of the subcommand; returns the exit code. */
export async function instrumentTaskdef(args: string[]): Promise<number> {
  const err = (line: string): void => void process.stderr.write(`agentctl instrument-taskdef: ${line}\n`);
  let parsed;
  try {
    parsed = parseOptions(args);
    if (!parsed.help) {
      // Option values are checked before any input is read.
      const { problems } = resolveOptions(parsed.raw, liftJson);
      if (problems.length) throw new UsageError(problems.join('\n'));
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    for (const line of e.message.split('\n')) err(line);
    process.stderr.write(`'agentctl instrument-taskdef --help' lists the options.\n`);
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
  } catch (e) {
    err(`cannot read ${source}: ${(e as Error).message}`);
    return 1;
  }
  try {
    const result = instrumentDocument(text, parsed.raw, parsed.local);
    for (const w of result.warnings) err(`warning: ${w}`);
    for (const t of result.taskDefinitions) {
      if (t.skipped) err(`${source}: ${t.where}: left as it is: ${t.skipped}`);
    }
    process.stdout.write(result.text);
    return 0;
  } catch (e) {
    const lines = e instanceof InstrumentError ? e.problems : [(e as Error).message];
    for (const line of lines) err(`${source}: ${line}`);
    return 1;
  }
}
