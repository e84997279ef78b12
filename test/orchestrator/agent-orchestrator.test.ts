// Real bin/orchestrator + real agent processes (test/fixtures/fake-agent.ts):
// alert delivery, live rule updates, invalid rule sets, authentication,
// SYSDIG_PRIORITY=security, health/metrics, forwarding, graceful shutdown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_A, RULES_B, RULES_INVALID, getAuthed, readAlerts, startAgent, startOrchestrator, stop, tempDir, until, type Line } from '../fixtures/procs.js';

const KEY = 'test-access-key';

test('an alert raised by an agent reaches the orchestrator (alerts file and stdout)', async () => {
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_A);
  const alertsFile = join(dir, 'alerts.jsonl');
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', alertsFile, '--alerts-stdout']);
  // security: alerts start once rule_a is in force (else the first may come from the embedded rule)
  const agent = startAgent({ port: orch.port, accessKey: KEY, priority: 'security', env: { FAKE_AGENT_RATE: '20' } });
  try {
    const started = await agent.waitOut((l) => l.event === 'started');
    const agentId = (started.agentIds as string[])[0]!;
    await orch.waitOut((l) => (l.agent as { id?: string } | undefined)?.id === agentId, 15_000, 'an alert on stdout');
    const alerts = await until(async () => {
      const a = await readAlerts(alertsFile);
      return a.length >= 3 ? a : undefined;
    }, 15_000, 'alerts in the file');
    const first = alerts[0]!;
    assert.is(first.rule, 'rule_a');
    assert.is(first.priority, 'Warning');
    assert.is(first.source, 'syscall');
    assert.ok(typeof first.output === 'string' && (first.output as string).includes('Warning'));
    assert.ok(Array.isArray(first.tags));
    assert.is((first.agent as Line).id, agentId);
    assert.is((first.agent as Line).seq, 1);
    assert.ok(orch.logs.some((l) => l.msg === 'agent connected' && l.agentId === agentId));
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('a rule update pushed while the workload runs takes effect without restarting it; an invalid set is rejected and the old one keeps working', async () => {
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_A);
  const alertsFile = join(dir, 'alerts.jsonl');
  // --no-precheck: the orchestrator pushes what the agent's loader will refuse.
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', alertsFile, '--no-precheck']);
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '50' } });
  try {
    const v1 = await agent.waitOut((l) => l.event === 'ruleset' && l.ok === true, 15_000, 'first rule set');
    assert.equal(v1.rules, ['rule_a']);
    await until(async () => (await readAlerts(alertsFile)).some((a) => a.rule === 'rule_a'), 15_000, 'rule_a alerts');

    // Update: replace the file atomically, as a deployment tool would.
    writeFileSync(join(dir, 'tmp.yaml'), RULES_B);
    renameSync(join(dir, 'tmp.yaml'), rules);
    const v2 = await agent.waitOut((l) => l.event === 'ruleset' && l.ok === true && l.version !== v1.version, 15_000, 'second rule set');
    assert.equal(v2.rules, ['rule_b']);
    await orch.waitLog((l) => l.msg === 'agent applied the rule set' && l.version === v2.version, 15_000, 'applied log');
    const afterB = await until(async () => {
      const a = await readAlerts(alertsFile);
      return a.filter((x) => x.rule === 'rule_b').length >= 5 ? a : undefined;
    }, 15_000, 'rule_b alerts');
    assert.ok(afterB.some((a) => a.rule === 'rule_b' && a.priority === 'Critical'));

    // Invalid set: valid YAML the agent's loader refuses.
    writeFileSync(join(dir, 'tmp.yaml'), RULES_INVALID);
    renameSync(join(dir, 'tmp.yaml'), rules);
    const bad = await agent.waitOut((l) => l.event === 'ruleset' && l.ok === false, 15_000, 'rejected rule set');
    assert.ok((bad.errors as string[]).some((e) => e.includes('condition')), JSON.stringify(bad.errors));
    const rej = await orch.waitLog((l) => l.msg === 'agent rejected the rule set; it keeps its previous one', 15_000, 'rejection log');
    assert.is(rej.running, v2.version);
    const n = (await readAlerts(alertsFile)).length;
    const later = await until(async () => {
      const a = await readAlerts(alertsFile);
      return a.length >= n + 20 ? a.slice(n) : undefined;
    }, 15_000, 'alerts after the rejected set');
    assert.ok(later.every((a) => a.rule === 'rule_b'), 'the old rule set keeps producing alerts');
    assert.ok(later.every((a) => (a.output_fields as Line)['fake.ruleset'] === v2.version));

    // The agent process was never restarted.
    assert.is(agent.out.filter((l) => l.event === 'started').length, 1);
    assert.ok(process.kill(agent.pid, 0), 'the agent process is still running');
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('a rules file that is not valid YAML is not pushed; the orchestrator keeps serving the last good set', async () => {
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_A);
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', join(dir, 'a.jsonl')]);
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '5' } });
  try {
    const v1 = await agent.waitOut((l) => l.event === 'ruleset' && l.ok === true);
    writeFileSync(rules, '- rule: [unclosed\n  condition: {\n');
    const err = await orch.waitLog((l) => l.msg === 'rule set invalid; not pushed, the last good rule set stays');
    assert.is(err.serving, v1.version);
    const res = await fetch(`http://127.0.0.1:${orch.port}/healthz`);
    assert.is(((await res.json()) as Line).ruleSetVersion, v1.version);
    assert.is(agent.out.filter((l) => l.event === 'ruleset').length, 1);
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('a wrong access key is refused with a clear log line on both sides, and nothing is written', async () => {
  const dir = tempDir();
  const alertsFile = join(dir, 'alerts.jsonl');
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--alerts-file', alertsFile]);
  const agent = startAgent({ port: orch.port, accessKey: 'not-the-key', env: { FAKE_AGENT_RATE: '20' } });
  try {
    const l = await orch.waitLog((x) => x.msg === 'agent refused: wrong access key', 15_000, 'refusal log');
    assert.ok(typeof l.agentId === 'string' && typeof l.remote === 'string');
    assert.not.ok(JSON.stringify(orch.logs).includes('not-the-key'), 'the key is not logged');
    await agent.waitLog((x) => typeof x.msg === 'string' && x.msg.startsWith('orchestrator refused the access key'), 15_000, 'agent-side refusal log');
    assert.is((await readAlerts(alertsFile)).length, 0);
    const m = await (await getAuthed(orch.port, '/metrics', KEY)).text();
    assert.match(m, /orchestrator_auth_failures_total [1-9]/);
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('SYSDIG_PRIORITY=security holds the workload until the rules arrive; without an orchestrator it starts after the bounded wait', async () => {
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_B);
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', join(dir, 'a.jsonl')]);
  const agent = startAgent({ port: orch.port, accessKey: KEY, priority: 'security', env: { FAKE_AGENT_RATE: '5', FAKE_AGENT_RULES_WAIT_MS: '20000' } });
  const lonely = startAgent({ port: 1, accessKey: KEY, priority: 'security', env: { FAKE_AGENT_RATE: '5', FAKE_AGENT_RULES_WAIT_MS: '1500' } });
  try {
    const ws = await agent.waitOut((l) => l.event === 'workload-start', 20_000);
    assert.is(ws.rulesReady, true);
    const iRules = agent.out.findIndex((l) => l.event === 'ruleset' && l.ok === true);
    const iStart = agent.out.findIndex((l) => l.event === 'workload-start');
    assert.ok(iRules >= 0 && iRules < iStart, 'rules applied before the workload started');
    const ws2 = await lonely.waitOut((l) => l.event === 'workload-start', 20_000);
    assert.is(ws2.rulesReady, false);
    assert.ok(lonely.logs.some((l) => typeof l.msg === 'string' && l.msg.includes('no rules from the orchestrator in time')));
  } finally {
    await stop(agent);
    await stop(lonely, 3000);
    await stop(orch);
  }
});

test('health and metrics endpoints; alerts forwarded to a falcosidekick-compatible endpoint; graceful shutdown', async () => {
  const received: Line[] = [];
  let refusedOnce = false;
  const sidekick = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      // Same acceptance rules as falcosidekick's POST /.
      let a: Line;
      try {
        a = JSON.parse(body) as Line;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const ok = req.method === 'POST' && typeof a.rule === 'string' && a.rule !== '' && typeof a.time === 'string' && typeof a.priority === 'string' && Object.keys((a.output_fields as Line) ?? {}).length > 0;
      if (!ok) return void res.writeHead(400).end();
      if (!refusedOnce) {
        refusedOnce = true; // one transient failure: must be retried, not lost
        return void res.writeHead(503).end();
      }
      received.push(a);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => sidekick.listen(0, '127.0.0.1', r));
  const skPort = (sidekick.address() as AddressInfo).port;
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_A);
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--no-alerts-stdout'], {
    ORCHESTRATOR_FORWARD_URL: `http://127.0.0.1:${skPort}/`,
    ORCHESTRATOR_ALERTS_FILE: join(dir, 'alerts.jsonl'),
  });
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '20', FAKE_AGENT_MAX_ALERTS: '30' } });
  try {
    await until(() => received.length >= 30, 20_000, '30 forwarded alerts');
    const a = received[0]!;
    assert.equal(Object.keys(a).sort(), ['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time']);
    assert.is(new Set(received.map((x) => (x.output_fields as Line)['fake.n'])).size, 30, 'each alert forwarded once');

    const health = await fetch(`http://127.0.0.1:${orch.port}/healthz`);
    assert.is(health.status, 200);
    const h = (await health.json()) as Line;
    assert.is(h.status, 'ok');
    assert.is(h.agents, 1);
    const metrics = await (await getAuthed(orch.port, '/metrics', KEY)).text();
    assert.match(metrics, /orchestrator_alerts_written_total 30/);
    assert.match(metrics, /orchestrator_forward_sent_total 30/);
    assert.match(metrics, /orchestrator_forward_retries_total [1-9]/);
    assert.match(metrics, /process_resident_memory_bytes \d+/);
    const agents = (await (await getAuthed(orch.port, '/v1/agents', KEY)).json()) as { agents: Line[] };
    assert.is(agents.agents.length, 1);

    await stop(agent);
    const code = await stop(orch);
    assert.is(code, 0);
    assert.ok(orch.logs.some((l) => l.msg === 'orchestrator stopped'));
  } finally {
    agent.kill('SIGKILL');
    orch.kill('SIGKILL');
    sidekick.close();
  }
});

test('by default the orchestrator validates rule sets with the rules engine (src/rules) and does not push what it refuses; an agent loading with the engine accepts the valid set', async () => {
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_A);
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', join(dir, 'a.jsonl')]);
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '5', FAKE_AGENT_USE_RULES_ENGINE: '1' } });
  try {
    const v1 = await agent.waitOut((l) => l.event === 'ruleset', 15_000, 'rule set');
    assert.is(v1.ok, true, JSON.stringify(v1.errors));
    writeFileSync(rules, RULES_INVALID);
    const err = await orch.waitLog((l) => l.msg === 'rule set invalid; not pushed, the last good rule set stays', 15_000, 'precheck refusal');
    assert.ok((err.errors as string[]).some((e) => e.includes('condition') && e.includes('rule_broken')), JSON.stringify(err.errors));
    assert.is(err.serving, v1.version);
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('a pushed rule needing a syscall the running filter does not stop on is applied and reported degraded', async () => {
  const dir = tempDir();
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, RULES_A + RULES_B);
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', join(dir, 'a.jsonl')]);
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '5', FAKE_AGENT_FILTER_SYSCALLS: 'open,openat' } });
  try {
    const rs = await agent.waitOut((l) => l.event === 'ruleset', 15_000, 'rule set');
    assert.is(rs.ok, true);
    assert.equal(rs.degraded, ['rule_b']);
    const l = await orch.waitLog((x) => x.msg === 'agent applied the rule set; some rules degraded', 15_000, 'degraded log');
    assert.equal(l.degraded, ['rule_b']);
    assert.ok(agent.logs.some((x) => x.msg === 'rule set applied; some rules are degraded'));
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('usage errors exit 2 with a message', async () => {
  const { execa } = await import('execa');
  const { ORCHESTRATOR } = await import('../fixtures/procs.js');
  const r = await execa(process.execPath, [ORCHESTRATOR, '--port', '0'], { reject: false, env: { SYSDIG_ACCESS_KEY: '', ORCHESTRATOR_ACCESS_KEY: '' } });
  assert.is(r.exitCode, 2);
  assert.match(String(r.stderr), /access key is required/);
  const r2 = await execa(process.execPath, [ORCHESTRATOR, '--bogus'], { reject: false });
  assert.is(r2.exitCode, 2);
});

test.run();
