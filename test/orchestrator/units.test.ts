// Unit tests of the orchestrator's pure pieces: configuration, rule-set
// versioning and YAML checks, the alert writer's dedup journal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FalcoAlert } from '../../src/alerts/alert.js';
import { AlertWriter } from '../../src/orchestrator/alert-writer.js';
import { parseOrchestratorConfig } from '../../src/orchestrator/config.js';
import { checkYaml, ruleSetVersion } from '../../src/orchestrator/rule-store.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const alert = (n: number): FalcoAlert => ({
  time: '2026-01-01T00:00:00.000000000Z', rule: 'r', priority: 'Warning', source: 'syscall', hostname: 'h', output: `o ${n}`, tags: [], output_fields: { n },
});

test('config: command line, environment, defaults', () => {
  const c = parseOrchestratorConfig(['--port', '7000', '--access-key', 'k', '--rules-file', 'a', '--rules-file=b', '--alerts-file', 'f'], {});
  assert.ok(typeof c === 'object');
  if (typeof c !== 'object') return;
  assert.is(c.port, 7000);
  assert.equal(c.rulesFiles, ['a', 'b']);
  assert.is(c.alertsStdout, false);
  const e = parseOrchestratorConfig([], { SYSDIG_ACCESS_KEY: 'k', ORCHESTRATOR_RULES_FILES: 'x, y', ORCHESTRATOR_FORWARD_URL: 'http://h:2801/' });
  assert.ok(typeof e === 'object' && e.port === 6667 && e.rulesFiles.length === 2 && e.alertsStdout && e.forwardUrl === 'http://h:2801/');
  assert.type(parseOrchestratorConfig([], {}), 'string');
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--tls-cert', 'c'], {}), 'string');
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--port', '70000'], {}), 'string');
  assert.type(parseOrchestratorConfig(['--access-key', 'k', '--forward-url', 'ftp://x'], {}), 'string');
  assert.is((e as { maxAgents: number }).maxAgents, 100_000);
  const m = parseOrchestratorConfig(['--access-key', 'k', '--max-agents', '3'], { ORCHESTRATOR_MAX_AGENTS: '9' });
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

test('alert writer: dedup by (agent, seq), gaps counted, journal recovered after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'writer-'));
  const file = join(dir, 'alerts.jsonl');
  const w1 = new AlertWriter({ file, stdout: false, logger: quiet });
  await w1.open();
  assert.is(w1.write({ agentId: 'a' }, 1, [alert(1), alert(2), alert(3)]), 3);
  assert.is(w1.write({ agentId: 'a' }, 2, [alert(2), alert(3), alert(4)]), 4);
  assert.is(w1.write({ agentId: 'b' }, 1, [alert(1)]), 1);
  assert.is(w1.stats().duplicates, 2);
  w1.close();
  appendFileSync(file, '{"time":"torn li'); // a crash mid-line
  const w2 = new AlertWriter({ file, stdout: false, logger: quiet });
  await w2.open();
  assert.is(w2.ackedSeq('a'), 4);
  assert.is(w2.ackedSeq('b'), 1);
  assert.is(w2.write({ agentId: 'a' }, 3, [alert(3), alert(4), alert(5)]), 5);
  assert.is(w2.write({ agentId: 'a' }, 8, [alert(8)]), 8);
  assert.is(w2.stats().gaps, 2);
  w2.close();
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"time":"2026'));
  const seqs = lines.map((l) => (JSON.parse(l) as { agent: { id: string; seq: number } }).agent).filter((a) => a.id === 'a').map((a) => a.seq);
  assert.equal(seqs, [1, 2, 3, 4, 5, 8]);
});

test('alert writer: the dedup table is bounded; the least recently written agent is forgotten first, and counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'writer-'));
  const file = join(dir, 'alerts.jsonl');
  const w = new AlertWriter({ file, stdout: false, logger: quiet, maxAgents: 2 });
  await w.open();
  w.write({ agentId: 'a' }, 1, [alert(1)]);
  w.write({ agentId: 'b' }, 1, [alert(1)]);
  w.write({ agentId: 'a' }, 2, [alert(2)]); // a is now the most recent
  w.write({ agentId: 'c' }, 1, [alert(1)]); // evicts b
  assert.is(w.stats().agentsKnown, 2);
  assert.is(w.stats().agentsEvicted, 1);
  assert.is(w.ackedSeq('a'), 2);
  assert.is(w.ackedSeq('b'), 0, 'b forgotten');
  assert.is(w.ackedSeq('c'), 1);
  w.close();
  // the journal read back respects the bound too
  const r = new AlertWriter({ file, stdout: false, logger: quiet, maxAgents: 1 });
  await r.open();
  assert.is(r.stats().agentsKnown, 1);
  r.close();
});

test.run();
