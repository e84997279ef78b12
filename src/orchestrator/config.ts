// The reference orchestrator's configuration: command line first, then the
// environment, then defaults. Resolved once at start; pure (no I/O).
//
//   --port N               SYSDIG_ORCHESTRATOR_PORT (the agents' name for it, as in the
//                          stack template) or ORCHESTRATOR_PORT (default 6667; 0 = ephemeral)
//   --host ADDR            ORCHESTRATOR_HOST (default 0.0.0.0)
//   --access-key KEY       ORCHESTRATOR_ACCESS_KEY or SYSDIG_ACCESS_KEY (required)
//   --rules-file PATH      ORCHESTRATOR_RULES_FILES (comma-separated); repeatable
//   --alerts-file PATH     ORCHESTRATOR_ALERTS_FILE
//   --alerts-stdout / --no-alerts-stdout  ORCHESTRATOR_ALERTS_STDOUT=1|0
//                          (default: on unless --alerts-file is given)
//   --tls-cert F --tls-key F  ORCHESTRATOR_TLS_CERT / ORCHESTRATOR_TLS_KEY
//   --tls-offloaded        ORCHESTRATOR_TLS_OFFLOADED=1: TLS is terminated in front of
//                          this server (a load balancer): plain HTTP on a
//                          non-loopback address is then allowed (refused otherwise)
//   --api-token TOKEN      ORCHESTRATOR_API_TOKEN: bearer token for /metrics and
//                          /v1/agents (default: the access key)
//   --max-connections N    ORCHESTRATOR_MAX_CONNECTIONS (default 10000): agent connections
//   --forward-url URL      ORCHESTRATOR_FORWARD_URL (falcosidekick, POST Falco JSON)
//   --forward-queue N      ORCHESTRATOR_FORWARD_QUEUE (default 10000)
//   --max-agents N         ORCHESTRATOR_MAX_AGENTS (default 100000): agents the dedup table remembers
//   --heartbeat-ms N       ORCHESTRATOR_HEARTBEAT_MS (default 10000; told to agents)
//   --no-precheck          ORCHESTRATOR_PRECHECK=0: check rule sets as YAML only (default:
//                          validate with the rules engine before pushing; --precheck accepted)
//   --precheck-timeout-ms N ORCHESTRATOR_PRECHECK_TIMEOUT_MS (default 30000): time the engine
//                          gets to validate a set (in a worker thread with a 512 MiB heap)
//   --log-level L          ORCHESTRATOR_LOG_LEVEL (default info)
//   --shutdown-timeout-ms N ORCHESTRATOR_SHUTDOWN_TIMEOUT_MS (default 10000)

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_ORCHESTRATOR_PORT } from '../config/load.js';

export interface OrchestratorConfig {
  host: string;
  port: number;
  accessKey: string;
  rulesFiles: string[];
  alertsFile?: string;
  alertsStdout: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsOffloaded: boolean;
  apiToken?: string;
  maxConnections: number;
  forwardUrl?: string;
  forwardQueue: number;
  maxAgents: number;
  heartbeatMs: number;
  precheck: boolean;
  precheckTimeoutMs: number;
  logLevel: string;
  shutdownTimeoutMs: number;
}

export const USAGE = `usage: orchestrator --access-key KEY [--port N] [--host ADDR] [--rules-file PATH]...
                    [--alerts-file PATH] [--alerts-stdout|--no-alerts-stdout]
                    [--tls-cert FILE --tls-key FILE | --tls-offloaded] [--api-token TOKEN]
                    [--forward-url URL] [--forward-queue N] [--max-agents N] [--max-connections N]
                    [--heartbeat-ms N] [--no-precheck] [--precheck-timeout-ms N] [--log-level LEVEL] [--shutdown-timeout-ms N]
       orchestrator --help | --version
Without --tls-cert/--tls-key it serves plain HTTP, on a loopback address only unless
--tls-offloaded says TLS is terminated in front of it.
Each option can also be set from the environment (SYSDIG_ORCHESTRATOR_PORT or ORCHESTRATOR_PORT, ORCHESTRATOR_ACCESS_KEY
or SYSDIG_ACCESS_KEY, ORCHESTRATOR_RULES_FILES (comma-separated), ORCHESTRATOR_ALERTS_FILE,
ORCHESTRATOR_TLS_CERT, ORCHESTRATOR_TLS_KEY, ORCHESTRATOR_FORWARD_URL, ...); the command line wins.`;

const bool = (v: string | undefined): boolean | undefined => (v === undefined || v === '' ? undefined : /^(1|true|yes|on)$/i.test(v));

function int(name: string, v: string | undefined, def: number, min: number, max: number): number | string {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) return `${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`;
  return n;
}

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The command line, as node:util parseArgs reads it. */
const ARGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'access-key': { type: 'string' },
  'api-token': { type: 'string' },
  'rules-file': { type: 'string', multiple: true },
  'alerts-file': { type: 'string' },
  'alerts-stdout': { type: 'boolean' },
  'no-alerts-stdout': { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-offloaded': { type: 'boolean' },
  'forward-url': { type: 'string' },
  'forward-queue': { type: 'string' },
  'max-agents': { type: 'string' },
  'max-connections': { type: 'string' },
  precheck: { type: 'boolean' },
  'no-precheck': { type: 'boolean' },
  'precheck-timeout-ms': { type: 'string' },
  'heartbeat-ms': { type: 'string' },
  'log-level': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Returns the configuration, 'help', 'version', or an error message (print it with USAGE, exit 2). */
export function parseOrchestratorConfig(argv: string[], env: Record<string, string | undefined>): OrchestratorConfig | string {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: ARGS, strict: true, allowPositionals: false });
  } catch (e) {
    return (e as Error).message;
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (v.help) return 'help';
  if (v.version) return 'version';
  // `--name value` options, by their flag (the messages below name the flag)
  const a: Record<string, string | undefined> = {};
  for (const [name, spec] of Object.entries(ARGS)) if (spec.type === 'string' && !('multiple' in spec)) a[`--${name}`] = v[name] as string | undefined;
  const rules = (v['rules-file'] as string[] | undefined) ?? [];
  // a flag and its --no- form: the later one on the command line wins
  const lastOf = (on: string, off: string): boolean | undefined => {
    const i = argv.lastIndexOf(`--${on}`);
    const j = argv.lastIndexOf(`--${off}`);
    return i < 0 && j < 0 ? undefined : i > j;
  };
  const stdoutFlag = lastOf('alerts-stdout', 'no-alerts-stdout');
  const precheck = lastOf('precheck', 'no-precheck');
  const offloaded = v['tls-offloaded'] ? true : undefined;
  const port = int('--port', a['--port'] ?? (env.SYSDIG_ORCHESTRATOR_PORT || undefined) ?? env.ORCHESTRATOR_PORT, DEFAULT_ORCHESTRATOR_PORT, 0, 65535);
  if (typeof port === 'string') return port;
  const forwardQueue = int('--forward-queue', a['--forward-queue'] ?? env.ORCHESTRATOR_FORWARD_QUEUE, 10_000, 1, 10_000_000);
  if (typeof forwardQueue === 'string') return forwardQueue;
  const maxAgents = int('--max-agents', a['--max-agents'] ?? env.ORCHESTRATOR_MAX_AGENTS, 100_000, 1, 100_000_000);
  if (typeof maxAgents === 'string') return maxAgents;
  const maxConnections = int('--max-connections', a['--max-connections'] ?? env.ORCHESTRATOR_MAX_CONNECTIONS, 10_000, 1, 1_000_000);
  if (typeof maxConnections === 'string') return maxConnections;
  const precheckTimeoutMs = int('--precheck-timeout-ms', a['--precheck-timeout-ms'] ?? env.ORCHESTRATOR_PRECHECK_TIMEOUT_MS, 30_000, 100, 600_000);
  if (typeof precheckTimeoutMs === 'string') return precheckTimeoutMs;
  const heartbeatMs = int('--heartbeat-ms', a['--heartbeat-ms'] ?? env.ORCHESTRATOR_HEARTBEAT_MS, 10_000, 100, 3_600_000);
  if (typeof heartbeatMs === 'string') return heartbeatMs;
  const shutdownTimeoutMs = int('--shutdown-timeout-ms', a['--shutdown-timeout-ms'] ?? env.ORCHESTRATOR_SHUTDOWN_TIMEOUT_MS, 10_000, 0, 600_000);
  if (typeof shutdownTimeoutMs === 'string') return shutdownTimeoutMs;
  const accessKey = a['--access-key'] ?? env.ORCHESTRATOR_ACCESS_KEY ?? env.SYSDIG_ACCESS_KEY ?? '';
  if (accessKey === '') return 'an access key is required (--access-key, ORCHESTRATOR_ACCESS_KEY or SYSDIG_ACCESS_KEY)';
  const rulesFiles = rules.length ? rules : (env.ORCHESTRATOR_RULES_FILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const tlsCert = a['--tls-cert'] ?? env.ORCHESTRATOR_TLS_CERT;
  const tlsKey = a['--tls-key'] ?? env.ORCHESTRATOR_TLS_KEY;
  if (!!tlsCert !== !!tlsKey) return '--tls-cert and --tls-key go together';
  const host = a['--host'] ?? env.ORCHESTRATOR_HOST ?? '0.0.0.0';
  const tlsOffloaded = offloaded ?? bool(env.ORCHESTRATOR_TLS_OFFLOADED) ?? false;
  // The access key and every alert would cross the network in clear.
  if (!tlsCert && !tlsOffloaded && !isLoopback(host))
    return `refusing to serve plain HTTP on ${host}: give --tls-cert/--tls-key, or --tls-offloaded if TLS is terminated in front of this server, or listen on a loopback address (--host 127.0.0.1)`;
  const apiToken = a['--api-token'] ?? env.ORCHESTRATOR_API_TOKEN;
  const alertsFile = a['--alerts-file'] ?? env.ORCHESTRATOR_ALERTS_FILE;
  const forwardUrl = a['--forward-url'] ?? env.ORCHESTRATOR_FORWARD_URL;
  if (forwardUrl) {
    try {
      const u = new URL(forwardUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return `--forward-url must be http(s): ${forwardUrl}`;
    } catch {
      return `--forward-url is not a URL: ${forwardUrl}`;
    }
  }
  // The logger's level names (src/logging), `warning` as the agent's SYSDIG_LOGGING spells it.
  const rawLevel = (a['--log-level'] ?? env.ORCHESTRATOR_LOG_LEVEL ?? 'info').trim().toLowerCase();
  const logLevel = rawLevel === 'warning' ? 'warn' : rawLevel;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    return `--log-level: expected one of fatal, error, warn(ing), info, debug, trace, silent, got ${JSON.stringify(rawLevel)}`;
  }
  const cfg: OrchestratorConfig = {
    host,
    port,
    accessKey,
    rulesFiles,
    alertsStdout: stdoutFlag ?? bool(env.ORCHESTRATOR_ALERTS_STDOUT) ?? !alertsFile,
    forwardQueue,
    maxAgents,
    maxConnections,
    tlsOffloaded,
    heartbeatMs,
    precheck: precheck ?? bool(env.ORCHESTRATOR_PRECHECK) ?? true,
    precheckTimeoutMs,
    logLevel,
    shutdownTimeoutMs,
  };
  if (alertsFile) cfg.alertsFile = alertsFile;
  if (tlsCert) cfg.tlsCert = tlsCert;
  if (tlsKey) cfg.tlsKey = tlsKey;
  if (apiToken) cfg.apiToken = apiToken;
  if (forwardUrl) cfg.forwardUrl = forwardUrl;
  return cfg;
}
