// The open pre-filter end to end: bin/instrument with the upstream stable
// rules skips the exit stop of opens no rule can care about (and counts them),
// and still raises every alert, whatever way the sensitive file is reached:
// through a directory fd or a cwd whose own open was skipped, an unclean
// path, a relative path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_RULES, instrument, testEnv, tmp, readAlerts } from '../../helpers.js';

const STABLE = join(SHARED_RULES, 'falco_rules.yaml');
const dir = tmp('prefilter-e2e-');

const SCRIPT = `
import os, sys
d = sys.argv[1]
for i in range(200):
    p = '%s/f%d' % (d, i)
    os.close(os.open(p, os.O_CREAT | os.O_WRONLY))
    os.unlink(p)
def read(p, **kw):
    os.close(os.open(p, os.O_RDONLY, **kw))
read('/etc/shadow')                       # 1 absolute
root = os.open('/', os.O_RDONLY)          # no O_DIRECTORY: "/" matches no pattern, skipped
read('etc/shadow', dir_fd=root)           # 2 through the skipped fd
os.fchdir(root)
read('etc/shadow')                        # 3 relative to a cwd set from the skipped fd
read(d + '/../../etc/shadow')             # 4 unclean
read('//etc//shadow')                     # 5 unclean
`;

async function run(extraEnv: Record<string, string> = {}) {
  const alertsFile = join(tmp('alerts-'), 'alerts.jsonl');
  const r = await instrument(['python3', '-c', SCRIPT, dir], {
    env: testEnv({ SYSDIG_LOGGING: 'info', SYSDIG_EXTRA_ARGS: `--rules-file ${STABLE} --alerts-file ${alertsFile}`, ...extraEnv }),
  });
  const exited = String(r.stderr)
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .find((j) => j.msg === 'workload exited');
  return { r, alerts: readAlerts(alertsFile), exited };
}

test('opens of untouched paths are skipped and counted; every way to /etc/shadow still alerts', async () => {
  const { r, alerts, exited } = await run();
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.ok(exited, 'the "workload exited" line');
  assert.ok((exited!.opensSkipped as number) >= 200, `opensSkipped ${exited!.opensSkipped}`);
  // one alert per read (rule_matching first: the "../" read is a traversal)
  const shadow = alerts.filter((a) => a.output_fields['fd.name'] === '/etc/shadow');
  assert.is(shadow.length, 5, JSON.stringify(alerts.map((a) => [a.rule, a.output_fields['fd.name']])));
  assert.is(shadow.filter((a) => a.rule === 'Directory traversal monitored file read').length, 1);
});

test('the A/B switch turns it off: nothing skipped, the same alerts', async () => {
  const { alerts, exited } = await run({ DRAIOS_BENCH_NO_PREFILTER: '1' });
  assert.is(exited!.opensSkipped, 0);
  assert.is(alerts.filter((a) => a.output_fields['fd.name'] === '/etc/shadow').length, 5);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
