// Processes that enter the container from outside (ECS Exec's SSM agent,
// runc exec, nsenter): not descendants of the workload, so neither followed
// from birth nor carrying our seccomp filter. The supervisor is PID 1 of the
// container's PID namespace, so every one of them shows in its /proc; the
// trace loop scans it on the supervisor's timer (docs/ecs-exec.md) and seizes
// what it does not know. Seized processes are stopped at every syscall
// (PTRACE_SYSCALL): they have no filter, and a tracer's death simply detaches
// them.
#pragma once
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tracer {

struct EnteredProc {
  int pid = 0;
  int ppid = 0;                      // parent inside the namespace; 0: outside it
  int sid = 0;
  unsigned long long start = 0;      // start time, clock ticks since boot
  std::string comm;
};

class EnteredScanner {
 public:
  // Processes in /proc that `known` does not claim, parents first (by start
  // time). Zombies are left out; pids seen before and set aside (`ignore`)
  // are not read again while they live.
  std::vector<EnteredProc> scan(const std::function<bool(int)>& known);
  // Not to be looked at again while this pid lives (an agent process, one
  // that could not be traced).
  void ignore(int pid) { ignored_[pid] = true; }
  // Seizes every thread of `pid` with `options` and interrupts each (the
  // first stop switches it to syscall stops). Returns 0 and the tids (leader
  // first), or the errno of the leader's seize.
  static int seize(int pid, long options, std::vector<int>& tids);

 private:
  std::unordered_map<int, bool> ignored_;  // pid -> still present at the last scan
};

// Whether /proc/PID/status names us as its tracer.
bool traced_by(int pid, int tracer);
// Whether pid is in our mount namespace (the container's filesystem view).
bool same_mount_ns(int pid);

}  // namespace tracer
