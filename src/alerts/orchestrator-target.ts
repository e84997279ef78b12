// Where the agent's orchestrator link connects, resolved once at start from
// the deployment environment (docs/protocol.md, "Agent configuration"):
// SYSDIG_ORCHESTRATOR:SYSDIG_ORCHESTRATOR_PORT, else
// SYSDIG_COLLECTOR:SYSDIG_COLLECTOR_PORT; TLS switches from SYSDIG_EXTRA_ARGS
// (TLS by default; `--no-orchestrator-tls` for plaintext, `--orchestrator-ca
// FILE`, `--no-check-certificate`).
// Pure: no I/O; returns a value or an error string.

export interface OrchestratorTarget {
  host: string;
  port: number;
  tls: boolean;
  ca?: string;
  checkCertificate: boolean;
  accessKey: string;
  /** Which variables supplied the address. */
  via: 'orchestrator' | 'collector';
}

/** Splits SYSDIG_EXTRA_ARGS like a shell would for simple cases (quotes, no expansion). */
export function splitArgs(s: string | undefined): string[] {
  if (!s) return [];
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3] ?? ''));
  return out;
}

export interface TlsArgs {
  tls?: boolean;
  ca?: string;
  checkCertificate?: boolean;
  /** Arguments this parser did not consume (for other modules). */
  rest: string[];
}

export function parseTlsArgs(args: string[]): TlsArgs {
  const r: TlsArgs = { rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--orchestrator-tls') r.tls = true;
    else if (a === '--no-orchestrator-tls') r.tls = false;
    else if (a === '--no-check-certificate') r.checkCertificate = false;
    else if (a === '--orchestrator-ca' && i + 1 < args.length) r.ca = args[++i];
    else if (a.startsWith('--orchestrator-ca=')) r.ca = a.slice('--orchestrator-ca='.length);
    else r.rest.push(a);
  }
  return r;
}

/**
 * Resolves the target, or undefined when no orchestrator/collector is configured
 * (the agent then runs with local sinks only), or an error string.
 * TLS: on unless --no-orchestrator-tls (always for the collector, and whenever a
 * CA is given); certificate checking is on unless --no-check-certificate.
 */
export function resolveOrchestratorTarget(env: NodeJS.ProcessEnv | Record<string, string | undefined>): OrchestratorTarget | undefined | string {
  const tlsArgs = parseTlsArgs(splitArgs(env.SYSDIG_EXTRA_ARGS));
  let host: string | undefined;
  let portText: string | undefined;
  let via: OrchestratorTarget['via'];
  if (env.SYSDIG_ORCHESTRATOR) {
    host = env.SYSDIG_ORCHESTRATOR;
    portText = env.SYSDIG_ORCHESTRATOR_PORT || '6667';
    via = 'orchestrator';
  } else if (env.SYSDIG_COLLECTOR) {
    host = env.SYSDIG_COLLECTOR;
    portText = env.SYSDIG_COLLECTOR_PORT || '6443';
    via = 'collector';
  } else return undefined;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `invalid port ${JSON.stringify(portText)} for ${host}`;
  const t: OrchestratorTarget = {
    host,
    port,
    tls: tlsArgs.tls !== false || tlsArgs.ca !== undefined || via === 'collector',
    checkCertificate: tlsArgs.checkCertificate ?? true,
    accessKey: env.SYSDIG_ACCESS_KEY ?? '',
    via,
  };
  if (tlsArgs.ca !== undefined) t.ca = tlsArgs.ca;
  return t;
}

/** The fields of the agent's configuration (src/config AgentConfig) the target needs. */
export interface TargetConfigFields {
  orchestratorHost: string | undefined;
  orchestratorPort: number;
  collectorHost: string | undefined;
  collectorPort: number;
  orchestratorTls: boolean;
  orchestratorCa: string | undefined;
  checkCertificate: boolean;
  accessKey: string | undefined;
}

/**
 * The same resolution from an already-loaded AgentConfig (what bin/instrument
 * has): orchestrator first, else collector (TLS unless turned off; always for the collector);
 * undefined when neither is configured.
 */
export function targetFromConfig(c: TargetConfigFields): OrchestratorTarget | undefined {
  const via: OrchestratorTarget['via'] | undefined = c.orchestratorHost ? 'orchestrator' : c.collectorHost ? 'collector' : undefined;
  if (!via) return undefined;
  const t: OrchestratorTarget = {
    host: (via === 'orchestrator' ? c.orchestratorHost : c.collectorHost)!,
    port: via === 'orchestrator' ? c.orchestratorPort : c.collectorPort,
    tls: c.orchestratorTls || c.orchestratorCa !== undefined || via === 'collector',
    checkCertificate: c.checkCertificate,
    accessKey: c.accessKey ?? '',
    via,
  };
  if (c.orchestratorCa !== undefined) t.ca = c.orchestratorCa;
  return t;
}
