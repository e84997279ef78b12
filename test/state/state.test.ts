// Process and fd state as the rules see it, checked end to end: real
// programs under bin/instrument with rules whose conditions can only match
// when the state is right (paths resolved against cwd and dirfd, fchdir, fd
// inheritance across fork, dup, close-on-exec, ancestry after a parent exits).
// Each case runs twice: with the fd table exact (a rule reads
// proc.fdopencount, so the tracer stops on every fd syscall) and lazy (the
// tracer stops only where rules look; an event's fd comes from the kernel).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { instrument, testEnv, tmp } from '../helpers.js';
import type { FalcoAlert } from '../../src/model/alert.js';

const PY = '/usr/bin/python3';

const RULES = `
- rule: relative path resolved against cwd
  desc: state check
  condition: evt.type = openat and fd.name = /etc/hostname and fd.nameraw = ../etc/hostname and proc.cwd = /usr/
  output: rel %fd.name %fd.nameraw %proc.cwd
  priority: NOTICE
- rule: path resolved against dirfd
  desc: state check
  condition: evt.type = openat and fd.name = /etc/hostname and fd.nameraw = hostname and proc.name = python3 and evt.arg.dirfd > 2
  output: dirfd %fd.name %evt.arg.dirfd
  priority: NOTICE
- rule: cwd from fchdir
  desc: state check
  condition: evt.type = openat and fd.nameraw = passwd and fd.name = /etc/passwd and proc.cwd = /etc/
  output: fchdir %fd.name %proc.cwd
  priority: NOTICE
- rule: inherited and duplicated socket
  desc: state check
  condition: evt.type = close and fd.num = 7 and fd.type = ipv4 and fd.sip = 127.0.0.1 and fd.is_server = false and fd.connected = true and proc.name = python3 and proc.pname = python3
  output: inherited %fd.name %proc.pid %proc.ppid
  priority: NOTICE
- rule: fd survives exec
  desc: state check
  condition: evt.type = close and proc.name = sh and fd.num = 5 and fd.name endswith /kept
  output: kept %fd.name
  priority: NOTICE
- rule: cloexec fd does not survive exec
  desc: state check
  condition: evt.type = close and proc.name = sh and fd.num = 6 and fd.name endswith /dropped
  output: dropped %fd.name
  priority: NOTICE
- rule: stale socket after dup2 of an unknown fd
  desc: state check
  condition: evt.type = close and fd.num = 8 and fd.type = ipv4 and fd.sport = 19
  output: stale %fd.name
  priority: NOTICE
- rule: ancestry after the parent exited
  desc: state check
  condition: evt.type = openat and fd.name = /etc/hostname and proc.name = cat and proc.aname[1] = sh and proc.aname[2] = python3
  output: ancestry %proc.aname[1] %proc.aname[2]
  priority: NOTICE
`;

const EXACT = `
- rule: whole fd table
  desc: reads the whole fd table, so the tracer keeps it exact
  condition: evt.type = close and proc.fdopencount < 0
  output: never %proc.fdopencount
  priority: DEBUG
`;

const rulesDir = tmp('state-rules-');
const rulesFiles = { exact: join(rulesDir, 'exact.yaml'), lazy: join(rulesDir, 'lazy.yaml') };
writeFileSync(rulesFiles.exact, RULES + EXACT);
writeFileSync(rulesFiles.lazy, RULES);
type Mode = keyof typeof rulesFiles;

async function alertsOf(argv: string[], mode: Mode): Promise<FalcoAlert[]> {
  const out = join(tmp('alerts-'), 'a.jsonl');
  const r = await instrument(argv, { env: testEnv({ SYSDIG_EXTRA_ARGS: `--rules-file ${rulesFiles[mode]} --alerts-file ${out} --rule-matching all` }) });
  assert.is(r.exitCode, 0, r.stderr);
  return existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}
const rules = (a: FalcoAlert[]) => a.map((x) => x.rule);

for (const mode of ['exact', 'lazy'] as const) {
  test(`${mode}: a relative path is resolved against the cwd (chdir)`, async () => {
    const a = await alertsOf(['sh', '-c', 'cd /usr && cat ../etc/hostname > /dev/null'], mode);
    assert.ok(rules(a).includes('relative path resolved against cwd'), JSON.stringify(rules(a)));
  });

  test(`${mode}: openat with a directory fd; fchdir moves the cwd`, async () => {
    const script = [
      'import os',
      'd = os.open("/etc", os.O_RDONLY | os.O_DIRECTORY)',
      'os.close(os.open("hostname", os.O_RDONLY, dir_fd=d))',
      'os.fchdir(d)',
      'os.close(os.open("passwd", os.O_RDONLY))',
    ].join('\n');
    const a = await alertsOf([PY, '-c', script], mode);
    assert.ok(rules(a).includes('path resolved against dirfd'), JSON.stringify(rules(a)));
    assert.ok(rules(a).includes('cwd from fchdir'), JSON.stringify(rules(a)));
  });

  test(`${mode}: fds are inherited across fork and copied by dup2`, async () => {
    const script = [
      'import os, socket',
      'l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)',
      's = socket.create_connection(l.getsockname())',
      'os.dup2(s.fileno(), 7)',
      'pid = os.fork()',
      'if pid == 0:',
      '    os.close(7); os._exit(0)',
      'os.waitpid(pid, 0)',
    ].join('\n');
    const a = await alertsOf([PY, '-c', script], mode);
    assert.ok(rules(a).includes('inherited and duplicated socket'), JSON.stringify(rules(a)));
  });

  test(`${mode}: dup2 of an fd the state never saw (an open the pre-filter skipped) replaces what newfd was`, async () => {
    const script = [
      'import os, socket',
      's = socket.socket(); s.setblocking(False)',
      'try: s.connect(("127.0.0.1", 19))',
      'except OSError: pass',
      'os.dup2(s.fileno(), 8)',
      'n = os.open("/dev/null", os.O_RDONLY)', // matches no rule: skipped, unknown to the state
      'os.dup2(n, 8)',
      'os.close(8)',
    ].join('\n');
    const a = await alertsOf([PY, '-c', script], mode);
    assert.not.ok(rules(a).includes('stale socket after dup2 of an unknown fd'), JSON.stringify(rules(a)));
  });

  test(`${mode}: close-on-exec fds are dropped at exec, others kept`, async () => {
    const dir = tmp('cloexec-');
    const script = [
      'import os',
      `k = os.open("${dir}/kept", os.O_WRONLY | os.O_CREAT); os.set_inheritable(k, True); os.dup2(k, 5)`,
      `c = os.open("${dir}/dropped", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC); os.dup2(c, 6, inheritable=False)`,
      'os.execv("/bin/sh", ["sh", "-c", "exec 5>&- 6>&-"])',
    ].join('\n');
    const a = await alertsOf([PY, '-c', script], mode);
    assert.ok(rules(a).includes('fd survives exec'), JSON.stringify(rules(a)));
    assert.not.ok(rules(a).includes('cloexec fd does not survive exec'), JSON.stringify(rules(a)));
  });

  test(`${mode}: ancestry survives the exit of a parent (re-parenting)`, async () => {
    // python3 -> sh (exits at once, orphaning its background subshell, which execs cat)
    const script = 'import subprocess, time; subprocess.run(["sh", "-c", "(sleep 0.3; cat /etc/hostname > /dev/null) & exit 0"]); time.sleep(1.5)';
    const a = await alertsOf([PY, '-c', script], mode);
    const hit = a.find((x) => x.rule === 'ancestry after the parent exited');
    assert.ok(hit, JSON.stringify(rules(a)));
    assert.match(hit!.output, /ancestry sh python3/);
  });
}

test.run();
