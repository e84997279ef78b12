// OSBench "create processes": fork a child that exits at once and wait for it; N times.
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  long n = bench_count(argc, argv, 2000);
  unsigned long long t0 = bench_now_ns();
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), 1;
    if (pid == 0) _exit(0);
    int st;
    waitpid(pid, &st, 0);
  }
  bench_report(bench_now_ns() - t0, n);
  return 0;
}
