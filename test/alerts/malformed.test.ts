// Malformed messages are logged and ignored, on both sides.
// Agent side: a real agent process against a scripted WebSocket server that
// sends garbage before and between valid messages.
// Orchestrator side: a raw WebSocket client sends garbage to the real bin/orchestrator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { AGENT_PATH } from '../../src/alerts/protocol.js';
import { RULES_A, startAgent, startOrchestrator, stop, until, type Line } from '../fixtures/procs.js';

test('a malformed message from the orchestrator is logged and ignored; the link keeps working', async () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: AGENT_PATH });
  const received: Line[] = [];
  let acked = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Line;
      received.push(m);
      if (m.type === 'hello') {
        ws.send('this is not JSON');
        ws.send(JSON.stringify({ type: 'ruleset', version: 7 }));
        ws.send(JSON.stringify({ type: 'launch_missiles' }));
        ws.send(JSON.stringify([1, 2, 3]));
        ws.send(Buffer.from([0xff, 0xfe, 0x00]));
        ws.send(JSON.stringify({ type: 'ack', seq: -4 }));
        ws.send(JSON.stringify({ type: 'welcome', protocol: 1, orchestratorVersion: 'script', ackedSeq: 0, ruleSetVersion: null, heartbeatMs: 1000 }));
        ws.send('{"type":"ruleset","version":"v-script","files":[{"name":"r.yaml"}]}');
        ws.send(JSON.stringify({ type: 'ruleset', version: 'v-script', files: [{ name: 'r.yaml', content: RULES_A }] }));
      }
      if (m.type === 'alerts') {
        const alerts = m.alerts as unknown[];
        acked = (m.firstSeq as number) + alerts.length - 1;
        ws.send('{"type":"ack"');
        ws.send(JSON.stringify({ type: 'ack', seq: acked }));
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  const agent = startAgent({ port, accessKey: 'k', env: { FAKE_AGENT_RATE: '20' } });
  try {
    const rs = await agent.waitOut((l) => l.event === 'ruleset', 15_000, 'the valid rule set');
    assert.is(rs.ok, true);
    assert.is(rs.version, 'v-script');
    await until(() => received.filter((m) => m.type === 'alerts').length >= 3 && acked > 5, 15_000, 'alert batches after the garbage');
    const malformed = agent.logs.filter((l) => l.msg === 'malformed message from the orchestrator ignored');
    assert.ok(malformed.length >= 8, `logged ${malformed.length} malformed messages`);
    assert.ok(malformed.some((l) => String(l.error).includes('not JSON')));
    assert.ok(malformed.some((l) => String(l.error).includes('unknown message type')));
    assert.ok(received.some((m) => m.type === 'ruleset_result' && m.ok === true));
    const code = await stop(agent);
    assert.is(code, 0, 'the agent did not crash');
    const done = agent.out.find((l) => l.event === 'done')!;
    assert.is(((done.stats as Line[])[0]!.malformed as number) >= 8, true);
  } finally {
    agent.kill('SIGKILL');
    wss.close();
    http.close();
  }
});

test('a frame over the agent\'s size limit closes the connection (1009): one error line (not one per reconnect), the agent keeps running', async () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: AGENT_PATH });
  const huge = Buffer.alloc(65 * 1024 * 1024, 0x61); // past MAX_FRAME_BYTES (64 MiB)
  const opened: number[] = [];
  const codes: number[] = [];
  wss.on('connection', (ws) => {
    opened.push(Date.now());
    ws.on('close', (c) => codes.push(c));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Line;
      if (m.type !== 'hello') return;
      ws.send(JSON.stringify({ type: 'welcome', protocol: 1, orchestratorVersion: 'script', ackedSeq: 0, ruleSetVersion: null, heartbeatMs: 1000 }));
      ws.send(huge);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  const agent = startAgent({ port, accessKey: 'k', env: { FAKE_AGENT_RATE: '5', FAKE_AGENT_BACKOFF_MAX_MS: '60000' } });
  try {
    const err = await agent.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('a frame over the size limit'), 20_000, 'the size error');
    assert.is(err.level, 'error');
    await until(() => opened.length >= 4, 30_000, '4 connections');
    assert.ok(codes.includes(1009), `close codes ${codes.join(',')}`);
    assert.is(agent.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('a frame over the size limit')).length, 1, 'rate-limited');
    assert.ok(process.kill(agent.pid, 0), 'the agent keeps running');
  } finally {
    await stop(agent, 3000);
    wss.close();
    http.close();
  }
});

test('a malformed message from an agent is logged and ignored by the orchestrator; the session continues', async () => {
  const orch = await startOrchestrator(['--port', '0', '--access-key', 'k', '--alerts-file', '/dev/null']);
  const ws = new WebSocket(`ws://127.0.0.1:${orch.port}${AGENT_PATH}`);
  const inbox: Line[] = [];
  ws.on('message', (d) => inbox.push(JSON.parse(d.toString()) as Line));
  try {
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    ws.send('garbage{');
    ws.send(JSON.stringify({ type: 'alerts', firstSeq: 1, alerts: [] }));
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, agentId: 'raw-1', sessionId: 'raw-1-session-0123456789abcdef', accessKey: 'k', agentVersion: 't', container: {}, ruleSetVersion: null }));
    await until(() => inbox.some((m) => m.type === 'welcome'), 10_000, 'welcome');
    ws.send(JSON.stringify({ type: 'alerts', firstSeq: 1, alerts: [{ rule: 'x' }] }));
    ws.send(JSON.stringify({ type: 'alerts', firstSeq: 1, alerts: [{ time: '2026-01-01T00:00:00.000000000Z', rule: 'r', priority: 'Warning', source: 'syscall', hostname: 'h', output: 'o', tags: [], output_fields: { a: 1 } }] }));
    await until(() => inbox.some((m) => m.type === 'ack' && m.seq === 1), 10_000, 'ack 1');
    const mal = orch.logs.filter((l) => l.msg === 'malformed message from agent ignored');
    assert.is(mal.length, 3);
    assert.ok(mal.some((l) => String(l.error).includes('alert.time missing')));
    assert.is(ws.readyState, WebSocket.OPEN);
  } finally {
    ws.terminate();
    await stop(orch);
  }
});

test.run();
