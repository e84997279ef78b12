// Evaluation semantics: every operator, missing values (<NA>), list fields,
// transformers, val(), evt.arg rendering, evt.type inference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SyscallEvent } from '../../src/events/model.js';
import { CompileError, compileExpr, getopt, inferEventTypes } from '../../src/rules/compiler.js';
import { fieldValue } from '../../src/rules/index.js';
import { parseCondition } from '../../src/rules/parser.js';
import { connect, event, execve, openat, O_CREAT, O_TRUNC, O_WRONLY, proc, procChain } from './events.js';

import { generatedSource, generateRule } from '../../src/rules/codegen.js';

/** Evaluates with both compilers (closures and generated code); they must agree. */
const ev = (cond: string, e: SyscallEvent) => {
  const tree = parseCondition(cond);
  const a = compileExpr(tree, { hostname: 'h1' })(e);
  const b = generateRule(tree, { hostname: 'h1' })(e);
  assert.is(b, a, `generated code disagrees on ${cond}`);
  return a;
};
function compileFails(cond: string, re: RegExp): void {
  try {
    compileExpr(parseCondition(cond), { hostname: '' });
  } catch (e) {
    assert.instance(e, CompileError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(cond);
}

const cat = openat(procChain('cat', ['bash', 'sshd'], { args: ['/etc/hosts'] }), '/etc/hosts');

test('string operators', () => {
  assert.ok(ev('fd.name = /etc/hosts', cat));
  assert.ok(ev('fd.name == /etc/hosts', cat));
  assert.not.ok(ev('fd.name != /etc/hosts', cat));
  assert.ok(ev('fd.name contains etc/h', cat));
  assert.ok(ev('fd.name icontains ETC/HO', cat));
  assert.not.ok(ev('fd.name contains ETC', cat));
  assert.ok(ev('fd.name startswith /etc/', cat));
  assert.ok(ev('fd.name endswith hosts', cat));
  assert.ok(ev('fd.name in (/etc/passwd, /etc/hosts)', cat));
  assert.not.ok(ev('fd.name in (/etc/passwd)', cat));
});

test('glob and iglob are fnmatch without FNM_PATHNAME', () => {
  assert.ok(ev('fd.name glob /etc/*', cat));
  assert.ok(ev('fd.name glob /*s', cat));
  assert.ok(ev('fd.name glob /etc/host?', cat));
  assert.ok(ev('fd.name glob /etc/[gh]osts', cat));
  assert.not.ok(ev('fd.name glob /etc/[!h]osts', cat));
  assert.not.ok(ev('fd.name glob /ETC/*', cat));
  assert.ok(ev('fd.name iglob /ETC/*', cat));
  assert.not.ok(ev('fd.name glob etc*', cat));
});

test('regex matches the whole value', () => {
  assert.ok(ev('fd.name regex "/etc/h.*"', cat));
  assert.not.ok(ev('fd.name regex "etc"', cat));
  assert.ok(ev('fd.name regex ".*etc.*"', cat));
  compileFails('fd.name regex "("', /regular expression/);
});

test('pmatch matches whole leading path components', () => {
  const e = openat(proc(), '/var/run/x');
  assert.ok(ev('fd.name pmatch (/var/run)', e));
  assert.ok(ev('fd.name pmatch (/tmp, /var/run/)', e));
  assert.ok(ev('fd.name pmatch (/var/run/x)', e));
  assert.not.ok(ev('fd.name pmatch (/var/ru)', e));
  assert.not.ok(ev('fd.name pmatch (/var/run)', openat(proc(), '/var/running')));
});

test('bcontains and bstartswith take hex', () => {
  const e = event('sendto', proc(), { args: { res: 4, data: new Uint8Array([0xca, 0xfe, 0xba, 0xbe]), fd: 3 } });
  assert.ok(ev('evt.buffer bcontains feba', e));
  assert.ok(ev('evt.buffer bstartswith CAFE', e));
  assert.not.ok(ev('evt.buffer bstartswith feba', e));
  assert.not.ok(ev('evt.buffer bcontains 00', e));
  compileFails('evt.buffer bcontains xyz', /hex/);
});

test('numeric comparisons and parse errors', () => {
  assert.ok(ev('fd.num >= 0', cat));
  assert.ok(ev('fd.num = 3', cat));
  assert.ok(ev('fd.num < 4 and fd.num > 2 and fd.num <= 3', cat));
  assert.ok(ev('evt.rawres in (0, 1, 3)', cat));
  assert.ok(ev('proc.tty = 0', cat));
  compileFails('fd.num = three', /number/);
  compileFails('evt.rawres in (0, x)', /number/);
  compileFails('evt.is_open_read = maybe', /boolean/);
});

test('missing values: every comparison is false, not flips it, exists tests presence', () => {
  const e = openat(proc({ comm: 'init' }), '/x');
  for (const c of ['proc.pname = a', 'proc.pname != a', 'proc.pname contains a', 'proc.pname in (a)', 'proc.pname glob *', 'proc.pname startswith ""']) {
    assert.not.ok(ev(c, e), c);
    assert.ok(ev(`not ${c}`, e), `not ${c}`);
  }
  assert.not.ok(ev('proc.pname exists', e));
  assert.ok(ev('proc.name exists', e));
  assert.not.ok(ev('fd.sport exists', e));
  assert.is(fieldValue('proc.pname', e), null);
});

test('proc.aname without index: any ancestor; with index: that ancestor', () => {
  assert.ok(ev('proc.aname = sshd', cat));
  assert.ok(ev('proc.aname in (nginx, bash)', cat));
  assert.not.ok(ev('proc.aname = cat', cat));
  assert.ok(ev('proc.aname[0] = cat', cat));
  assert.ok(ev('proc.aname[1] = bash', cat));
  assert.ok(ev('proc.aname[2] = sshd', cat));
  assert.not.ok(ev('proc.aname[3] exists', cat));
  assert.ok(ev('proc.pname = bash and proc.name = cat', cat));
});

test('intersects and fd.types', () => {
  const p = proc();
  p.fds.set(0, { num: 0, type: 'ipv4', name: 'a' });
  p.fds.set(1, { num: 1, type: 'file', name: '/dev/null' });
  const e = event('dup2', p);
  assert.ok(ev('fd.types intersects (ipv4, ipv6)', e));
  assert.not.ok(ev('fd.types intersects (unix)', e));
  assert.not.ok(ev('fd.types in (ipv4, ipv6)', e));
  assert.ok(ev('fd.types in (ipv4, file)', e));
  assert.ok(ev('fd.types[0] in (ipv4, ipv6)', e));
  assert.not.ok(ev('fd.types[1] in (ipv4, ipv6)', e));
  assert.ok(ev('proc.args intersects ("/etc/hosts")', cat));
});

test('modifiers anyof / allof', () => {
  const e = execve(proc({ comm: 'curl', args: ['-s', 'http://x/evil.sh'] }));
  assert.ok(ev('proc.cmdline contains anyof (wget, evil.sh)', e));
  assert.not.ok(ev('proc.cmdline contains allof (wget, evil.sh)', e));
  assert.ok(ev('proc.cmdline contains allof (curl, evil.sh)', e));
  assert.ok(ev('proc.name startswith oneof (cu, wg)', e));
});

test('transformers and val()', () => {
  const e = execve(proc({ comm: 'Bash', exe: '/usr/bin/Bash', args: ['aGVsbG8='] }));
  e.proc.parent = proc({ comm: 'Bash' });
  assert.ok(ev('tolower(proc.name) = bash', e));
  assert.ok(ev('toupper(proc.name) = BASH', e));
  assert.ok(ev('basename(proc.exe) = Bash', e));
  assert.ok(ev('len(proc.name) = 4', e));
  assert.ok(ev('len(proc.exe) > 10', e));
  assert.ok(ev('b64(proc.args) = hello', e));
  assert.ok(ev('proc.name = val(proc.pname)', e));
  assert.not.ok(ev('proc.name != val(proc.pname)', e));
  assert.not.ok(ev('proc.name = val(proc.aname[5])', e));
  assert.ok(ev('proc.exe endswith val(proc.name)', e));
});

test('unknown fields and arguments', () => {
  compileFails('proc.nope = a', /nonexistent field proc.nope/);
  compileFails('proc.name[1] = a', /nonexistent field/);
  compileFails('proc.aname[x] = a', /ancestor index/);
  compileFails('evt.arg = a', /nonexistent field/);
  assert.not.ok(ev('k8s.ns.name = default', cat));
  assert.not.ok(ev('k8s.pod.label[app] = x', cat));
});

test('evt.arg renders Falco text: flags, errno, enums, uids; evt.res and evt.args', () => {
  const w = openat(proc(), '/tmp/f', O_WRONLY | O_CREAT | O_TRUNC);
  assert.is(fieldValue('evt.arg.flags', w), 'O_WRONLY|O_TRUNC|O_CREAT');
  assert.ok(ev('evt.arg.flags contains O_TRUNC', w));
  assert.is(fieldValue('evt.arg.flags', openat(proc(), '/x')), 'O_RDONLY');
  assert.is(fieldValue('evt.arg.flags', openat(proc(), '/x', 2 | 0o2000000)), 'O_RDWR|O_CLOEXEC');
  assert.is(fieldValue('evt.arg.name', w), '/tmp/f');
  assert.is(fieldValue('evt.arg[2]', w), '/tmp/f');
  assert.is(fieldValue('evt.rawarg.flags', w), O_WRONLY | O_CREAT | O_TRUNC);
  const failed = openat(proc(), '/nope', 0, -2);
  assert.is(fieldValue('evt.res', failed), 'ENOENT');
  assert.is(fieldValue('evt.rawres', failed), -2);
  assert.is(fieldValue('evt.arg.fd', failed), '-2(ENOENT)');
  assert.is(fieldValue('evt.res', w), 'SUCCESS');
  assert.ok(ev('evt.res startswith E', failed));
  const pt = event('ptrace', proc(), { args: { res: 0, request: 16, pid: 4 } });
  assert.is(fieldValue('evt.arg.request', pt), 'PTRACE_ATTACH');
  const so = event('socket', proc(), { res: 3, args: { fd: 3, domain: 17, type: 3, proto: 0 } });
  assert.is(fieldValue('evt.arg.domain', so), 'AF_PACKET');
  assert.is(fieldValue('evt.args', so), 'fd=3 domain=AF_PACKET type=SOCK_RAW proto=0');
  const su = event('setuid', proc(), { args: { res: 0, uid: 0 } });
  assert.is(fieldValue('evt.arg.uid', su), 'root');
  assert.is(fieldValue('evt.arg.nothere', su), null);
});

test('open helpers: is_open_read/write/create/exec', () => {
  const r = openat(proc(), '/x');
  const w = openat(proc(), '/x', O_WRONLY | O_CREAT);
  w.args['mode'] = 0o755;
  assert.equal([fieldValue('evt.is_open_read', r), fieldValue('evt.is_open_write', r)], [true, false]);
  assert.equal([fieldValue('evt.is_open_read', w), fieldValue('evt.is_open_write', w), fieldValue('evt.is_open_create', w), fieldValue('evt.is_open_exec', w)], [false, true, true, true]);
  assert.is(fieldValue('evt.is_open_read', execve(proc())), false);
});

test('fs.path.name: the path unlink, unlinkat, mkdir, rmdir and chmod act on (unlink\'s parameter is path)', () => {
  for (const [type, param] of [['unlink', 'path'], ['unlinkat', 'name'], ['mkdir', 'path'], ['rmdir', 'path'], ['chmod', 'filename']]) {
    assert.is(fieldValue('fs.path.name', event(type!, proc(), { args: { res: 0, [param!]: '/tmp/x' } })), '/tmp/x', type);
  }
});

test('fs.path.*: libsinsp\'s parameters per call (link: source is the new name; symlink: source is the link), <NA> unless it succeeded, relative paths joined to the cwd', () => {
  const fs = (type: string, args: SyscallEvent['args'], res = 0) => {
    const e = event(type, proc({ cwd: '/app' }), { res, args: { res, ...args } });
    return ['fs.path.name', 'fs.path.nameraw', 'fs.path.source', 'fs.path.sourceraw', 'fs.path.target', 'fs.path.targetraw'].map((f) => fieldValue(f, e));
  };
  assert.equal(fs('link', { oldpath: '/etc/passwd', newpath: 'p' }), [null, null, '/app/p', 'p', '/etc/passwd', '/etc/passwd']);
  assert.equal(fs('linkat', { oldpath: '/etc/passwd', newpath: '/tmp/p' }), [null, null, '/tmp/p', '/tmp/p', '/etc/passwd', '/etc/passwd']);
  assert.equal(fs('symlink', { target: '/etc/shadow', linkpath: 'x/../s' }), [null, null, '/app/s', 'x/../s', '/etc/shadow', '/etc/shadow']);
  assert.equal(fs('rename', { oldpath: 'a', newpath: '/b' }), [null, null, '/app/a', 'a', '/b', '/b']);
  assert.equal(fs('mount', { dev: '/dev/sda1', dir: '/mnt' }), [null, null, '/dev/sda1', '/dev/sda1', '/mnt', '/mnt']);
  assert.equal(fs('umount2', { name: '/mnt' }).slice(0, 2), ['/mnt', '/mnt']);
  assert.equal(fs('mkdir', { path: 'data' }).slice(0, 2), ['/app/data', 'data']);
  assert.equal(fs('unlink', { path: '/tmp/x' }, -2), [null, null, null, null, null, null], 'a failed call: <NA>');
  const fchmod = event('fchmod', proc(), { res: 0, args: { res: 0, fd: 3 }, fd: { num: 3, type: 'file', name: '/srv/key' } });
  assert.is(fieldValue('fs.path.name', fchmod), '/srv/key', 'fchmod: its fd\'s name');
  const open = openat(proc({ cwd: '/app' }), 'conf.yaml');
  assert.equal([fieldValue('fs.path.name', open), fieldValue('fs.path.nameraw', open)], [open.fd!.name, 'conf.yaml']);
  assert.is(fieldValue('fs.path.name', openat(proc(), '/nope', 0, -2)), null, 'a failed open: <NA>');
});

test('evt.category: the libs event table\'s category; an I/O event\'s by its fd (file, net, ipc, else unknown)', () => {
  const cat = (type: string, fd?: SyscallEvent['fd']) => fieldValue('evt.category', event(type, proc(), { fd }));
  assert.equal([cat('openat'), cat('connect'), cat('execve'), cat('setuid'), cat('kill'), cat('pipe'), cat('memfd_create')], ['file', 'net', 'process', 'user', 'signal', 'IPC', 'other']);
  assert.equal(
    [cat('sendto', { num: 3, type: 'ipv4', name: '' }), cat('sendto', { num: 3, type: 'unix', name: '' }), cat('sendto', { num: 3, type: 'memfd', name: '' }), cat('sendto')],
    ['net', 'ipc', 'unknown', 'unknown'],
  );
});

test('process, user, fd and container fields', () => {
  const p = procChain('cat', ['bash'], { args: ['-n', 'x y'], env: ['HOME=/root', 'A=b'], capEffective: (1n << 21n) | 1n });
  const e = openat(p, '/etc/ssl/certs/a.pem');
  assert.is(fieldValue('proc.cmdline', e), 'cat -n x y');
  assert.is(fieldValue('proc.args', e), '-n x y');
  assert.is(fieldValue('proc.pcmdline', e), 'bash');
  assert.is(fieldValue('proc.env[HOME]', e), '/root');
  assert.is(fieldValue('proc.env[NOPE]', e), null);
  assert.is(fieldValue('thread.cap_effective', e), 'CAP_CHOWN CAP_SYS_ADMIN');
  assert.is(fieldValue('fd.directory', e), '/etc/ssl/certs');
  assert.is(fieldValue('fd.filename', e), 'a.pem');
  assert.is(fieldValue('fd.typechar', e), 'f');
  assert.is(fieldValue('user.name', e), 'app');
  assert.is(fieldValue('user.loginuid', e), -1);
  assert.is(fieldValue('container.id', e), '3ad7b26ded6d');
  assert.is(fieldValue('container.image.repository', e), 'example/web');
  assert.is(fieldValue('proc.duration', e), 100_123_456_789);
  assert.is(fieldValue('evt.time.iso8601', e), 1700000100123456789);
  assert.is(fieldValue('evt.hostname', e), '');
  const c = connect(proc(), '8.8.8.8', 53);
  assert.is(fieldValue('fd.name', c), '172.17.0.2:40000->8.8.8.8:53');
  assert.is(fieldValue('fd.sip', c), '8.8.8.8');
  assert.is(fieldValue('fd.sport', c), 53);
  assert.is(fieldValue('fd.rport', c), 53);
  assert.is(fieldValue('fd.lport', c), 40000);
  assert.is(fieldValue('fd.l4proto', c), 'tcp');
  assert.is(fieldValue('fd.typechar', c), '4');
  assert.ok(ev('fd.snet = "8.8.0.0/16"', c));
  assert.not.ok(ev('fd.snet in ("10.0.0.0/8", "192.168.0.0/16")', c));
  assert.ok(ev('fd.net = "172.16.0.0/12"', c));
  assert.ok(ev('fd.ip = 8.8.8.8', c));
  assert.ok(ev('fd.ip = 172.17.0.2', c));
  assert.not.ok(ev('fd.ip != 8.8.8.8', c));
  assert.ok(ev('fd.ip != 0.0.0.0', c));
  assert.not.ok(ev('fd.net != "8.0.0.0/8"', c));
  assert.ok(ev('fd.net != "127.0.0.0/8"', c));
  assert.ok(ev('fd.port in (53)', c));
  assert.is(fieldValue('fd.directory', c), null);
});

test('evt.type inference: and intersects, or unions, not via De Morgan', () => {
  const t = (c: string) => {
    const r = inferEventTypes(parseCondition(c));
    return r === 'all' ? 'all' : [...r].sort().join(',');
  };
  assert.is(t('evt.type = open'), 'open');
  assert.is(t('evt.type in (open, openat) and proc.name = x'), 'open,openat');
  assert.is(t('evt.type in (open, openat) and evt.type = openat'), 'openat');
  assert.is(t('evt.type = open or evt.type = connect'), 'connect,open');
  assert.is(t('evt.type = open or proc.name = x'), 'all');
  assert.is(t('proc.name = x'), 'all');
  assert.is(t('not evt.type = open'), 'all');
  assert.is(t('evt.type = open and not evt.type = openat'), 'open');
  assert.is(t('not (not evt.type = open or proc.name = x)'), 'open');
  assert.is(t('not (evt.type != execve)'), 'execve');
  assert.is(t('evt.type = open and evt.type = connect'), '');
});

test('generated code folds the evt.type checks the index guarantees', () => {
  const tree = parseCondition('evt.type in (open, openat) and proc.name = x and not evt.type = connect');
  const src = generatedSource(tree, { hostname: '' }, new Set(['open', 'openat']));
  assert.not.match(src, /ev\.type/);
  assert.match(src, /=== "x"/);
  assert.match(generatedSource(tree, { hostname: '' }), /ev\.type/);
  assert.is(generatedSource(parseCondition('evt.type = open and proc.name = x'), { hostname: '' }, new Set(['connect'])), 'false');
});

test('getopt() scans argv as getopt(3) does (libsinsp multivalue transformer)', () => {
  const argv = ['-n', '-tvalue', '-x', '--long', '-ab', 'b-arg', 'rest', '-n'];
  // list mode: option, value, ... ; '?' for an unknown option; stops at the first non-option
  assert.equal(getopt(argv, 'nt:ab:'), ['n', 't', 'value', '?', 'a', 'b', 'b-arg']);
  // selector mode: the value of the last matching option, or the option itself
  assert.equal(getopt(argv, 'nt:ab:', 't'), ['value']);
  assert.equal(getopt(argv, 'nt:ab:', 'n'), ['n']);
  assert.is(getopt(argv, 'nt:ab:', 'z'), undefined);
  // a missing value is empty; `--` ends the options
  assert.equal(getopt(['-t'], 't:', 't'), ['']);
  assert.equal(getopt(['-n', '--', '-t', 'x'], 'nt:'), ['n']);
});

test.run();
