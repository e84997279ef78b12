// Log fields the orchestrator's logger blanks wherever they appear (pino
// redact paths): secrets must never reach a log line even if a message object
// carrying one is logged by mistake.
export const REDACT_PATHS = [
  'accessKey', '*.accessKey', '*.*.accessKey',
  'sessionId', '*.sessionId', '*.*.sessionId',
  'apiToken', '*.apiToken',
  'authorization', '*.authorization', '*.headers.authorization',
];
