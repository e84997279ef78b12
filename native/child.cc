// Starting the workload (see child.h). Everything the child runs after
// fork() is async-signal-safe: the supervisor has a second thread (its
// control channel), so the child of a fork may only make system calls.
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "record.h"

namespace tracer {

namespace {

struct ChildPlan {
  std::vector<std::string> candidates;
  std::vector<char*> argv;
  std::vector<char*> envp;
  struct sock_fprog prog;
  std::vector<sock_filter> filter;
};

// PATH search as execvp does it, but with the workload's PATH.
std::vector<std::string> exec_candidates(const StartOptions& o) {
  std::vector<std::string> out;
  const std::string& file = o.argv[0];
  if (file.empty()) return out;
  if (file.find('/') != std::string::npos) {
    out.push_back(file);
    return out;
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& kv : o.envp)
    if (kv.compare(0, 5, "PATH=") == 0) path = kv.substr(5);
  size_t start = 0;
  for (;;) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    out.push_back(dir + "/" + file);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

// The workload's side of the fork: exactly the state the supervisor was
// given (signal mask, ignored signals, fds, process group, terminal), plus
// our seccomp filter. The supervisor's own fds are all close-on-exec.
[[noreturn]] void child_main(ChildPlan& plan, const StartOptions& o, int syncfd, int errfd, bool want_filter) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sa.sa_handler = o.ignored[s] ? SIG_IGN : SIG_DFL;
    sigaction(s, &sa, nullptr);
  }
  char c = 'U';
  while (read(syncfd, &c, 1) < 0 && errno == EINTR) {
  }
  close(syncfd);
  if (c == 'T' && want_filter) {
    // Without CAP_SYS_ADMIN a filter needs NO_NEW_PRIVS, which also disables
    // setuid bits in the workload: try without it first, as strace does.
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &plan.prog);
    if (r != 0 && errno == EACCES) {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &plan.prog);
    }
    if (r != 0) {
      uint32_t msg[2] = {N_NO_SECCOMP, (uint32_t)errno};
      ssize_t ignored = write(errfd, msg, sizeof msg);
      (void)ignored;
    }
  }
  sigprocmask(SIG_SETMASK, &o.mask, nullptr);
  int err = ENOENT;
  bool eacces = false;
  for (auto& cand : plan.candidates) {
    execve(cand.c_str(), plan.argv.data(), plan.envp.data());
    err = errno;
    if (err == EACCES) eacces = true;
    if (err != ENOENT && err != ENOTDIR && err != EACCES) break;
  }
  if (eacces && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  uint32_t msg[2] = {N_EXEC_FAILED, (uint32_t)err};
  ssize_t ignored = write(errfd, msg, sizeof msg);
  (void)ignored;
  _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

}  // namespace

StartResult start_workload(const StartOptions& opts, int* errfd) {
  ChildPlan plan;
  plan.candidates = exec_candidates(opts);
  for (auto& a : opts.argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (auto& e : opts.envp) plan.envp.push_back(const_cast<char*>(e.c_str()));
  plan.envp.push_back(nullptr);
  plan.filter = build_filter(opts.syscalls);
  plan.prog.len = (unsigned short)plan.filter.size();
  plan.prog.filter = plan.filter.data();
  bool want_filter = !opts.syscalls.empty() && plan.filter.size() < 4096;

  StartResult res;
  int syncp[2] = {-1, -1}, errp[2] = {-1, -1};
  if (pipe2(syncp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
    res.error = errno;
    res.message = std::string("pipe: ") + strerror(errno);
    return res;
  }
  if (opts.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(opts.cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  int pid = fork();
  if (pid == 0) {
    close(syncp[1]);
    close(errp[0]);
    child_main(plan, opts, syncp[0], errp[1], want_filter);
  }
  if (pid < 0) {
    res.error = errno;
    res.message = std::string("fork: ") + strerror(errno);
    for (int fd : {syncp[0], syncp[1], errp[0], errp[1]}) close(fd);
    return res;
  }
  close(syncp[0]);
  close(errp[1]);
  fcntl(errp[0], F_SETFL, O_NONBLOCK);
  *errfd = errp[0];
  res.pid = pid;
  if (opts.trace) {
    // EXITKILL: the workload's filter stops it for a tracer; without one
    // (the supervisor gone) its traced syscalls would fail with ENOSYS.
    if (ptrace(PTRACE_SEIZE, pid, nullptr, (void*)(kSeizeOptions | PTRACE_O_EXITKILL)) == 0) {
      res.traced = true;
    } else {
      res.message = std::string("ptrace not permitted (") + strerror(errno) +
                    "): the workload runs untraced; grant SYS_PTRACE to the container";
    }
  } else {
    res.message = "tracing disabled by configuration";
  }
  char c = res.traced ? 'T' : 'U';
  ssize_t ignored = write(syncp[1], &c, 1);
  (void)ignored;
  close(syncp[1]);
  return res;
}

}  // namespace tracer
