// A workload's own seccomp filter that returns SECCOMP_RET_TRACE: with no
// tracer the kernel fails the syscall with ENOSYS. Under the agent the stop
// reaches our tracer, which must tell it from its own (by RET_DATA) and give
// the same ENOSYS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTRUMENT, testEnv, tmp } from '../helpers.js';

const SRC = `
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x1234),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof f / sizeof f[0], f };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) { perror("seccomp"); return 2; }
  errno = 0;
  long r = syscall(SYS_getppid);
  printf("getppid=%ld errno=%s\\n", r, strerror(errno));
  errno = 0;
  r = syscall(SYS_openat, -100, "/etc/hostname", 0);
  printf("openat=%ld errno=%s\\n", r, strerror(errno));
  printf("getpid works=%d\\n", getpid() > 0);
  return 0;
}
`;

test("a workload's own RET_TRACE filter gives ENOSYS, as without a tracer", async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'f.c'), SRC);
  await execa('gcc', ['-O1', '-o', join(dir, 'f'), join(dir, 'f.c')]);
  const native = await execa(join(dir, 'f'), { reject: false });
  assert.is(native.stdout, 'getppid=-1 errno=Function not implemented\nopenat=-1 errno=Function not implemented\ngetpid works=1');
  const traced = await execa(INSTRUMENT, [join(dir, 'f')], { reject: false, env: testEnv({ SYSDIG_LOGGING: 'silent' }), extendEnv: false });
  assert.is(traced.stdout, native.stdout);
  assert.is(traced.exitCode, 0);
});

test.run();
