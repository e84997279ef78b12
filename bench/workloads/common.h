// Shared by the OSBench-style workloads: each runs its loop N times (argv[1])
// and prints one line "ns=<elapsed loop time> ops=<N>" on stdout. The timing
// covers the loop only, so the agent's start-up is measured separately.
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline unsigned long long bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static inline long bench_count(int argc, char** argv, long dflt) {
  return argc > 1 ? atol(argv[1]) : dflt;
}

static inline void bench_report(unsigned long long ns, long ops) {
  printf("ns=%llu ops=%ld\n", ns, ops);
  fflush(stdout);
}
