// A syscall no rule and no state needs (getppid), in a loop: what an untraced
// syscall costs under the seccomp filter. With "filter" as the second
// argument, the loop first installs a bare filter (allow all but one unused
// number, no tracer): the kernel's own cost of having any filter at all.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

static int bare_filter(void) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1000, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char** argv) {
  long n = bench_count(argc, argv, 5000000);
  if (argc > 2 && !strcmp(argv[2], "filter") && bare_filter() != 0) return perror("seccomp"), 1;
  long acc = 0;
  unsigned long long t0 = bench_now_ns();
  for (long i = 0; i < n; i++) acc += syscall(SYS_getppid);
  bench_report(bench_now_ns() - t0, n);
  return acc == 0;
}
