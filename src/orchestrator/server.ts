// The reference orchestrator's network side: one HTTP(S) server on one port
// serving both the agent WebSocket (path /v1/agent) and plain HTTP endpoints
// (GET /healthz, GET /metrics in Prometheus text format, GET /v1/agents).
// Owns agent sessions: hello + access-key check, rule-set pushes, alert
// batches (through the AlertWriter, acknowledged after a durable write),
// heartbeats. Every inbound frame is validated; malformed ones are logged
// (rate-limited per connection, secrets redacted) and ignored.
// Before a hello succeeds a connection may send PREAUTH_MAX_BYTES in all and
// counts against a small cap of unauthenticated connections; /metrics and
// /v1/agents need `Authorization: Bearer <api token>`.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { LoggerLike } from '../alerts/alert-queue.js';
import { LogLimit } from '../alerts/log-limit.js';
import {
  AGENT_PATH,
  CLOSE_AUTH_FAILED,
  CLOSE_GOING_AWAY,
  CLOSE_HELLO_TIMEOUT,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_TRY_LATER,
  MAX_FRAME_BYTES,
  PREAUTH_MAX_BYTES,
  PROTOCOL_VERSION,
  encode,
  parseAgentMessage,
  preview,
  type HelloMsg,
  type OrchestratorMessage,
} from '../alerts/protocol.js';
import { sessionKey, type AlertWriter } from './alert-writer.js';
import type { Forwarder } from './forwarder.js';
import type { RuleSet, RuleStore } from './rule-store.js';

export const ORCHESTRATOR_VERSION = '0.1.0';

export interface ServerOptions {
  host: string;
  port: number;
  accessKey: string;
  /** Bearer token for /metrics and /v1/agents (default: the access key). */
  apiToken?: string;
  /** Authenticated agent connections at most (default 10,000); past it a hello is answered with close 1013. */
  maxConnections?: number;
  /** Connections that have not said hello yet, at most (default 64). */
  maxPreauth?: number;
  tlsCert?: string;
  tlsKey?: string;
  heartbeatMs: number;
  rules: RuleStore;
  writer: AlertWriter;
  forwarder?: Forwarder;
  logger: LoggerLike;
  helloTimeoutMs?: number;
}

interface Session {
  ws: WebSocket;
  remote: string;
  hello?: HelloMsg;
  /** sessionKey(hello.sessionId): the dedup key. */
  key?: string;
  /** Warnings about this connection (malformed frames, refused batches): rate-limited. */
  warns: LogLimit;
  /** Stops counting pre-authentication bytes (called when the hello succeeds). */
  endPreauth?: () => void;
  lastHeard: number;
  counters: Record<string, number>;
  /** Version the agent reported running (hello or accepted push). */
  ruleSetVersion: string | null;
  pushedVersion?: string;
  connectedAt: number;
}

export interface OrchestratorServer {
  listen(): Promise<number>;
  close(timeoutMs: number): Promise<void>;
  stats(): Record<string, number>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const frameBytes = (d: WebSocket.RawData): number => (Array.isArray(d) ? d.reduce((n, b) => n + b.length, 0) : (d as Buffer).byteLength);

export function createOrchestratorServer(opts: ServerOptions): OrchestratorServer {
  const log = opts.logger;
  const keyDigest = digest(opts.accessKey);
  const apiDigest = digest(opts.apiToken ?? opts.accessKey);
  const maxConnections = opts.maxConnections ?? 10_000;
  const maxPreauth = opts.maxPreauth ?? 64;
  const sessions = new Set<Session>();
  /** Authenticated connections by session key. */
  const byAgent = new Map<string, Session>();
  let preauth = 0;
  const c = { connections: 0, connectionsRefused: 0, preauthOverflow: 0, authFailures: 0, malformed: 0, alertsReceived: 0, batches: 0, batchesRefused: 0, rulesetPushes: 0, rulesetRejected: 0, rulesetAccepted: 0 };
  // Lines any unauthenticated peer can cause, and write failures: one budget each for the whole server.
  const preauthWarns = new LogLimit(10, 10_000);
  const writeErrors = new LogLimit(3, 10_000);
  const started = Date.now();
  let closing = false;

  const server: Server = opts.tlsCert && opts.tlsKey ? createHttpsServer({ cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) }) : createHttpServer();
  // maxPayload is the authenticated limit; before hello the byte budget on the socket applies.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  server.maxConnections = maxConnections + maxPreauth + 64; // + room for /healthz and /metrics

  function send(s: Session, msg: OrchestratorMessage): void {
    if (s.ws.readyState !== WebSocket.OPEN) return;
    s.ws.send(encode(msg), (err) => {
      if (err) log.debug({ err: err.message, remote: s.remote }, 'send to agent failed');
    });
  }

  function push(s: Session, set: RuleSet): void {
    if (!s.hello || s.ruleSetVersion === set.version || s.pushedVersion === set.version) return;
    s.pushedVersion = set.version;
    c.rulesetPushes++;
    send(s, { type: 'ruleset', version: set.version, files: set.files });
    log.info({ agentId: s.hello.agentId, version: set.version }, 'rule set pushed to agent');
  }

  opts.rules.onChange((set) => {
    for (const s of sessions) push(s, set);
  });

  /** A warning about one connection, rate-limited per connection (and globally before hello). */
  function warnConn(s: Session, fields: Record<string, unknown>, msg: string): void {
    const t = s.hello ? s.warns.take() : preauthWarns.take();
    if (t) log.warn({ remote: s.remote, agentId: s.hello?.agentId, ...fields, ...(t.suppressed ? { suppressed: t.suppressed } : {}) }, msg);
  }

  function onHello(s: Session, m: HelloMsg): void {
    if (m.protocol !== PROTOCOL_VERSION) {
      send(s, { type: 'error', code: 'unsupported_protocol', message: `this orchestrator speaks protocol ${PROTOCOL_VERSION}, agent sent ${m.protocol}` });
      warnConn(s, { agentId: m.agentId, protocol: m.protocol }, 'agent refused: unsupported protocol version');
      s.ws.close(CLOSE_PROTOCOL_ERROR, 'unsupported protocol');
      return;
    }
    if (!timingSafeEqual(digest(m.accessKey), keyDigest)) {
      c.authFailures++;
      send(s, { type: 'error', code: 'auth_failed', message: 'access key refused' });
      warnConn(s, { agentId: m.agentId, container: m.container.name }, 'agent refused: wrong access key');
      s.ws.close(CLOSE_AUTH_FAILED, 'access key refused');
      return;
    }
    const key = sessionKey(m.sessionId);
    // Only the same session supersedes a connection: another process using
    // this agent's public id gets a session of its own and cannot touch it.
    const prev = byAgent.get(key);
    if (prev && prev !== s) {
      log.info({ agentId: m.agentId, session: key }, 'agent reconnected; closing its previous connection');
      prev.ws.close(CLOSE_GOING_AWAY, 'superseded');
      sessions.delete(prev);
      byAgent.delete(key);
    }
    if (byAgent.size >= maxConnections) {
      c.connectionsRefused++;
      warnConn(s, { agentId: m.agentId, maxConnections }, 'agent refused: too many agents connected');
      s.ws.close(CLOSE_TRY_LATER, 'too many agents');
      return;
    }
    s.hello = m;
    s.key = key;
    s.endPreauth?.();
    s.ruleSetVersion = m.ruleSetVersion;
    byAgent.set(key, s);
    const set = opts.rules.get();
    const ackedSeq = opts.writer.ackedSeq(key);
    send(s, {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      orchestratorVersion: ORCHESTRATOR_VERSION,
      ackedSeq,
      ruleSetVersion: set?.version ?? null,
      heartbeatMs: opts.heartbeatMs,
    });
    log.info({ remote: s.remote, agentId: m.agentId, session: key, agentVersion: m.agentVersion, container: m.container, task: m.task, ruleSetVersion: m.ruleSetVersion, ackedSeq }, 'agent connected');
    if (set) push(s, set);
  }

  function onFrame(s: Session, data: WebSocket.RawData): void {
    s.lastHeard = Date.now();
    const p = parseAgentMessage(data);
    if (!p.ok) {
      c.malformed++;
      // Before hello the frame is not shown at all (anyone can send it); after, with secrets redacted.
      warnConn(s, { error: p.error, ...(s.hello ? { frame: preview(data) } : { bytes: frameBytes(data) }) }, 'malformed message from agent ignored');
      return;
    }
    const m = p.msg;
    if (m.type === 'hello') {
      if (s.hello) warnConn(s, {}, 'second hello ignored');
      else onHello(s, m);
      return;
    }
    if (!s.hello || !s.key) {
      c.malformed++;
      send(s, { type: 'error', code: 'hello_required', message: 'send hello first' });
      warnConn(s, { type: m.type }, 'message before hello ignored');
      return;
    }
    const agentId = s.hello.agentId;
    switch (m.type) {
      case 'alerts': {
        c.batches++;
        c.alertsReceived += m.alerts.length;
        const origin = { agentId, session: s.key, container: s.hello.container.name, task: s.hello.task?.arn };
        const fwd = opts.forwarder;
        void opts.writer.write(origin, m.firstSeq, m.alerts, m.oldestSeq, fwd ? (a) => fwd.enqueue(a) : undefined).then((r) => {
          if (r.refused === 'window') {
            c.batchesRefused++;
            warnConn(s, { firstSeq: m.firstSeq, count: m.alerts.length, acked: r.acked }, 'alert batch outside the session\'s sequence window; refused');
          } else if (r.refused) {
            c.batchesRefused++;
            const t = writeErrors.take();
            if (t) log.error({ file: opts.writer.file, err: r.refused, agentId, firstSeq: m.firstSeq, count: m.alerts.length, ...(t.suppressed ? { suppressed: t.suppressed } : {}) }, 'cannot write the alerts file; batch not acknowledged (the agent will resend)');
            return; // no acknowledgement for what is not stored
          }
          send(s, { type: 'ack', seq: r.acked });
        });
        return;
      }
      case 'heartbeat':
        s.counters = m.counters;
        log.debug({ agentId, counters: m.counters }, 'heartbeat');
        return;
      case 'ruleset_result':
        if (m.ok) {
          c.rulesetAccepted++;
          s.ruleSetVersion = m.version;
          if (m.degraded.length) log.warn({ agentId, version: m.version, degraded: m.degraded }, 'agent applied the rule set; some rules degraded');
          else log.info({ agentId, version: m.version }, 'agent applied the rule set');
        } else {
          c.rulesetRejected++;
          log.error({ agentId, version: m.version, errors: m.errors.slice(0, 20), running: s.ruleSetVersion }, 'agent rejected the rule set; it keeps its previous one');
        }
        return;
    }
  }

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    c.connections++;
    const s: Session = { ws, remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`, warns: new LogLimit(5, 10_000), lastHeard: Date.now(), counters: {}, ruleSetVersion: null, connectedAt: Date.now() };
    sessions.add(s);
    // Pre-authentication budget: every byte the peer sends counts until the
    // hello succeeds; past the budget the socket is cut, so a frame of any
    // announced size costs at most the budget in memory.
    preauth++;
    let counting = true;
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > PREAUTH_MAX_BYTES) {
        c.preauthOverflow++;
        warnConn(s, { bytes: received, limit: PREAUTH_MAX_BYTES }, 'connection sent too much before hello; closed');
        req.socket.destroy();
      }
    };
    s.endPreauth = (): void => {
      if (!counting) return;
      counting = false;
      preauth--;
      req.socket.off('data', onData);
    };
    req.socket.on('data', onData);
    const helloTimer = setTimeout(() => {
      if (!s.hello && ws.readyState === WebSocket.OPEN) {
        warnConn(s, {}, 'agent sent no hello in time; closing');
        ws.close(CLOSE_HELLO_TIMEOUT, 'hello timeout');
      }
    }, opts.helloTimeoutMs ?? 10_000);
    ws.on('message', (d) => onFrame(s, d));
    ws.on('pong', () => {
      s.lastHeard = Date.now();
    });
    ws.on('error', (err) => log.debug({ remote: s.remote, err: err.message }, 'agent socket error'));
    ws.on('close', (code) => {
      clearTimeout(helloTimer);
      s.endPreauth?.();
      sessions.delete(s);
      if (s.key && byAgent.get(s.key) === s) {
        byAgent.delete(s.key);
        if (!closing) log.info({ agentId: s.hello?.agentId, session: s.key, code }, 'agent disconnected');
      }
    });
  });

  const liveness = setInterval(() => {
    const now = Date.now();
    for (const s of sessions) {
      if (now - s.lastHeard > 3 * opts.heartbeatMs) {
        log.warn({ agentId: s.hello?.agentId, remote: s.remote }, 'agent silent for 3 heartbeats; closing');
        s.ws.terminate();
      } else if (s.ws.readyState === WebSocket.OPEN) s.ws.ping();
    }
  }, opts.heartbeatMs);
  liveness.unref();

  function stats(): Record<string, number> {
    const w = opts.writer.stats();
    const f = opts.forwarder?.stats();
    const out: Record<string, number> = {
      agents_connected: byAgent.size,
      connections_total: c.connections,
      connections_refused_total: c.connectionsRefused,
      connections_preauth: preauth,
      preauth_overflow_total: c.preauthOverflow,
      auth_failures_total: c.authFailures,
      malformed_messages_total: c.malformed,
      alert_batches_total: c.batches,
      alert_batches_refused_total: c.batchesRefused,
      alerts_received_total: c.alertsReceived,
      alerts_written_total: w.written,
      alerts_duplicate_total: w.duplicates,
      dedup_sessions_known: w.sessionsKnown,
      dedup_sessions_evicted_total: w.sessionsEvicted,
      alerts_gap_total: w.gaps,
      alert_sessions_resynced_total: w.resyncs,
      alerts_write_errors_total: w.writeErrors,
      alerts_file_syncs_total: w.syncs,
      alert_batches_out_of_window_total: w.outOfWindow,
      alert_batches_out_of_order_total: w.outOfOrder,
      alerts_stdout_dropped_total: w.stdoutDropped,
      ruleset_pushes_total: c.rulesetPushes,
      ruleset_accepted_total: c.rulesetAccepted,
      ruleset_rejected_by_agents_total: c.rulesetRejected,
      ruleset_invalid_files_total: opts.rules.rejected,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
    };
    if (f) {
      out.forward_sent_total = f.forwarded;
      out.forward_retries_total = f.retries;
      out.forward_dropped_total = f.dropped;
      out.forward_queue_depth = f.depth;
    }
    return out;
  }

  function metricsText(): string {
    const lines: string[] = [];
    for (const [k, v] of Object.entries(stats())) {
      lines.push(`# TYPE orchestrator_${k} ${k.endsWith('_total') ? 'counter' : 'gauge'}`, `orchestrator_${k} ${v}`);
    }
    // Sums of the counters connected agents reported in their last heartbeat.
    const sums = new Map<string, number>();
    for (const s of byAgent.values()) for (const [k, v] of Object.entries(s.counters)) sums.set(k, (sums.get(k) ?? 0) + v);
    if (sums.size) lines.push('# TYPE orchestrator_agents_counter_sum gauge');
    for (const [k, v] of sums) lines.push(`orchestrator_agents_counter_sum{counter="${k.replace(/[^A-Za-z0-9_]/g, '_')}"} ${v}`);
    const mem = process.memoryUsage();
    lines.push('# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
    const cpu = process.cpuUsage();
    lines.push('# TYPE process_cpu_seconds_total counter', `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    const rs = opts.rules.get();
    lines.push('# TYPE orchestrator_ruleset_info gauge', `orchestrator_ruleset_info{version="${rs?.version ?? ''}"} 1`);
    return lines.join('\n') + '\n';
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') {
      if (closing) return reply(503, 'application/json', '{"status":"shutting down"}\n');
      return reply(200, 'application/json', JSON.stringify({ status: 'ok', agents: byAgent.size, ruleSetVersion: opts.rules.get()?.version ?? null }) + '\n');
    }
    if (path !== '/metrics' && path !== '/v1/agents') return reply(404, 'text/plain', 'not found\n');
    // Agent ids, identities and counters are for operators only.
    const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (!auth || !timingSafeEqual(digest(auth[1]!.trim()), apiDigest)) {
      res.setHeader('www-authenticate', 'Bearer');
      return reply(401, 'text/plain', 'authentication required (Authorization: Bearer <api token>)\n');
    }
    if (path === '/metrics') return reply(200, 'text/plain; version=0.0.4', metricsText());
    {
      const agents = [...byAgent.values()].map((s) => ({
        agentId: s.hello?.agentId,
        remote: s.remote,
        agentVersion: s.hello?.agentVersion,
        container: s.hello?.container,
        task: s.hello?.task,
        ruleSetVersion: s.ruleSetVersion,
        ackedSeq: s.key ? opts.writer.ackedSeq(s.key) : 0,
        counters: s.counters,
        connectedAt: new Date(s.connectedAt).toISOString(),
      }));
      return reply(200, 'application/json', JSON.stringify({ agents }) + '\n');
    }
  }

  server.on('request', onRequest);
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (closing || path !== AGENT_PATH) {
      socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (preauth >= maxPreauth || sessions.size >= maxConnections + maxPreauth) {
      c.connectionsRefused++;
      const t = preauthWarns.take();
      if (t) log.warn({ remote: req.socket.remoteAddress, preauth, connections: sessions.size, ...(t.suppressed ? { suppressed: t.suppressed } : {}) }, 'connection refused: too many connections (or too many without hello)');
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.on('tlsClientError', (err) => {
    const t = preauthWarns.take();
    if (t) log.warn({ err: err.message, ...(t.suppressed ? { suppressed: t.suppressed } : {}) }, 'TLS handshake with a client failed');
  });
  server.on('clientError', (err, socket) => {
    log.debug({ err: err.message }, 'HTTP client error');
    socket.destroy();
  });

  return {
    stats,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    async close(timeoutMs: number): Promise<void> {
      closing = true;
      clearInterval(liveness);
      server.close();
      // Agents get a normal close; they keep unacknowledged alerts and reconnect elsewhere/later.
      for (const s of sessions) s.ws.close(CLOSE_GOING_AWAY, 'orchestrator shutting down');
      const deadline = Date.now() + Math.min(timeoutMs, 3000);
      while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const s of sessions) s.ws.terminate();
      server.closeAllConnections?.();
    },
  };
}
