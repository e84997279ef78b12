// Writing records (native/record.h) to the shared ring (ring.h, shared.h):
// a header and its items, the doorbell when the analysis sleeps, drops
// counted and told in one K_LOST record once space returns, and, with
// backpressure, a wait for space instead of a drop. From the loop's thread
// only (the ring has one producer).
#pragma once
#include <time.h>

#include <cstdint>
#include <vector>

#include "ring.h"
#include "shared.h"

namespace tracer {

class Hooks;

// The records' clock (RecHdr::ts): CLOCK_REALTIME in ns.
inline uint64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

class RecordWriter {
 public:
  // hooks: the supervisor's timed work, which goes on while backpressure waits.
  RecordWriter(Ring& ring, int doorbell, Stats& stats, bool backpressure, Hooks& hooks)
      : ring_(ring), doorbell_(doorbell), stats_(stats), backpressure_(backpressure), hooks_(hooks) {}
  // One record; args null: all 0; ts 0: now.
  void emit(uint16_t kind, int pid, int tid, int nr, uint32_t flags, int64_t ret, const uint64_t* args,
            const std::vector<uint8_t>* items, uint64_t ts = 0);
  // A K_NOTICE record: args[0] = code, args[1] = arg1, the text as TAG_TEXT.
  void notice(uint32_t code, int pid, uint64_t arg1, const char* text);
  // Wakes the analysis (it sleeps on the doorbell).
  void wake();

 private:
  bool reserve_wait(size_t size, uint8_t** p);

  Ring& ring_;
  int doorbell_;
  Stats& stats_;
  bool backpressure_;
  Hooks& hooks_;
  uint64_t lost_ = 0;  // records dropped since the last K_LOST
  std::vector<uint8_t> text_;  // a notice's item
};

}  // namespace tracer
