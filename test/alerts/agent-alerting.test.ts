// startAlerting (what the agent's analysis process calls, src/wrapper/main.ts) in this process against a real
// bin/orchestrator process: local file sink + orchestrator link, security
// wait, counters, flush at close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FalcoAlert } from '../../src/model/alert.js';
import { startAlerting } from '../../src/alerts/agent-alerting.js';
import type { RuleSetPush } from '../../src/alerts/orchestrator-link.js';
import { RULES_A, readAlerts, startOrchestrator, stop, tempDir } from '../fixtures/procs.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const alert = (n: number): FalcoAlert => ({
  time: '2026-01-01T00:00:00.000000000Z', rule: 'rule_a', priority: 'Warning', source: 'syscall', hostname: 'h', output: `o ${n}`, tags: [], output_fields: { n },
});
const base = { orchestratorHost: undefined, orchestratorPort: 6667, collectorHost: undefined, collectorPort: 6443, orchestratorTls: false, orchestratorCa: undefined, checkCertificate: true, accessKey: 'k', alertsFile: undefined, spoolDir: undefined };

test('startAlerting: rules wait, local file and orchestrator both get every alert, close flushes', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'rules.yaml'), RULES_A);
  const orch = await startOrchestrator(['--port', '0', '--access-key', 'k', '--rules-file', join(dir, 'rules.yaml'), '--alerts-file', join(dir, 'orch.jsonl')]);
  let version: string | undefined;
  const pushed: RuleSetPush[] = [];
  const a = startAlerting({
    config: { ...base, orchestratorHost: '127.0.0.1', orchestratorPort: orch.port, alertsFile: join(dir, 'local.jsonl') },
    logger: quiet,
    agentVersion: 'test',
    container: { name: 'c' },
    ruleSetVersion: () => version,
    counters: () => ({ events: 1, stops: 2, drops: 0 }),
    onRuleSet: async (set) => {
      pushed.push(set);
      version = set.version;
      return { ok: true, errors: [] };
    },
  });
  try {
    assert.is(await a.waitForRuleSet(10_000), true);
    assert.is(pushed.length, 1);
    assert.is(pushed[0]!.files[0]!.content, RULES_A);
    for (let i = 1; i <= 25; i++) a.emit(alert(i));
    await a.close(10_000);
    const local = readFileSync(join(dir, 'local.jsonl'), 'utf8').trim().split('\n');
    assert.is(local.length, 25);
    const remote = await readAlerts(join(dir, 'orch.jsonl'));
    assert.equal(remote.map((r) => (r.output_fields as { n: number }).n), Array.from({ length: 25 }, (_, i) => i + 1));
    const st = a.stats();
    assert.equal(st.sinks.sinks.orchestrator, { sent: 25, dropped: 0 });
    assert.equal(st.sinks.sinks.file, { sent: 25, dropped: 0 });
    assert.is(st.link!.acked, 25);
  } finally {
    await stop(orch);
  }
});

test('startAlerting without orchestrator or collector: local sinks only, no rules wait', async () => {
  const a = startAlerting({ config: base, logger: quiet, alertLogger: quiet, agentVersion: 't', container: {}, ruleSetVersion: () => undefined, counters: () => ({}), onRuleSet: async () => ({ ok: false, errors: [] }) });
  assert.is(a.link, undefined);
  assert.is(await a.waitForRuleSet(10), false);
  a.emit(alert(1));
  assert.equal(a.stats().sinks.sinks.log, { sent: 1, dropped: 0 });
  await a.close(100);
});

test.run();
