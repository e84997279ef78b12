// instrument: the container's entrypoint and PID 1. A small native
// supervisor in tini's spirit that
//   - records the state it inherited (signal mask, ignored signals, fds,
//     process group, terminal) and starts the workload with exactly that
//     state, under the ptrace + seccomp tracer (native/tracer.cc);
//   - does PID 1's duties: reaps every child, forwards signals, exits with the
//     workload's status (128+N for signal N);
//   - runs the analysis (Node.js: events, state, rules, alerts) as a separate
//     process in its own session, fed by a shared-memory ring, and restarts
//     it when it dies. The workload never waits on, inherits from or dies
//     with it.
//
//   instrument CMD [ARGS...]     run CMD under the agent
//   instrument --version         print the agent's version (only with no other argument)
//
// Exit codes of its own (before the workload runs): 2 usage, 70 internal
// setup failure (the workload could not be started at all). See
// docs/supervisor.md for the failure cases.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "record.h"
#include "secrets.h"
#include "shared.h"
#include "syscalls.h"
#include "tracer.h"

#ifndef AGENT_VERSION
#define AGENT_VERSION "0.0.0"
#endif
#ifndef DEV_NODE
#define DEV_NODE "node"
#endif

extern char** environ;

namespace {

using tracer::PathFilter;
using tracer::PathPattern;

// Signals forwarded to the workload, as a PID 1 must: every catchable one
// except SIGCHLD (ours to reap), the synchronous faults a process raises
// against itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT:
// ours would be our own bug), and SIGTTIN/SIGTTOU, which the terminal sends
// to us when *we* touch it from the background (as tini excludes them).
const int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE,   SIGALRM, SIGTERM, SIGCONT,
                          SIGTSTP, SIGWINCH, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR};

// Variables that would change the agent's own Node.js (an image's
// LD_PRELOAD built for musl, a NODE_OPTIONS meant for the workload...): kept
// for the workload, not given to the analysis.
const char* const kWorkloadOnlyEnv[] = {"LD_PRELOAD=", "LD_LIBRARY_PATH=", "LD_AUDIT=", "NODE_OPTIONS=", "NODE_PATH=",
                                        "NODE_EXTRA_CA_CERTS="};

// fds of the analysis process (DRAIOS_FDS): ring memfd, doorbell (read end),
// control socket, secrets pipe (read end).
constexpr int kChildFds[] = {3, 4, 5, 6};

constexpr size_t kDefaultRingBytes = 8u << 20;
constexpr size_t kMaxRingBytes = 1u << 30;
constexpr size_t kMaxMessage = 256 * 1024;
// Analysis starts in a row that never became ready before we say so on stderr.
constexpr int kCrashLoop = 3;

volatile sig_atomic_t g_workload = 0;
volatile sig_atomic_t g_scan_due = 0;

// The entered-process scan's timer: a thread-directed signal that
// interrupts the trace loop's blocking waitpid (no SA_RESTART), so the loop
// keeps its cheapest wait per stop and still wakes when the workload is idle.
void on_scan_timer(int) { g_scan_due = 1; }

uint64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

long env_number(const char* name, long dflt, long lo, long hi) {
  const char* v = getenv(name);
  if (!v || !*v) return dflt;
  char* end;
  long n = strtol(v, &end, 10);
  return *end || n < lo || n > hi ? dflt : n;
}

// True when pid is traced by us (a process of the workload), from
// /proc/PID/status's TracerPid (async-signal-safe: open, read, close).
bool traced_by_us(pid_t pid) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[2048];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  const char* t = strstr(buf, "\nTracerPid:");
  return t && atoi(t + 11) == (int)getpid();
}

// The parent of pid from /proc/PID/stat (async-signal-safe), -1 if unknown.
int parent_of(pid_t pid) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char* p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] && p[3] == ' ' ? atoi(p + 4) : -1;
}

// A process of the workload: traced by us and descended from us. A process
// that entered the container (docs/ecs-exec.md) is traced too, but its
// ancestry leaves the namespace (a parent 0): its signals are an outsider's
// (`kill 1` from an ECS Exec shell reaches the workload as it would natively).
bool from_workload(pid_t pid) {
  if (!traced_by_us(pid)) return false;
  for (int depth = 0; depth < 64; depth++) {
    int ppid = parent_of(pid);
    if (ppid == (int)getpid()) return true;
    if (ppid <= 0) return ppid < 0;  // unreadable (gone): as before, the workload's
    pid = ppid;
  }
  return true;
}

// Forwarding (async-signal-safe). Not forwarded: what the workload got
// itself - a signal from the terminal to our process group (si_code
// SI_KERNEL: the workload is in that group too) or one a process of the
// workload sent (its kill(0, ...) reached it already) - and what we raised
// ourselves (SIGPIPE from a write).
void on_signal(int sig, siginfo_t* si, void*) {
  int saved = errno;
  bool forward = g_workload > 0;
  if (si && si->si_code == SI_KERNEL) forward = false;
  if (forward && si && si->si_code <= 0 && si->si_pid > 0 && (si->si_pid == getpid() || from_workload(si->si_pid))) forward = false;
  if (forward) kill(g_workload, sig);
  errno = saved;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        // Someone else made the fd non-blocking: wait for room, never
        // change its flags (they belong to the open file the workload shares).
        struct pollfd pf = {fd, POLLOUT, 0};
        poll(&pf, 1, 1000);
        continue;
      }
      return false;
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

void say(const char* fmt, const char* a, const char* b = "") {
  char line[1024];
  int n = snprintf(line, sizeof line, fmt, a, b);
  if (n > 0) write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

std::string dir_of(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? std::string(".") : p.substr(0, s);
}

bool exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

double mtime(const std::string& p) {
  struct stat st;
  if (stat(p.c_str(), &st) != 0) return -1;
  return (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
}

std::string hex_decode(const char* s) {
  std::string out;
  auto nib = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  for (; s[0] && s[1]; s += 2) {
    int h = nib(s[0]), l = nib(s[1]);
    if (h < 0 || l < 0) break;
    out.push_back((char)(h << 4 | l));
  }
  return out;
}

// What the analysis asks of the tracer (src/tracer/plan.ts writes it): one
// item a line.
//   s NR EXIT           a syscall that stops the workload (EXIT 1: also at its exit)
//   env 0|1             read /proc/PID/environ at exec
//   bp 0|1              backpressure instead of drops
//   cpu N               pin to CPU N (-1: no)
//   trace 0|1           trace at all
//   ring BYTES          ring size
//   filter none|list    the open pre-filter: none (every open matters) or the p lines
//   p KIND WRITE HEX    a path pattern (native/prefilter.h), the value hex-encoded
struct Plan {
  bool valid = false;
  std::vector<tracer::TracedSyscall> syscalls;
  bool read_env = true;
  bool backpressure = false;
  int cpu = -1;
  bool trace = true;
  size_t ring_bytes = kDefaultRingBytes;
  bool has_filter = false;  // a filter line was present
  std::shared_ptr<const PathFilter> filter;
};

bool parse_plan(const char* text, size_t len, Plan& out) {
  std::string s(text, len);
  std::vector<PathPattern> pats;
  bool list = false;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    std::string line = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? s.size() : nl + 1;
    char key[16] = {0};
    if (sscanf(line.c_str(), "%15s", key) != 1) continue;
    const char* rest = line.c_str() + strlen(key);
    if (!strcmp(key, "s")) {
      int nr, ex;
      if (sscanf(rest, "%d %d", &nr, &ex) == 2 && tracer::syscall_by_nr(nr)) out.syscalls.push_back({nr, ex != 0});
    } else if (!strcmp(key, "env")) {
      out.read_env = atoi(rest) != 0;
    } else if (!strcmp(key, "bp")) {
      out.backpressure = atoi(rest) != 0;
    } else if (!strcmp(key, "cpu")) {
      out.cpu = atoi(rest);
    } else if (!strcmp(key, "trace")) {
      out.trace = atoi(rest) != 0;
    } else if (!strcmp(key, "ring")) {
      long long n = atoll(rest);
      if (n >= 65536 && (size_t)n <= kMaxRingBytes) out.ring_bytes = (size_t)n;
    } else if (!strcmp(key, "filter")) {
      out.has_filter = true;
      list = strstr(rest, "list") != nullptr;
    } else if (!strcmp(key, "p")) {
      int kind, write;
      char hex[8192];
      if (sscanf(rest, "%d %d %8191s", &kind, &write, hex) != 3) return false;
      if (kind < tracer::PK_EXACT || kind > tracer::PK_CONTAINS) return false;
      pats.push_back({(tracer::PatternKind)kind, hex_decode(hex), write != 0});
    }
  }
  if (out.has_filter && list) out.filter = std::make_shared<const PathFilter>(std::move(pats));
  out.valid = true;
  return true;
}

class Supervisor : public tracer::Hooks {
 public:
  int main(int argc, char** argv);

  // tracer::Hooks (called on the main thread, from the trace loop)
  bool reap(int pid, int status) override;
  void main_exited(int status) override;
  int timeout_ms() override;
  void tick() override;
  bool done() override;
  bool is_agent(int pid) override { return pid == self_ || pid == analysis_.load(); }
  void job_stop(int sig) override;

 private:
  void take_secrets();
  bool make_shared();
  bool locate_analysis();
  void spawn_analysis();
  void control_thread();
  void on_message(const char* msg, size_t len);
  bool wait_for_plan(Plan& plan);
  void service_analysis_nonblocking();

  pid_t self_ = 0;
  std::vector<std::string> workload_env_;
  std::vector<std::string> analysis_env_;
  std::string secrets_;  // NAME=VALUE\0..., for the analysis only
  std::vector<std::string> analysis_argv_;
  std::string default_plan_path_;
  bool need_plan_ = false;

  tracer::Shared* shm_ = nullptr;
  int ring_fd_ = -1;
  int doorbell_[2] = {-1, -1};
  int control_[2] = {-1, -1};
  int log_[2] = {-1, -1};

  std::atomic<int> analysis_{-1};
  std::atomic<bool> analysis_ready_{false};
  uint64_t analysis_started_ = 0;
  int failures_ = 0;          // analysis starts in a row that never became ready
  uint64_t restart_at_ = 0;   // 0: no restart pending
  unsigned starts_ = 0;

  bool main_done_ = false;
  int main_status_ = 0;
  // Processes entering the container (docs/ecs-exec.md): /proc scanned every
  // enter_scan_ms_ (0: off) from the trace loop's timed work.
  long enter_scan_ms_ = 0;
  timer_t scan_timer_{};
  bool scan_timer_on_ = false;
  void start_scan_timer();
  void stop_scan_timer();
  uint64_t flush_deadline_ = 0;
  std::atomic<bool> flushed_{false};

  tracer::Tracer* tracer_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  Plan pushed_plan_;  // a plan message from the analysis (guarded by mu_)
};

// Secrets leave the environment: the supervisor keeps them for the analysis
// (each start gets them through a pipe) and zeroes them in its own
// environment block, which is what /proc/PID/environ shows.
void Supervisor::take_secrets() {
  for (char** e = environ; *e; e++) {
    bool secret = false;
    for (const char* name : tracer::kSecretEnvVars) {
      size_t n = strlen(name);
      if (!strncmp(*e, name, n) && (*e)[n] == '=') secret = true;
    }
    if (secret) {
      secrets_.append(*e);
      secrets_.push_back('\0');
      char* eq = strchr(*e, '=');
      memset(eq + 1, 0, strlen(eq + 1));
      continue;
    }
    workload_env_.push_back(*e);
    bool workload_only = false;
    for (const char* p : kWorkloadOnlyEnv)
      if (!strncmp(*e, p, strlen(p))) workload_only = true;
    if (!workload_only) analysis_env_.push_back(*e);
  }
}

bool Supervisor::make_shared() {
  ring_fd_ = (int)syscall(SYS_memfd_create, "draios-ring", MFD_CLOEXEC);
  if (ring_fd_ < 0) return false;
  // Sized for the largest ring: pages are only allocated when touched.
  size_t total = tracer::kSharedHeaderBytes + kMaxRingBytes;
  if (ftruncate(ring_fd_, (off_t)total) != 0) return false;
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd_, 0);
  if (p == MAP_FAILED) return false;
  shm_ = new (p) tracer::Shared();
  shm_->magic = tracer::kSharedMagic;
  shm_->version = tracer::kSharedVersion;
  shm_->header_bytes = tracer::kSharedHeaderBytes;
  shm_->capacity = kDefaultRingBytes;
  return pipe2(doorbell_, O_CLOEXEC | O_NONBLOCK) == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control_) == 0 &&
         pipe2(log_, O_CLOEXEC) == 0;
}

// The analysis program: in a dist tree (bin/instrument next to lib/node) the
// tree's own loader, libraries and Node.js; in the repository (the binary in
// build/Release) the Node.js that built it and the bundle of
// src/wrapper/main.ts. DRAIOS_ANALYSIS_SCRIPT replaces the script (tests run
// a record dump there).
bool Supervisor::locate_analysis() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = 0;
  std::string bin = dir_of(buf);
  std::string lib = dir_of(bin) + "/lib";
  std::string script;
  const char* override_script = getenv("DRAIOS_ANALYSIS_SCRIPT");
  if (exists(lib + "/node") && exists(lib + "/ld-linux-x86-64.so.2")) {
    analysis_argv_ = {lib + "/ld-linux-x86-64.so.2", "--library-path", lib, "--argv0", "draios-analysis", lib + "/node"};
    script = lib + "/analysis.mjs";
    default_plan_path_ = lib + "/default-plan.txt";
  } else {
    const char* node = getenv("DRAIOS_NODE");
    analysis_argv_ = {node && *node ? node : DEV_NODE};
    std::string out = dir_of(dir_of(bin)) + "/out/src/wrapper/";
    script = mtime(out + "main.bundle.mjs") >= mtime(out + "main.js") ? out + "main.bundle.mjs" : out + "main.js";
    default_plan_path_ = bin + "/default-plan.txt";
  }
  // A small young generation: records and events are short-lived, and grown
  // semi-spaces added ~12 MB of resident memory for no speed (docs/BENCHMARKS.md).
  analysis_argv_.push_back("--max-semi-space-size=1");
  analysis_argv_.push_back(override_script && *override_script ? override_script : script);
  return true;
}

void Supervisor::spawn_analysis() {
  int sp[2];
  if (pipe2(sp, O_CLOEXEC) != 0) {
    restart_at_ = now_ms() + 1000;
    return;
  }
  std::vector<std::string> env = analysis_env_;
  env.push_back("DRAIOS_FDS=3,4,5,6");
  env.push_back(std::string("DRAIOS_NEED_PLAN=") + (need_plan_ ? "1" : "0"));
  env.push_back("DRAIOS_ANALYSIS_START=" + std::to_string(starts_));
  std::vector<char*> argv, envp;
  for (auto& a : analysis_argv_) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int keep[4] = {ring_fd_, doorbell_[0], control_[1], sp[0]};
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Its own session: no controlling terminal, no terminal signals, not in
    // the workload's process group. It dies with us.
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
      if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int high[4];
    for (int i = 0; i < 4; i++) high[i] = fcntl(keep[i], F_DUPFD_CLOEXEC, 100);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(log_[1], 1);
    dup2(log_[1], 2);
    for (int i = 0; i < 4; i++) dup2(high[i], kChildFds[i]);
    // Nothing of the workload's (its inherited fds) reaches the analysis.
    syscall(SYS_close_range, 7, ~0U, 0);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(sp[0]);
  if (pid < 0) {
    close(sp[1]);
    restart_at_ = now_ms() + 1000;
    return;
  }
  // Small (a few names and keys): fits the pipe, the write does not block.
  write_all(sp[1], secrets_.data(), secrets_.size());
  close(sp[1]);
  starts_++;
  shm_->stats.analysis_starts.fetch_add(1);
  analysis_.store(pid);
  analysis_ready_.store(false);
  analysis_started_ = now_ms();
  restart_at_ = 0;
}

// The control channel and the analysis's output, on a thread of their own so
// that the trace loop never waits for either. Output is copied to our stderr
// with blocking writes: never a flag change on the workload's open files.
void Supervisor::control_thread() {
  std::vector<char> msg(kMaxMessage);
  char buf[16384];
  struct pollfd pf[2] = {{control_[0], POLLIN, 0}, {log_[0], POLLIN, 0}};
  for (;;) {
    if (poll(pf, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (pf[0].revents & POLLIN) {
      ssize_t n = recv(control_[0], msg.data(), msg.size(), MSG_DONTWAIT);
      if (n > 0) on_message(msg.data(), (size_t)n);
    }
    if (pf[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(log_[0], buf, sizeof buf);
      if (n > 0) write_all(2, buf, (size_t)n);
      if (n == 0) return;  // every writer gone: we are exiting (see main)
    }
  }
}

void Supervisor::on_message(const char* msg, size_t len) {
  const char* nl = (const char*)memchr(msg, '\n', len);
  std::string kind(msg, nl ? (size_t)(nl - msg) : len);
  const char* body = nl ? nl + 1 : msg + len;
  size_t blen = len - (size_t)(body - msg);
  if (kind == "ready") {
    analysis_ready_.store(true);
  } else if (kind == "done") {
    flushed_.store(true);
  } else if (kind == "plan") {
    Plan p;
    if (!parse_plan(body, blen, p)) return;
    std::lock_guard<std::mutex> g(mu_);
    pushed_plan_ = p;
    cv_.notify_all();
  } else if (kind == "filter") {
    Plan p;
    if (parse_plan(body, blen, p) && p.has_filter && tracer_) tracer_->set_path_filter(p.filter);
  }
}

// An analysis that never becomes ready is restarted with backoff (50 ms
// doubling to 10 s); one that was working is restarted at once.
bool Supervisor::reap(int pid, int status) {
  if (pid != analysis_.load()) return false;
  analysis_.store(-1);
  if (analysis_ready_.load())
    failures_ = 0;
  else
    failures_++;
  if (failures_ == kCrashLoop) {
    // Nobody else can say it: without an analysis there is no agent log.
    say("instrument: the analysis process keeps failing to start (last %s): detection is off until it starts%s\n",
        WIFSIGNALED(status) ? "killed by a signal" : WEXITSTATUS(status) == 127 ? "exit 127: its program was not found" : "a non-zero exit");
  }
  uint64_t delay = failures_ == 0 ? 0 : std::min<uint64_t>(10000, 50ull << std::min(failures_, 8));
  // The analysis exits 0 only after it sent `done` (src/wrapper/main.ts);
  // the control thread may not have read that message yet when we reap it,
  // so a clean exit after the workload's is the end, not a crash (a restart
  // would read the last, unreleased batch again).
  bool finished_cleanly = WIFEXITED(status) && WEXITSTATUS(status) == 0 && (flushed_.load() || main_done_);
  if (finished_cleanly) flushed_.store(true);
  if (!finished_cleanly) {
    restart_at_ = now_ms() + delay;
    if (restart_at_ == 0) restart_at_ = 1;
    char text[160];
    if (WIFSIGNALED(status))
      snprintf(text, sizeof text, "analysis process killed by signal %d; restarting in %llu ms", WTERMSIG(status), (unsigned long long)delay);
    else
      snprintf(text, sizeof text, "analysis process exited with status %d; restarting in %llu ms", WEXITSTATUS(status), (unsigned long long)delay);
    if (tracer_) tracer_->notice(tracer::N_ANALYSIS, pid, (uint64_t)(uint32_t)status, text);
  }
  return true;
}

void Supervisor::start_scan_timer() {
  int sig = SIGRTMIN + 4;  // glibc keeps the first ones for itself
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_scan_timer;
  sigfillset(&sa.sa_mask);
  if (sigaction(sig, &sa, nullptr) != 0) return;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = sig;
  sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  if (timer_create(CLOCK_MONOTONIC, &sev, &scan_timer_) != 0) return;
  struct itimerspec its;
  its.it_interval.tv_sec = enter_scan_ms_ / 1000;
  its.it_interval.tv_nsec = (enter_scan_ms_ % 1000) * 1000000L;
  its.it_value.tv_sec = 0;
  its.it_value.tv_nsec = 1000000;  // the first scan at once
  scan_timer_on_ = timer_settime(scan_timer_, 0, &its, nullptr) == 0;
}

// Once the workload is gone nothing enters worth the wake-ups, and the
// supervisor's last blocking waits must not be interrupted.
void Supervisor::stop_scan_timer() {
  if (!scan_timer_on_) return;
  timer_delete(scan_timer_);
  scan_timer_on_ = false;
}

void Supervisor::main_exited(int status) {
  stop_scan_timer();
  main_done_ = true;
  main_status_ = status;
  shm_->workload_status.store(status);
  shm_->workload_exited.store(1);
  g_workload = 0;
  flush_deadline_ = now_ms() + (uint64_t)env_number("DRAIOS_FLUSH_TIMEOUT_MS", 10000, 0, 600000);
}

// Asked before every wait of the trace loop, that is at every stop: nothing
// but two flags unless timed work is pending.
int Supervisor::timeout_ms() {
  uint64_t next = 0;
  if (restart_at_) next = restart_at_;
  if (main_done_ && (!next || flush_deadline_ < next)) next = flush_deadline_;
  if (!next) return -1;
  uint64_t now = now_ms();
  // Wake at least every 50 ms meanwhile: a pending restart must not wait
  // for the next stop.
  return next <= now ? 0 : (int)std::min<uint64_t>(next - now, 50);
}

void Supervisor::tick() {
  if (restart_at_ && now_ms() >= restart_at_ && analysis_.load() < 0) spawn_analysis();
  if (g_scan_due && !main_done_ && tracer_) {
    g_scan_due = 0;
    tracer_->scan_entered();
  }
  service_analysis_nonblocking();
}

// In the backpressure wait the loop does not reach waitpid: look for the
// analysis's end here too.
void Supervisor::service_analysis_nonblocking() {
  int a = analysis_.load();
  if (a <= 0) return;
  int status;
  if (waitpid(a, &status, WNOHANG) == a) reap(a, status);
}

bool Supervisor::done() {
  if (!main_done_) return false;
  if (flushed_.load() && analysis_.load() < 0) return true;
  // An analysis that cannot start at all (a broken tree) has nothing to
  // flush: do not make every exit wait for the deadline.
  if (failures_ >= kCrashLoop && analysis_.load() < 0) return true;
  return now_ms() >= flush_deadline_;
}

// sudo's job control: the workload stopped on a terminal signal, so we stop
// with the same signal; the shell sees its job stopped. Its SIGCONT reaches
// the workload too (our process group; else we forward it). PID 1 cannot be
// stopped, and has no shell to tell.
// Still stopped: /proc/PID/stat says t or T and no SIGCONT is pending (one
// that arrived before we saw the stop has already ended it).
bool still_stopped(int pid) {
  char path[48], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  const char* st = strstr(buf, "\nState:");
  if (!st || (st[8] != 't' && st[8] != 'T')) return false;  // "\nState:\tt (tracing stop)"
  for (const char* key : {"\nSigPnd:", "\nShdPnd:"}) {
    const char* p = strstr(buf, key);
    if (p && (strtoull(p + strlen(key), nullptr, 16) & (1ull << (SIGCONT - 1)))) return false;
  }
  return true;
}

void Supervisor::job_stop(int sig) {
  if (self_ == 1) return;
  // A SIGCONT that overtook the stop (the workload is running again):
  // stopping now would leave us stopped with nobody to continue us.
  if (!still_stopped(g_workload)) return;
  struct sigaction dfl, old;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, &old);
  sigset_t s, prev;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(SIG_UNBLOCK, &s, &prev);
  kill(self_, sig);
  pthread_sigmask(SIG_SETMASK, &prev, nullptr);
  sigaction(sig, &old, nullptr);
}

// The slow path: rules other than the embedded defaults decide the syscall
// set, so the workload waits for the analysis's plan (bounded; then the
// default plan). An analysis that dies meanwhile is restarted.
bool Supervisor::wait_for_plan(Plan& plan) {
  uint64_t deadline = now_ms() + (uint64_t)env_number("DRAIOS_PLAN_TIMEOUT_MS", 30000, 0, 600000);
  std::unique_lock<std::mutex> lk(mu_);
  while (!pushed_plan_.valid) {
    if (now_ms() >= deadline) return false;
    cv_.wait_for(lk, std::chrono::milliseconds(20));
    lk.unlock();
    service_analysis_nonblocking();
    if (restart_at_ && now_ms() >= restart_at_ && analysis_.load() < 0) spawn_analysis();
    lk.lock();
  }
  plan = pushed_plan_;
  return true;
}

bool read_plan_file(const std::string& path, Plan& plan) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string text;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, (size_t)n);
  close(fd);
  return parse_plan(text.data(), text.size(), plan);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 70;
}

int Supervisor::main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: %s CMD [ARGS...]\nRuns CMD (looked up in PATH) under the Sysdig serverless workload agent.\n"
        "Configuration: SYSDIG_* environment variables (see docs/configuration.md). `instrument --version` prints the version.\n%s",
        "instrument");
    return 2;
  }
  if (argc == 2 && !strcmp(argv[1], "--version")) {
    say("instrument %s\n%s", AGENT_VERSION);
    return 0;
  }
  self_ = getpid();
  tracer::StartOptions opts;
  sigprocmask(SIG_SETMASK, nullptr, &opts.mask);
  // Signals: held (blocked) from now until the workload exists, then
  // forwarded. SIGCHLD stays blocked: the trace loop takes it with sigtimedwait.
  sigset_t held;
  sigemptyset(&held);
  for (int s : kForwarded) sigaddset(&held, s);
  sigaddset(&held, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &held, nullptr);

  for (int s = 1; s < NSIG; s++) {
    struct sigaction old;
    if (sigaction(s, nullptr, &old) == 0) opts.ignored[s] = old.sa_handler == SIG_IGN;
  }
  take_secrets();
  for (int i = 1; i < argc; i++) opts.argv.push_back(argv[i]);
  opts.envp = workload_env_;

  bool setup_ok = make_shared() && locate_analysis();
  if (!setup_ok) {
    // No analysis possible: the workload still runs, untraced by choice.
    say("instrument: agent setup failed (%s): the workload runs without the agent\n%s", strerror(errno));
    opts.trace = false;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int s : kForwarded) sigaction(s, &sa, nullptr);

  // The control thread takes no signal at all.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::thread ctl;
  Plan plan;
  tracer::Tracer* tr = nullptr;
  if (setup_ok) {
    tr = new tracer::Tracer(shm_, doorbell_[1], *this);
    tracer_ = tr;
    ctl = std::thread(&Supervisor::control_thread, this);
  }
  pthread_sigmask(SIG_SETMASK, &held, nullptr);

  if (setup_ok) {
    // The fast path: the embedded default rules, whose plan was computed at
    // build time; any configuration that may change it goes through the
    // analysis's configuration reader.
    bool custom = getenv("SYSDIG_EXTRA_ARGS") || getenv("SYSDIG_EXTRA_CONF") || getenv("DRAIOS_ANALYSIS_SCRIPT") ||
                  getenv("DRAIOS_BENCH_NO_PREFILTER") || getenv("DRAIOS_BENCH_EXACT_STATE") || (getenv("SYSDIG_LOGGING") && !strcmp(getenv("SYSDIG_LOGGING"), "trace")) ||
                  (getenv("SYSDIG_PRIORITY") && !strcmp(getenv("SYSDIG_PRIORITY"), "security"));
    need_plan_ = custom || !read_plan_file(default_plan_path_, plan);
    spawn_analysis();
    if (need_plan_ && !wait_for_plan(plan)) {
      if (!read_plan_file(default_plan_path_, plan)) plan = Plan();
    }
    opts.syscalls = plan.syscalls;
    // The agent's own processes are protected whatever the rules say.
    opts.syscalls.push_back({SYS_ptrace, true});
    opts.read_env = plan.read_env;
    opts.backpressure = plan.backpressure;
    opts.cpu = plan.cpu;
    if (!plan.trace) opts.trace = false;
    // As PID 1 every process of the container's PID namespace is in our
    // /proc: those that entered it from outside (ECS Exec, runc exec,
    // nsenter) are found by a scan. Elsewhere /proc is the host's: only on
    // request (DRAIOS_ENTER_SCAN_MS).
    enter_scan_ms_ = env_number("DRAIOS_ENTER_SCAN_MS", self_ == 1 ? 50 : 0, 0, 60000);
    opts.entered = enter_scan_ms_ > 0;
    shm_->capacity = plan.ring_bytes;
    tr->set_path_filter(plan.filter);
  } else {
    // Records go nowhere: a private ring nobody reads (its drops are moot).
    void* p = mmap(nullptr, tracer::kSharedHeaderBytes + 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 70;
    shm_ = new (p) tracer::Shared();
    shm_->header_bytes = tracer::kSharedHeaderBytes;
    shm_->capacity = 65536;
    tr = new tracer::Tracer(shm_, -1, *this);
  }

  tracer::StartResult res = tr->start(opts);
  if (res.pid < 0) {
    say("instrument: cannot start the workload: %s\n%s", res.message.c_str());
    return 70;
  }
  g_workload = res.pid;
  // Nothing of ours is for the workload to read: /proc/PID/{environ,mem,...}
  // become root's only, and a ptrace attach needs CAP_SYS_PTRACE. Only now:
  // a child forked from a non-dumpable process is non-dumpable until its
  // exec, and an unprivileged tracer could not seize it.
  prctl(PR_SET_DUMPABLE, 0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_SETMASK, &chld, nullptr);  // pending forwarded signals are delivered now
  if (opts.entered && res.traced) start_scan_timer();

  tr->run();
  stop_scan_timer();

  if (!main_done_) {
    // The loop ended without the main exit (should not happen): reap it.
    int status = 0;
    if (waitpid(res.pid, &status, __WALL) == res.pid) main_status_ = status;
  }
  int code = exit_code_of(main_status_);
  int exec_err = tr->exec_error();
  if (exec_err) say("instrument: %s: %s\n", opts.argv[0].c_str(), strerror(exec_err));
  int a = analysis_.load();
  if (a > 0) {
    kill(a, SIGKILL);
    waitpid(a, nullptr, 0);
  }
  if (ctl.joinable()) {
    // The analysis's last lines (its exit summary) are still in the pipe:
    // with our write end closed the copier reads them to EOF, then ends.
    close(log_[1]);
    ctl.join();
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  static Supervisor s;
  return s.main(argc, argv);
}
