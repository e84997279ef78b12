// The agent <-> orchestrator wire protocol, version 1 (docs/protocol.md):
// message types, encoders and validators. Every inbound frame goes through
// `parseAgentMessage` / `parseOrchestratorMessage`, which never throw: a
// malformed frame yields `{ ok: false, error }` for the caller to log and ignore.
// Owns nothing at run time; plain data and pure functions only.

import { PRIORITIES, type FalcoAlert } from '../model/alert.js';

export const PROTOCOL_VERSION = 1;
/** The WebSocket path the orchestrator serves agents on. */
export const AGENT_PATH = '/v1/agent';
/** WebSocket close codes used by the protocol (4000-4999 are application codes). */
export const CLOSE_AUTH_FAILED = 4001;
export const CLOSE_PROTOCOL_ERROR = 4002;
export const CLOSE_HELLO_TIMEOUT = 4003;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_TRY_LATER = 1013;

// ---- limits (docs/protocol.md, "Limits") ----
/** Largest frame either side accepts from an authenticated peer. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Bytes the orchestrator reads from a connection before its hello succeeded (a hello is a few hundred bytes). */
export const PREAUTH_MAX_BYTES = 64 * 1024;
/** Largest rule set the orchestrator pushes (the encoded `ruleset` frame); well under MAX_FRAME_BYTES. */
export const MAX_RULESET_BYTES = 32 * 1024 * 1024;
/**
 * Sequence window per session: a batch is accepted only if its last
 * sequence is at most (highest contiguous stored, or the batch's oldestSeq
 * - 1 if higher) + SEQ_WINDOW. An agent keeps at most 5,000 alerts in
 * flight, so this is far above what an honest agent needs.
 */
export const SEQ_WINDOW = 100_000;
/** A session id: at least 128 bits of randomness, base64url (the agent makes 256). */
export const SESSION_ID_RE = /^[A-Za-z0-9_-]{22,200}$/;

export interface ContainerIdentity {
  id?: string;
  name?: string;
  image?: string;
  hostname?: string;
}
export interface TaskIdentity {
  arn?: string;
  family?: string;
  revision?: string;
  cluster?: string;
  availabilityZone?: string;
}
export interface RuleFile {
  name: string;
  content: string;
}

// ---- agent -> orchestrator ----
export interface HelloMsg {
  type: 'hello';
  protocol: number;
  agentId: string;
  /**
   * Secret, unguessable id of this agent process (random, made at start).
   * Keys the orchestrator's dedup state; never listed or logged (only a hash).
   */
  sessionId: string;
  accessKey: string;
  agentVersion: string;
  container: ContainerIdentity;
  task?: TaskIdentity;
  /** The version of the rule set the agent runs now (null: none / embedded without version). */
  ruleSetVersion: string | null;
}
export interface AlertsMsg {
  type: 'alerts';
  /** Sequence number of alerts[0]; alerts[i] has firstSeq + i. Sequences start at 1 per session. */
  firstSeq: number;
  alerts: FalcoAlert[];
  /**
   * The oldest sequence the agent still holds: it will never send a lower
   * one, so lower sequences not stored by now are lost (counted as gaps).
   */
  oldestSeq?: number;
}
export interface HeartbeatMsg {
  type: 'heartbeat';
  time: string;
  counters: Record<string, number>;
}
export interface RuleSetResultMsg {
  type: 'ruleset_result';
  version: string;
  ok: boolean;
  errors: string[];
  degraded: string[];
}
export type AgentMessage = HelloMsg | AlertsMsg | HeartbeatMsg | RuleSetResultMsg;

// ---- orchestrator -> agent ----
export interface WelcomeMsg {
  type: 'welcome';
  protocol: number;
  orchestratorVersion: string;
  /** Highest sequence of this session the orchestrator has durably stored with every lower one (0: none). */
  ackedSeq: number;
  /** Version of the rule set the orchestrator serves (null: it serves none). */
  ruleSetVersion: string | null;
  heartbeatMs: number;
}
export interface AckMsg {
  type: 'ack';
  /** Cumulative: every alert with sequence <= seq is durably stored (never past an unstored one). */
  seq: number;
}
export interface RuleSetMsg {
  type: 'ruleset';
  version: string;
  files: RuleFile[];
}
export interface ErrorMsg {
  type: 'error';
  code: 'auth_failed' | 'unsupported_protocol' | 'bad_message' | 'hello_required' | 'internal';
  message: string;
}
export type OrchestratorMessage = WelcomeMsg | AckMsg | RuleSetMsg | ErrorMsg;

export type Parsed<T> = { ok: true; msg: T } | { ok: false; error: string };

// ---- small validators (no dependency; errors are values) ----
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

const PRIORITY_NAMES = new Set<string>(PRIORITIES);
const MAX_STR = 1 << 20;

function decode(data: unknown): Parsed<Obj> {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (Buffer.isBuffer(data)) text = data.toString('utf8');
  else if (Array.isArray(data) && data.every((b) => Buffer.isBuffer(b))) text = Buffer.concat(data as Buffer[]).toString('utf8');
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString('utf8');
  else return { ok: false, error: 'frame is not text' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (!isObj(v)) return { ok: false, error: 'message is not a JSON object' };
  if (!isStr(v.type)) return { ok: false, error: 'message has no string "type"' };
  return { ok: true, msg: v };
}

/** Checks the Falco JSON alert shape (the same checks falcosidekick makes, plus types). */
export function validateAlert(a: unknown): string | undefined {
  if (!isObj(a)) return 'alert is not an object';
  if (!isStr(a.time) || a.time === '') return 'alert.time missing';
  if (!isStr(a.rule) || a.rule === '') return 'alert.rule missing';
  if (!isStr(a.priority) || !PRIORITY_NAMES.has(a.priority)) return `alert.priority invalid: ${String(a.priority)}`;
  if (!isStr(a.output)) return 'alert.output missing';
  if (a.source !== undefined && !isStr(a.source)) return 'alert.source not a string';
  if (a.hostname !== undefined && !isStr(a.hostname)) return 'alert.hostname not a string';
  if (!Array.isArray(a.tags) || !a.tags.every(isStr)) return 'alert.tags not a string array';
  if (!isObj(a.output_fields)) return 'alert.output_fields not an object';
  for (const v of Object.values(a.output_fields)) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return 'alert.output_fields has a non-scalar value';
  }
  return undefined;
}

const CONTAINER_KEYS = ['id', 'name', 'image', 'hostname'] as const;
const TASK_KEYS = ['arn', 'family', 'revision', 'cluster', 'availabilityZone'] as const;
const MAX_IDENTITY = 1024;

/** The known identity keys as strings: numbers and booleans become text, anything else is left out. */
export function identityStrings(o: unknown, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(o)) return out;
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string') out[k] = v.slice(0, MAX_IDENTITY);
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}
/** The same coercion for the agent's side (what it puts in hello). */
export const containerStrings = (o: unknown): ContainerIdentity => identityStrings(o, CONTAINER_KEYS);
export const taskStrings = (o: unknown): TaskIdentity => identityStrings(o, TASK_KEYS);

function validateRuleFiles(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'files is not an array';
  for (const f of v) {
    if (!isObj(f) || !isStr(f.name) || f.name === '' || !isStr(f.content)) return 'files[] entries need string name and content';
  }
  return undefined;
}

function isCounters(v: unknown): v is Record<string, number> {
  return isObj(v) && Object.values(v).every((n) => typeof n === 'number' && Number.isFinite(n));
}

/** Validates a frame received by the orchestrator. Never throws. */
export function parseAgentMessage(data: unknown): Parsed<AgentMessage> {
  const d = decode(data);
  if (!d.ok) return d;
  const m = d.msg;
  switch (m.type) {
    case 'hello': {
      if (!isSeq(m.protocol)) return { ok: false, error: 'hello.protocol missing' };
      if (!isStr(m.agentId) || m.agentId === '' || m.agentId.length > 200) return { ok: false, error: 'hello.agentId missing' };
      if (!isStr(m.sessionId) || !SESSION_ID_RE.test(m.sessionId)) return { ok: false, error: 'hello.sessionId missing or not 22-200 base64url characters' };
      if (!isStr(m.accessKey)) return { ok: false, error: 'hello.accessKey missing' };
      if (!isStr(m.agentVersion)) return { ok: false, error: 'hello.agentVersion missing' };
      if (!isObj(m.container)) return { ok: false, error: 'hello.container invalid' };
      if (m.task !== undefined && m.task !== null && !isObj(m.task)) return { ok: false, error: 'hello.task invalid' };
      if (m.ruleSetVersion !== null && !isStr(m.ruleSetVersion)) return { ok: false, error: 'hello.ruleSetVersion invalid' };
      // Identity fields come from ECS metadata, whose types vary (a numeric
      // label, say): coerced, never a reason to refuse an agent.
      const msg = { ...m, container: identityStrings(m.container, CONTAINER_KEYS) } as Obj;
      if (isObj(m.task)) msg.task = identityStrings(m.task, TASK_KEYS);
      else delete msg.task;
      return { ok: true, msg: msg as unknown as HelloMsg };
    }
    case 'alerts': {
      if (!isSeq(m.firstSeq) || m.firstSeq < 1) return { ok: false, error: 'alerts.firstSeq invalid' };
      if (!Array.isArray(m.alerts) || m.alerts.length === 0) return { ok: false, error: 'alerts.alerts empty or not an array' };
      if (m.oldestSeq !== undefined && (!isSeq(m.oldestSeq) || m.oldestSeq < 1 || m.oldestSeq > m.firstSeq)) return { ok: false, error: 'alerts.oldestSeq invalid' };
      for (let i = 0; i < m.alerts.length; i++) {
        const err = validateAlert(m.alerts[i]);
        if (err) return { ok: false, error: `alerts[${i}]: ${err}` };
      }
      return { ok: true, msg: m as unknown as AlertsMsg };
    }
    case 'heartbeat':
      if (!isStr(m.time) || !isCounters(m.counters)) return { ok: false, error: 'heartbeat needs time and numeric counters' };
      return { ok: true, msg: m as unknown as HeartbeatMsg };
    case 'ruleset_result':
      if (!isStr(m.version) || typeof m.ok !== 'boolean') return { ok: false, error: 'ruleset_result needs version and ok' };
      if (!Array.isArray(m.errors) || !m.errors.every(isStr)) return { ok: false, error: 'ruleset_result.errors invalid' };
      if (!Array.isArray(m.degraded) || !m.degraded.every(isStr)) return { ok: false, error: 'ruleset_result.degraded invalid' };
      return { ok: true, msg: m as unknown as RuleSetResultMsg };
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(m.type).slice(0, 64)}` };
  }
}

/** Validates a frame received by the agent. Never throws. */
export function parseOrchestratorMessage(data: unknown): Parsed<OrchestratorMessage> {
  const d = decode(data);
  if (!d.ok) return d;
  const m = d.msg;
  switch (m.type) {
    case 'welcome':
      if (!isSeq(m.protocol) || !isSeq(m.ackedSeq)) return { ok: false, error: 'welcome needs protocol and ackedSeq' };
      if (m.ruleSetVersion !== null && !isStr(m.ruleSetVersion)) return { ok: false, error: 'welcome.ruleSetVersion invalid' };
      if (!isSeq(m.heartbeatMs)) return { ok: false, error: 'welcome.heartbeatMs invalid' };
      if (!isStr(m.orchestratorVersion)) return { ok: false, error: 'welcome.orchestratorVersion invalid' };
      return { ok: true, msg: m as unknown as WelcomeMsg };
    case 'ack':
      if (!isSeq(m.seq)) return { ok: false, error: 'ack.seq invalid' };
      return { ok: true, msg: m as unknown as AckMsg };
    case 'ruleset': {
      if (!isStr(m.version) || m.version === '' || m.version.length > MAX_STR) return { ok: false, error: 'ruleset.version invalid' };
      const err = validateRuleFiles(m.files);
      if (err) return { ok: false, error: `ruleset: ${err}` };
      return { ok: true, msg: m as unknown as RuleSetMsg };
    }
    case 'error':
      if (!isStr(m.code) || !isStr(m.message)) return { ok: false, error: 'error needs code and message' };
      return { ok: true, msg: m as unknown as ErrorMsg };
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(m.type).slice(0, 64)}` };
  }
}

export function encode(msg: AgentMessage | OrchestratorMessage): string {
  return JSON.stringify(msg);
}

/** Field names whose values never reach a log line (matched case-insensitively, at any depth). */
const SECRET_KEY_RE = /access_?key|session_?id|secret|token|password|authorization/i;

function redact(v: unknown, depth = 0): unknown {
  if (depth > 20) return '[deep]';
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY_RE.test(k) ? '[redacted]' : redact(x, depth + 1);
  return out;
}

/**
 * A raw frame shortened for a log line, with secrets redacted by field: a
 * JSON frame is parsed and every secret-named field replaced; a frame that
 * is not JSON has `"name": "value"` pairs of secret-named fields blanked the
 * same way (it may be a truncated hello).
 */
export function preview(data: unknown, max = 120): string {
  let s: string;
  if (typeof data === 'string') s = data.slice(0, 1 << 20);
  else if (Buffer.isBuffer(data)) s = data.subarray(0, 1 << 20).toString('utf8');
  else if (Array.isArray(data) && data.every((b) => Buffer.isBuffer(b))) s = Buffer.concat(data as Buffer[]).subarray(0, 1 << 20).toString('utf8');
  else s = String(data);
  let out: string;
  try {
    out = JSON.stringify(redact(JSON.parse(s)));
  } catch {
    out = s.replace(/("([^"\\]|\\.)*"\s*:\s*)("([^"\\]|\\.)*"?|[^,}\s]*)/g, (all, key: string) => (SECRET_KEY_RE.test(key) ? `${key}"[redacted]"` : all));
  }
  return out.length > max ? `${out.slice(0, max)}...` : out;
}
