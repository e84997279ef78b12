// TLS between agent and orchestrator with a self-signed certificate generated
// here by openssl. TLS is the agent's default: it works with the CA given
// (SYSDIG_EXTRA_ARGS --orchestrator-ca, trusted besides Node's bundled
// roots), fails with checking on and no CA, works with checking off;
// plaintext needs the explicit --no-orchestrator-tls, which warns. The
// orchestrator refuses plain HTTP on a non-loopback address unless told TLS
// is terminated in front of it (--tls-offloaded).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORCHESTRATOR, RULES_A, getAuthed, readAlerts, sleep, startAgent, startOrchestrator, stop, tempDir, until, type Line, type Orchestrator, selfSignedCert } from '../fixtures/procs.js';

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

test('TLS by default, with the self-signed CA given: connected, alerts delivered; /metrics over TLS needs the token', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, tls: true, extraArgs: `--orchestrator-ca ${join(dir, 'cert.pem')}`, env: { FAKE_AGENT_RATE: '20' } });
  try {
    const id = ((await agent.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    await until(async () => (await alertsOf(id)).length >= 5, 15_000, 'alerts over TLS');
    assert.ok(agent.logs.some((l) => l.msg === 'connected to the orchestrator' && String(l.url).startsWith('wss://')));
    assert.not.ok(agent.logs.some((l) => String(l.msg).includes('plaintext')));
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // this process's fetch, to a self-signed test server
    try {
      assert.is((await fetch(`https://127.0.0.1:${orch!.port}/metrics`)).status, 401);
      assert.match(await (await getAuthed(orch!.port, '/metrics', KEY, 'https')).text(), /orchestrator_agents_connected [1-9]/);
    } finally {
      delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    }
  } finally {
    await stop(agent);
  }
});

test('TLS (the default) with certificate checking on and no CA: refused, clearly logged at error level, nothing delivered', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, tls: true, env: { FAKE_AGENT_RATE: '20' } });
  try {
    const id = ((await agent.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    const err = await agent.waitLog((l) => l.msg === 'orchestrator connection error', 15_000, 'TLS error log');
    assert.match(String(err.err), /self[- ]signed|certificate/i);
    assert.is(err.level, 'error', 'an unreachable orchestrator shows at the default log level');
    await sleep(1500);
    assert.not.ok(agent.logs.some((l) => l.msg === 'connected to the orchestrator'));
    assert.is((await alertsOf(id)).length, 0);
    assert.not.ok(orch!.logs.some((l) => l.msg === 'agent connected' && l.agentId === id));
  } finally {
    await stop(agent, 3000);
  }
});

test('TLS with --no-check-certificate: connects (with a warning), alerts delivered', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, tls: true, extraArgs: '--no-check-certificate', env: { FAKE_AGENT_RATE: '20' } });
  try {
    const id = ((await agent.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    await until(async () => (await alertsOf(id)).length >= 5, 15_000, 'alerts over TLS without checking');
    assert.ok(agent.logs.some((l) => typeof l.msg === 'string' && l.msg.includes('certificate checking is OFF')));
  } finally {
    await stop(agent);
  }
});

test('plaintext only with the explicit --no-orchestrator-tls, which warns; it cannot talk to a TLS orchestrator', async () => {
  const agent = startAgent({ port: orch!.port, accessKey: KEY, tls: false, env: { FAKE_AGENT_RATE: '5' } });
  try {
    await agent.waitLog((l) => l.msg === 'orchestrator connection error', 15_000);
    assert.not.ok(agent.logs.some((l) => l.msg === 'connected to the orchestrator'));
    const w = agent.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('orchestrator link is plaintext'));
    assert.ok(w && w.level === 'warn', 'plaintext is warned about');
  } finally {
    await stop(agent, 3000);
  }
});

test('the orchestrator refuses plain HTTP on a non-loopback address; --tls-offloaded (TLS at a load balancer) allows it, with a warning', async () => {
  const { execa } = await import('execa');
  const r = await execa(process.execPath, [ORCHESTRATOR, '--access-key', KEY, '--port', '0', '--host', '0.0.0.0'], { reject: false, timeout: 15_000 });
  assert.is(r.exitCode, 2);
  assert.match(String(r.stderr), /refusing to serve plain HTTP on 0\.0\.0\.0/);
  const off = await startOrchestrator(['--port', '0', '--access-key', KEY, '--host', '0.0.0.0', '--tls-offloaded', '--alerts-file', join(dir, 'off.jsonl')]);
  try {
    assert.ok(off.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('--tls-offloaded') && l.level === 'warn'));
  } finally {
    await stop(off);
  }
  // With a certificate any address is fine.
  const tlsAny = await startOrchestrator(['--port', '0', '--access-key', KEY, '--host', '0.0.0.0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'), '--alerts-file', join(dir, 'any.jsonl')]);
  await stop(tlsAny);
});

test.run();
