// A syscall no rule and no state needs (getppid), in a loop: what an untraced
// syscall costs under the seccomp filter.
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  long n = bench_count(argc, argv, 5000000);
  long acc = 0;
  unsigned long long t0 = bench_now_ns();
  for (long i = 0; i < n; i++) acc += syscall(SYS_getppid);
  bench_report(bench_now_ns() - t0, n);
  return acc == 0;
}
