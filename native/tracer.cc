// The trace loop (see tracer.h): the task table, the wait loop, and what each
// stop does: decide (the seccomp data, the open pre-filter, a refused
// ptrace), have the capture read what the record carries (capture.h), and
// write the record (writer.h). Starting the workload is child.cc's.
#include "tracer.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "capture.h"
#include "child.h"
#include "entered.h"
#include "procfs.h"
#include "record.h"
#include "syscalls.h"
#include "ucopy.h"
#include "writer.h"

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

namespace tracer {

namespace {

// struct ptrace_syscall_info from <linux/ptrace.h>, which clashes with glibc's.
struct SyscallInfo {
  uint8_t op;
  uint8_t pad[3];
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t stack_pointer;
  union {
    struct {
      uint64_t nr;
      uint64_t args[6];
    } entry;
    struct {
      int64_t rval;
      uint8_t is_error;
    } exit;
    struct {
      uint64_t nr;
      uint64_t args[6];
      uint32_t ret_data;
    } seccomp;
  };
};
enum { SI_NONE = 0, SI_ENTRY = 1, SI_EXIT = 2, SI_SECCOMP = 3 };

struct Task {
  int tgid = 0;
  bool started = false;     // past its first (auto-attach) stop
  bool want_exit = false;   // resume with PTRACE_SYSCALL to see the exit
  bool entered = false;     // entered the container (or a child of such): no filter of ours, stops at every syscall
  int deny = 0;             // errno the pending syscall returns (skipped by the tracer)
  int nr = -1;
  uint64_t args[6] = {};
  uint64_t ts = 0;
  std::vector<uint8_t> items;  // entry items of the pending syscall
};

// Makes the syscall at this seccomp stop a no-op: the kernel skips a syscall
// whose number the tracer set to -1, and its result stays -ENOSYS unless the
// exit stop writes another.
bool skip_syscall(int tid) {
  return ptrace(PTRACE_POKEUSER, tid, (void*)offsetof(struct user_regs_struct, orig_rax), (void*)-1L) == 0;
}

}  // namespace

class Loop {
 public:
  Loop(Tracer& t, const StartOptions& o, RecordWriter& out)
      : tr_(t), opts_(o), out_(out), capture_(t.stats(), o.read_env) {}
  void run_traced(int main_pid, int errfd);
  void run_untraced(int main_pid, int errfd);
  void scan_entered();

 private:
  int wait_any(int* status);
  void resume(int tid, Task& t, int sig);
  void on_seccomp(int tid, Task& t);
  void trace_entry(int tid, Task& t, int nr, const uint64_t* args, uint32_t data);
  bool on_entered_syscall(int tid, Task& t);
  void adopt_entered(const EnteredProc& p);
  void on_syscall_stop(int tid, Task& t);
  void on_exec(int tid);
  Task* learn(int tid);
  Task* learn_child(int child, int parent, int event);
  void read_errpipe();

  Tracer& tr_;
  const StartOptions& opts_;
  RecordWriter& out_;
  std::unordered_map<int, Task> tasks_;
  std::vector<uint8_t> items_;
  int wait_flags_ = __WALL;  // untraced: | WUNTRACED, to see the workload's job-control stops
  Capture capture_;
  int main_pid_ = -1;
  int errfd_ = -1;
  EnteredScanner entered_;
  std::vector<uint8_t> entered_want_;  // by syscall nr: 0 not traced, 1 entry, 2 entry and exit
};

void Loop::resume(int tid, Task& t, int sig) {
  ptrace(t.want_exit || t.entered ? PTRACE_SYSCALL : PTRACE_CONT, tid, nullptr, (void*)(long)sig);
}

Task* Loop::learn(int tid) {
  auto it = tasks_.find(tid);
  if (it != tasks_.end()) return &it->second;
  int tgid = tid, ppid = 0;
  read_task_ids(tid, tgid, ppid);
  bool thread = tgid != tid;
  auto from = tasks_.find(thread ? tgid : ppid);
  bool entered = from != tasks_.end() && from->second.entered;
  Task& t = tasks_[tid];
  t.tgid = tgid;
  t.entered = entered;
  uint64_t args[6] = {(uint64_t)(thread ? tgid : ppid), 0, 0, 0, 0, 0};
  tr_.stats().clones.fetch_add(1, std::memory_order_relaxed);
  out_.emit(K_CLONE, tgid, tid, -1, thread ? (uint32_t)RF_THREAD : 0u, 0, args, nullptr);
  return &t;
}

// A new task reported by its parent's fork/vfork/clone event: its thread
// group and parent follow from the parent's registers (the clone flags),
// without reading /proc/PID/status (~13 us per new task, measured in
// docs/BENCHMARKS.md). Falls back to learn() when the flags cannot be read or
// CLONE_PARENT makes the parent someone else.
Task* Loop::learn_child(int child, int parent, int event) {
  auto pit = tasks_.find(parent);
  bool entered = pit != tasks_.end() && pit->second.entered;
  auto known = tasks_.find(child);
  if (known != tasks_.end()) {
    // its own first stop came first (with CLONE_PARENT, learn() looked at the wrong parent)
    known->second.entered |= entered;
    return &known->second;
  }
  if (pit == tasks_.end()) return learn(child);
  int parent_tgid = pit->second.tgid;
  if (event != PTRACE_EVENT_CLONE && event != PTRACE_EVENT_FORK && event != PTRACE_EVENT_VFORK) {
    Task* c = learn(child);
    c->entered |= entered;
    return c;
  }
  // The event kind alone does not tell: clone(CLONE_PARENT|SIGCHLD) reports
  // a FORK event, a thread with exit_signal 0 a CLONE event. One GETREGS.
  uint64_t flags = 0;
  struct user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, parent, nullptr, &regs) != 0) return learn(child);
  long nr = (long)regs.orig_rax;
  if (nr == SYS_clone) {
    flags = regs.rdi;
  } else if (nr == SYS_clone3) {
    if (!read_mem(parent, regs.rdi, &flags, sizeof flags, tr_.stats().read_errors)) return learn(child);
  } else if (nr != SYS_fork && nr != SYS_vfork) {
    return learn(child);
  }
  bool thread = (flags & CLONE_THREAD) != 0;
  if (!thread && (flags & CLONE_PARENT)) {
    Task* c = learn(child);  // its parent is our parent's parent
    c->entered |= entered;
    return c;
  }
  Task& t = tasks_[child];
  t.tgid = thread ? parent_tgid : child;
  t.entered = entered;
  uint64_t args[6] = {(uint64_t)parent_tgid, 0, 0, 0, 0, 0};
  tr_.stats().clones.fetch_add(1, std::memory_order_relaxed);
  out_.emit(K_CLONE, t.tgid, child, -1, thread ? (uint32_t)RF_THREAD : 0u, 0, args, nullptr);
  return &t;
}

void Loop::on_seccomp(int tid, Task& t) {
  SyscallInfo si;
  std::memset(&si, 0, sizeof si);
  if (ptrace((enum __ptrace_request)PTRACE_GET_SYSCALL_INFO, tid, (void*)sizeof si, &si) <= 0 || si.op != SI_SECCOMP) {
    resume(tid, t, 0);
    return;
  }
  int nr = (int)si.seccomp.nr;
  uint32_t data = si.seccomp.ret_data;
  if ((data & FD_MAGIC_MASK) != FD_MAGIC) {
    // The workload's own filter asked for a tracer (SECCOMP_RET_TRACE with
    // its data): with none attached the kernel fails the syscall with
    // ENOSYS, and so do we.
    tr_.stats().foreign_seccomp.fetch_add(1, std::memory_order_relaxed);
    skip_syscall(tid);
    resume(tid, t, 0);
    return;
  }
  trace_entry(tid, t, nr, si.seccomp.args, data);
}

// A traced syscall's entry, from our filter's seccomp stop or, for a process
// that entered the container, from its syscall-entry stop; `data` as our
// filter's SECCOMP_RET_DATA.
void Loop::trace_entry(int tid, Task& t, int nr, const uint64_t* entry_args, uint32_t data) {
  tr_.stats().syscalls.fetch_add(1, std::memory_order_relaxed);
  if (data & FD_FOREIGN) {
    out_.emit(K_SYSCALL, t.tgid, tid, nr, RF_FOREIGN, 0, entry_args, nullptr);
    resume(tid, t, 0);
    return;
  }
  const SyscallDef* def = syscall_by_nr(nr);
  if (nr == SYS_ptrace && entry_args[0] != PTRACE_TRACEME && tr_.hooks_.is_agent((int)entry_args[1])) {
    // The agent's own processes are not the workload's to inspect.
    tr_.stats().denied.fetch_add(1, std::memory_order_relaxed);
    if (skip_syscall(tid)) {
      t.deny = EPERM;
      data |= FD_WANT_EXIT;
    }
  }
  if (data & FD_WANT_EXIT) {
    t.want_exit = true;
    t.nr = nr;
    t.ts = now_ns();
    std::memcpy(t.args, entry_args, sizeof t.args);
    t.items.clear();
    EntryPath path;
    if (def) path = capture_.entry_items(tid, def, t.args, t.items);
    if (def && (def->flags & SF_OPEN) && open_cannot_matter(tr_.path_filter_, nr, t.args, path.str, path.len)) {
      // No rule can match this open nor ask about its fd later: no exit
      // stop, no record (the fd stays unknown to the state, as an fd from
      // an untraced syscall does).
      t.want_exit = false;
      tr_.stats().opens_skipped.fetch_add(1, std::memory_order_relaxed);
      resume(tid, t, 0);
      return;
    }
    ptrace(PTRACE_SYSCALL, tid, nullptr, nullptr);
    return;
  }
  items_.clear();
  if (def) {
    capture_.entry_items(tid, def, entry_args, items_);
    capture_.fd_items(tid, t.tgid, def, entry_args, items_);
  }
  out_.emit(K_SYSCALL, t.tgid, tid, nr, 0, 0, entry_args, &items_);
  // resume, not a bare PTRACE_CONT: an entered process keeps stopping at
  // every syscall (it has no filter of ours)
  resume(tid, t, 0);
}

void Loop::on_syscall_stop(int tid, Task& t) {
  SyscallInfo si;
  std::memset(&si, 0, sizeof si);
  long r = ptrace((enum __ptrace_request)PTRACE_GET_SYSCALL_INFO, tid, (void*)sizeof si, &si);
  if (r > 0 && si.op == SI_EXIT && t.want_exit && t.deny) {
    int64_t ret = -t.deny;
    ptrace(PTRACE_POKEUSER, tid, (void*)offsetof(struct user_regs_struct, rax), (void*)ret);
    out_.emit(K_SYSCALL, t.tgid, tid, t.nr, RF_HAS_RET, ret, t.args, &t.items, t.ts);
  } else if (r > 0 && si.op == SI_EXIT && t.want_exit) {
    int64_t ret = si.exit.rval;
    const SyscallDef* def = syscall_by_nr(t.nr);
    if (def) capture_.exit_items(tid, t.tgid, def, t.args, ret, t.items);
    out_.emit(K_SYSCALL, t.tgid, tid, t.nr, RF_HAS_RET, ret, t.args, &t.items, t.ts);
  } else if (t.want_exit) {
    // Not the exit we waited for: report the entry alone.
    out_.emit(K_SYSCALL, t.tgid, tid, t.nr, 0, 0, t.args, &t.items, t.ts);
  }
  t.want_exit = false;
  t.deny = 0;
  resume(tid, t, 0);
}

void Loop::on_exec(int tid) {
  unsigned long former = 0;
  ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &former);
  Task* tp = learn(tid);
  Task& t = *tp;
  if ((int)former != tid && former) {
    // execve from a non-leader thread: it took over the leader's id.
    auto it = tasks_.find((int)former);
    if (it != tasks_.end()) {
      t.want_exit = it->second.want_exit;
      t.nr = it->second.nr;
      t.ts = it->second.ts;
      std::memcpy(t.args, it->second.args, sizeof t.args);
      t.items.swap(it->second.items);
      tasks_.erase(it);
    }
  }
  t.tgid = tid;
  t.started = true;
  tr_.stats().execs.fetch_add(1, std::memory_order_relaxed);
  if (tid == main_pid_) read_errpipe();

  items_.clear();
  capture_.image_items(tid, items_);
  uint64_t args[6] = {former, 0, 0, 0, 0, 0};
  out_.emit(K_EXEC, tid, tid, -1, tid == main_pid_ ? (uint32_t)RF_MAIN : 0u, 0, args, &items_);
  if (t.want_exit && (t.nr == SYS_execve || t.nr == SYS_execveat)) {
    // The exec event means the execve succeeded: its exit value is 0. Report
    // the exit now, exactly as the exit stop would have, and skip that stop
    // (one stop fewer per program launched; docs/BENCHMARKS.md). A failed
    // execve has no exec event and still gets its exit stop.
    out_.emit(K_SYSCALL, t.tgid, tid, t.nr, RF_HAS_RET, 0, t.args, &t.items, t.ts);
    t.want_exit = false;
  } else if (tr_.synth_exec_) {
    // execve is not in the filter (no rule can match a failed one): the
    // exec event is the successful exec's only stop, and makes its record.
    // orig_rax still names the syscall (execve or execveat); its arguments
    // point into the old image, gone: none are reported (Falco's exec exit
    // event has none of them either).
    struct user_regs_struct regs;
    int nr = SYS_execve;
    if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0 && (long)regs.orig_rax == SYS_execveat) nr = SYS_execveat;
    uint64_t none[6] = {0, 0, 0, 0, 0, 0};
    out_.emit(K_SYSCALL, t.tgid, tid, nr, RF_HAS_RET, 0, none, nullptr);
  }
  resume(tid, t, 0);
}

// The child reports, before exec, what went wrong on its side (8-byte
// messages {code, errno}); the pipe is close-on-exec.
void Loop::read_errpipe() {
  if (errfd_ < 0) return;
  uint32_t msg[2];
  for (;;) {
    ssize_t n = read(errfd_, msg, sizeof msg);
    if (n != sizeof msg) break;
    char text[256];
    if (msg[0] == N_EXEC_FAILED) tr_.exec_error_ = (int)msg[1];
    if (msg[0] == N_NO_SECCOMP)
      snprintf(text, sizeof text, "seccomp filter refused (%s): only process lifecycle is traced", strerror((int)msg[1]));
    else
      snprintf(text, sizeof text, "%s", strerror((int)msg[1]));
    out_.notice(msg[0], main_pid_, msg[1], text);
  }
}

// The next wait status of any child (tracee or not), or -1 when the loop
// should end. Blocks in waitpid while the supervisor has nothing timed to
// do (the cheapest wait per stop); otherwise polls and sleeps on SIGCHLD,
// which the supervisor keeps blocked, so a stop still wakes it at once.
int Loop::wait_any(int* status) {
  for (;;) {
    if (tr_.hooks_.done()) return -1;
    int timeout = tr_.hooks_.timeout_ms();
    if (timeout < 0) {
      int pid = waitpid(-1, status, wait_flags_);
      if (pid >= 0) return pid;
      if (errno == EINTR) {
        tr_.hooks_.tick();  // a timer of the supervisor's (the entered-process scan)
        continue;
      }
      return -1;  // ECHILD: nothing left to trace or reap
    }
    int pid = waitpid(-1, status, wait_flags_ | WNOHANG);
    if (pid > 0) return pid;
    if (pid < 0 && errno == ECHILD) {
      // No child at all, but timed work pending (an analysis to restart
      // so that it drains the ring): wait for it rather than end.
      struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};
      nanosleep(&ts, nullptr);
    } else if (pid < 0 && errno != EINTR) {
      return -1;
    } else if (pid == 0) {
      sigset_t chld;
      sigemptyset(&chld);
      sigaddset(&chld, SIGCHLD);
      struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};
      sigtimedwait(&chld, nullptr, &ts);
    }
    tr_.hooks_.tick();
  }
}

void Loop::run_traced(int main_pid, int errfd) {
  main_pid_ = main_pid;
  errfd_ = errfd;
  Task& m = tasks_[main_pid];
  m.tgid = main_pid;
  m.started = true;
  for (;;) {
    int status;
    int tid = wait_any(&status);
    if (tid < 0) break;
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (tid != main_pid && tasks_.find(tid) == tasks_.end() && tr_.hooks_.reap(tid, status)) continue;
      auto it = tasks_.find(tid);
      int tgid = it != tasks_.end() ? it->second.tgid : tid;
      if (it != tasks_.end() && it->second.want_exit) {
        // died inside a traced syscall (exit_group from another thread, a signal)
        out_.emit(K_SYSCALL, tgid, tid, it->second.nr, 0, 0, it->second.args, &it->second.items, it->second.ts);
      }
      if (tid == main_pid) read_errpipe();
      uint64_t args[6] = {(uint64_t)(uint32_t)status, 0, 0, 0, 0, 0};
      uint32_t flags = (tid == tgid ? (uint32_t)RF_LEADER : 0u) | (tid == main_pid ? (uint32_t)RF_MAIN : 0u);
      tr_.stats().exits.fetch_add(1, std::memory_order_relaxed);
      out_.emit(K_EXIT, tgid, tid, -1, flags, 0, args, nullptr);
      if (it != tasks_.end()) tasks_.erase(it);
      if (tid == main_pid) tr_.hooks_.main_exited(status);
      continue;
    }
    if (!WIFSTOPPED(status)) continue;
    tr_.stats().stops.fetch_add(1, std::memory_order_relaxed);
    int sig = WSTOPSIG(status);
    int event = (unsigned)status >> 16;
    auto it = tasks_.find(tid);
    Task* t = it != tasks_.end() ? &it->second : nullptr;

    if (sig == (SIGTRAP | 0x80)) {
      if (!t) t = learn(tid);
      if (t->entered && on_entered_syscall(tid, *t)) continue;
      on_syscall_stop(tid, *t);
      continue;
    }
    if (event == PTRACE_EVENT_STOP) {
      if (!t || !t->started) {
        // first stop of an auto-attached child (may precede the parent's event)
        if (!t) t = learn(tid);
        t->started = true;
        resume(tid, *t, 0);
      } else if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
        // group-stop: stay stopped but keep reporting (SEIZE semantics)
        ptrace(PTRACE_LISTEN, tid, nullptr, nullptr);
        if (tid == main_pid && sig != SIGSTOP) tr_.hooks_.job_stop(sig);
      } else {
        resume(tid, *t, 0);
      }
      continue;
    }
    if (!t) t = learn(tid);
    t->started = true;
    if (sig == SIGTRAP && event) {
      switch (event) {
        case PTRACE_EVENT_SECCOMP:
          on_seccomp(tid, *t);
          break;
        case PTRACE_EVENT_FORK:
        case PTRACE_EVENT_VFORK:
        case PTRACE_EVENT_CLONE: {
          unsigned long child = 0;
          ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &child);
          if (child) learn_child((int)child, tid, event);
          // learn() may have rehashed: look the parent up again
          Task& p = tasks_[tid];
          resume(tid, p, 0);
          break;
        }
        case PTRACE_EVENT_EXEC:
          on_exec(tid);
          break;
        default:
          resume(tid, *t, 0);
          break;
      }
      continue;
    }
    // signal-delivery-stop: pass the signal on
    tr_.stats().signals.fetch_add(1, std::memory_order_relaxed);
    uint64_t args[6] = {(uint64_t)sig, 0, 0, 0, 0, 0};
    out_.emit(K_SIGNAL, t->tgid, tid, -1, 0, 0, args, nullptr);
    resume(tid, *t, sig);
  }
}

void Loop::run_untraced(int main_pid, int errfd) {
  wait_flags_ = __WALL | WUNTRACED;
  main_pid_ = main_pid;
  errfd_ = errfd;
  for (;;) {
    int status;
    int pid = wait_any(&status);
    if (pid < 0) break;
    if (WIFSTOPPED(status)) {
      // Not traced: a job-control stop of the workload itself.
      int sig = WSTOPSIG(status);
      if (pid == main_pid && (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) tr_.hooks_.job_stop(sig);
      continue;
    }
    if (!(WIFEXITED(status) || WIFSIGNALED(status))) continue;
    if (pid == main_pid) {
      read_errpipe();
      uint64_t args[6] = {(uint64_t)(uint32_t)status, 0, 0, 0, 0, 0};
      out_.emit(K_EXIT, pid, pid, -1, RF_LEADER | RF_MAIN, 0, args, nullptr);
      tr_.hooks_.main_exited(status);
    } else {
      tr_.hooks_.reap(pid, status);
    }
  }
}

// ---- processes that entered the container (native/entered.h) ----

// A syscall stop of a process that entered the container: it has no filter
// of ours, so it stops at every entry and exit and we make the filter's
// decision here. False: an exit stop on_syscall_stop reports.
bool Loop::on_entered_syscall(int tid, Task& t) {
  SyscallInfo si;
  std::memset(&si, 0, sizeof si);
  long r = ptrace((enum __ptrace_request)PTRACE_GET_SYSCALL_INFO, tid, (void*)sizeof si, &si);
  if (r > 0 && si.op == SI_ENTRY) {
    int nr = (int)si.entry.nr;
    if (si.arch != AUDIT_ARCH_X86_64 || (nr & 0x40000000)) {
      trace_entry(tid, t, nr, si.entry.args, FD_MAGIC | FD_FOREIGN);  // as the filter does
      return true;
    }
    uint8_t want = nr >= 0 && (size_t)nr < entered_want_.size() ? entered_want_[nr] : 0;
    if (want)
      trace_entry(tid, t, nr, si.entry.args, FD_MAGIC | (want == 2 ? FD_WANT_EXIT : 0));
    else
      resume(tid, t, 0);
    return true;
  }
  if (r > 0 && si.op == SI_EXIT && t.want_exit) return false;
  resume(tid, t, 0);
  return true;
}

// Seizes a process found in /proc and tells the analysis about it as if its
// exec had just been seen: an exec record (flagged RF_ENTERED, with its
// parent inside the namespace) and a successful execve.
void Loop::adopt_entered(const EnteredProc& p) {
  // No EXITKILL (see kSeizeOptions).
  std::vector<int> tids;
  int err = EnteredScanner::seize(p.pid, kSeizeOptions, tids);
  if (err) {
    // Already ours: a new task of the workload whose fork event is still unread.
    if (err == EPERM && traced_by(p.pid, getpid())) return;
    entered_.ignore(p.pid);  // logged once, not retried
    char text[256];
    snprintf(text, sizeof text, "process %d (%s) entered the container but cannot be traced (%s): it runs untraced", p.pid,
             p.comm.c_str(), strerror(err));
    out_.notice(N_ENTERED_UNTRACED, p.pid, (uint64_t)err, text);
    return;
  }
  for (int tid : tids) {
    Task& t = tasks_[tid];
    t.tgid = p.pid;
    t.entered = true;
  }
  int parent = p.ppid == getpid() ? 0 : p.ppid;  // an orphan reparented to us: the supervisor is invisible
  items_.clear();
  capture_.image_items(p.pid, items_);
  uint64_t args[6] = {(uint64_t)p.pid, (uint64_t)parent, 0, 0, 0, 0};
  out_.emit(K_EXEC, p.pid, p.pid, -1, RF_ENTERED, 0, args, &items_);
  for (int tid : tids) {
    if (tid == p.pid) continue;
    uint64_t targs[6] = {(uint64_t)p.pid, 0, 0, 0, 0, 0};
    out_.emit(K_CLONE, p.pid, tid, -1, RF_THREAD, 0, targs, nullptr);
  }
  items_.clear();
  capture_.proc_link(items_, TAG_ARG0, p.pid, "exe");
  uint64_t none[6] = {0, 0, 0, 0, 0, 0};
  out_.emit(K_SYSCALL, p.pid, p.pid, SYS_execve, RF_HAS_RET | RF_ENTERED, 0, none, &items_);
  tr_.stats().execs.fetch_add(1, std::memory_order_relaxed);
}

void Loop::scan_entered() {
  if (entered_want_.empty()) {
    entered_want_.assign(512, 0);
    for (const auto& s : opts_.syscalls)
      if (s.nr >= 0 && (size_t)s.nr < entered_want_.size())
        entered_want_[s.nr] = std::max<uint8_t>(entered_want_[s.nr], s.want_exit ? 2 : 1);
  }
  int self = getpid();
  auto known = [&](int pid) { return pid == self || tasks_.count(pid) != 0 || tr_.hooks_.is_agent(pid); };
  auto found = entered_.scan(known);
  for (const EnteredProc& p : found) {
    if (tr_.hooks_.is_agent(p.sid)) {
      entered_.ignore(p.pid);  // started by the analysis process (its own session)
      continue;
    }
    if (!same_mount_ns(p.pid)) {
      // Another container sharing the task's PID namespace (pidMode task),
      // not a session in ours: ECS Exec and runc exec join every namespace.
      entered_.ignore(p.pid);
      continue;
    }
    adopt_entered(p);
  }
}

Tracer::Tracer(Shared* shm, int doorbell_fd, Hooks& hooks)
    : shm_(shm), doorbell_(doorbell_fd), hooks_(hooks) {}

StartResult Tracer::start(const StartOptions& opts) {
  opts_ = opts;
  ring_.reset(new Ring(&shm_->ring, reinterpret_cast<uint8_t*>(shm_) + shm_->header_bytes, shm_->capacity));
  synth_exec_ = true;
  for (const auto& sc : opts.syscalls)
    if (sc.nr == SYS_execve || sc.nr == SYS_execveat) synth_exec_ = false;
  syscall_by_nr(0);
  StartResult res = start_workload(opts_, &errfd_);
  if (res.pid < 0) return res;
  main_pid_ = res.pid;
  traced_ = res.traced;
  untraced_why_ = res.message;
  shm_->workload_pid.store(res.pid);
  return res;
}

void Tracer::scan_entered() {
  if (loop_ && traced_ && opts_.entered) loop_->scan_entered();
}

void Tracer::notice(uint32_t code, int pid, uint64_t arg1, const char* text) {
  if (out_) out_->notice(code, pid, arg1, text);
}

void Tracer::run() {
  RecordWriter out(*ring_, doorbell_, stats(), opts_.backpressure, hooks_);
  Loop loop(*this, opts_, out);
  out_ = &out;
  loop_ = &loop;
  if (!traced_) out.notice(N_UNTRACED, main_pid_, 0, untraced_why_.c_str());
  if (traced_)
    loop.run_traced(main_pid_, errfd_);
  else
    loop.run_untraced(main_pid_, errfd_);
  loop_ = nullptr;
  out_ = nullptr;
  close(errfd_);
  shm_->finished.store(1);
  out.wake();
}

}  // namespace tracer
