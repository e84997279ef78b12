// bin/orchestrator's entry: resolve the configuration, open the alert writer
// (recovering the dedup journal), load the rules, start the server, and shut
// down gracefully on SIGTERM/SIGINT (stop accepting, close agents, drain the
// forwarder, close the file). Logs go to stderr as JSON lines (pino); alerts
// go to stdout and/or --alerts-file. Exit codes: 0 clean shutdown, 1 start-up
// failure, 2 usage error.

import { createStderrLogger } from '../logging/logger.js';
import { AGENT_VERSION } from '../util/version.js';
import { AlertWriter } from './alert-writer.js';
import { USAGE, parseOrchestratorConfig } from './config.js';
import { Forwarder } from './forwarder.js';
import { REDACT_PATHS } from './redact.js';
import { RuleStore, VALIDATE_FLAG, validateWorkerMain, workerValidator } from './rule-store.js';
import { createOrchestratorServer } from './server.js';

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  if (argv[0] === VALIDATE_FLAG) return validateWorkerMain();
  const cfg = parseOrchestratorConfig(argv, env);
  if (typeof cfg === 'string') {
    if (cfg === 'help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (cfg === 'version') {
      process.stdout.write(`orchestrator ${AGENT_VERSION}\n`);
      return 0;
    }
    process.stderr.write(`orchestrator: ${cfg}\n${USAGE}\n`);
    return 2;
  }
  // Secrets are kept out of log lines where they are made; the redaction is the second line of defence.
  const log = createStderrLogger('orchestrator', cfg.logLevel, { redact: REDACT_PATHS });
  const writer = new AlertWriter({ file: cfg.alertsFile, stdout: cfg.alertsStdout, logger: log, maxAgents: cfg.maxAgents });
  try {
    await writer.open();
  } catch (e) {
    log.fatal({ file: cfg.alertsFile, err: (e as Error).message }, 'cannot open the alerts file');
    return 1;
  }
  const validate = cfg.precheck ? workerValidator({ timeoutMs: cfg.precheckTimeoutMs }) : undefined;
  if (!cfg.precheck) log.warn('--no-precheck: rule sets are checked as YAML only; the agents find what else is wrong');
  const rules = new RuleStore({ paths: cfg.rulesFiles, logger: log, validate });
  await rules.start();
  if (cfg.rulesFiles.length === 0) log.warn('no --rules-file given: agents run their embedded rules');
  const forwarder = cfg.forwardUrl ? new Forwarder({ url: cfg.forwardUrl, logger: log, queueMax: cfg.forwardQueue }) : undefined;
  let server;
  try {
    server = createOrchestratorServer({ host: cfg.host, port: cfg.port, accessKey: cfg.accessKey, apiToken: cfg.apiToken, maxConnections: cfg.maxConnections, tlsCert: cfg.tlsCert, tlsKey: cfg.tlsKey, heartbeatMs: cfg.heartbeatMs, rules, writer, forwarder, logger: log });
  } catch (e) {
    log.fatal({ err: (e as Error).message }, 'cannot create the server (TLS certificate/key?)');
    return 1;
  }
  let port: number;
  try {
    port = await server.listen();
  } catch (e) {
    log.fatal({ host: cfg.host, port: cfg.port, err: (e as Error).message }, 'cannot listen');
    return 1;
  }
  if (cfg.tlsOffloaded && !cfg.tlsCert) log.warn({ host: cfg.host }, '--tls-offloaded: serving plain HTTP; TLS must be terminated in front of this server');
  log.info({ host: cfg.host, port, tls: !!cfg.tlsCert, alertsFile: cfg.alertsFile ?? null, alertsStdout: cfg.alertsStdout, forwardUrl: cfg.forwardUrl ?? null, rulesFiles: cfg.rulesFiles, ruleSetVersion: rules.get()?.version ?? null }, 'orchestrator listening');

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      rules.stop();
      await server.close(cfg.shutdownTimeoutMs);
      if (forwarder) await forwarder.close(cfg.shutdownTimeoutMs);
      writer.close();
      log.info({ stats: server.stats() }, 'orchestrator stopped');
      await new Promise<void>((r) => (process.stdout.writableLength ? process.stdout.write('', () => r()) : r()));
      resolve(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}
