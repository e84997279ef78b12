// Issue 12 (hardening of the orchestrator link), with a real bin/orchestrator
// and real agent processes (test/fixtures/fake-agent.ts) or raw WebSocket/TCP
// clients playing an attacker, all on loopback:
//   - a full disk (a 512 KiB tmpfs) and its recovery: exactly once, counted
//     from the file, through the agent's retransmission timer;
//   - sessions: a hello with a victim's id and firstSeq 2^53-2 does not
//     blind the victim; a late batch is accepted once; the listing and the
//     metrics need the token;
//   - no secret in any log line; odd ECS metadata types do not keep an agent out;
//   - the pre-authentication memory bound and the log rate limit;
//   - rule sets too large or too costly for the engine are not pushed;
//   - what must show at the default log level.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { AGENT_PATH } from '../../src/alerts/protocol.js';
import { RULES_A, getAuthed, readAlerts, startAgent, startOrchestrator, stop, tempDir, until, type Line, type Orchestrator } from '../fixtures/procs.js';

const KEY = 'hardening-k3y-5f0c1e9d7a';
const mk = (n: number): Line => ({ time: '2026-01-01T00:00:00.000000000Z', rule: 'r', priority: 'Warning', source: 'syscall', hostname: 'h', output: `o ${n}`, tags: [], output_fields: { n } });
const newSession = (): string => randomBytes(24).toString('base64url');
const metric = (text: string, name: string): number => Number(new RegExp(`^orchestrator_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

/** A raw agent: WebSocket client speaking the protocol by hand, its inbox awaitable. */
async function rawAgent(port: number, hello: Record<string, unknown>): Promise<{ ws: WebSocket; inbox: Line[]; next: (pred: (m: Line) => boolean, what: string) => Promise<Line> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${AGENT_PATH}`);
  const inbox: Line[] = [];
  ws.on('message', (d) => inbox.push(JSON.parse(d.toString()) as Line));
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, agentVersion: 't', container: {}, ruleSetVersion: null, accessKey: KEY, ...hello }));
  let seen = 0;
  // Messages in order: each call consumes up to and including the first match after the previous one.
  const next = async (pred: (m: Line) => boolean, what: string): Promise<Line> =>
    until(() => {
      for (let i = seen; i < inbox.length; i++) {
        if (pred(inbox[i]!)) {
          seen = i + 1;
          return inbox[i];
        }
      }
      return undefined;
    }, 10_000, what);
  return { ws, inbox, next };
}

function peakRssBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

test('full disk (512 KiB tmpfs) then room again: nothing acknowledged unwritten, no torn line, every alert exactly once (counted from the file) via the retransmission timer', async () => {
  const dir = tempDir('diskfull-');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt]);
  const alertsFile = join(mnt, 'alerts.jsonl');
  const N = 3000; // ~450 bytes a line: about 1.3 MB, so the disk fills near a third of the way
  let orch: Orchestrator | undefined;
  const agent = { p: undefined as ReturnType<typeof startAgent> | undefined };
  try {
    orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--alerts-file', alertsFile]);
    agent.p = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '3000', FAKE_AGENT_MAX_ALERTS: String(N), FAKE_AGENT_RETRANSMIT_MS: '100', FAKE_AGENT_RETRANSMIT_MAX_MS: '500' } });
    const agentId = ((await agent.p.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    await agent.p.waitOut((l) => l.event === 'max-alerts', 30_000, 'all alerts raised');
    const err = await orch.waitLog((l) => l.msg === 'cannot write the alerts file; batch not acknowledged (the agent will resend)', 30_000, 'the write error');
    assert.match(String(err.err), /ENOSPC|no space/i);
    const before = await readAlerts(alertsFile); // throws on a torn line
    assert.ok(before.length < N, `the disk filled (${before.length} of ${N} stored)`);
    const m1 = await (await getAuthed(orch.port, '/metrics', KEY)).text();
    assert.ok(metric(m1, 'alerts_write_errors_total') > 0);
    // Nothing acknowledged past what is in the file.
    const acked = await until(async () => {
      const a = (await (await getAuthed(orch!.port, '/v1/agents', KEY)).json()) as { agents: Line[] };
      return a.agents.find((x) => x.agentId === agentId);
    }, 10_000, 'the agent listed');
    assert.ok((acked.ackedSeq as number) <= before.length, `acked ${String(acked.ackedSeq)} <= stored ${before.length}`);

    // Room again: no new alert is raised, so only the retransmission timer can deliver the rest.
    execFileSync('mount', ['-o', 'remount,size=8m', mnt]);
    await until(async () => (await readAlerts(alertsFile)).length >= N, 60_000, 'every alert in the file');
    agent.p.kill('SIGTERM');
    const done = await agent.p.waitOut((l) => l.event === 'done', 30_000, 'agent done');
    const st = (done.stats as Line[])[0]!;
    assert.is(st.dropped, 0);
    assert.is(st.acked, N);
    assert.ok((st.retransmits as number) > 0, 'the timer resent');
    const alerts = await readAlerts(alertsFile);
    const seqs = alerts.map((a) => (a.agent as Line).seq as number).sort((a, b) => a - b);
    assert.is(alerts.length, N, 'exactly N lines');
    assert.equal(seqs, Array.from({ length: N }, (_, i) => i + 1), 'each sequence once');
    assert.is(new Set(alerts.map((a) => (a.output_fields as Line)['fake.n'])).size, N);
    const m2 = await (await getAuthed(orch.port, '/metrics', KEY)).text();
    assert.is(metric(m2, 'alerts_gap_total'), 0, 'no gap: the agent lost nothing');
    assert.is(metric(m2, 'alerts_written_total'), N);
  } finally {
    agent.p?.kill('SIGKILL');
    if (orch) await stop(orch);
    execFileSync('umount', ['-l', mnt]);
  }
});

test('sessions: a hello with the victim\'s id and firstSeq 2^53-2 does not blind the victim; a late batch (4-6 after 10-11) is accepted once; listing and metrics need the token', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'rules.yaml'), RULES_A);
  const alertsFile = join(dir, 'alerts.jsonl');
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', join(dir, 'rules.yaml'), '--alerts-file', alertsFile]);
  const victim = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '50' } });
  try {
    const victimId = ((await victim.waitOut((l) => l.event === 'started')).agentIds as string[])[0]!;
    const ofVictim = async (): Promise<Line[]> => (await readAlerts(alertsFile)).filter((a) => (a.agent as Line).id === victimId);
    await until(async () => (await ofVictim()).length >= 5, 15_000, 'victim alerts');

    // The listing is not public any more.
    assert.is((await fetch(`http://127.0.0.1:${orch.port}/v1/agents`)).status, 401);
    assert.is((await fetch(`http://127.0.0.1:${orch.port}/metrics`)).status, 401);
    assert.is((await getAuthed(orch.port, '/metrics', 'wrong')).status, 401);
    assert.is((await fetch(`http://127.0.0.1:${orch.port}/healthz`)).status, 200);

    // The attacker has the shared key and the victim's id, not its session.
    const evil = await rawAgent(orch.port, { agentId: victimId, sessionId: newSession() });
    const welcome = await evil.next((m) => m.type === 'welcome', 'welcome');
    assert.is(welcome.ackedSeq, 0, 'the attacker learns nothing of the victim\'s sequences');
    evil.ws.send(JSON.stringify({ type: 'alerts', firstSeq: 2 ** 53 - 2, alerts: [mk(1)] }));
    const ack = await evil.next((m) => m.type === 'ack', 'ack');
    assert.is(ack.seq, 0, 'outside the window: refused');
    await orch.waitLog((l) => l.msg === "alert batch outside the session's sequence window; refused", 10_000, 'window log');
    const n = (await ofVictim()).length;
    const later = await until(async () => {
      const a = await ofVictim();
      return a.length >= n + 20 ? a : undefined;
    }, 15_000, 'victim alerts after the attack');
    assert.ok(later.every((a) => (a.output_fields as Line)['fake.n'] !== undefined && (a.output_fields as Line).n === undefined), 'nothing of the attacker\'s in the victim\'s name');
    assert.is(victim.logs.filter((l) => l.msg === 'connected to the orchestrator').length, 1, 'the victim\'s connection was not superseded');
    evil.ws.terminate();

    // A late batch, from an honest session of its own.
    const late = await rawAgent(orch.port, { agentId: 'late-agent', sessionId: newSession() });
    await late.next((m) => m.type === 'welcome', 'welcome');
    const batch = (first: number, count: number): void => late.ws.send(JSON.stringify({ type: 'alerts', firstSeq: first, alerts: Array.from({ length: count }, (_, i) => mk(first + i)) }));
    const acks: number[] = [];
    for (const [first, count] of [[1, 3], [10, 2], [4, 3], [4, 3], [7, 3]] as const) {
      batch(first, count);
      acks.push((await late.next((m) => m.type === 'ack', `ack for ${first}`)).seq as number);
    }
    assert.equal(acks, [3, 3, 6, 6, 11], 'never acknowledged past a missing alert');
    const seqs = (await readAlerts(alertsFile)).filter((a) => (a.agent as Line).id === 'late-agent').map((a) => (a.agent as Line).seq as number);
    assert.equal([...seqs].sort((a, b) => a - b), Array.from({ length: 11 }, (_, i) => i + 1), '1..11, each once');
    late.ws.terminate();

    const list = await (await getAuthed(orch.port, '/v1/agents', KEY)).text();
    assert.ok(list.includes(victimId));
    const m = await (await getAuthed(orch.port, '/metrics', KEY)).text();
    assert.ok(metric(m, 'alert_batches_out_of_window_total') >= 1);
    assert.ok(metric(m, 'alert_batches_out_of_order_total') >= 1);
    assert.ok(metric(m, 'alerts_duplicate_total') >= 3);
  } finally {
    await stop(victim);
    await stop(orch);
  }
});

test('secrets never reach a log: an invalid hello with the right key, a torn one, a malformed frame after hello; an agent whose ECS metadata has a numeric label connects', async () => {
  const dir = tempDir();
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--alerts-file', join(dir, 'a.jsonl'), '--log-level', 'debug']);
  const session = newSession();
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '5', FAKE_AGENT_TASK_JSON: JSON.stringify({ arn: 'arn:aws:ecs:eu-west-1:1:task/c/1', revision: 7, cluster: true, family: { odd: 1 } }) } });
  try {
    // Invalid hello (protocol is not a number), the right key: refused without showing it.
    const bad = await rawAgent(orch.port, { agentId: 'leaky', sessionId: session, protocol: 'one' });
    await orch.waitLog((l) => l.msg === 'malformed message from agent ignored' && String(l.error).includes('hello.protocol'), 10_000, 'invalid hello logged');
    bad.ws.send(`{"type":"hello","accessKey":"${KEY}","sessionId":"${session}","agentId":`);
    await orch.waitLog((l) => l.msg === 'malformed message from agent ignored' && String(l.error).includes('not JSON'), 10_000, 'torn hello logged');
    bad.ws.terminate();
    // After hello the frame is shown, with secret fields blanked.
    const ok = await rawAgent(orch.port, { agentId: 'ok-agent', sessionId: newSession() });
    await ok.next((m) => m.type === 'welcome', 'welcome');
    ok.ws.send(JSON.stringify({ type: 'bogus', accessKey: KEY, nested: { sessionId: session } }));
    const shown = await orch.waitLog((l) => l.msg === 'malformed message from agent ignored' && String(l.frame ?? '').includes('bogus'), 10_000, 'frame preview');
    assert.match(String(shown.frame), /\[redacted\]/);
    ok.ws.terminate();

    // The odd label types were coerced: the agent is in.
    const conn = await orch.waitLog((l) => l.msg === 'agent connected' && (l.task as Line | undefined)?.arn === 'arn:aws:ecs:eu-west-1:1:task/c/1', 15_000, 'the agent with odd metadata');
    assert.equal(conn.task, { arn: 'arn:aws:ecs:eu-west-1:1:task/c/1', revision: '7', cluster: 'true' });
    await agent.waitLog((l) => l.msg === 'connected to the orchestrator', 10_000);
    await stop(agent);
    await stop(orch);
    const everything = JSON.stringify(orch.logs) + orch.raw.join('\n') + JSON.stringify(orch.out) + JSON.stringify(agent.logs) + agent.raw.join('\n');
    assert.not.ok(everything.includes(KEY), 'the access key is in no log line');
    assert.not.ok(everything.includes(session), 'nor the session id');
  } finally {
    agent.kill('SIGKILL');
    orch.kill('SIGKILL');
  }
});

/** Opens a raw WebSocket on TCP and streams one frame announcing `size` bytes, until the server cuts it; resolves the bytes sent. */
function hugeFrame(port: number, size: number): Promise<number> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let sent = 0;
    let upgraded = false;
    const chunk = Buffer.alloc(1 << 20, 0x61);
    const finish = (): void => resolve(sent);
    sock.on('error', finish);
    sock.on('close', finish);
    sock.on('connect', () => {
      sock.write(`GET ${AGENT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('data', (d) => {
      if (upgraded || !d.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      const head = Buffer.alloc(14);
      head[0] = 0x81; // FIN, text
      head[1] = 0x80 | 127; // masked, 64-bit length
      head.writeBigUInt64BE(BigInt(size), 2);
      randomBytes(4).copy(head, 10);
      sock.write(head);
      const pump = (): void => {
        while (sent < size && !sock.destroyed) {
          const n = Math.min(chunk.length, size - sent);
          sent += n;
          if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void sock.once('drain', pump);
        }
        if (sent >= size) sock.end();
      };
      pump();
    });
  });
}

test('before hello: 12 connections each sending a 63 MiB frame keep the orchestrator under 300 MB; 50k junk frames do not make 50k log lines', async () => {
  const dir = tempDir();
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--alerts-file', join(dir, 'a.jsonl')]);
  try {
    const sent = await Promise.all(Array.from({ length: 12 }, () => hugeFrame(orch.port, 63 * 1024 * 1024)));
    assert.ok(sent.every((n) => n < 63 * 1024 * 1024), `every connection was cut before its frame ended (${sent.map((n) => (n / 1048576).toFixed(1)).join(', ')} MiB)`);
    const peak = peakRssBytes(orch.pid);
    assert.ok(peak < 300 * 1024 * 1024, `peak RSS ${(peak / 1048576).toFixed(0)} MB`);
    const m = await (await getAuthed(orch.port, '/metrics', KEY)).text();
    assert.is(metric(m, 'preauth_overflow_total'), 12);

    // Junk after hello: every frame is counted, the log lines are rate-limited.
    const a = await rawAgent(orch.port, { agentId: 'junk', sessionId: newSession() });
    await a.next((x) => x.type === 'welcome', 'welcome');
    const before = orch.logs.length;
    for (let i = 0; i < 50_000; i++) a.ws.send('junk');
    a.ws.send(JSON.stringify({ type: 'alerts', firstSeq: 1, alerts: [mk(1)] }));
    await a.next((x) => x.type === 'ack' && x.seq === 1, 'the ack after the junk'); // frames are handled in order
    const lines = orch.logs.slice(before).filter((l) => l.msg === 'malformed message from agent ignored');
    assert.ok(lines.length <= 10, `${lines.length} log lines for 50k junk frames`);
    const m2 = await (await getAuthed(orch.port, '/metrics', KEY)).text();
    assert.ok(metric(m2, 'malformed_messages_total') >= 50_000);
    a.ws.terminate();

    // Junk before hello: cut at the byte budget, a handful of lines.
    const pre = new WebSocket(`ws://127.0.0.1:${orch.port}${AGENT_PATH}`);
    await new Promise((r, j) => (pre.once('open', r), pre.once('error', j)));
    const closed = new Promise((r) => pre.once('close', r));
    pre.on('error', () => undefined);
    for (let i = 0; i < 50_000 && pre.readyState === WebSocket.OPEN; i++) pre.send('junk');
    await closed;
    await orch.waitLog((l) => l.msg === 'connection sent too much before hello; closed', 10_000, 'cut');
    assert.ok(orch.logs.length - before < 40, `${orch.logs.length - before} log lines in all`);
  } finally {
    await stop(orch);
  }
});

test('rule sets the agents could not take are not pushed: over the size limit, or too costly for the engine (a macro bomb); no reconnect loop, the next good set goes out', async () => {
  const dir = tempDir();
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  // Two files under the per-file limit, together over what one frame may carry.
  const big = RULES_A + '#' + 'x'.repeat(17 * 1024 * 1024) + '\n';
  writeFileSync(a, big);
  writeFileSync(b, big.replace('rule_a', 'rule_b'));
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', a, '--rules-file', b, '--alerts-file', join(dir, 'x.jsonl'), '--precheck-timeout-ms', '3000']);
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '5' } });
  try {
    const err = await orch.waitLog((l) => l.msg === 'rule set invalid; not pushed, the last good rule set stays', 10_000, 'size refusal');
    assert.match(String((err.errors as string[])[0]), /at most 33554432 can be pushed/);
    await agent.waitLog((l) => l.msg === 'connected to the orchestrator', 15_000);

    // A macro bomb: the engine runs out of time or memory in the worker, not the orchestrator.
    let bomb = '- macro: m0\n  condition: evt.type = open\n';
    for (let i = 1; i <= 26; i++) bomb += `- macro: m${i}\n  condition: (m${i - 1} or m${i - 1})\n`;
    bomb += '- rule: bomb\n  desc: d\n  condition: m26\n  output: o\n  priority: WARNING\n';
    writeFileSync(join(dir, 't'), bomb);
    renameSync(join(dir, 't'), a);
    writeFileSync(join(dir, 't'), '');
    renameSync(join(dir, 't'), b);
    const bombErr = await orch.waitLog((l) => l.msg === 'rule set invalid; not pushed, the last good rule set stays' && l !== err, 30_000, 'bomb refusal');
    assert.ok((bombErr.errors as string[]).length > 0);
    assert.ok(process.kill(orch.pid, 0), 'the orchestrator is alive');

    // Then a good set goes out, over the same connection.
    writeFileSync(join(dir, 't'), RULES_A);
    renameSync(join(dir, 't'), a);
    const rs = await agent.waitOut((l) => l.event === 'ruleset', 30_000, 'the good set');
    assert.is(rs.ok, true);
    assert.equal(rs.rules, ['rule_a']);
    assert.is(agent.out.filter((l) => l.event === 'ruleset').length, 1, 'nothing else was pushed');
    assert.is(agent.logs.filter((l) => l.msg === 'connected to the orchestrator').length, 1, 'no reconnect loop');
  } finally {
    await stop(agent);
    await stop(orch);
  }
});

test('rules files that are not regular files (a FIFO, /dev/zero) are refused at once; past --max-connections an agent is told to come back later', async () => {
  const dir = tempDir();
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', fifo, '--rules-file', '/dev/zero', '--alerts-file', join(dir, 'a.jsonl'), '--max-connections', '1']);
  try {
    const err = orch.logs.find((l) => l.msg === 'cannot read a rules file; keeping the last good rule set');
    assert.ok(err, 'refused before listening, without blocking');
    assert.match(String(err!.err), /not a regular file/);
    const first = await rawAgent(orch.port, { agentId: 'one', sessionId: newSession() });
    await first.next((m) => m.type === 'welcome', 'welcome');
    const second = await rawAgent(orch.port, { agentId: 'two', sessionId: newSession() });
    const code = await new Promise<number>((r) => second.ws.once('close', (c) => r(c)));
    assert.is(code, 1013);
    await orch.waitLog((l) => l.msg === 'agent refused: too many agents connected', 10_000);
    first.ws.terminate();
  } finally {
    await stop(orch);
  }
});

test('visible at the default log level: the orchestrator unreachable, alerts dropped (queue full, at exit), a pushed rule set that enables no rules', async () => {
  const lonely = startAgent({ port: 1, accessKey: KEY, env: { FAKE_AGENT_RATE: '200', FAKE_AGENT_QUEUE_MAX: '5', FAKE_AGENT_FLUSH_TIMEOUT_MS: '100' } });
  const dir = tempDir();
  writeFileSync(join(dir, 'rules.yaml'), '- list: nothing_here\n  items: [a]\n');
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', join(dir, 'rules.yaml'), '--alerts-file', join(dir, 'a.jsonl')]);
  const agent = startAgent({ port: orch.port, accessKey: KEY, env: { FAKE_AGENT_RATE: '5' } });
  try {
    const unreachable = await lonely.waitLog((l) => l.msg === 'orchestrator connection error', 15_000);
    assert.is(unreachable.level, 'error');
    const full = await lonely.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('alert queue full'), 15_000);
    assert.is(full.level, 'error');
    await stop(lonely);
    const exit = lonely.logs.find((l) => l.msg === 'alerts not acknowledged by the orchestrator at exit; counted as dropped');
    assert.is(exit?.level, 'error');
    assert.is(lonely.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('alert queue full')).length, 1, 'rate-limited');

    const empty = await agent.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('the pushed rule set enables no rules'), 15_000);
    assert.is(empty.level, 'error');
    assert.ok(orch.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('the rule set enables no rules')));
  } finally {
    lonely.kill('SIGKILL');
    await stop(agent);
    await stop(orch);
  }
});

test.run();
