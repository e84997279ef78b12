// --capture-file end to end: real programs under bin/instrument write a
// capture; the sysdig Debian ships (0.29.3, libs of March 2022) reads it and
// shows the same processes, files, connections, users and results the
// agent's rules saw (its SYSDIG_LOGGING=trace view); `agentctl replay` of the
// capture raises the same alerts the live run raised. Also: rotation, and a
// full disk (drops counted, the workload unharmed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, instrument, readAlerts, testEnv, tmp } from '../helpers.js';

const AGENTCTL = join(ROOT, 'bin', 'agentctl');
const RULES = join(ROOT, 'test', 'fixtures', 'capture-rules.yaml');
const dir = tmp('capture-');
/** Every syscall stops twice with a capture (no open pre-filter): generous bounds for a loaded machine. */
const SLOW = 240_000;

// One process of each kind the table below checks: a listening socket, a
// connect and an accept on loopback, reads of /etc/passwd (one failing open),
// a shell's dup, and a program run as another user (setpriv -> nobody).
const PY = join(dir, 'net.py');
writeFileSync(
  PY,
  `import os, socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
c = socket.socket(); c.connect(s.getsockname())
a, _ = s.accept()
a.close(); c.close(); s.close()
os.close(os.open('/etc/passwd', os.O_RDONLY))
try:
    os.open('/nonexistent/file', os.O_RDONLY)
except OSError:
    pass
`,
);
const SCRIPT = `cat /etc/hostname >/dev/null; exec 3</etc/passwd; exec 4>&3; /usr/bin/python3 ${PY}; setpriv --reuid=65534 --regid=65534 --clear-groups cat /etc/passwd >/dev/null; echo done`;

interface TraceEvent {
  evt: number;
  type: string;
  tid: number;
  res: number;
  fields: Record<string, string | number | boolean | null>;
}

/** Live: the workload under the agent with a capture, the trace view and an alerts file. */
async function live(capture: string, extra = '') {
  const alerts = join(tmp('alerts-'), 'alerts.jsonl');
  const r = await instrument(['sh', '-c', SCRIPT], {
    timeout: SLOW,
    env: testEnv({ SYSDIG_LOGGING: 'trace', SYSDIG_EXTRA_ARGS: `--rules-file ${RULES} --alerts-file ${alerts} --capture-file ${capture} ${extra}` }),
  });
  const lines = String(r.stderr).split('\n').filter((l) => l.startsWith('{'));
  const events = lines.filter((l) => l.includes('"msg":"event"')).map((l) => JSON.parse(l) as TraceEvent);
  const exited = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'workload exited');
  return { r, events, exited, alerts: readAlerts(alerts) };
}

const TYPES = ['openat', 'execve', 'socket', 'bind', 'listen', 'connect', 'accept', 'dup'];
/** Event names the way sysdig 0.29.3 shows them (dup2/dup3 use dup's events, accept4 is "accept"). */
const asSysdig = (t: string): string => (t === 'dup2' || t === 'dup3' ? 'dup' : t === 'accept4' ? 'accept' : t);
const FIELDS = ['proc.name', 'proc.cmdline', 'fd.name', 'fd.sip', 'fd.sport', 'user.name', 'evt.res'] as const;

/** sysdig -r: the exit events of TYPES with the compared fields, in file order. */
async function sysdigRows(file: string): Promise<string[][]> {
  const fmt = '*' + ['%thread.tid', '%evt.type', ...FIELDS.map((f) => `%${f}`)].join('\t');
  const { stdout } = await execa('sysdig', ['-d', '-r', file, '-p', fmt, `evt.dir=< and evt.type in (${TYPES.join(',')})`], { timeout: SLOW });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

const show = (v: unknown): string => (v === null || v === undefined ? '<NA>' : String(v));
const FD_NAME = 2 + FIELDS.indexOf('fd.name');

test('sysdig -r shows the processes, files, connections and users the rules saw; replay raises the same alerts', async () => {
  const capture = join(dir, 'run.scap');
  const { r, events, exited, alerts } = await live(capture);
  assert.is(r.exitCode, 0, String(r.stderr).slice(-2000));
  assert.is(r.stdout, 'done', 'the workload output is untouched');
  assert.ok(exited.captureEvents > 0, 'the capture counted its events');
  assert.is(exited.captureDropped, 0);

  // the agent's view, for the compared event types, in the order it built them
  const mine = events.filter((e) => TYPES.includes(asSysdig(e.type)) && !(e.type === 'execve' && e.res < 0));
  const theirs = (await sysdigRows(capture)).filter((row) => !(row[1] === 'execve' && row[8] !== 'SUCCESS'));
  assert.ok(mine.length >= 20, `enough events to compare (${mine.length})`);
  assert.is(theirs.length, mine.length, 'sysdig shows every event of these types the agent built');
  for (let i = 0; i < mine.length; i++) {
    const e = mine[i]!;
    const expected = [String(e.tid), asSysdig(e.type), ...FIELDS.map((f) => show(e.fields[f]))];
    // no name, three spellings: an fd the workload inherited (stdio) is in neither
    // table (libsinsp names a copy of it "", the agent has none), and libsinsp
    // 0.29 names a unix socket whose connect failed "NULL" (docs/capture.md, limits)
    const NONE = ['', '<NA>', 'NULL'];
    if (NONE.includes(expected[FD_NAME]!) && NONE.includes(theirs[i]![FD_NAME]!)) expected[FD_NAME] = theirs[i]![FD_NAME]!;
    // a dup of an fd the agent does not know (a saved copy of inherited stdout):
    // the agent clears the target, libsinsp 0.29 leaves the target's old name
    // in place, so its later copies carry a stale name (docs/capture.md, limits)
    // (with lazy fd state the agent has the kernel's facts of that copy, a pipe, named "")
    if (expected[1] === 'dup' && (expected[FD_NAME] === '<NA>' || expected[FD_NAME] === '')) expected[FD_NAME] = theirs[i]![FD_NAME]!;
    assert.equal(theirs[i], expected, `event ${i} (agent evt.num ${e.evt}, ${e.type})`);
  }
  // what the table covers
  const seen = (pred: (e: TraceEvent) => boolean) => mine.some(pred);
  assert.ok(seen((e) => e.type === 'connect' && e.fields['fd.sip'] === '127.0.0.1' && typeof e.fields['fd.sport'] === 'number'));
  assert.ok(seen((e) => e.type.startsWith('accept') && e.res >= 0));
  assert.ok(seen((e) => e.type === 'openat' && e.fields['evt.res'] === 'ENOENT'));
  assert.ok(seen((e) => e.fields['user.name'] === 'nobody' && e.fields['proc.name'] === 'cat'));
  assert.ok(seen((e) => e.type.startsWith('dup') && e.fields['fd.name'] === '/etc/passwd'));

  // replay: the same alerts, from the file alone
  assert.ok(alerts.length >= 5, `the live run alerted (${alerts.length})`);
  const rep = await execa(AGENTCTL, ['replay', '--rules-file', RULES, '--json', capture], { reject: false, timeout: SLOW });
  assert.is(rep.exitCode, 0, rep.stderr);
  const replayed = rep.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const key = (a: { rule: string; output: string; output_fields: unknown; time: string }) => JSON.stringify([a.rule, a.time, a.output, a.output_fields]);
  assert.equal(replayed.map(key), alerts.map(key));
  assert.match(rep.stderr, /events, \d+ evaluated, \d+ alerts/);
});

test('rotation: --capture-size-mb bounds the file; PATH.1 holds the previous part; both read alone', async () => {
  const capture = join(dir, 'rot.scap');
  // a few MiB of events: a shell loop of execs (each carrying the 6000-byte environment) and opens
  const loop = `i=0; while [ $i -lt 400 ]; do cat /etc/hostname >/dev/null; i=$((i+1)); done; echo done`;
  const r = await instrument(['sh', '-c', loop, 'sh', ...Array.from({ length: 500 }, (_, i) => `argument-${i}`)], {
    // the options from SYSDIG_EXTRA_CONF this time (the same spec as SYSDIG_EXTRA_ARGS)
    // an environment and arguments beyond libscap's table limits (4096 bytes): the process list must cut them
    timeout: SLOW,
    env: testEnv({ BIG: 'x'.repeat(6000), SYSDIG_LOGGING: 'info', SYSDIG_EXTRA_CONF: JSON.stringify({ 'rules-file': RULES, 'capture-file': capture, 'capture-size-mb': 1 }) }),
  });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, 'done');
  const exited = String(r.stderr).split('\n').filter((l) => l.includes('"workload exited"')).map((l) => JSON.parse(l))[0];
  assert.ok(exited.captureRotations >= 1, `rotated (${exited.captureRotations})`);
  for (const f of [capture, capture + '.1']) {
    assert.ok(existsSync(f), f);
    assert.ok(statSync(f).size <= 1024 * 1024, `${f} within the bound (${statSync(f).size})`);
    // each part starts with the state: processes of the earlier part have names
    const { stdout } = await execa('sysdig', ['-r', f, '-p', '*%proc.name', 'evt.type=openat and evt.dir=<'], { timeout: SLOW });
    const names = new Set(stdout.split('\n').filter(Boolean));
    assert.ok(names.has('cat'), `${f}: ${[...names].join(',')}`);
    assert.not.ok(names.has('<NA>'), `${f}: every thread is known`);
  }
});

test('a full disk: the workload runs on, the events not written are counted and reported', async () => {
  const r = await instrument(['sh', '-c', 'cat /etc/hostname; echo done'], {
    timeout: SLOW,
    env: testEnv({ SYSDIG_LOGGING: 'info', SYSDIG_EXTRA_ARGS: `--rules-file ${RULES} --capture-file /dev/full` }),
  });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, readFileSync('/etc/hostname', 'utf8') + 'done');
  const lines = String(r.stderr).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const exited = lines.find((l) => l.msg === 'workload exited');
  assert.ok(exited.captureDropped > 0, `drops counted (${exited.captureDropped})`);
  assert.ok(lines.some((l) => l.level === 'error' && /capture file \/dev\/full: write failed/.test(l.msg)), 'the failure is reported');
});

test.run();
