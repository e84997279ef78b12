// Discovery and attachment of processes that entered the container (see entered.h).
#include "entered.h"

#include <dirent.h>
#include <errno.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "procfs.h"

namespace tracer {

namespace {

// /proc/PID/stat: comm, state, parent, session, start time.
bool read_stat(int pid, EnteredProc& p, char& state) {
  char buf[1024];
  ProcStat st;
  if (!read_proc_stat(pid, st, buf, sizeof buf)) return false;
  p.pid = pid;
  p.ppid = st.ppid;
  p.sid = st.session;
  p.start = st.start;
  p.comm.assign(st.comm, st.comm_len);
  state = st.state;
  return true;
}

std::vector<int> list_tasks(int pid) {
  std::vector<int> out;
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* d = opendir(path);
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    int tid = atoi(e->d_name);
    if (tid > 0) out.push_back(tid);
  }
  closedir(d);
  return out;
}

}  // namespace

bool traced_by(int pid, int tracer) {
  char buf[2048];
  if (read_proc_text(pid, "status", buf, sizeof buf) <= 0) return false;
  const char* t = std::strstr(buf, "\nTracerPid:");
  return t && atoi(t + 11) == tracer;
}

bool same_mount_ns(int pid) {
  static char self[64];
  static ssize_t self_len = -1;
  if (self_len < 0) self_len = readlink("/proc/self/ns/mnt", self, sizeof self);
  char path[48], link[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
  ssize_t n = readlink(path, link, sizeof link);
  // Unreadable (no rights, gone): let the seize decide and report.
  return n < 0 || self_len < 0 || (n == self_len && std::memcmp(link, self, (size_t)n) == 0);
}

std::vector<EnteredProc> EnteredScanner::scan(const std::function<bool(int)>& known) {
  std::vector<EnteredProc> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  for (auto& kv : ignored_) kv.second = false;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    int pid = atoi(e->d_name);
    auto ig = ignored_.find(pid);
    if (ig != ignored_.end()) {
      ig->second = true;
      continue;
    }
    if (known(pid)) continue;
    EnteredProc p;
    char state = 0;
    if (!read_stat(pid, p, state) || state == 'Z' || state == 'X') continue;
    out.push_back(std::move(p));
  }
  closedir(d);
  // A pid that left /proc may come back as another process.
  for (auto it = ignored_.begin(); it != ignored_.end();) it = it->second ? std::next(it) : ignored_.erase(it);
  std::sort(out.begin(), out.end(), [](const EnteredProc& a, const EnteredProc& b) {
    return a.start != b.start ? a.start < b.start : a.pid < b.pid;
  });
  return out;
}

int EnteredScanner::seize(int pid, long options, std::vector<int>& tids) {
  tids.clear();
  if (ptrace(PTRACE_SEIZE, pid, nullptr, (void*)options) != 0) return errno;
  tids.push_back(pid);
  // Threads an unseized thread starts meanwhile are not auto-attached: list
  // again until a pass finds nothing new (as strace -p does).
  std::unordered_set<int> seen = {pid};
  for (bool more = true; more;) {
    more = false;
    for (int tid : list_tasks(pid)) {
      if (!seen.insert(tid).second) continue;
      more = true;
      if (ptrace(PTRACE_SEIZE, tid, nullptr, (void*)options) == 0) tids.push_back(tid);
    }
  }
  for (int tid : tids) ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
  return 0;
}

}  // namespace tracer
