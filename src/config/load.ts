// loadConfig: the agent's configuration from the environment (SYSDIG_*).
// Pipeline: env -> per-variable parsing/validation -> SYSDIG_EXTRA_CONF
// options -> SYSDIG_EXTRA_ARGS options (override) -> AgentConfig. Never
// throws: every problem becomes a message naming the variable (and the
// flag/key), and the bad value is replaced by the lower layer or the default,
// so the workload always runs.
// js-yaml, as the rules loader's fast path: the `yaml` package stays out of
// the agent's start-up (src/rules/yaml-tree.ts).
import { load as loadYaml, CORE_SCHEMA } from 'js-yaml';
import { parseLogLevel, type ParsedLogLevel } from '../logging/levels.js';
import { OPTION_DEFAULTS, optionSpec, type OptionField, type OptionValues } from './options.js';
import { splitShellWords } from './split.js';

export const DEFAULT_ORCHESTRATOR_PORT = 6667;
export const DEFAULT_COLLECTOR_PORT = 6443;

export interface AgentConfig extends OptionValues {
  /** SYSDIG_ORCHESTRATOR (undefined: not set). */
  orchestratorHost: string | undefined;
  /** SYSDIG_ORCHESTRATOR_PORT, default 6667. */
  orchestratorPort: number;
  /** SYSDIG_COLLECTOR (undefined: not set). */
  collectorHost: string | undefined;
  /** SYSDIG_COLLECTOR_PORT, default 6443. */
  collectorPort: number;
  /** SYSDIG_ACCESS_KEY. A secret: never log it (see redactConfig). */
  accessKey: string | undefined;
  /** SYSDIG_LOGGING, raw and parsed. */
  logging: ParsedLogLevel & { raw: string | undefined };
  /** SYSDIG_PRIORITY: start at once (`availability`) or wait for policies (`security`, bounded by securityWaitMs). */
  priority: 'availability' | 'security';
  /** SYSDIG_SIDECAR: `auto`, `force` or '' (not set). */
  sidecar: 'auto' | 'force' | '';
  /** Where the agent's own logs go (the logwriter): SYSDIG_LOG_HOST, SYSDIG_LOG_PORT (undefined: the logger's defaults, localhost:32000). */
  logHost: string | undefined;
  logPort: number | undefined;
  /** ECS_CONTAINER_METADATA_URI_V4, set by ECS in every task's containers. */
  ecsMetadataUri: string | undefined;
  /** DRAIOS_BENCH_NO_PREFILTER=1: the open pre-filter off (bench/'s A/B switch). */
  noOpenPrefilter: boolean;
  /** DRAIOS_BENCH_EXACT_STATE=1: the exact fd table, every fd-table syscall stops (bench/'s A/B switch). */
  exactState: boolean;
}

export interface LoadedConfig {
  config: AgentConfig;
  errors: string[];
  warnings: string[];
}

type Partial_ = { -readonly [K in OptionField]?: OptionValues[K] };

interface Layer {
  values: Partial_;
  errors: string[];
  warnings: string[];
}

const LIST_FIELDS = new Set<OptionField>(['rulesFiles', 'syscallsExtra']);

function set(values: Partial_, field: OptionField, value: unknown, append: boolean): void {
  const v = values as Record<string, unknown>;
  if (append && LIST_FIELDS.has(field)) {
    const prev = (v[field] as string[] | undefined) ?? [];
    const add = value as string[];
    v[field] = field === 'syscallsExtra' ? [...prev, ...add.filter((x) => !prev.includes(x))] : [...prev, ...add];
  } else {
    v[field] = value;
  }
}

/** SYSDIG_EXTRA_ARGS words -> option values. */
export function parseExtraArgs(words: readonly string[], variable = 'SYSDIG_EXTRA_ARGS'): Layer {
  const layer: Layer = { values: {}, errors: [], warnings: [] };
  const seen = new Map<OptionField, string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('--') || w === '--') {
      layer.errors.push(
        w.startsWith('-') && w.length > 1
          ? `${variable}: unknown flag ${w}`
          : `${variable}: unexpected argument ${JSON.stringify(w)} (options are --name value or --name=value)`,
      );
      continue;
    }
    const eq = w.indexOf('=');
    const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
    const spec = optionSpec(name);
    if (!spec) {
      layer.errors.push(`${variable}: unknown flag --${name}`);
      // Its value, if it has one, is not an argument of its own.
      if (eq < 0 && words[i + 1] !== undefined && !words[i + 1]!.startsWith('-')) i++;
      continue;
    }
    let raw: string | true;
    if (spec.kind === 'flag') {
      raw = eq < 0 ? true : w.slice(eq + 1);
    } else if (eq >= 0) {
      raw = w.slice(eq + 1);
    } else {
      const next = words[i + 1];
      if (next === undefined || next.startsWith('--')) {
        layer.errors.push(`${variable}: --${name}: missing value (${spec.arg})`);
        continue;
      }
      raw = next;
      i++;
    }
    const r = spec.parse(raw);
    if (!r.ok) {
      layer.errors.push(`${variable}: --${name}: ${r.error}`);
      continue;
    }
    if (spec.kind !== 'list') {
      const before = seen.get(spec.field);
      if (before !== undefined) layer.warnings.push(`${variable}: --${name} overrides the earlier --${before} (the last one wins)`);
      seen.set(spec.field, name);
    }
    set(layer.values, spec.field, r.value, true);
  }
  return layer;
}

/** SYSDIG_EXTRA_CONF text (a YAML or JSON mapping) -> option values. */
export function parseExtraConf(source: string, variable = 'SYSDIG_EXTRA_CONF'): Layer {
  const layer: Layer = { values: {}, errors: [], warnings: [] };
  if (source.trim() === '') return layer;
  let data: unknown;
  try {
    // duplicate keys are an error, as with uniqueKeys
    data = loadYaml(source, { schema: CORE_SCHEMA });
  } catch (err) {
    layer.errors.push(`${variable}: not valid YAML or JSON: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
    return layer;
  }
  if (data === null || data === undefined) return layer;
  if (typeof data !== 'object' || Array.isArray(data) || data instanceof Map) {
    layer.errors.push(`${variable}: expected a mapping of option names to values (e.g. {priority-min: warning}), got ${Array.isArray(data) ? 'a list' : typeof data}`);
    return layer;
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const name = key.replace(/^--/, '');
    const spec = optionSpec(name);
    if (!spec) {
      layer.errors.push(`${variable}: unknown key ${key}`);
      continue;
    }
    // `{orchestrator-tls}` / `orchestrator-tls:` (no value) means the flag is given.
    const r = spec.parse(spec.kind === 'flag' && value === null ? true : value);
    if (!r.ok) {
      layer.errors.push(`${variable}: ${name}: ${r.error}`);
      continue;
    }
    // A negated flag and its positive twin (no-orchestrator-tls / orchestrator-tls) share a field.
    if ((layer.values as Record<string, unknown>)[spec.field] !== undefined && spec.kind !== 'list') {
      layer.warnings.push(`${variable}: ${name} overrides an earlier key setting the same option`);
    }
    set(layer.values, spec.field, r.value, true);
  }
  return layer;
}

function trimmed(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

function port(env: NodeJS.ProcessEnv, name: string, dflt: number, errors: string[]): number {
  const raw = trimmed(env[name]);
  if (raw === undefined) return dflt;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    errors.push(`${name}: expected a port number from 1 to 65535, got ${JSON.stringify(env[name])}; using ${dflt}`);
    return dflt;
  }
  return n;
}

function host(env: NodeJS.ProcessEnv, name: string, errors: string[]): string | undefined {
  const raw = trimmed(env[name]);
  if (raw === undefined) return undefined;
  if (/[\s/]/.test(raw)) {
    errors.push(`${name}: expected a host name or IP address, got ${JSON.stringify(env[name])}; ignored`);
    return undefined;
  }
  return raw;
}

function defaults(env: NodeJS.ProcessEnv): AgentConfig {
  const raw = env.SYSDIG_LOGGING;
  return {
    ...OPTION_DEFAULTS,
    rulesFiles: [],
    syscallsExtra: [],
    orchestratorHost: undefined,
    orchestratorPort: DEFAULT_ORCHESTRATOR_PORT,
    collectorHost: undefined,
    collectorPort: DEFAULT_COLLECTOR_PORT,
    accessKey: undefined,
    logging: { raw, ...parseLogLevel(raw) },
    priority: 'availability',
    sidecar: '',
    logHost: trimmed(env.SYSDIG_LOG_HOST),
    logPort: portOf(env.SYSDIG_LOG_PORT),
    ecsMetadataUri: trimmed(env.ECS_CONTAINER_METADATA_URI_V4),
    noOpenPrefilter: env.DRAIOS_BENCH_NO_PREFILTER === '1',
    exactState: env.DRAIOS_BENCH_EXACT_STATE === '1',
  };
}

function portOf(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/**
 * The agent's configuration from `env` (normally process.env). Never throws;
 * with errors, `config` still holds usable values (defaults in place of the
 * bad ones). Messages never contain SYSDIG_ACCESS_KEY.
 */
export function loadConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  const errors: string[] = [];
  const warnings: string[] = [];
  try {
    const config = defaults(env);

    config.orchestratorHost = host(env, 'SYSDIG_ORCHESTRATOR', errors);
    config.orchestratorPort = port(env, 'SYSDIG_ORCHESTRATOR_PORT', DEFAULT_ORCHESTRATOR_PORT, errors);
    config.collectorHost = host(env, 'SYSDIG_COLLECTOR', errors);
    config.collectorPort = port(env, 'SYSDIG_COLLECTOR_PORT', DEFAULT_COLLECTOR_PORT, errors);
    config.accessKey = trimmed(env.SYSDIG_ACCESS_KEY);
    if (trimmed(env.SYSDIG_ORCHESTRATOR_PORT) !== undefined && !config.orchestratorHost) {
      warnings.push('SYSDIG_ORCHESTRATOR_PORT is set but SYSDIG_ORCHESTRATOR is not: ignored');
    }
    if (trimmed(env.SYSDIG_COLLECTOR_PORT) !== undefined && !config.collectorHost) {
      warnings.push('SYSDIG_COLLECTOR_PORT is set but SYSDIG_COLLECTOR is not: ignored');
    }
    if (config.collectorHost && !config.accessKey) {
      warnings.push('SYSDIG_COLLECTOR is set but SYSDIG_ACCESS_KEY is not: the collector will refuse the connection');
    }
    if (!config.orchestratorHost && !config.collectorHost) {
      warnings.push('neither SYSDIG_ORCHESTRATOR nor SYSDIG_COLLECTOR is set: alerts stay local (agent log, alerts file)');
    }

    const rawLogging = env.SYSDIG_LOGGING;
    if (!config.logging.known && trimmed(rawLogging) !== undefined) {
      warnings.push(
        `SYSDIG_LOGGING: unknown value ${JSON.stringify(rawLogging)}: minimal start-up logs (expected one of silent, fatal, critical, error, warning, info, debug, trace)`,
      );
    }

    const prio = trimmed(env.SYSDIG_PRIORITY)?.toLowerCase();
    if (prio === 'availability' || prio === 'security') config.priority = prio;
    else if (prio !== undefined) {
      errors.push(`SYSDIG_PRIORITY: expected one of availability, security, got ${JSON.stringify(env.SYSDIG_PRIORITY)}; using availability`);
    }

    const sidecar = trimmed(env.SYSDIG_SIDECAR)?.toLowerCase();
    if (sidecar === 'auto' || sidecar === 'force') config.sidecar = sidecar;
    else if (sidecar !== undefined) {
      errors.push(`SYSDIG_SIDECAR: expected auto, force or empty, got ${JSON.stringify(env.SYSDIG_SIDECAR)}; using empty`);
    }

    // Options: defaults <- SYSDIG_EXTRA_CONF <- SYSDIG_EXTRA_ARGS (per option; lists are replaced, not merged).
    const conf = parseExtraConf(env.SYSDIG_EXTRA_CONF ?? '');
    let args: Layer = { values: {}, errors: [], warnings: [] };
    const split = splitShellWords(env.SYSDIG_EXTRA_ARGS ?? '');
    if (split.error) errors.push(`SYSDIG_EXTRA_ARGS: ${split.error}; ignored`);
    else args = parseExtraArgs(split.words);
    errors.push(...conf.errors, ...args.errors);
    warnings.push(...conf.warnings, ...args.warnings);
    Object.assign(config, conf.values, args.values);

    if (config.priority === 'security' && !config.orchestratorHost && !config.collectorHost) {
      warnings.push(
        `SYSDIG_PRIORITY=security but no orchestrator or collector is configured: no policies can arrive, the workload starts after security-wait-ms (${config.securityWaitMs} ms)`,
      );
    }
    if (!config.checkCertificate) warnings.push('--no-check-certificate: TLS certificates are not verified (development only)');
    return { config, errors, warnings };
  } catch (err) {
    errors.push(`internal error while reading the configuration (defaults used): ${String((err as Error)?.message ?? err)}`);
    return { config: defaults({}), errors, warnings };
  }
}

/** The configuration as a plain object fit for a log line: secrets replaced by "<redacted>". */
export function redactConfig(config: AgentConfig): Record<string, unknown> {
  return { ...config, accessKey: config.accessKey === undefined ? undefined : '<redacted>' };
}
