// OSBench "create files": create an empty file, close it, unlink it; N times
// in a fresh temporary directory (argv[2], default: mkdtemp under /tmp).
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  long n = bench_count(argc, argv, 20000);
  char dir[256] = "/tmp/osbench-files-XXXXXX";
  if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
  char path[512];
  unsigned long long t0 = bench_now_ns();
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return perror("open"), 1;
    close(fd);
    unlink(path);
  }
  unsigned long long t1 = bench_now_ns();
  rmdir(dir);
  bench_report(t1 - t0, n);
  return 0;
}
