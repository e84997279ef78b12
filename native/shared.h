// The memory the supervisor and the analysis process share: one memfd,
// mapped by both. A header (layout version, counters, ring indices), then the
// ring's bytes. The supervisor creates it; the analysis process maps the fd
// it inherits (native/addon.cc). std::atomic<uint64_t>/<uint32_t> are
// lock-free and address-free on x86_64, so they work across processes.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "ring.h"

namespace tracer {

constexpr uint64_t kSharedMagic = 0x31474e4952534441ull;  // "ADSRING1"
constexpr uint32_t kSharedVersion = 1;

// Counters of the trace loop; read by the analysis process for heartbeats
// and the exit log line.
struct Stats {
  std::atomic<uint64_t> stops{0};
  std::atomic<uint64_t> syscalls{0};
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> clones{0};
  std::atomic<uint64_t> execs{0};
  std::atomic<uint64_t> exits{0};
  std::atomic<uint64_t> signals{0};
  std::atomic<uint64_t> read_errors{0};
  std::atomic<uint64_t> opens_skipped{0};     // opens the pre-filter resumed without an exit stop
  std::atomic<uint64_t> backpressure_ns{0};   // time the trace loop waited for ring space
  std::atomic<uint64_t> foreign_seccomp{0};   // the workload's own RET_TRACE stops (answered ENOSYS)
  std::atomic<uint64_t> denied{0};            // ptrace of an agent process, refused with EPERM
  std::atomic<uint64_t> analysis_starts{0};   // analysis processes started (1 + restarts)
};

struct Shared {
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;  // offset of the ring's bytes
  uint64_t capacity;      // ring bytes, a power of two
  std::atomic<int32_t> workload_pid{0};
  std::atomic<uint32_t> finished{0};  // the trace loop has ended
  std::atomic<uint32_t> workload_exited{0};  // the workload's main process has ended...
  std::atomic<int32_t> workload_status{0};   // ...with this wait status
  Stats stats;
  RingIndex ring;
};

constexpr size_t kSharedHeaderBytes = 4096;
static_assert(sizeof(Shared) <= kSharedHeaderBytes, "Shared header fits its page");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters need lock-free atomics");

inline Ring ring_of(Shared* s) {
  return Ring(&s->ring, reinterpret_cast<uint8_t*>(s) + s->header_bytes, s->capacity);
}

}  // namespace tracer
