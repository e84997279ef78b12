// OSBench "create threads": start a thread that returns at once and join it; N times.
#include <pthread.h>

#include "common.h"

static void* body(void* arg) { return arg; }

int main(int argc, char** argv) {
  long n = bench_count(argc, argv, 5000);
  unsigned long long t0 = bench_now_ns();
  for (long i = 0; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, body, NULL) != 0) return perror("pthread_create"), 1;
    pthread_join(t, NULL);
  }
  bench_report(bench_now_ns() - t0, n);
  return 0;
}
