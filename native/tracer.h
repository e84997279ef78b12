// The tracer: forks the workload with the state the supervisor inherited,
// seizes it, installs the seccomp filter in the child (child.cc), and runs
// the ptrace loop (tracer.cc) on the calling thread (the supervisor's main
// thread: the only one that issues ptrace requests and waits for tracees).
// Records go to the shared ring (native/shared.h, writer.cc); the loop never
// waits for the analysis process unless backpressure is on.
#pragma once
#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "prefilter.h"
#include "ring.h"
#include "seccomp.h"
#include "shared.h"

namespace tracer {

struct StartOptions {
  std::vector<std::string> argv;   // argv[0]: the program as the user wrote it
  std::vector<std::string> envp;   // K=V, already stripped of agent secrets
  std::vector<TracedSyscall> syscalls;
  bool trace = true;               // false: run the workload untraced
  bool read_env = true;            // read /proc/PID/environ at exec
  bool backpressure = false;       // a full ring makes the workload wait instead of dropping
  int cpu = -1;                    // >= 0: pin the supervisor and the workload to this CPU
  bool entered = false;            // trace processes that enter the PID namespace (scan_entered)
  // What the workload inherits: the signal mask and, per signal, whether it
  // was ignored (SIG_IGN survives exec; handlers cannot).
  sigset_t mask;
  bool ignored[NSIG] = {};
};

struct StartResult {
  int pid = -1;
  bool traced = false;
  int error = 0;           // errno when the fork itself failed
  std::string message;     // why tracing is off, when it is
};

// What the loop asks of the supervisor.
class Hooks {
 public:
  virtual ~Hooks() = default;
  // A child that is not a tracee ended (the analysis process): true if it was ours.
  virtual bool reap(int pid, int status) = 0;
  // The workload's main process ended with this wait status.
  virtual void main_exited(int status) = 0;
  // -1: nothing timed to do (the loop may block in waitpid); else how long it may block.
  virtual int timeout_ms() = 0;
  // Timed work (restarts, the flush deadline, the entered-process scan);
  // called when the loop wakes, also from a blocking wait a signal interrupted.
  virtual void tick() = 0;
  // True once the loop should end (the workload exited and the analysis drained).
  virtual bool done() = 0;
  // An agent process (supervisor, analysis): the workload may not ptrace it.
  virtual bool is_agent(int pid) = 0;
  // The workload's main process group-stopped on a job-control signal.
  virtual void job_stop(int sig) = 0;
};

class Tracer {
 public:
  Tracer(Shared* shm, int doorbell_fd, Hooks& hooks);
  // Forks and seizes the workload; the calling thread becomes its tracer.
  StartResult start(const StartOptions& opts);
  // The trace loop, until hooks.done() or no child is left.
  void run();
  // Replaces the open pre-filter (any thread; null: every open matters).
  void set_path_filter(std::shared_ptr<const PathFilter> f) { path_filter_.set(std::move(f)); }
  Stats& stats() { return shm_->stats; }
  // A notice record (supervisor events: analysis restarts...), from the loop's thread only.
  void notice(uint32_t code, int pid, uint64_t arg1, const char* text);
  // Finds processes that entered the container since the last call and
  // seizes them (native/entered.h); from the loop's thread only (Hooks::tick).
  void scan_entered();
  // errno of the workload's failed exec (0: it ran).
  int exec_error() const { return exec_error_; }

 private:
  Shared* shm_;
  std::unique_ptr<Ring> ring_;  // made at start(), when the supervisor has sized it
  int doorbell_;
  Hooks& hooks_;
  PathFilterSlot path_filter_;
  StartOptions opts_;
  int main_pid_ = -1;
  int errfd_ = -1;
  bool traced_ = false;
  std::string untraced_why_;
  int exec_error_ = 0;
  bool synth_exec_ = false;  // execve not in the filter: the exec event makes its record
  class Loop* loop_ = nullptr;          // while run() runs
  class RecordWriter* out_ = nullptr;  // while run() runs
  friend class Loop;
};

}  // namespace tracer
