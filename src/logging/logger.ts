// The agent's own logger: pino (in-process, no worker thread) writing one JSON
// object per line to a LineSink (TCP to the logwriter sidecar, stderr when
// nothing listens). Options are resolved once here; the per-line path is
// pino's plus one try/catch, so logging can never throw into the agent.
import { pino, type Logger as PinoLogger } from 'pino';
import { LineSink, type LineSinkStats } from './destination.js';
import { CRITICAL_LEVEL_VALUE, parseLogLevel, type LogLevelName, type ParsedLogLevel } from './levels.js';

export const DEFAULT_LOG_HOST = '127.0.0.1';
export const DEFAULT_LOG_PORT = 32000;
/** Default bound on bytes the logger holds in memory. */
export const DEFAULT_LOG_BUFFER_BYTES = 256 * 1024;

export interface CreateLoggerOptions {
  /** Raw SYSDIG_LOGGING value (unset/unknown: minimal start-up logs). */
  level?: string;
  /** Added to every line as `name`. */
  name?: string;
  /** Default: env SYSDIG_LOG_HOST, else 127.0.0.1. */
  host?: string;
  /** Default 32000 (the agent passes SYSDIG_LOG_PORT from its configuration). */
  port?: number;
  /** Fallback when nothing listens on host:port. Default process.stderr. */
  stderr?: NodeJS.WritableStream;
  /** Bound on bytes held in memory while disconnected/backpressured. Default 256 KiB. */
  bufferBytes?: number;
  /** Reconnect backoff bounds (ms). Defaults 100 and 5000. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Default 1000 ms. */
  connectTimeoutMs?: number;
}

/** `log.info('msg')` or `log.info({ key: value }, 'msg')`, as in pino. */
export interface LogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

export type LogStats = LineSinkStats;

export interface AgentLogger {
  fatal: LogFn;
  critical: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  /** A start-up line: printed at every level except silent (printed with level "info"). */
  startup: LogFn;
  /** The effective threshold (`silent` prints nothing). */
  readonly level: LogLevelName;
  /** A logger that adds `bindings` to every line; shares the connection. */
  child(bindings: Record<string, unknown>): AgentLogger;
  /** Accepts pino names, `warning`, `critical` and `startup`. */
  isLevelEnabled(level: string): boolean;
  /** Best effort: wait until buffered lines are written out, at most timeoutMs (default 1000). */
  flush(timeoutMs?: number): Promise<void>;
  stats(): LogStats;
  /** Stop reconnecting and close the connection; later lines are dropped. */
  close(): void;
}

type Levels = 'critical';
type Pino = PinoLogger<Levels>;
type MethodName = 'fatal' | 'critical' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const METHODS: readonly MethodName[] = ['fatal', 'critical', 'error', 'warn', 'info', 'debug', 'trace'];

function noop(): void {}

/**
 * The one log line format of every program (agent, orchestrator, logwriter,
 * CloudFormation macro): pino's JSON with the level as its name
 * ("level":"info", not 30), an ISO time, the pid and the program's name.
 */
export function lineFormat(name: string | undefined, level: string) {
  return {
    level,
    ...(name !== undefined ? { name } : {}),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
}

/**
 * A logger in that format on stderr, written synchronously (a program that
 * exits right after a fatal line still prints it). `redact`: paths whose
 * values are replaced by "[redacted]" (secrets). Throws on an unknown level.
 */
export function createStderrLogger(name: string, level = 'info', opts: { redact?: readonly string[] } = {}): PinoLogger {
  const redact = opts.redact?.length ? { redact: { paths: [...opts.redact], censor: '[redacted]' } } : {};
  return pino({ ...lineFormat(name, level), ...redact }, pino.destination({ fd: 2, sync: true }));
}


/** One bound method per level, built once; a disabled level is a no-op. */
function method(p: Pino, name: MethodName): LogFn {
  if (!p.isLevelEnabled(name)) return noop;
  const fn = p[name] as unknown as (this: Pino, a: unknown, b?: string) => void;
  return function log(a: unknown, b?: string): void {
    try {
      if (b === undefined) fn.call(p, a);
      else fn.call(p, a, b);
    } catch {
      /* logging never throws */
    }
  };
}

function normalizeLevelName(level: string): string {
  const l = level.trim().toLowerCase();
  return l === 'warning' ? 'warn' : l;
}

function build(p: Pino | null, parsed: ParsedLogLevel, sink: LineSink | null): AgentLogger {
  const startupPino = p && parsed.startup ? p.child({}, { level: 'info' }) : null;
  const stats = (): LogStats => sink?.stats() ?? { lines: 0, dropped: 0, connected: false, bufferedBytes: 0 };
  const logger: AgentLogger = {
    fatal: p ? method(p, 'fatal') : noop,
    critical: p ? method(p, 'critical') : noop,
    error: p ? method(p, 'error') : noop,
    warn: p ? method(p, 'warn') : noop,
    info: p ? method(p, 'info') : noop,
    debug: p ? method(p, 'debug') : noop,
    trace: p ? method(p, 'trace') : noop,
    startup: startupPino ? method(startupPino, 'info') : noop,
    level: parsed.level,
    child(bindings) {
      try {
        return build(p ? p.child(bindings) : null, parsed, sink);
      } catch {
        return logger;
      }
    },
    isLevelEnabled(level) {
      const l = normalizeLevelName(level);
      if (l === 'startup') return parsed.startup;
      if (!p || !(METHODS as readonly string[]).includes(l)) return false;
      try {
        return p.isLevelEnabled(l);
      } catch {
        return false;
      }
    },
    flush(timeoutMs = 1000) {
      return sink ? sink.flush(timeoutMs) : Promise.resolve();
    },
    stats,
    close() {
      sink?.close();
    },
  };
  return logger;
}

/**
 * Create the agent logger. Never throws; with level `silent` nothing is
 * written and no connection is made.
 */
export function createLogger(opts: CreateLoggerOptions = {}): AgentLogger {
  const parsed = parseLogLevel(opts.level);
  if (parsed.level === 'silent') return build(null, parsed, null);
  try {
    const sink = new LineSink({
      host: opts.host ?? DEFAULT_LOG_HOST,
      port: opts.port ?? DEFAULT_LOG_PORT,
      stderr: opts.stderr ?? process.stderr,
      maxBufferBytes: opts.bufferBytes ?? DEFAULT_LOG_BUFFER_BYTES,
      reconnectMinMs: opts.reconnectMinMs ?? 100,
      reconnectMaxMs: opts.reconnectMaxMs ?? 5000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 1000,
      ...(opts.name !== undefined ? { name: opts.name } : {}),
    });
    const p = pino<Levels>({ ...lineFormat(opts.name, parsed.level), customLevels: { critical: CRITICAL_LEVEL_VALUE } }, sink);
    return build(p, parsed, sink);
  } catch {
    return build(null, parsed, null);
  }
}
