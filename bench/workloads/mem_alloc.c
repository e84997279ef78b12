// OSBench "memory allocations": malloc, touch and free blocks of varying
// sizes (16 B .. 64 KiB, below glibc's mmap threshold); N times.
#include <string.h>

#include "common.h"

int main(int argc, char** argv) {
  long n = bench_count(argc, argv, 20000000);
  volatile unsigned char sink = 0;
  unsigned long long t0 = bench_now_ns();
  for (long i = 0; i < n; i++) {
    size_t size = 16u << (i % 13);
    unsigned char* p = (unsigned char*)malloc(size);
    if (!p) return 1;
    p[0] = (unsigned char)i;
    sink ^= p[0];
    free(p);
  }
  bench_report(bench_now_ns() - t0, n);
  (void)sink;
  return 0;
}
