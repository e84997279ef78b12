// The orchestrator killed (SIGKILL) and restarted on the same port while the
// agent keeps raising alerts: every alert arrives exactly once; with a small
// queue and no spool the overflow is counted, never silent; with a spool
// nothing is lost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { AGENT_PATH } from '../../src/alerts/protocol.js';
import { RULES_A, getAuthed, readAlerts, sleep, startAgent, startOrchestrator, stop, tempDir, until, type Line, type Orchestrator, type Proc } from '../fixtures/procs.js';

const KEY = 'restart-key';

interface Outage {
  agentId: string;
  done: Line;
  alerts: Line[];
  second: Proc;
}

async function runOutage(agentEnv: Record<string, string>, outageMs: number): Promise<Outage> {
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_A);
  const alertsFile = join(dir, 'alerts.jsonl');
  const args = ['--access-key', KEY, '--rules-file', rules, '--alerts-file', alertsFile];
  const first = await startOrchestrator(['--port', '0', ...args]);
  const port = first.port;
  const agent = startAgent({ port, accessKey: KEY, env: { FAKE_AGENT_RATE: '200', FAKE_AGENT_BACKOFF_MAX_MS: '500', ...agentEnv } });
  let second: Proc | undefined;
  try {
    const agentId = ((await agent.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    await until(async () => (await readAlerts(alertsFile)).length >= 200, 20_000, '200 alerts before the crash');
    first.kill('SIGKILL');
    await first.exited;
    await sleep(outageMs); // the workload keeps raising alerts meanwhile
    second = await startOrchestrator(['--port', String(port), ...args]);
    await second.waitLog((l) => l.msg === 'agent connected' && l.agentId === agentId, 20_000, 'agent reconnected');
    await sleep(1000);
    agent.kill('SIGTERM');
    const done = await agent.waitOut((l) => l.event === 'done', 30_000, 'agent done');
    await agent.exited;
    const alerts = (await readAlerts(alertsFile)).filter((a) => (a.agent as Line).id === agentId);
    return { agentId, done, alerts, second };
  } finally {
    agent.kill('SIGKILL');
    first.kill('SIGKILL');
    if (second) await stop(second);
  }
}

function assertExactlyOnce(alerts: Line[], count: number): void {
  const seqs = alerts.map((a) => (a.agent as Line).seq as number);
  assert.is(alerts.length, count, 'alert count');
  assert.is(new Set(seqs).size, seqs.length, 'no sequence twice');
  seqs.forEach((s, i) => assert.is(s, i + 1, 'sequences 1..N in order'));
  const ns = new Set(alerts.map((a) => (a.output_fields as Line)['fake.n']));
  assert.is(ns.size, alerts.length, 'no alert twice');
}

test('SIGKILL + restart of the orchestrator: every alert arrives exactly once', async () => {
  const r = await runOutage({}, 1500);
  const stats = (r.done.stats as Line[])[0]!;
  assert.is(stats.dropped, 0, 'nothing dropped');
  assert.ok((stats.connects as number) >= 2, 'the agent reconnected');
  assert.is(stats.acked, r.done.raised);
  assertExactlyOnce(r.alerts, r.done.raised as number);
  assert.ok(r.second.logs.some((l) => l.msg === 'alerts journal recovered'));
});

test('queue bound without spool: overflow during the outage is counted as dropped, the rest arrives exactly once', async () => {
  const r = await runOutage({ FAKE_AGENT_QUEUE_MAX: '100' }, 1500);
  const stats = (r.done.stats as Line[])[0]!;
  const dropped = stats.dropped as number;
  assert.ok(dropped > 0, 'the outage overflowed a 100-alert queue');
  assert.is(stats.queued as number, (r.done.raised as number) - dropped);
  assertExactlyOnce(r.alerts, stats.queued as number);
});

test('queue bound with an on-disk spool: nothing lost across the outage', async () => {
  const spool = tempDir('spool-');
  const r = await runOutage({ FAKE_AGENT_QUEUE_MAX: '100', FAKE_AGENT_SPOOL_DIR: spool }, 1500);
  const stats = (r.done.stats as Line[])[0]!;
  assert.is(stats.dropped, 0);
  // Without the spool the same outage overflows (previous test): the spool carried it.
  assertExactlyOnce(r.alerts, r.done.raised as number);
});

test('restarted on a new alerts file (its dedup state gone): the agent resumes its session from its oldest unacknowledged alert; nothing lost, no gap counted', async () => {
  const dir = tempDir();
  const first = await startOrchestrator(['--port', '0', '--access-key', KEY, '--alerts-file', join(dir, 'old.jsonl')]);
  const agent = startAgent({ port: first.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '200', FAKE_AGENT_BACKOFF_MAX_MS: '500' } });
  let second: Orchestrator | undefined;
  try {
    await until(async () => (await readAlerts(join(dir, 'old.jsonl'))).length >= 200, 20_000, '200 alerts in the old file');
    first.kill('SIGKILL');
    await first.exited;
    second = await startOrchestrator(['--port', String(first.port), '--access-key', KEY, '--alerts-file', join(dir, 'new.jsonl')]);
    await until(async () => (await readAlerts(join(dir, 'new.jsonl'))).length >= 200, 20_000, '200 alerts in the new file');
    agent.kill('SIGTERM');
    const done = await agent.waitOut((l) => l.event === 'done', 30_000, 'agent done');
    const st = (done.stats as Line[])[0]!;
    assert.is(st.dropped, 0);
    assert.is(st.acked, done.raised, 'every alert acknowledged, none stuck behind the lost state');
    const seqs = [...(await readAlerts(join(dir, 'old.jsonl'))), ...(await readAlerts(join(dir, 'new.jsonl')))].map((a) => (a.agent as Line).seq as number);
    assert.equal([...new Set(seqs)].sort((a, b) => a - b), Array.from({ length: done.raised as number }, (_, i) => i + 1), 'every alert in one file or the other');
    const m = await (await getAuthed(second.port, '/metrics', KEY)).text();
    assert.match(m, /orchestrator_alert_sessions_resynced_total 1\n/);
    assert.match(m, /orchestrator_alerts_gap_total 0\n/);
  } finally {
    agent.kill('SIGKILL');
    first.kill('SIGKILL');
    if (second) await stop(second);
  }
});

test('an unusable spool directory is warned about once and the agent runs memory-only', async () => {
  const dir = tempDir();
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--alerts-file', join(dir, 'a.jsonl')]);
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '20', FAKE_AGENT_SPOOL_DIR: '/dev/null/spool' } });
  try {
    await agent.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('alert spool unavailable'));
    await orch.waitLog((l) => l.msg === 'agent connected');
    await until(async () => (await readAlerts(join(dir, 'a.jsonl'))).length >= 5, 15_000, 'alerts');
    assert.is(agent.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('alert spool unavailable')).length, 1);
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('after a SIGKILL the restarted orchestrator knows what it stored: welcome.ackedSeq from the journal, resent alerts skipped', async () => {
  const dir = tempDir();
  const alertsFile = join(dir, 'alerts.jsonl');
  const args = ['--access-key', KEY, '--alerts-file', alertsFile];
  const SESSION = 'raw-agent-session-0123456789abcdef';
  const mk = (n: number): Line => ({ time: '2026-01-01T00:00:00.000000000Z', rule: 'r', priority: 'Warning', source: 'syscall', hostname: 'h', output: `o ${n}`, tags: [], output_fields: { n } });
  async function session(port: number, firstSeq: number, count: number): Promise<{ welcome: Line; ack: Line }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${AGENT_PATH}`);
    const inbox: Line[] = [];
    ws.on('message', (d) => inbox.push(JSON.parse(d.toString()) as Line));
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, agentId: 'raw-agent', sessionId: SESSION, accessKey: KEY, agentVersion: 't', container: {}, ruleSetVersion: null }));
    const welcome = await until(() => inbox.find((m) => m.type === 'welcome'), 10_000, 'welcome');
    ws.send(JSON.stringify({ type: 'alerts', firstSeq, alerts: Array.from({ length: count }, (_, i) => mk(firstSeq + i)) }));
    const ack = await until(() => inbox.find((m) => m.type === 'ack'), 10_000, 'ack');
    ws.terminate();
    return { welcome, ack };
  }
  const first = await startOrchestrator(['--port', '0', ...args]);
  const s1 = await session(first.port, 1, 5);
  assert.is(s1.welcome.ackedSeq, 0);
  assert.is(s1.ack.seq, 5);
  first.kill('SIGKILL');
  await first.exited;
  const second = await startOrchestrator(['--port', String(first.port), ...args]);
  try {
    const s2 = await session(second.port, 3, 6); // resends 3..5, new 6..8
    assert.is(s2.welcome.ackedSeq, 5);
    assert.is(s2.ack.seq, 8);
    const seqs = (await readAlerts(alertsFile)).map((a) => (a.agent as Line).seq);
    assert.equal(seqs, [1, 2, 3, 4, 5, 6, 7, 8]);
    const m = await (await getAuthed(second.port, '/metrics', KEY)).text();
    assert.match(m, /orchestrator_alerts_duplicate_total 3/);
  } finally {
    await stop(second);
  }
});

test.run();
