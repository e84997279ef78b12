// The tracer: one dedicated native thread forks the workload, seizes it,
// installs the seccomp filter in the child, and runs the ptrace loop. Only that
// thread issues ptrace requests and waits for tracees. It hands records to
// JavaScript through a ring and never waits for JavaScript.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "prefilter.h"
#include "ring.h"
#include "seccomp.h"

namespace tracer {

struct StartOptions {
  std::vector<std::string> argv;   // argv[0]: the program as the user wrote it
  std::vector<std::string> envp;   // K=V, already stripped of agent secrets
  std::vector<TracedSyscall> syscalls;
  bool trace = true;               // false: run the workload untraced
  bool read_env = true;            // read /proc/PID/environ at exec
  size_t ring_bytes = 8u << 20;
  int cpu = -1;                    // >= 0: pin tracer thread and workload to this CPU
  std::shared_ptr<const PathFilter> path_filter;  // null: every open matters
};

struct StartResult {
  int pid = -1;
  bool traced = false;
  int error = 0;           // errno when the fork itself failed
  std::string message;     // why tracing is off, when it is
};

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
  std::atomic<uint64_t> opens_skipped{0};  // opens the pre-filter resumed without an exit stop
};

class Tracer {
 public:
  // notify is called from the tracer thread when records became available
  // after the ring was drained empty (last: final call, the tracer is done);
  // it must not block.
  explicit Tracer(std::function<void(bool last)> notify) : notify_(std::move(notify)) {}
  StartResult start(const StartOptions& opts);
  size_t drain(uint8_t* out, size_t max);
  // Re-arms the notification after the consumer found the ring empty.
  // Returns true when records arrived meanwhile (consumer should drain again).
  bool rearm();
  const Stats& stats() const { return stats_; }
  size_t ring_used() const { return ring_ ? ring_->used() : 0; }
  size_t ring_capacity() const { return ring_ ? ring_->capacity() : 0; }
  bool finished() const { return finished_.load(); }
  // Replaces the open pre-filter (any thread; null: every open matters).
  void set_path_filter(std::shared_ptr<const PathFilter> f) { path_filter_.set(std::move(f)); }

 private:
  void thread_main(StartOptions opts);
  std::function<void(bool last)> notify_;
  Ring* ring_ = nullptr;
  Stats stats_;
  PathFilterSlot path_filter_;
  std::atomic<bool> notify_pending_{false};
  std::atomic<bool> finished_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  StartResult result_;
  friend class Loop;
};

}  // namespace tracer
