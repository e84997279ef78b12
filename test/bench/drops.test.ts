// Drops are counted and reported, never silent: with a tiny ring (64 KiB)
// and records of ~4 KiB (long paths), the tracer outruns the event loop and
// must drop; the agent then reports the same count in its "workload exited"
// line and in the "tracer records dropped" warning. With the default ring the
// same kind of workload, small enough to fit the ring whole, drops nothing.
// A test of accounting, not a timing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { instrument, SHARED_RULES, testEnv } from '../helpers.js';

const STABLE = join(SHARED_RULES, 'falco_rules.yaml');

/** python3 failing to open a ~3.8 KiB path N times: one large record per open. */
const opener = (n: number): string[] => [
  'python3',
  '-c',
  `import os\np = ('/nonexistent/' + 'x' * 250 + '/') * 15\nfor i in range(${n}):\n  try: os.open(p, os.O_RDONLY)\n  except OSError: pass\n`,
];

interface LogLine {
  msg?: string;
  dropped?: number;
  exitCode?: number;
}

function lines(stderr: string): LogLine[] {
  const out: LogLine[] = [];
  for (const l of stderr.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as LogLine);
    } catch {
      /* not a log line */
    }
  }
  return out;
}

test('a 64 KiB ring under a flood of large records: drops counted and reported at exit', async () => {
  const env = testEnv({ SYSDIG_EXTRA_ARGS: `--ring-bytes 65536 --rules-file ${STABLE}`, SYSDIG_LOGGING: 'info' });
  const r = await instrument(opener(20000), { env, timeout: 120_000 });
  assert.is(r.exitCode, 0, String(r.stderr).slice(-2000));
  const log = lines(String(r.stderr));
  const exited = log.find((l) => l.msg === 'workload exited');
  assert.ok(exited, 'a "workload exited" line');
  assert.ok((exited!.dropped ?? 0) > 0, `drops counted: ${JSON.stringify(exited)}`);
  const warn = log.find((l) => l.msg?.startsWith('tracer records dropped'));
  assert.ok(warn, 'a "tracer records dropped" warning');
  assert.is(warn!.dropped, exited!.dropped, 'the warning reports the same count');
});

test('the default ring, a workload whose records fit in it: zero dropped', async () => {
  // 1000 records of ~4 KiB: ~4 MiB, half the default 8 MiB ring, whatever the event loop does.
  const env = testEnv({ SYSDIG_EXTRA_ARGS: `--rules-file ${STABLE}`, SYSDIG_LOGGING: 'info' });
  const r = await instrument(opener(1000), { env });
  assert.is(r.exitCode, 0, String(r.stderr).slice(-2000));
  const log = lines(String(r.stderr));
  const exited = log.find((l) => l.msg === 'workload exited');
  assert.ok(exited, 'a "workload exited" line');
  assert.is(exited!.dropped, 0);
  assert.not.ok(log.some((l) => l.msg?.startsWith('tracer records dropped')), 'no drop warning');
});

test.run();
