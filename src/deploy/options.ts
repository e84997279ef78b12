// The instrumentation options, as data, shared by `agentctl instrument-taskdef`
// (flags) and the CloudFormation macro (Transform parameters and the
// function's configuration use the same names). Values are checked by the
// agent's own configuration loader (src/config loadConfig) on the SYSDIG_*
// variables they would write, so the tool refuses exactly what the agent
// would refuse. A value written as an intrinsic (`!Ref X`, `{"Ref": "X"}`) is
// not known before deployment and is not checked.
import { DEFAULT_ORCHESTRATOR_PORT, loadConfig } from '../config/load.js';
import { DEFAULT_IMAGE, isIntrinsic, nameList, type InstrumentOptions, type Value } from './taskdef.js';

export interface DeployOptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder in the usage text. */
  arg?: string;
  /** The variable this option writes on every instrumented container. */
  env?: string;
  /** Written when the option is not given (the Terraform provider's defaults). */
  default?: string;
  help: string;
}

export const DEPLOY_OPTIONS = {
  'orchestrator-host': { type: 'string', arg: 'H', env: 'SYSDIG_ORCHESTRATOR', help: 'the orchestrator (e.g. the OrchestratorHost output of deploy/orchestrator.yaml)' },
  'orchestrator-port': { type: 'string', arg: 'P', env: 'SYSDIG_ORCHESTRATOR_PORT', help: `its port (${DEFAULT_ORCHESTRATOR_PORT} when a host is given)` },
  'orchestrator-plaintext': { type: 'boolean', help: 'agents speak plain TCP to the orchestrator (SYSDIG_EXTRA_ARGS gets --no-orchestrator-tls instead of --orchestrator-tls)' },
  'collector-host': { type: 'string', arg: 'H', env: 'SYSDIG_COLLECTOR', help: 'the collector' },
  'collector-port': { type: 'string', arg: 'P', env: 'SYSDIG_COLLECTOR_PORT', help: 'its port' },
  'access-key': { type: 'string', arg: 'K', env: 'SYSDIG_ACCESS_KEY', help: 'the access key' },
  logging: { type: 'string', arg: 'LEVEL', env: 'SYSDIG_LOGGING', help: 'the agent log level (error, warning, info, debug, ...)' },
  priority: { type: 'string', arg: 'P', env: 'SYSDIG_PRIORITY', default: 'availability', help: 'availability (start at once) or security (wait for the rules)' },
  sidecar: { type: 'string', arg: 'MODE', env: 'SYSDIG_SIDECAR', default: 'auto', help: 'auto or force' },
  'extra-args': { type: 'string', arg: 'ARGS', env: 'SYSDIG_EXTRA_ARGS', help: "more agent flags (docs/configuration.md); --extra-args='--flag ...' when they start with '-'" },
  image: { type: 'string', arg: 'IMAGE', help: `the sidecar image, the workload agent (default ${DEFAULT_IMAGE})` },
  'image-auth-secret': { type: 'string', arg: 'ARN', help: "the secret holding the agent image's registry credentials (the sidecar's RepositoryCredentials)" },
  'log-group': { type: 'string', arg: 'G', help: "the sidecar's awslogs log group (with --log-stream-prefix and --log-region)" },
  'log-stream-prefix': { type: 'string', arg: 'P', help: 'its awslogs stream prefix' },
  'log-region': { type: 'string', arg: 'R', help: 'its awslogs region' },
  'ignore-containers': { type: 'string', multiple: true, arg: 'A:B', help: "containers never instrumented (repeatable; ':' or ',' separated), as Terraform's ignore_containers" },
  'opt-in': { type: 'boolean', help: "kilt's opt-in mode: only task definitions tagged kilt-include or kilt-include-containers" },
  all: { type: 'boolean', help: 'also instrument task definitions that are not FARGATE-compatible' },
} as const satisfies Record<string, DeployOptionSpec>;

export type DeployOptionName = keyof typeof DEPLOY_OPTIONS;
/** Raw values by option name: strings from a command line, anything from a macro event. */
export type RawOptions = Partial<Record<string, unknown>>;

/** Turns the text of an option into a document value (an intrinsic stays one). */
export type Lift = (text: string) => Value;

/** The usage lines of the options, aligned. */
export function optionsUsage(extra: ReadonlyArray<readonly [string, string]> = []): string {
  const rows: [string, string][] = Object.entries(DEPLOY_OPTIONS).map(([name, s]) => {
    const spec = s as DeployOptionSpec;
    const flag = `--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
    const env = spec.env ? `${spec.env}: ` : '';
    const dflt = spec.default ? ` (default ${spec.default})` : '';
    return [flag, `${env}${spec.help}${dflt}`];
  });
  rows.push(...extra.map(([a, b]) => [a, b] as [string, string]));
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join('\n');
}

function asStrings(name: string, v: unknown, problems: string[]): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  problems.push(`${name}: expected a string or a list of strings`);
  return [];
}

/**
 * Options (raw values by name) -> InstrumentOptions, or the problems found.
 * `lift` makes the document value of a text (intrinsics in the document's syntax).
 */
export function resolveOptions(raw: RawOptions, lift: Lift): { opts: InstrumentOptions; problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const known = new Set(Object.keys(DEPLOY_OPTIONS));
  for (const name of Object.keys(raw)) if (!known.has(name)) problems.push(`unknown option "${name}"`);

  const text = (name: DeployOptionName): string | undefined => {
    const v = raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    // A macro's Transform parameter may be an intrinsic: its JSON text lifts back to it.
    if (isIntrinsic(v as Value)) return JSON.stringify(v);
    problems.push(`--${name}: expected a string, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const flag = (name: DeployOptionName): boolean => {
    const v = raw[name];
    if (v === undefined || v === null || v === false || v === 'false' || v === '') return false;
    if (v === true || v === 'true') return true;
    problems.push(`--${name}: expected true or false, got ${JSON.stringify(v)}`);
    return false;
  };

  // SYSDIG_* variables, in the table's order.
  const env: [string, Value][] = [];
  const plain: Record<string, string> = {};
  const flagOf: Record<string, string> = {};
  for (const [name, s] of Object.entries(DEPLOY_OPTIONS)) {
    const spec = s as DeployOptionSpec;
    if (!spec.env) continue;
    let value = text(name as DeployOptionName) ?? spec.default;
    if (value === undefined && name === 'orchestrator-port' && text('orchestrator-host') !== undefined) value = String(DEFAULT_ORCHESTRATOR_PORT);
    // TLS to the orchestrator is said explicitly either way, whatever the agent's own default.
    if (name === 'extra-args' && text('orchestrator-host') !== undefined && !/(^|\s)--(no-)?orchestrator-tls\b/.test(value ?? '')) {
      const tls = flag('orchestrator-plaintext') ? '--no-orchestrator-tls' : '--orchestrator-tls';
      value = value ? `${tls} ${value}` : tls;
    }
    if (value === undefined) continue;
    const lifted = lift(value);
    env.push([spec.env, lifted]);
    if (!isIntrinsic(lifted)) {
      plain[spec.env] = value;
      flagOf[spec.env] = `--${name}`;
    }
  }
  // The agent's loader on what it would read; only the variables given here.
  const check = loadConfig(plain);
  for (const e of [...check.errors, ...check.warnings]) {
    const m = /^(SYSDIG_[A-Z_]+): (.*)$/s.exec(e);
    if (!m || !(m[1]! in plain) || m[1] === 'SYSDIG_LOGGING') continue;
    const reason = m[2]!.replace(/; (using .*|ignored|minimal start-up logs.*)$/s, '');
    const where = `${flagOf[m[1]!]} ${JSON.stringify(plain[m[1]!])}`;
    if (check.errors.includes(e)) problems.push(`${where}: ${reason}`);
    else warnings.push(`${where}: ${reason}`);
  }
  if (plain.SYSDIG_LOGGING !== undefined && !check.config.logging.known) {
    // The agent would fall back to minimal logs; here it is a mistake to fix.
    problems.push(`--logging ${JSON.stringify(plain.SYSDIG_LOGGING)}: expected one of silent, fatal, critical, error, warning, info, debug, trace`);
  }

  const opts: InstrumentOptions = { env, optIn: flag('opt-in'), all: flag('all') };
  const image = text('image');
  if (image !== undefined) opts.image = lift(image);
  const secret = text('image-auth-secret');
  if (secret !== undefined) opts.imageAuthSecret = lift(secret);
  const logs = [text('log-group'), text('log-stream-prefix'), text('log-region')];
  if (logs.some((v) => v !== undefined)) {
    if (logs.some((v) => v === undefined)) problems.push('--log-group, --log-stream-prefix and --log-region go together (the awslogs driver needs all three)');
    else opts.logs = { group: lift(logs[0]!), streamPrefix: lift(logs[1]!), region: lift(logs[2]!) };
  }
  const ignore = asStrings('--ignore-containers', raw['ignore-containers'], problems).flatMap(nameList);
  if (ignore.length) opts.ignoreContainers = ignore;
  return { opts, problems: [...new Set(problems)], warnings };
}
