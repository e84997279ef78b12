// Public surface of the alerts stage (alerts -> sinks): the Falco alert type,
// local sinks and their fan-out, and the orchestrator link with its protocol.
// The wrapper imports from here; see docs/protocol.md.
export type { FalcoAlert, Priority } from '../model/alert.js';
export { AlertSinks, createFileSink, createLogSink, linkSink, type AlertSink, type SinkCounters } from './sinks.js';
export {
  createOrchestratorLink,
  orchestratorUrl,
  type LoggerLike,
  type OrchestratorLink,
  type OrchestratorLinkOptions,
  type OrchestratorLinkStats,
  type RuleSetLoadResult,
  type RuleSetPush,
} from './orchestrator-link.js';
export { resolveOrchestratorTarget, targetFromConfig, type OrchestratorTarget } from './orchestrator-target.js';
export { PROTOCOL_VERSION, AGENT_PATH } from './protocol.js';
export { describeLoadErrors } from '../rules/load-errors.js';
export { startAlerting, type Alerting, type AlertingOptions, type AlertingConfigFields } from './agent-alerting.js';
