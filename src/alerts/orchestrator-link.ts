// The agent side of the orchestrator protocol (docs/protocol.md): one
// WebSocket connection kept alive with capped, jittered reconnects; hello and
// authentication with a secret per-process session id; alert batches with
// sequence numbers, resent from the last acknowledged one after a reconnect
// and, on a timer with backoff, whenever acknowledgements stop coming (an
// orchestrator whose disk is full acknowledges nothing until it has room);
// heartbeats with the agent's counters; rule sets handed to the caller and
// answered with the load result. TLS by default (Node's bundled roots plus
// --orchestrator-ca); plaintext only when asked, with a warning.
// Owns the connection and the AlertQueue. `send` never blocks and never
// throws; every inbound frame is validated, malformed ones are logged and ignored.

import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import WebSocket from 'ws';
import type { FalcoAlert } from '../model/alert.js';
import { AlertQueue, type AlertQueueStats, type LoggerLike } from './alert-queue.js';
import { backoffDelay } from '../util/backoff.js';
import { LogLimit } from './log-limit.js';
import {
  AGENT_PATH,
  CLOSE_AUTH_FAILED,
  CLOSE_TOO_BIG,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  containerStrings,
  encode,
  parseOrchestratorMessage,
  preview,
  taskStrings,
  type ContainerIdentity,
  type OrchestratorMessage,
  type RuleFile,
  type TaskIdentity,
} from './protocol.js';

export type { LoggerLike } from './alert-queue.js';

export interface RuleSetPush {
  version: string;
  files: RuleFile[];
}
export interface RuleSetLoadResult {
  ok: boolean;
  errors: string[];
  /** Rules loaded but not fully effective (e.g. they need a syscall the running seccomp filter does not stop on). */
  degraded?: string[];
  /** Rules the set enables, when the loader knows (0 is logged as an error: detection is off). */
  rules?: number;
}

export interface OrchestratorLinkOptions {
  /** Full URL (ws:// or wss://); otherwise built from host/port/tls and the protocol path. */
  url?: string;
  host?: string;
  port?: number;
  tls: boolean;
  /** CA certificate: PEM contents, or a path to a PEM file. */
  ca?: string;
  checkCertificate: boolean;
  accessKey: string;
  hello: {
    agentVersion: string;
    container: ContainerIdentity;
    task?: TaskIdentity;
    /** Stable id for dedup; default: a random UUID per process. */
    agentId?: string;
  };
  ruleSetVersion: () => string | undefined;
  counters: () => Record<string, number>;
  onRuleSet: (set: RuleSetPush) => Promise<RuleSetLoadResult>;
  /** Unacknowledged alerts kept in memory (default 10000). */
  queueMax?: number;
  /** On-disk spool directory; omitted or unwritable: memory only. */
  spoolDir?: string;
  spoolMaxBytes?: number;
  logger: LoggerLike;
  /** Reconnect backoff bounds (defaults 250 ms .. 15 s). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Heartbeat period until the orchestrator's welcome says otherwise (default 10 s). */
  heartbeatMs?: number;
  /** Alerts per batch frame (default 500). */
  batchMax?: number;
  /** Sent but unacknowledged alerts allowed in flight (default 5000). */
  windowMax?: number;
  /** Delay to gather alerts into one batch (default 20 ms). */
  flushDelayMs?: number;
  /** Resend unacknowledged alerts after this long without an acknowledgement (default 3 s, doubling while none comes). */
  retransmitMs?: number;
  /** Cap of the resend delay (default 30 s). */
  retransmitMaxMs?: number;
}

export interface OrchestratorLinkStats extends AlertQueueStats {
  connected: boolean;
  connects: number;
  connectFailures: number;
  authFailures: number;
  malformed: number;
  batchesSent: number;
  retransmits: number;
  ruleSetsApplied: number;
  ruleSetsRejected: number;
  ruleSetVersion: string | null;
}

export interface OrchestratorLink {
  /** Queues an alert for delivery. Never blocks, never throws; when full, counts a drop. */
  send(alert: FalcoAlert): void;
  stats(): OrchestratorLinkStats;
  /** Resolves true once a rule set from the orchestrator is in force (pushed and accepted, or the orchestrator serves the version already running); false on timeout. */
  waitForRuleSet(timeoutMs: number): Promise<boolean>;
  /** Stops accepting alerts, waits up to flushTimeoutMs for every queued alert to be acknowledged, then closes. What is left is counted as dropped and logged. */
  close(flushTimeoutMs: number): Promise<void>;
  readonly agentId: string;
}

const WELCOME_TIMEOUT_MS = 10_000;

type State = 'connecting' | 'handshake' | 'ready' | 'waiting' | 'closed';

/** Node's bundled roots plus the given CA (PEM contents or a file), so minimal images without a CA bundle can verify. */
function resolveCa(ca: string | undefined, logger: LoggerLike): string[] | undefined {
  if (!ca) return undefined;
  let pem: string;
  if (ca.includes('-----BEGIN')) pem = ca;
  else {
    try {
      pem = readFileSync(ca, 'utf8');
    } catch (e) {
      logger.error({ ca, err: (e as Error).message }, 'cannot read the orchestrator CA file; verifying with the bundled roots only');
      return undefined;
    }
  }
  return [...rootCertificates, pem];
}

export function orchestratorUrl(host: string, port: number, tls: boolean): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${tls ? 'wss' : 'ws'}://${h}:${port}${AGENT_PATH}`;
}

export function createOrchestratorLink(opts: OrchestratorLinkOptions): OrchestratorLink {
  const log = opts.logger;
  const agentId = opts.hello.agentId ?? randomUUID();
  // Secret: keys this process's alerts at the orchestrator; never logged.
  const sessionId = randomBytes(32).toString('base64url');
  const url = opts.url ?? orchestratorUrl(opts.host ?? '127.0.0.1', opts.port ?? 6667, opts.tls);
  const secure = url.startsWith('wss:');
  const ca = secure ? resolveCa(opts.ca, log) : undefined;
  if (!secure) log.warn({ url }, 'orchestrator link is plaintext (--no-orchestrator-tls): the access key and alerts cross the network unencrypted');
  const retransmitMs = Math.max(10, opts.retransmitMs ?? 3000);
  const retransmitMaxMs = Math.max(retransmitMs, opts.retransmitMaxMs ?? 30_000);
  // Visible at the default (error) level, at most once a minute each.
  const unreachableLog = new LogLimit(1, 60_000);
  const dropLog = new LogLimit(1, 30_000);
  const tooBigLog = new LogLimit(1, 60_000);
  /** Connections closed for a frame too big since the last acknowledgement or applied rule set. */
  let tooBig = 0;
  const batchMax = Math.max(1, opts.batchMax ?? 500);
  const windowMax = Math.max(batchMax, opts.windowMax ?? 5000);
  const flushDelayMs = Math.max(0, opts.flushDelayMs ?? 20);
  const queue = new AlertQueue({ memMax: opts.queueMax ?? 10_000, spoolDir: opts.spoolDir, spoolMaxBytes: opts.spoolMaxBytes, name: agentId, logger: log });
  if (!opts.checkCertificate && secure) log.warn({ url }, 'orchestrator TLS certificate checking is OFF (development only)');

  let state: State = 'connecting';
  let ws: WebSocket | undefined;
  let attempt = 0;
  let heartbeatMs = opts.heartbeatMs ?? 10_000;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let retransmitTimer: NodeJS.Timeout | undefined;
  let retransmitAttempt = 0;
  /** > 0: recovering after a retransmission timeout, until everything up to this sequence is acknowledged. */
  let recoverUpTo = 0;
  let lastHeard = Date.now();
  let lastErrorText = '';
  let accepting = true;
  let ruleChain: Promise<void> = Promise.resolve();
  let rulesReady = false;
  const rulesWaiters = new Set<(ready: boolean) => void>();
  const drainWaiters = new Set<() => void>();
  const s = { connects: 0, connectFailures: 0, authFailures: 0, malformed: 0, batchesSent: 0, retransmits: 0, ruleSetsApplied: 0, ruleSetsRejected: 0 };

  function markRulesReady(): void {
    if (rulesReady) return;
    rulesReady = true;
    for (const w of rulesWaiters) w(true);
    rulesWaiters.clear();
  }

  function checkDrained(): void {
    if (queue.depth() === 0) {
      for (const w of drainWaiters) w();
      drainWaiters.clear();
    }
  }

  function sendFrame(text: string): void {
    try {
      ws?.send(text, (err) => {
        if (err) log.debug({ err: err.message }, 'orchestrator send failed (connection closing)');
      });
    } catch (e) {
      log.debug({ err: (e as Error).message }, 'orchestrator send threw');
    }
  }

  /** Sends the next unsent batch (at most max alerts); false when there is none. */
  function sendBatch(max: number): boolean {
    const batch = queue.nextBatch(max);
    if (batch.length === 0) return false;
    sendFrame(encode({ type: 'alerts', firstSeq: batch[0]!.seq, alerts: batch.map((b) => b.alert), oldestSeq: queue.oldestSeq() }));
    s.batchesSent++;
    return true;
  }

  function pump(): void {
    if (state !== 'ready' || !ws || ws.readyState !== WebSocket.OPEN) return;
    // While recovering, batches go one at a time (on the timer and on each acknowledgement).
    if (recoverUpTo === 0) {
      while (queue.hasUnsent() && queue.inFlight() < windowMax) {
        if (ws.bufferedAmount > 4 * 1024 * 1024) {
          scheduleFlush(50);
          break;
        }
        if (!sendBatch(Math.min(batchMax, windowMax - queue.inFlight()))) break;
      }
    }
    armRetransmit();
  }

  /**
   * While alerts are in flight, a timer resends if no acknowledgement comes:
   * the orchestrator acknowledges only what it stored, so a batch it could
   * not write (disk full) would otherwise wait for the next reconnect. Like
   * TCP after a timeout, it resends only the oldest unacknowledged batch and
   * then one batch per acknowledgement until all that was in flight at the
   * timeout is acknowledged: an orchestrator that is slow rather than failing
   * gets a few duplicate batches, not every agent's whole window again. The
   * delay doubles while nothing is acknowledged; any progress resets it.
   */
  function armRetransmit(): void {
    if (retransmitTimer || queue.inFlight() === 0) return;
    const delay = Math.min(retransmitMaxMs, retransmitMs * 2 ** Math.min(retransmitAttempt, 20));
    retransmitTimer = setTimeout(() => {
      retransmitTimer = undefined;
      if (state !== 'ready' || queue.inFlight() === 0) return;
      retransmitAttempt++;
      s.retransmits++;
      const acked = queue.stats().ackedSeq;
      recoverUpTo = Math.max(recoverUpTo, acked + queue.inFlight());
      log.debug({ inFlight: queue.inFlight(), ackedSeq: acked, delay }, 'no acknowledgement in time; resending the oldest unacknowledged batch');
      queue.rewind();
      sendBatch(batchMax);
      armRetransmit();
    }, delay);
    retransmitTimer.unref?.();
  }
  function resetRetransmit(): void {
    retransmitAttempt = 0;
    if (retransmitTimer) clearTimeout(retransmitTimer);
    retransmitTimer = undefined;
  }

  function scheduleFlush(delay: number): void {
    if (flushTimer) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      pump();
    }, delay);
    flushTimer.unref?.();
  }

  function allCounters(): Record<string, number> {
    let c: Record<string, number> = {};
    try {
      c = { ...opts.counters() };
    } catch (e) {
      log.debug({ err: (e as Error).message }, 'counters() threw');
    }
    const q = queue.stats();
    c.alerts_queued = q.queued;
    c.alerts_acked = q.acked;
    c.alerts_dropped = q.dropped;
    c.queue_depth = q.depth;
    c.spool_depth = q.spoolDepth;
    c.reconnects = Math.max(0, s.connects - 1);
    return c;
  }

  function startHeartbeat(): void {
    stopHeartbeat();
    heartbeatTimer = setInterval(() => {
      if (!ws || state !== 'ready') return;
      if (Date.now() - lastHeard > 3 * heartbeatMs) {
        log.warn({ silentMs: Date.now() - lastHeard }, 'orchestrator silent for 3 heartbeats; reconnecting');
        ws.terminate();
        return;
      }
      sendFrame(encode({ type: 'heartbeat', time: new Date().toISOString(), counters: allCounters() }));
      try {
        ws.ping();
      } catch {
        /* closing */
      }
    }, heartbeatMs);
    heartbeatTimer.unref?.();
  }
  function stopHeartbeat(): void {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    heartbeatTimer = undefined;
  }

  function handleRuleSet(version: string, files: RuleFile[]): void {
    ruleChain = ruleChain.then(async () => {
      let res: RuleSetLoadResult;
      try {
        res = await opts.onRuleSet({ version, files });
      } catch (e) {
        res = { ok: false, errors: [`rule set loader threw: ${(e as Error).message}`] };
      }
      const degraded = res.degraded ?? [];
      if (res.ok) {
        s.ruleSetsApplied++;
        tooBig = 0;
        if (res.rules === 0) log.error({ version }, 'the pushed rule set enables no rules: nothing is detected until another set arrives');
        if (degraded.length) log.warn({ version, degraded }, 'rule set applied; some rules are degraded');
        else log.info({ version, files: files.length }, 'rule set applied');
        markRulesReady();
      } else {
        s.ruleSetsRejected++;
        log.error({ version, errors: res.errors }, 'rule set rejected; the previous rule set stays in force');
      }
      if (ws && ws.readyState === WebSocket.OPEN) sendFrame(encode({ type: 'ruleset_result', version, ok: res.ok, errors: res.errors, degraded }));
    });
  }

  function onMessage(data: WebSocket.RawData): void {
    lastHeard = Date.now();
    const p = parseOrchestratorMessage(data);
    if (!p.ok) {
      s.malformed++;
      log.warn({ error: p.error, frame: preview(data) }, 'malformed message from the orchestrator ignored');
      return;
    }
    const m: OrchestratorMessage = p.msg;
    switch (m.type) {
      case 'welcome':
        if (state !== 'handshake') return;
        state = 'ready';
        if (tooBig === 0) attempt = 0;
        lastErrorText = '';
        if (m.heartbeatMs >= 100) heartbeatMs = m.heartbeatMs;
        queue.ack(m.ackedSeq);
        queue.rewind();
        resetRetransmit();
        recoverUpTo = 0; // a new connection resends everything unacknowledged anyway
        log.info({ url, agentId, ackedSeq: m.ackedSeq, pending: queue.depth(), ruleSetVersion: m.ruleSetVersion }, 'connected to the orchestrator');
        if (m.ruleSetVersion !== null && m.ruleSetVersion === (opts.ruleSetVersion() ?? null)) markRulesReady();
        startHeartbeat();
        checkDrained();
        pump();
        return;
      case 'ack': {
        if (state !== 'ready') return;
        const before = queue.stats().ackedSeq;
        queue.ack(m.seq);
        const acked = queue.stats().ackedSeq;
        if (acked > before) {
          resetRetransmit();
          tooBig = 0;
          if (recoverUpTo > 0 && acked >= recoverUpTo) recoverUpTo = 0;
          else if (recoverUpTo > 0) {
            // Still in what was in flight at the timeout: the next batch after the acknowledged one.
            queue.rewind();
            sendBatch(batchMax);
          }
        }
        checkDrained();
        pump();
        return;
      }
      case 'ruleset':
        if (state !== 'ready') return;
        handleRuleSet(m.version, m.files);
        return;
      case 'error':
        if (m.code === 'auth_failed') {
          s.authFailures++;
          log.error({ url, message: m.message }, 'orchestrator refused the access key (SYSDIG_ACCESS_KEY); will retry with backoff');
        } else log.error({ code: m.code, message: m.message }, 'orchestrator reported an error');
        return;
    }
  }

  function connect(): void {
    if (state === 'closed') return;
    state = 'connecting';
    let sock: WebSocket;
    try {
      sock = new WebSocket(url, {
        handshakeTimeout: 10_000,
        maxPayload: MAX_FRAME_BYTES,
        rejectUnauthorized: opts.checkCertificate,
        ...(ca ? { ca } : {}),
        perMessageDeflate: false,
      });
    } catch (e) {
      log.error({ url, err: (e as Error).message }, 'invalid orchestrator address');
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.on('open', () => {
      if (ws !== sock) return;
      s.connects++;
      state = 'handshake';
      lastHeard = Date.now();
      const welcomeTimer = setTimeout(() => {
        if (ws === sock && state === 'handshake') {
          log.warn({ url, timeoutMs: WELCOME_TIMEOUT_MS }, 'no welcome from the orchestrator; reconnecting');
          sock.terminate();
        }
      }, WELCOME_TIMEOUT_MS);
      welcomeTimer.unref?.();
      sock.once('close', () => clearTimeout(welcomeTimer));
      let rsv: string | null = null;
      try {
        rsv = opts.ruleSetVersion() ?? null;
      } catch {
        /* none */
      }
      sendFrame(
        encode({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          agentId,
          sessionId,
          accessKey: opts.accessKey,
          agentVersion: opts.hello.agentVersion,
          // ECS metadata may hold numbers or booleans (labels): sent as strings.
          container: containerStrings(opts.hello.container),
          ...(opts.hello.task ? { task: taskStrings(opts.hello.task) } : {}),
          ruleSetVersion: rsv,
        }),
      );
    });
    sock.on('message', (d) => {
      if (ws === sock) onMessage(d);
    });
    sock.on('pong', () => {
      lastHeard = Date.now();
    });
    let frameTooBig = false;
    sock.on('error', (err) => {
      if (ws !== sock) return;
      // ws closes with 1009 but the peer's socket reports 1006: the error code tells.
      if ((err as NodeJS.ErrnoException).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') frameTooBig = true;
      const text = err.message;
      // One line per distinct failure, at the default (error) level, then a
      // reminder at most once a minute while it lasts: no log spam.
      if (text !== lastErrorText) {
        unreachableLog.take(); // the reminder comes a minute after this line, not at the next attempt
        log.error({ url, err: text, queued: queue.depth() }, 'orchestrator connection error');
      }
      else {
        const t = unreachableLog.take();
        if (t) log.error({ url, err: text, attempts: attempt, queued: queue.depth() }, 'orchestrator still unreachable; alerts are queued');
        else log.debug({ url, err: text }, 'orchestrator connection error (repeat)');
      }
      lastErrorText = text;
    });
    sock.on('close', (code, reason) => {
      if (ws !== sock) return;
      stopHeartbeat();
      resetRetransmit();
      const was = state;
      ws = undefined;
      if (was === 'closed') return;
      if (code === CLOSE_TOO_BIG || frameTooBig) {
        // A frame over MAX_FRAME_BYTES (a rule set too large, say) would come
        // again after every reconnect: the backoff keeps growing instead of
        // restarting at the welcome.
        tooBig++;
        if (tooBigLog.take()) log.error({ code, maxFrameBytes: MAX_FRAME_BYTES }, 'a frame over the size limit closed the orchestrator connection; reconnecting with growing backoff');
      }
      if (was === 'ready') log.warn({ code, reason: reason.toString() }, 'orchestrator connection closed; reconnecting');
      else {
        s.connectFailures++;
        if (code === CLOSE_AUTH_FAILED) log.debug({ code }, 'closed after authentication failure');
      }
      queue.rewind();
      scheduleReconnect();
    });
  }

  function scheduleReconnect(): void {
    if (state === 'closed') return;
    state = 'waiting';
    const delay = backoffDelay(attempt++, { minMs: opts.backoffMinMs, maxMs: opts.backoffMaxMs });
    log.debug({ delay, attempt }, 'reconnecting to the orchestrator');
    reconnectTimer = setTimeout(connect, delay);
  }

  connect();

  return {
    agentId,
    send(alert: FalcoAlert): void {
      if (!accepting) {
        queue.countDrop();
        return;
      }
      let queued = true;
      try {
        queued = queue.push(alert);
      } catch {
        /* push never throws; belt and braces */
      }
      if (!queued) {
        const t = dropLog.take();
        if (t) log.error({ dropped: queue.stats().dropped, queued: queue.depth(), connected: state === 'ready' }, 'alert queue full: alerts dropped (the orchestrator is unreachable or slow)');
      }
      if (state === 'ready') scheduleFlush(flushDelayMs);
    },
    stats(): OrchestratorLinkStats {
      let rsv: string | null = null;
      try {
        rsv = opts.ruleSetVersion() ?? null;
      } catch {
        /* none */
      }
      return { ...queue.stats(), connected: state === 'ready', ...s, ruleSetVersion: rsv };
    },
    waitForRuleSet(timeoutMs: number): Promise<boolean> {
      if (rulesReady) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ready: boolean): void => {
          clearTimeout(t);
          resolve(ready);
        };
        const t = setTimeout(() => {
          rulesWaiters.delete(done);
          resolve(rulesReady);
        }, timeoutMs);
        rulesWaiters.add(done);
      });
    },
    async close(flushTimeoutMs: number): Promise<void> {
      if (state === 'closed') return;
      accepting = false;
      pump();
      if (queue.depth() > 0) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(t);
            resolve();
          };
          const t = setTimeout(() => {
            drainWaiters.delete(done);
            resolve();
          }, flushTimeoutMs);
          drainWaiters.add(done);
        });
      }
      await ruleChain.catch(() => undefined);
      const left = queue.depth();
      if (left > 0) {
        queue.abandon();
        log.error({ unacknowledged: left, flushTimeoutMs }, 'alerts not acknowledged by the orchestrator at exit; counted as dropped');
      }
      if (ws && state === 'ready') sendFrame(encode({ type: 'heartbeat', time: new Date().toISOString(), counters: allCounters() }));
      state = 'closed';
      stopHeartbeat();
      resetRetransmit();
      if (reconnectTimer) clearTimeout(reconnectTimer);
      if (flushTimer) clearTimeout(flushTimer);
      const sock = ws;
      ws = undefined;
      if (sock) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            sock.terminate();
            resolve();
          }, 1000);
          sock.once('close', () => {
            clearTimeout(t);
            resolve();
          });
          try {
            sock.close(1000, 'agent exiting');
          } catch {
            clearTimeout(t);
            resolve();
          }
        });
      }
      queue.close();
      for (const w of rulesWaiters) w(false);
      rulesWaiters.clear();
    },
  };
}
