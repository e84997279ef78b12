// Where the agent's orchestrator link connects, from the agent's
// configuration (src/config, the one reader of SYSDIG_*; docs/configuration.md):
// SYSDIG_ORCHESTRATOR:SYSDIG_ORCHESTRATOR_PORT, else
// SYSDIG_COLLECTOR:SYSDIG_COLLECTOR_PORT; TLS by default
// (`--no-orchestrator-tls` for plaintext, `--orchestrator-ca FILE`,
// `--no-check-certificate`). Pure.

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
 * The target from a loaded AgentConfig: orchestrator first, else collector
 * (TLS unless turned off; always for the collector); undefined when neither
 * is configured.
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
