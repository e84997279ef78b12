// Evasion by flooding: a workload floods syscalls so that the ring drops
// records and hides a credential read among them. By default drops are
// counted and raise Falco's "syscall event drop" alert; with
// SYSDIG_PRIORITY=security the ring applies backpressure (the workload waits)
// and every read alerts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { instrument, readAlerts, testEnv, tmp } from '../helpers.js';

const RULES = `
- rule: shadow read
  desc: a read of /etc/shadow
  condition: evt.type in (open, openat) and evt.is_open_read=true and fd.name = /etc/shadow
  output: shadow read (proc=%proc.name fd=%fd.name)
  priority: WARNING
- rule: flood
  desc: looks at the flood's opens (so that they make records), never matches
  condition: evt.type in (open, openat) and fd.name startswith /nonexistent/ and proc.name = no-such-process
  output: never (fd=%fd.name)
  priority: DEBUG
`;

// 100 reads of /etc/shadow, each hidden behind 200 failed opens of ~3.8 KiB paths.
const FLOOD = `
import os
p = ('/nonexistent/' + 'x' * 250 + '/') * 15
for i in range(100):
    for j in range(200):
        try: os.open(p, os.O_RDONLY)
        except OSError: pass
    with open('/etc/shadow') as f: f.read(1)
print('done')
`;

async function run(priority: string | undefined) {
  const dir = tmp('flood-');
  writeFileSync(join(dir, 'rules.yaml'), RULES);
  const alertsFile = join(dir, 'alerts.jsonl');
  const env = testEnv({
    SYSDIG_LOGGING: 'info',
    SYSDIG_EXTRA_ARGS: `--rules-file ${join(dir, 'rules.yaml')} --ring-bytes 65536 --alerts-file ${alertsFile}`,
    ...(priority ? { SYSDIG_PRIORITY: priority } : {}),
  });
  const r = await instrument(['python3', '-c', FLOOD], { env, timeout: 300_000 });
  const exited = String(r.stderr).split('\n').filter((l) => l.includes('"workload exited"')).map((l) => JSON.parse(l))[0];
  return { r, exited, alerts: readAlerts(alertsFile) };
}

test('default: the flood makes the ring drop; the drops are counted and raise the syscall event drop alert', async () => {
  const { r, exited, alerts } = await run(undefined);
  assert.is(r.stdout, 'done');
  assert.ok(exited, 'the exit summary');
  assert.ok(exited.dropped > 0, `drops under the flood: ${JSON.stringify(exited)}`);
  const drop = alerts.filter((a) => a.rule === 'Falco internal: syscall event drop');
  assert.ok(drop.length > 0, 'a drop alert');
  assert.is(drop[0]!.priority, 'Critical');
  const reported = drop.reduce((n, a) => n + Number(a.output_fields['n_drops']), 0);
  assert.is(reported, exited.dropped, 'the drop alerts account for every dropped record');
});

test('SYSDIG_PRIORITY=security: backpressure, nothing dropped, 100 of 100 reads alert', async () => {
  const { r, exited, alerts } = await run('security');
  assert.is(r.stdout, 'done');
  assert.is(exited.dropped, 0);
  assert.ok(exited.backpressureMs >= 0);
  assert.is(alerts.filter((a) => a.rule === 'shadow read').length, 100);
  assert.is(alerts.filter((a) => a.rule === 'Falco internal: syscall event drop').length, 0);
});

test.run();
