// Unit tests of the orchestrator's pure pieces: configuration, rule-set
// versioning and YAML checks, the alert writer's dedup journal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, appendFileSync } from 'node:fs';
import { tmp } from '../helpers.js';
import { join } from 'node:path';
import type { FalcoAlert } from '../../src/model/alert.js';
import { AlertWriter } from '../../src/orchestrator/alert-writer.js';
import { parseOrchestratorConfig } from '../../src/orchestrator/config.js';
import { checkYaml, ruleSetVersion } from '../../src/orchestrator/rule-store.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const alert = (n: number): FalcoAlert => ({
  time: '2026-01-01T00:00:00.000000000Z', rule: 'r', priority: 'Warning', source: 'syscall', hostname: 'h', output: `o ${n}`, tags: [], output_fields: { n },
});

test('config: command line, environment, defaults', () => {
  const c = parseOrchestratorConfig(['--host', '127.0.0.1', '--port', '7000', '--access-key', 'k', '--rules-file', 'a', '--rules-file=b', '--alerts-file', 'f'], {});
  assert.ok(typeof c === 'object');
  if (typeof c !== 'object') return;
  assert.is(c.port, 7000);
  assert.equal(c.rulesFiles, ['a', 'b']);
  assert.is(c.alertsStdout, false);
  const e = parseOrchestratorConfig([], { ORCHESTRATOR_HOST: '127.0.0.1', SYSDIG_ACCESS_KEY: 'k', ORCHESTRATOR_RULES_FILES: 'x, y', ORCHESTRATOR_FORWARD_URL: 'http://h:2801/' });
  assert.ok(typeof e === 'object' && e.port === 6667 && e.rulesFiles.length === 2 && e.alertsStdout && e.forwardUrl === 'http://h:2801/');
  assert.type(parseOrchestratorConfig([], {}), 'string');
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--tls-cert', 'c'], {}), 'string');
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--port', '70000'], {}), 'string');
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--forward-url', 'ftp://x'], {}), 'string');
  assert.is((e as { maxAgents: number }).maxAgents, 100_000);
  const m = parseOrchestratorConfig(['--access-key', 'k', '--tls-offloaded', '--max-agents', '3'], { ORCHESTRATOR_MAX_AGENTS: '9' });
  assert.is(typeof m === 'object' && m.maxAgents, 3);
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--max-agents', '0'], {}), 'string');
});

test('rule sets: version depends on names and contents; YAML checks', () => {
  const a = ruleSetVersion([{ name: 'a', content: 'x' }]);
  assert.match(a, /^sha256:[0-9a-f]{16}$/);
  assert.is.not(a, ruleSetVersion([{ name: 'a', content: 'y' }]));
  assert.is.not(a, ruleSetVersion([{ name: 'b', content: 'x' }]));
  assert.equal(checkYaml([{ name: 'ok', content: '- rule: a\n' }, { name: 'empty', content: '' }]), []);
  assert.is(checkYaml([{ name: 'm', content: 'rule: a\n' }]).length, 1);
  assert.is(checkYaml([{ name: 'bad', content: '- [unclosed\n' }]).length, 1);
});

const A = { agentId: 'a', session: 'sa' };
const B = { agentId: 'b', session: 'sb' };
const seqsIn = (file: string, session: string): number[] =>
  readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"time":"2026')).map((l) => (JSON.parse(l) as { agent: { session: string; seq: number } }).agent).filter((a) => a.session === session).map((a) => a.seq);

test('alert writer: dedup by (session, seq), out-of-order batches stored once and acknowledged only when contiguous, journal recovered after a restart', async () => {
  const dir = tmp('writer-');
  const file = join(dir, 'alerts.jsonl');
  const w1 = new AlertWriter({ file, stdout: false, logger: quiet });
  await w1.open();
  assert.equal(await w1.write(A, 1, [alert(1), alert(2), alert(3)]), { acked: 3, written: 3 });
  assert.equal(await w1.write(A, 2, [alert(2), alert(3), alert(4)]), { acked: 4, written: 1 });
  assert.equal(await w1.write(B, 1, [alert(1)]), { acked: 1, written: 1 });
  assert.is(w1.stats().duplicates, 2);
  // A late batch: 10-11 arrive before 5-6; never acknowledged past the hole.
  assert.equal(await w1.write(A, 10, [alert(10), alert(11)]), { acked: 4, written: 2 });
  assert.equal(await w1.write(A, 5, [alert(5), alert(6)]), { acked: 6, written: 2 });
  assert.equal(await w1.write(A, 5, [alert(5), alert(6)]), { acked: 6, written: 0 }, 'accepted once');
  assert.equal(await w1.write(A, 7, [alert(7), alert(8), alert(9), alert(10), alert(11)]), { acked: 11, written: 3 });
  assert.is(w1.stats().gaps, 0);
  await w1.write(A, 13, [alert(13)]); // 12 missing, stored above the hole
  w1.close();
  appendFileSync(file, '{"time":"torn li'); // a crash mid-line
  const w2 = new AlertWriter({ file, stdout: false, logger: quiet });
  await w2.open();
  assert.is(w2.ackedSeq('sa'), 11);
  assert.is(w2.ackedSeq('sb'), 1);
  assert.equal(await w2.write(A, 12, [alert(12), alert(13), alert(14)]), { acked: 14, written: 2 });
  // The agent gave up on 15-16 (oldestSeq 17): counted as gaps, exactly.
  assert.equal(await w2.write(A, 17, [alert(17)], 17), { acked: 17, written: 1 });
  assert.is(w2.stats().gaps, 2);
  w2.close();
  assert.equal(seqsIn(file, 'sa'), [1, 2, 3, 4, 10, 11, 5, 6, 7, 8, 9, 13, 12, 14, 17]);
});

test('alert writer: batches of one turn are synced together; none is acknowledged before, a duplicate within the group included', async () => {
  const dir = tmp('writer-');
  const file = join(dir, 'alerts.jsonl');
  const w = new AlertWriter({ file, stdout: false, logger: quiet });
  await w.open();
  const acks: number[] = [];
  const p1 = w.write(A, 1, [alert(1), alert(2)]).then((r) => acks.push(r.acked));
  const p2 = w.write(A, 1, [alert(1), alert(2), alert(3)]).then((r) => acks.push(r.acked));
  const p3 = w.write(B, 1, [alert(1)]).then((r) => acks.push(r.acked));
  assert.equal(acks, [], 'nothing acknowledged before the sync');
  await Promise.all([p1, p2, p3]);
  assert.equal(acks, [3, 3, 1], 'in order, each with the state after the commit');
  assert.equal(seqsIn(file, 'sa'), [1, 2, 3]);
  w.close();
});

test('alert writer: sessions are separate; a batch far past the sequence window is refused and does not blind the session', async () => {
  const dir = tmp('writer-');
  const file = join(dir, 'alerts.jsonl');
  const w = new AlertWriter({ file, stdout: false, logger: quiet });
  await w.open();
  await w.write(A, 1, [alert(1)]);
  const far = await w.write(A, 2 ** 53 - 2, [alert(1)]);
  assert.is(far.refused, 'window');
  assert.is(far.written, 0);
  assert.equal(await w.write(A, 2, [alert(2)]), { acked: 2, written: 1 });
  assert.equal(await w.write({ agentId: 'a', session: 'other' }, 1, [alert(1)]), { acked: 1, written: 1 }, 'same agent id, another session: its own sequences');
  assert.is(w.stats().outOfWindow, 1);
  // State lost on this side (a new file, an eviction): the agent's oldestSeq resumes the session, not counted as loss.
  assert.equal(await w.write({ agentId: 'r', session: 'resumed' }, 200_001, [alert(1)], 200_001), { acked: 200_001, written: 1 });
  assert.equal(await w.write({ agentId: 'e', session: 'evicted' }, 41, [alert(1)], 41), { acked: 41, written: 1 });
  assert.is(w.stats().resyncs, 2);
  assert.is(w.stats().gaps, 0);
  w.close();
});

test('alert writer: the dedup table is bounded; the least recently written session is forgotten first, and counted', async () => {
  const dir = tmp('writer-');
  const file = join(dir, 'alerts.jsonl');
  const w = new AlertWriter({ file, stdout: false, logger: quiet, maxAgents: 2 });
  await w.open();
  await w.write(A, 1, [alert(1)]);
  await w.write(B, 1, [alert(1)]);
  await w.write(A, 2, [alert(2)]); // a is now the most recent
  await w.write({ agentId: 'c', session: 'sc' }, 1, [alert(1)]); // evicts b
  assert.is(w.stats().sessionsKnown, 2);
  assert.is(w.stats().sessionsEvicted, 1);
  assert.is(w.ackedSeq('sa'), 2);
  assert.is(w.ackedSeq('sb'), 0, 'b forgotten');
  assert.is(w.ackedSeq('sc'), 1);
  w.close();
  // the journal read back respects the bound too
  const r = new AlertWriter({ file, stdout: false, logger: quiet, maxAgents: 1 });
  await r.open();
  assert.is(r.stats().sessionsKnown, 1);
  r.close();
});

test('config: plain HTTP only on loopback unless --tls-offloaded; precheck on by default', () => {
  assert.match(String(parseOrchestratorConfig(['--access-key', 'k'], {})), /refusing to serve plain HTTP on 0\.0\.0\.0/);
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--host', '10.0.0.5'], {}), 'string');
  for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]']) assert.type(parseOrchestratorConfig(['--access-key', 'k', '--host', host], {}), 'object', host);
  const off = parseOrchestratorConfig(['--access-key', 'k', '--tls-offloaded'], {});
  assert.ok(typeof off === 'object' && off.tlsOffloaded && off.host === '0.0.0.0');
  const tls = parseOrchestratorConfig(['--access-key', 'k', '--tls-cert', 'c', '--tls-key', 'k'], {});
  assert.ok(typeof tls === 'object' && tls.precheck === true);
  const np = parseOrchestratorConfig(['--access-key', 'k', '--host', '127.0.0.1', '--no-precheck', '--api-token', 't'], {});
  assert.ok(typeof np === 'object' && np.precheck === false && np.apiToken === 't');
});

test.run();
