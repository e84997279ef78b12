// OSBench "launch programs": posix_spawn /bin/true and wait for it; N times.
#include <spawn.h>
#include <sys/wait.h>

#include "common.h"

extern char** environ;

int main(int argc, char** argv) {
  long n = bench_count(argc, argv, 500);
  const char* prog = argc > 2 ? argv[2] : "/bin/true";
  char* args[] = {(char*)prog, NULL};
  unsigned long long t0 = bench_now_ns();
  for (long i = 0; i < n; i++) {
    pid_t pid;
    if (posix_spawn(&pid, prog, NULL, NULL, args, environ) != 0) return perror("posix_spawn"), 1;
    int st;
    waitpid(pid, &st, 0);
  }
  bench_report(bench_now_ns() - t0, n);
  return 0;
}
