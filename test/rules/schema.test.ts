// The syscall parameter table and its renderers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paramSchema, renderArg, renderFlags, renderRes, syscallSchema, SYSCALL_SCHEMAS } from '../../src/events/schema.js';
import { OPEN_FLAGS } from '../../src/model/flags.js';

test('every syscall the upstream rules and state tracking need has a schema', () => {
  const need = ('open openat openat2 execve execveat connect sendto sendmsg socket dup dup2 dup3 symlink symlinkat link linkat ' +
    'init_module finit_module ptrace accept accept4 bpf chmod fchmod fchmodat creat listen rename renameat renameat2 rmdir ' +
    'unlink unlinkat setns setuid unshare mkdir mkdirat userfaultfd recvfrom recvmsg clone fork vfork clone3 close fcntl ' +
    'pipe pipe2 socketpair bind memfd_create chdir fchdir setgid setresuid setresgid capset mount umount2 prctl kill').split(' ');
  for (const n of need) assert.ok(syscallSchema(n), n);
  for (const s of SYSCALL_SCHEMAS) assert.is(new Set(s.params.map((p) => p.name)).size, s.params.length, `${s.name}: duplicate params`);
});

test('param names and types as Falco names them', () => {
  assert.equal(syscallSchema('openat')!.params.map((p) => p.name), ['fd', 'dirfd', 'name', 'flags', 'mode', 'dev', 'ino']);
  assert.is(paramSchema('openat', 'name')!.type, 'fsrelpath');
  assert.is(paramSchema('openat', 'name')!.dirfd, 'dirfd');
  assert.is(paramSchema('symlinkat', 'linkpath')!.dirfd, 'linkdirfd');
  assert.is(paramSchema('linkat', 'oldpath')!.dirfd, 'olddir');
  assert.is(paramSchema('connect', 'tuple')!.type, 'tuple');
  assert.is(paramSchema('ptrace', 'request')!.type, 'enum');
  assert.is(paramSchema('execve', 'res')!.type, 'errno');
});

test('renderers: open flags with PPM names, errno, enums, modes', () => {
  assert.is(renderFlags(0, OPEN_FLAGS), 'O_RDONLY');
  assert.is(renderFlags(0o1101, OPEN_FLAGS), 'O_WRONLY|O_TRUNC|O_CREAT');
  assert.is(renderFlags(0o2000002, OPEN_FLAGS), 'O_RDWR|O_CLOEXEC');
  assert.is(renderFlags(0o200000, OPEN_FLAGS), 'O_RDONLY|O_DIRECTORY');
  assert.is(renderRes(0), 'SUCCESS');
  assert.is(renderRes(-13), 'EACCES');
  assert.is(renderRes(-115), 'EINPROGRESS');
  assert.is(renderArg(paramSchema('ptrace', 'request'), 0x4206), 'PTRACE_SEIZE');
  assert.is(renderArg(paramSchema('socket', 'domain'), 10), 'AF_INET6');
  assert.is(renderArg(paramSchema('socket', 'domain'), 999), '999');
  assert.is(renderArg(paramSchema('chmod', 'mode'), 0o4755), '04755');
  assert.is(renderArg(paramSchema('unshare', 'flags'), 0x10000000 | 0x20000), 'CLONE_NEWNS|CLONE_NEWUSER');
  assert.is(renderArg(paramSchema('openat', 'name'), undefined), undefined);
  assert.is(renderArg(undefined, 'x'), 'x');
  assert.is(renderArg(paramSchema('execve', 'flags'), 2 | 1), 'EXE_WRITABLE|EXE_UPPER_LAYER');
  assert.is(renderArg(paramSchema('dup3', 'flags'), 0o2000000), 'O_CLOEXEC');
  assert.is(renderArg(paramSchema('dup3', 'flags'), 0), '0');
});

test.run();
