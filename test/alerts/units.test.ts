// Unit tests of the pure pieces: protocol validation, the bounded queue and
// spool, backoff, target resolution from the environment, local sinks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmp } from '../helpers.js';
import { join } from 'node:path';
import type { FalcoAlert } from '../../src/model/alert.js';
import { AlertQueue } from '../../src/alerts/alert-queue.js';
import { backoffDelay } from '../../src/util/backoff.js';
import { parseAgentMessage, parseOrchestratorMessage, preview, validateAlert } from '../../src/alerts/protocol.js';
import { LogLimit } from '../../src/alerts/log-limit.js';
import { targetFromConfig } from '../../src/alerts/orchestrator-target.js';
import { loadConfig } from '../../src/config/index.js';
import { AlertSinks, createFileSink, createLogSink } from '../../src/alerts/sinks.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const alert = (n: number): FalcoAlert => ({
  time: '2026-01-01T00:00:00.000000000Z', rule: 'r', priority: 'Warning', source: 'syscall', hostname: 'h', output: `o ${n}`, tags: ['t'], output_fields: { n },
});

test('protocol: valid messages parse, malformed ones are errors (never throws)', () => {
  const ok = parseOrchestratorMessage(JSON.stringify({ type: 'ruleset', version: 'v', files: [{ name: 'a.yaml', content: '' }] }));
  assert.ok(ok.ok);
  for (const bad of ['', 'nul', '[]', '{}', '{"type":1}', '{"type":"ack"}', '{"type":"ack","seq":1.5}', '{"type":"ruleset","version":"v","files":[{"name":""}]}', '{"type":"welcome","protocol":1}', Buffer.from([0xc3, 0x28]), 42, null, undefined]) {
    const r = parseOrchestratorMessage(bad);
    assert.is(r.ok, false, `should refuse ${String(bad)}`);
  }
  assert.ok(parseAgentMessage(JSON.stringify({ type: 'heartbeat', time: 't', counters: { a: 1 } })).ok);
  assert.not.ok(parseAgentMessage(JSON.stringify({ type: 'heartbeat', time: 't', counters: { a: 'x' } })).ok);
  assert.not.ok(parseAgentMessage(JSON.stringify({ type: 'alerts', firstSeq: 0, alerts: [alert(1)] })).ok);
  assert.ok(parseAgentMessage(JSON.stringify({ type: 'alerts', firstSeq: 1, alerts: [alert(1)] })).ok);
  assert.not.ok(parseAgentMessage(JSON.stringify({ type: 'hello', protocol: 1, agentId: 'a', accessKey: 'k', agentVersion: 'v', container: { name: 3 }, ruleSetVersion: null })).ok);
  assert.is(validateAlert({ ...alert(1), priority: 'WARNING' }), 'alert.priority invalid: WARNING');
  assert.is(validateAlert({ ...alert(1), output_fields: { a: {} } }), 'alert.output_fields has a non-scalar value');
});

const SID = 'abcdefghijklmnopqrstuvwxyz012345';
const hello = (o: Record<string, unknown>) => JSON.stringify({ type: 'hello', protocol: 1, agentId: 'a', sessionId: SID, accessKey: 'sekrit-key', agentVersion: 'v', container: {}, ruleSetVersion: null, ...o });

test('protocol: hello needs a session id; odd ECS metadata types are coerced, not refused', () => {
  assert.not.ok(parseAgentMessage(hello({ sessionId: undefined })).ok);
  assert.not.ok(parseAgentMessage(hello({ sessionId: 'short' })).ok);
  const r = parseAgentMessage(hello({ container: { name: 42, image: 'i', id: { x: 1 } }, task: { revision: 7, arn: 'arn', cluster: true, labels: { a: 1 } } }));
  assert.ok(r.ok);
  if (!r.ok || r.msg.type !== 'hello') return;
  assert.equal(r.msg.container, { name: '42', image: 'i' });
  assert.equal(r.msg.task, { arn: 'arn', revision: '7', cluster: 'true' });
  assert.ok(parseAgentMessage(hello({ task: null })).ok);
});

test('protocol: log previews redact secrets by field, in JSON and in broken JSON', () => {
  const p = preview(hello({ protocol: 'one' }), 1000);
  assert.not.match(p, /sekrit|abcdefghijklmnop/);
  assert.match(p, /"accessKey":"\[redacted\]"/);
  const torn = preview('{"type":"hello","accessKey":"sekrit-key","sessionId":"' + SID + '","agentId":', 1000);
  assert.not.match(torn, /sekrit|abcdefghijklmnop/);
  assert.match(torn, /"agentId":/);
  assert.not.match(preview(JSON.stringify({ deep: [{ headers: { Authorization: 'Bearer sekrit' } }] })), /sekrit/);
});

test('log limit: a burst, then one line per interval carrying the count held back', () => {
  let now = 0;
  const l = new LogLimit(2, 1000, () => now);
  assert.equal([l.take(), l.take(), l.take(), l.take()], [{ suppressed: 0 }, { suppressed: 0 }, undefined, undefined]);
  now = 999;
  assert.is(l.take(), undefined);
  now = 1000;
  assert.equal(l.take(), { suppressed: 3 });
  assert.is(l.take(), undefined);
});

test('queue: a batch stops at a hole in the sequences; oldestSeq is the oldest held', () => {
  const q = new AlertQueue({ memMax: 10, name: 't', logger: quiet });
  for (let i = 1; i <= 4; i++) q.push(alert(i));
  assert.is(q.oldestSeq(), 1);
  q.ack(2);
  assert.is(q.oldestSeq(), 3);
  q.ack(4);
  assert.is(q.oldestSeq(), 5, 'nothing held: the next sequence');
});

test('queue: sequences, batches, cumulative acks, rewind after reconnect', () => {
  const q = new AlertQueue({ memMax: 10, name: 't', logger: quiet });
  for (let i = 1; i <= 7; i++) assert.ok(q.push(alert(i)));
  const b1 = q.nextBatch(3);
  assert.equal(b1.map((b) => b.seq), [1, 2, 3]);
  assert.equal(q.nextBatch(10).map((b) => b.seq), [4, 5, 6, 7]);
  assert.is(q.nextBatch(10).length, 0);
  q.ack(2);
  q.rewind();
  assert.equal(q.nextBatch(10).map((b) => b.seq), [3, 4, 5, 6, 7]);
  q.ack(7);
  assert.is(q.depth(), 0);
  assert.is(q.stats().acked, 7);
});

test('queue: memory bound counts drops and keeps sequences contiguous', () => {
  const q = new AlertQueue({ memMax: 3, name: 't', logger: quiet });
  const accepted = [1, 2, 3, 4, 5].map((i) => q.push(alert(i)));
  assert.equal(accepted, [true, true, true, false, false]);
  assert.is(q.stats().dropped, 2);
  q.ack(1);
  assert.ok(q.push(alert(6)));
  assert.equal(q.nextBatch(10).map((b) => b.seq), [2, 3, 4]);
});

test('queue: spool extends the bound, order preserved, bounded in bytes', () => {
  const dir = tmp('spool-');
  const q = new AlertQueue({ memMax: 2, spoolDir: dir, spoolMaxBytes: 2000, name: 'x/y', logger: quiet });
  let accepted = 0;
  for (let i = 1; i <= 30; i++) if (q.push(alert(i))) accepted++;
  const st = q.stats();
  assert.ok(st.spoolDepth > 0 && st.spoolBytes <= 2000);
  assert.is(st.dropped, 30 - accepted);
  const seen: number[] = [];
  for (;;) {
    const b = q.nextBatch(5);
    if (!b.length) break;
    seen.push(...b.map((x) => x.seq));
    q.ack(b[b.length - 1]!.seq);
  }
  assert.equal(seen, Array.from({ length: accepted }, (_, i) => i + 1));
  assert.equal(seen.map((s) => s), [...seen].sort((a, b) => a - b));
  assert.is(q.depth(), 0);
  q.close();
});

test('queue: unusable spool dir falls back to memory with one warning', () => {
  const warns: unknown[] = [];
  const q = new AlertQueue({ memMax: 2, spoolDir: '/dev/null/nope', name: 't', logger: { ...quiet, warn: (...a: unknown[]) => warns.push(a) } });
  assert.is(warns.length, 1);
  assert.is(q.stats().spoolEnabled, false);
  q.push(alert(1));
  q.push(alert(2));
  assert.not.ok(q.push(alert(3)));
});

test('backoff: capped, jittered, grows', () => {
  assert.is(backoffDelay(0, { minMs: 100, maxMs: 1000, random: () => 0 }), 100);
  assert.is(backoffDelay(3, { minMs: 100, maxMs: 1000, random: () => 1 }), 800);
  assert.is(backoffDelay(50, { minMs: 100, maxMs: 1000, random: () => 1 }), 1000);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(10, { minMs: 100, maxMs: 1000 });
    assert.ok(d >= 100 && d <= 1000);
  }
});

test('target: orchestrator first, then collector; TLS flags from SYSDIG_EXTRA_ARGS (through the agent\'s one configuration reader)', () => {
  const target = (env: Record<string, string>) => targetFromConfig(loadConfig(env).config);
  assert.is(target({}), undefined);
  assert.equal(target({ SYSDIG_ORCHESTRATOR: 'o', SYSDIG_ORCHESTRATOR_PORT: '7000', SYSDIG_COLLECTOR: 'c', SYSDIG_ACCESS_KEY: 'k' }), {
    host: 'o', port: 7000, tls: true, checkCertificate: true, accessKey: 'k', via: 'orchestrator',
  });
  assert.is(target({ SYSDIG_ORCHESTRATOR: 'o', SYSDIG_EXTRA_ARGS: '--no-orchestrator-tls' })!.tls, false, 'plaintext only when asked');
  assert.equal(target({ SYSDIG_COLLECTOR: 'c', SYSDIG_EXTRA_ARGS: '--no-check-certificate' }), { host: 'c', port: 6443, tls: true, checkCertificate: false, accessKey: '', via: 'collector' });
  const t = target({ SYSDIG_ORCHESTRATOR: 'o', SYSDIG_EXTRA_ARGS: `--orchestrator-ca "/a b/ca.pem" --other` })!;
  assert.ok(t.tls && t.ca === '/a b/ca.pem' && t.port === 6667);
  const base = { orchestratorHost: undefined, orchestratorPort: 6667, collectorHost: undefined, collectorPort: 6443, orchestratorTls: false, orchestratorCa: undefined, checkCertificate: true, accessKey: 'k' };
  assert.is(targetFromConfig(base), undefined);
  assert.equal(targetFromConfig({ ...base, orchestratorHost: 'o', collectorHost: 'c', orchestratorTls: true })!.tls, true);
  assert.equal(targetFromConfig({ ...base, orchestratorHost: 'o', collectorHost: 'c' }), { host: 'o', port: 6667, tls: false, checkCertificate: true, accessKey: 'k', via: 'orchestrator' });
  assert.equal(targetFromConfig({ ...base, orchestratorHost: 'o', orchestratorCa: '/ca.pem' }), { host: 'o', port: 6667, tls: true, checkCertificate: true, accessKey: 'k', via: 'orchestrator', ca: '/ca.pem' });
  assert.is(targetFromConfig({ ...base, collectorHost: 'c' })!.tls, true);
});

test('sinks: file sink appends JSON lines; fan-out counts per sink; failures counted not thrown', async () => {
  const dir = tmp('sink-');
  const path = join(dir, 'alerts.jsonl');
  writeFileSync(path, '{"old":true}\n');
  const lines: unknown[] = [];
  const logger = { ...quiet, warn: (...a: unknown[]) => lines.push(a), info: (...a: unknown[]) => lines.push(a) };
  const broken = { name: 'broken', write: (): boolean => { throw new Error('boom'); }, close: async () => {} };
  const sinks = new AlertSinks([createLogSink(logger), createFileSink({ path, logger: quiet }), broken]);
  sinks.emit(alert(1));
  sinks.emit({ ...alert(2), priority: 'Debug' });
  await sinks.close(1000);
  const text = readFileSync(path, 'utf8').trim().split('\n');
  assert.is(text.length, 3);
  assert.is((JSON.parse(text[2]!) as FalcoAlert).output, 'o 2');
  assert.is(lines.length, 2);
  const st = sinks.stats();
  assert.equal(st.sinks.file, { sent: 2, dropped: 0 });
  assert.equal(st.sinks.broken, { sent: 0, dropped: 2 });
  assert.is(sinks.counterMap().sink_broken_dropped, 2);

  const bad = createFileSink({ path: join(dir, 'no', 'such', 'dir', 'x.jsonl'), logger: quiet });
  const s2 = new AlertSinks([bad]);
  s2.emit(alert(1));
  await new Promise((r) => setTimeout(r, 100));
  s2.emit(alert(2));
  await s2.close(500);
  assert.equal(s2.stats().sinks.file, { sent: 0, dropped: 2 });
});

test.run();
