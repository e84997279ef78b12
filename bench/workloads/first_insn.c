// Start-up latency: prints CLOCK_MONOTONIC at the start of main, the
// workload's first instruction of its own (its dynamic loading, traced or
// not, happens before). The bench subtracts the time it launched the command.
#include "common.h"

int main(void) {
  printf("t=%llu\n", bench_now_ns());
  return 0;
}
