// Upstream stable Falco rules (rules/upstream/falco_rules.yaml) fired
// by real programs under bin/instrument, with the ECS task metadata served
// from loopback. Each case asserts the rule, its priority and key fields.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, copyFileSync, chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Options } from 'execa';
import { testEnv, tmp, SHARED_RULES, INSTRUMENT, runForAlerts, namedBinary } from '../../helpers.js';
import { useEcsMetadata, ECS_CONTAINER } from '../../fixtures/ecs-metadata.js';
import type { FalcoAlert } from '../../../src/model/alert.js';

const PY = '/usr/bin/python3';
const STABLE = join(SHARED_RULES, 'falco_rules.yaml');
const dir = tmp('stable-');
const ecs = useEcsMetadata(test, () => rmSync(dir, { recursive: true, force: true }));

/** Runs argv under instrument with the stable rules; returns the alerts written. */
function run(argv: string[], opts: { extraArgs?: string; env?: Record<string, string>; exec?: Options } = {}) {
  return runForAlerts(argv, `--rules-file ${STABLE} ${opts.extraArgs ?? ''}`, { ECS_CONTAINER_METADATA_URI_V4: ecs.uri, ...(opts.env ?? {}) }, opts.exec);
}

function one(alerts: FalcoAlert[], rule: string): FalcoAlert {
  const hits = alerts.filter((a) => a.rule === rule);
  assert.ok(hits.length >= 1, `expected "${rule}", got ${JSON.stringify(alerts.map((a) => a.rule))}`);
  return hits[0]!;
}

/** Fields every alert carries: container identity from ECS metadata. */
function assertContainer(a: FalcoAlert) {
  assert.is(a.output_fields['container.id'], ECS_CONTAINER.DockerId.slice(0, 12));
  assert.is(a.output_fields['container.image.repository'], '123456789012.dkr.ecr.us-east-1.amazonaws.com/test-app');
  assert.is(a.source, 'syscall');
  assert.match(a.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
}

const named = (name: string, target: string) => namedBinary(dir, name, target);


test('Read sensitive file untrusted: cat /etc/shadow', async () => {
  const { r, alerts } = await run(['cat', '/etc/shadow'], { exec: { stdout: 'ignore' } });
  assert.is(r.exitCode, 0);
  const a = one(alerts, 'Read sensitive file untrusted');
  assert.is(a.priority, 'Warning');
  assert.is(a.output_fields['proc.name'], 'cat');
  assert.is(a.output_fields['proc.cmdline'], 'cat /etc/shadow');
  assert.is(a.output_fields['fd.name'], '/etc/shadow');
  assert.is(a.output_fields['user.name'], 'root');
  assert.is(a.output_fields['proc.pname'], null, 'the entrypoint has no parent in the rules view');
  assert.match(a.output, /Warning Sensitive file opened for reading by non-trusted program \| file=\/etc\/shadow/);
  assertContainer(a);
});

test('Read sensitive file untrusted: the parent is the shell, not the wrapper', async () => {
  const { alerts } = await run(['sh', '-c', 'cat /etc/shadow > /dev/null; true']);
  const a = one(alerts, 'Read sensitive file untrusted');
  assert.is(a.output_fields['proc.pname'], 'sh');
  assert.is(a.output_fields['proc.aname[2]'], null);
});

test('Directory traversal monitored file read', async () => {
  const { alerts } = await run(['cat', '/etc/../etc/../etc/hostname'], { exec: { stdout: 'ignore' } });
  const a = one(alerts, 'Directory traversal monitored file read');
  assert.is(a.priority, 'Warning');
  assert.is(a.output_fields['fd.name'], '/etc/hostname');
  assert.is(a.output_fields['fd.nameraw'], '/etc/../etc/../etc/hostname');
});

test('Read sensitive file trusted after startup (a server process reading /etc/shadow after 5 s)', async () => {
  const nginx = named('nginx', PY);
  const { alerts } = await run([nginx, '-c', 'import time; time.sleep(5.3); open("/etc/shadow").read()']);
  const a = one(alerts, 'Read sensitive file trusted after startup');
  assert.is(a.output_fields['proc.name'], 'nginx');
  assert.is(a.output_fields['fd.name'], '/etc/shadow');
});

test('Run shell untrusted: a shell spawned by a web server', async () => {
  const nginx = named('nginx', PY);
  const { alerts } = await run([nginx, '-c', 'import subprocess; subprocess.run(["sh", "-c", "true"])']);
  const a = one(alerts, 'Run shell untrusted');
  assert.is(a.priority, 'Notice');
  assert.is(a.output_fields['proc.name'], 'sh');
  assert.is(a.output_fields['proc.pname'], 'nginx');
  assert.is(a.output_fields['proc.cmdline'], 'sh -c true');
});

test('System user interactive: login run as nobody', async () => {
  const login = named('login', PY);
  const { alerts } = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', login, '-c', 'pass']);
  const a = one(alerts, 'System user interactive');
  assert.is(a.priority, 'Informational');
  assert.is(a.output_fields['user.name'], 'nobody');
  assert.is(a.output_fields['proc.name'], 'login');
});

test('Terminal shell in container: a shell entrypoint with a tty', async () => {
  const alertsFile = join(tmp('alerts-'), 'alerts.jsonl');
  const cmd = `${INSTRUMENT} sh -c 'exit 0'`;
  const { execa } = await import('execa');
  await execa('script', ['-qec', cmd, '/dev/null'], {
    reject: false,
    env: testEnv({ SYSDIG_EXTRA_ARGS: `--rules-file ${STABLE} --alerts-file ${alertsFile}`, ECS_CONTAINER_METADATA_URI_V4: ecs.uri, SYSDIG_LOGGING: 'error' }),
    extendEnv: false,
  });
  const alerts = readFileSync(alertsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FalcoAlert);
  const a = one(alerts, 'Terminal shell in container');
  assert.is(a.priority, 'Notice');
  assert.is(a.output_fields['proc.name'], 'sh');
  assert.ok((a.output_fields['proc.tty'] as number) > 0, 'a terminal');
  assertContainer(a);
});

test('Netcat Remote Code Execution in Container', async () => {
  const nc = named('nc', '/bin/true');
  const { alerts } = await run([nc, '-e', '/bin/sh', '127.0.0.1', '9']);
  const a = one(alerts, 'Netcat Remote Code Execution in Container');
  assert.is(a.output_fields['proc.cmdline'], 'nc -e /bin/sh 127.0.0.1 9');
});

test('Search Private Keys or Passwords: grep for private keys', async () => {
  const { alerts } = await run(['grep', '-r', 'BEGIN RSA PRIVATE', dir]);
  const a = one(alerts, 'Search Private Keys or Passwords');
  assert.is(a.output_fields['proc.name'], 'grep');
});

test('Find AWS Credentials', async () => {
  const { alerts } = await run(['find', dir, '-path', '*.aws/credentials']);
  const a = one(alerts, 'Find AWS Credentials');
  assert.is(a.output_fields['proc.name'], 'find');
});

test('Clear Log Activities: truncating a log file', async () => {
  const logdir = join(dir, 'logs');
  mkdirSync(logdir, { recursive: true });
  writeFileSync(join(logdir, 'syslog'), 'old\n');
  const { alerts } = await run(['sh', '-c', `: > ${logdir}/syslog`]);
  const a = one(alerts, 'Clear Log Activities');
  assert.is(a.output_fields['fd.name'], `${logdir}/syslog`);
  assert.is(a.output_fields['proc.name'], 'sh');
});

test('Remove Bulk Data from Disk: shred', async () => {
  const f = join(dir, 'victim');
  writeFileSync(f, 'data');
  const { alerts } = await run(['shred', '-u', f]);
  one(alerts, 'Remove Bulk Data from Disk');
});

test('Create Symlink Over Sensitive Files', async () => {
  const { alerts } = await run(['ln', '-s', '/etc/shadow', join(dir, 'shadow-link')]);
  const a = one(alerts, 'Create Symlink Over Sensitive Files');
  assert.is(a.output_fields['evt.arg.target'], '/etc/shadow');
  assert.is(a.output_fields['evt.arg.linkpath'], join(dir, 'shadow-link'));
});

test('Create Hardlink Over Sensitive Files', async () => {
  const { alerts } = await run(['ln', '/etc/shadow', join(dir, 'shadow-hard')]);
  const a = one(alerts, 'Create Hardlink Over Sensitive Files');
  assert.is(a.output_fields['evt.arg.oldpath'], '/etc/shadow');
  rmSync(join(dir, 'shadow-hard'), { force: true });
});

test('Packet socket created in container', async () => {
  const { alerts } = await run([PY, '-c', 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)']);
  const a = one(alerts, 'Packet socket created in container');
  assert.is(a.priority, 'Notice');
  assert.match(String(a.output_fields['evt.args']), /AF_PACKET/);
});

test('Redirect STDOUT/STDIN to Network Connection in Container', async () => {
  const server = createServer((s) => s.resume());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const { alerts } = await run([PY, '-c', `import socket, os; s = socket.create_connection(("127.0.0.1", ${port})); os.dup2(s.fileno(), 1)`]);
    const a = one(alerts, 'Redirect STDOUT/STDIN to Network Connection in Container');
    assert.is(a.output_fields['fd.type'], 'ipv4');
    assert.match(String(a.output_fields['fd.name']), new RegExp(`^127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}$`));
    assert.is(a.output_fields['fd.rport'], port);
  } finally {
    server.close();
  }
});

test('Redirect STDOUT/STDIN to Network Connection in Container: bind shell (accepted socket onto stdin/stdout)', async () => {
  // The tracer stops on neither accept nor close under the stable rules: the
  // socket's facts (type, tuple, which side listens) come from the kernel at
  // the dup2 itself.
  const portFile = join(dir, 'bind-port');
  const py = [
    'import socket, os',
    'l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)',
    'c = socket.create_connection(l.getsockname())',
    's, peer = l.accept()',
    'open(' + JSON.stringify(portFile) + ', "w").write("%d %d" % (l.getsockname()[1], peer[1]))',
    'os.dup2(s.fileno(), 0); os.dup2(s.fileno(), 1)',
  ].join('\n');
  const { alerts } = await run([PY, '-c', py]);
  const [lport, cport] = readFileSync(portFile, 'utf8').split(' ').map(Number);
  const hits = alerts.filter((a) => a.rule === 'Redirect STDOUT/STDIN to Network Connection in Container');
  assert.ok(hits.length >= 1, `expected the redirect rule, got ${JSON.stringify(alerts.map((a) => a.rule))}`);
  for (const a of hits) {
    assert.is(a.output_fields['fd.type'], 'ipv4');
    assert.is(a.output_fields['fd.name'], `127.0.0.1:${cport}->127.0.0.1:${lport}`);
    assert.is(a.output_fields['fd.lport'], lport);
    assert.is(a.output_fields['fd.rport'], cport);
  }
  assert.ok(hits.length >= 2, 'one alert for stdin, one for stdout');
  assert.is(hits[0]!.output_fields['fd.sip'], '127.0.0.1');
});

test('Linux Kernel Module Injection Detected (finit_module attempt)', async () => {
  const { alerts } = await run([PY, '-c', 'import ctypes; ctypes.CDLL(None).syscall(313, -1, b"", 0)']);
  const a = one(alerts, 'Linux Kernel Module Injection Detected');
  assert.is(a.output_fields['proc.name'], 'python3');
  assert.is(a.output_fields['user.name'], 'root');
});

test('Debugfs Launched in Privileged Container', async () => {
  const debugfs = named('debugfs', '/bin/true');
  const { alerts } = await run([debugfs], { extraArgs: '--container-privileged true' });
  one(alerts, 'Debugfs Launched in Privileged Container');
});

test('Detect release_agent File Container Escapes', async () => {
  const { alerts } = await run(['sh', '-c', `echo /x > ${dir}/release_agent`]);
  const a = one(alerts, 'Detect release_agent File Container Escapes');
  assert.is(a.priority, 'Critical');
  assert.is(a.output_fields['fd.name'], `${dir}/release_agent`);
  assert.match(String(a.output_fields['thread.cap_effective']), /CAP_SYS_ADMIN/);
});

test('PTRACE attached to process', async () => {
  const { alerts } = await run([PY, '-c', 'import ctypes; ctypes.CDLL(None).ptrace(16, 1, 0, 0)']);
  const a = one(alerts, 'PTRACE attached to process');
  assert.is(a.priority, 'Warning');
});

test('PTRACE anti-debug attempt', async () => {
  const { alerts } = await run([PY, '-c', 'import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)']);
  const a = one(alerts, 'PTRACE anti-debug attempt');
  assert.is(a.priority, 'Notice');
});

test('Execution from /dev/shm', async () => {
  const f = `/dev/shm/agent-test-${process.pid}`;
  copyFileSync('/bin/true', f);
  chmodSync(f, 0o755);
  try {
    const { alerts } = await run(['sh', '-c', f]);
    const a = one(alerts, 'Execution from /dev/shm');
    assert.is(a.output_fields['proc.exe'] ?? f, f);
  } finally {
    rmSync(f, { force: true });
  }
});

test('Fileless execution via memfd_create', async () => {
  const script = 'import os; fd = os.memfd_create("payload"); os.write(fd, open("/bin/true", "rb").read()); os.execv(f"/proc/self/fd/{fd}", ["payload"])';
  const { alerts } = await run([PY, '-c', script]);
  const a = one(alerts, 'Fileless execution via memfd_create');
  assert.is(a.priority, 'Critical');
  assert.match(String(a.output_fields['proc.exepath']), /^memfd:payload/);
});

test('Disallowed SSH Connection Non Standard Port', async () => {
  const ssh = named('ssh', PY);
  const script = 'import socket; s = socket.socket(); s.setblocking(False)\ntry: s.connect(("198.51.100.7", 4444))\nexcept OSError: pass';
  const { alerts } = await run([ssh, '-c', script]);
  const a = one(alerts, 'Disallowed SSH Connection Non Standard Port');
  assert.match(String(a.output_fields['fd.name']), /->198\.51\.100\.7:4444$/);
  assert.is(a.output_fields['fd.l4proto'], 'tcp');
});

test('ordinary programs raise no stable alert', async () => {
  const server = createServer((s) => s.end('HTTP/1.0 200 OK\r\n\r\nhi'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const work = join(dir, 'ordinary');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'hello.c'), 'int main(void){return 0;}\n');
  writeFileSync(join(work, 'script.py'), 'import json, os\nprint(json.dumps(sorted(os.listdir("."))))\n');
  try {
    const cmds = [
      ['ls', '-la', '/'],
      [PY, join(work, 'script.py')],
      ['sh', '-c', 'ls /usr/bin | grep -c a | sort | head -1'],
      ['tar', '-C', work, '-czf', join(dir, 'ordinary.tgz'), '.'],
      [process.execPath, '-e', 'require("fs").readdirSync("/tmp")'],
      ['gcc', '-o', join(work, 'hello'), join(work, 'hello.c')],
      ['curl', '-s', `http://127.0.0.1:${port}/`],
    ];
    for (const argv of cmds) {
      if (argv[0] === 'curl' && !existsSync('/usr/bin/curl')) continue;
      const { r, alerts } = await run(argv, { exec: { cwd: work } });
      assert.is(r.exitCode, 0, `${argv.join(' ')} exit`);
      assert.equal(alerts.map((a) => a.rule), [], `${argv.join(' ')}: no alert`);
    }
  } finally {
    server.close();
  }
});

test.run();
