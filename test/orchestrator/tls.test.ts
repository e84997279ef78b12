// TLS between agent and orchestrator with a self-signed certificate generated
// here by openssl: works with the CA given (SYSDIG_EXTRA_ARGS
// --orchestrator-ca), fails with checking on and no CA, works with checking off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_A, readAlerts, sleep, startAgent, startOrchestrator, stop, tempDir, until, type Line, type Orchestrator, selfSignedCert } from '../fixtures/procs.js';

const KEY = 'tls-key';
let dir = '';
let orch: Orchestrator | undefined;
let alertsFile = '';

test.before(async () => {
  dir = tempDir('tls-');
  await selfSignedCert(dir);
  writeFileSync(join(dir, 'rules.yaml'), RULES_A);
  alertsFile = join(dir, 'alerts.jsonl');
  orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', join(dir, 'rules.yaml'), '--alerts-file', alertsFile, '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
});

test.after(async () => {
  if (orch) await stop(orch);
});

async function alertsOf(agentId: string): Promise<Line[]> {
  return (await readAlerts(alertsFile)).filter((a) => (a.agent as Line).id === agentId);
}

test('TLS with the self-signed CA given: connected, alerts delivered', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, extraArgs: `--orchestrator-tls --orchestrator-ca ${join(dir, 'cert.pem')}`, env: { FAKE_AGENT_RATE: '20' } });
  try {
    const id = ((await agent.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    await until(async () => (await alertsOf(id)).length >= 5, 15_000, 'alerts over TLS');
    assert.ok(agent.logs.some((l) => l.msg === 'connected to the orchestrator' && String(l.url).startsWith('wss://')));
  } finally {
    await stop(agent);
  }
});

test('TLS with certificate checking on and no CA: refused, clearly logged, nothing delivered', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, extraArgs: '--orchestrator-tls', env: { FAKE_AGENT_RATE: '20' } });
  try {
    const id = ((await agent.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    const err = await agent.waitLog((l) => l.msg === 'orchestrator connection error', 15_000, 'TLS error log');
    assert.match(String(err.err), /self[- ]signed|certificate/i);
    await sleep(1500);
    assert.not.ok(agent.logs.some((l) => l.msg === 'connected to the orchestrator'));
    assert.is((await alertsOf(id)).length, 0);
    assert.not.ok(orch!.logs.some((l) => l.msg === 'agent connected' && l.agentId === id));
  } finally {
    await stop(agent, 3000);
  }
});

test('TLS with --no-check-certificate: connects (with a warning), alerts delivered', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, extraArgs: '--orchestrator-tls --no-check-certificate', env: { FAKE_AGENT_RATE: '20' } });
  try {
    const id = ((await agent.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    await until(async () => (await alertsOf(id)).length >= 5, 15_000, 'alerts over TLS without checking');
    assert.ok(agent.logs.some((l) => typeof l.msg === 'string' && l.msg.includes('certificate checking is OFF')));
  } finally {
    await stop(agent);
  }
});

test('a plain-text agent cannot talk to a TLS orchestrator', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '5' } });
  try {
    await agent.waitLog((l) => l.msg === 'orchestrator connection error', 15_000);
    assert.not.ok(agent.logs.some((l) => l.msg === 'connected to the orchestrator'));
  } finally {
    await stop(agent, 3000);
  }
});

test.run();
