// Reading /proc (see procfs.h).
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tracer {

namespace {

ssize_t read_file(const char* path, char* out, size_t max) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n < max) {
    ssize_t r = read(fd, out + n, max - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  return (ssize_t)n;
}

ssize_t read_text(const char* path, char* out, size_t max) {
  ssize_t n = read_file(path, out, max - 1);
  if (n >= 0) out[n] = 0;
  return n;
}

uint64_t parse_hex(const char* s) { return strtoull(s, nullptr, 16); }

}  // namespace

ssize_t read_proc(int pid, const char* name, char* out, size_t max) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  return read_file(path, out, max);
}

ssize_t read_proc_text(int pid, const char* name, char* out, size_t max) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  return read_text(path, out, max);
}

ssize_t read_proc_link(int pid, const char* name, int fd, char* out, size_t max) {
  char link[64];
  if (fd >= 0)
    snprintf(link, sizeof link, "/proc/%d/%s/%d", pid, name, fd);
  else
    snprintf(link, sizeof link, "/proc/%d/%s", pid, name);
  return readlink(link, out, max);
}

bool read_proc_stat(int pid, ProcStat& s, char* buf, size_t max) {
  if (read_proc_text(pid, "stat", buf, max) <= 0) return false;
  // the comm, in parentheses, may itself hold spaces and parentheses
  const char* open_paren = std::strchr(buf, '(');
  const char* close_paren = std::strrchr(buf, ')');
  if (!open_paren || !close_paren || close_paren < open_paren) return false;
  s.comm = open_paren + 1;
  s.comm_len = (size_t)(close_paren - open_paren - 1);
  int tpgid;
  unsigned flags;
  unsigned long minflt, cminflt, majflt, cmajflt, utime, stime;
  long cutime, cstime, prio, nice, nthreads, itreal;
  return sscanf(close_paren + 2, "%c %d %d %d %d %d %u %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld %ld %ld %llu", &s.state,
                &s.ppid, &s.pgrp, &s.session, &s.tty_nr, &tpgid, &flags, &minflt, &cminflt, &majflt, &cmajflt, &utime,
                &stime, &cutime, &cstime, &prio, &nice, &nthreads, &itreal, &s.start) == 20;
}

void read_task_ids(int tid, int& tgid, int& ppid) {
  char buf[4096];  // both fields are in the first lines
  if (read_proc_text(tid, "status", buf, sizeof buf) <= 0) return;
  const char* p = std::strstr(buf, "\nTgid:");
  if (p) tgid = atoi(p + 6);
  p = std::strstr(buf, "\nPPid:");
  if (p) ppid = atoi(p + 6);
}

bool read_creds(int tid, Creds& c, char* buf, size_t max, const uint32_t* member_gid, bool* is_member) {
  std::memset(&c, 0, sizeof c);
  c.loginuid = 0xffffffffu;
  if (read_proc_text(tid, "status", buf, max) <= 0) return false;
  for (char* line = buf; line && *line;) {
    char* next = std::strchr(line, '\n');
    if (next) *next++ = 0;
    if (!std::strncmp(line, "Uid:", 4))
      sscanf(line + 4, "%u %u %u %u", &c.ruid, &c.euid, &c.suid, &c.fsuid);
    else if (!std::strncmp(line, "Gid:", 4))
      sscanf(line + 4, "%u %u %u %u", &c.rgid, &c.egid, &c.sgid, &c.fsgid);
    else if (!std::strncmp(line, "CapInh:", 7))
      c.cap_inh = parse_hex(line + 7);
    else if (!std::strncmp(line, "CapPrm:", 7))
      c.cap_prm = parse_hex(line + 7);
    else if (!std::strncmp(line, "CapEff:", 7))
      c.cap_eff = parse_hex(line + 7);
    else if (member_gid && !std::strncmp(line, "Groups:", 7)) {
      for (char* tok = std::strtok(line + 7, " \t"); tok; tok = std::strtok(nullptr, " \t"))
        if ((uint32_t)strtoul(tok, nullptr, 10) == *member_gid) *is_member = true;
    } else if (!std::strncmp(line, "PPid:", 5))
      c.ppid = atoi(line + 5);
    else if (!std::strncmp(line, "NSpid:", 6)) {
      // last field: the pid in the innermost namespace
      char* last = line + 6;
      for (char* tok = std::strtok(line + 6, " \t"); tok; tok = std::strtok(nullptr, " \t")) last = tok;
      c.vpid = atoi(last);
    }
    line = next;
  }
  char lb[32];
  if (read_proc_text(tid, "loginuid", lb, sizeof lb) > 0) c.loginuid = (uint32_t)strtoul(lb, nullptr, 10);
  ProcStat st;
  if (read_proc_stat(tid, st, buf, max)) {
    c.pgid = st.pgrp;
    c.sid = st.session;
    c.tty = st.tty_nr;
    c.start_ticks = st.start;
  }
  return true;
}

ssize_t read_fd_facts(int tid, int fd, FdFacts& f, char* name, size_t max) {
  char link[64];
  snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, fd);
  ssize_t n = readlink(link, name, max);
  if (n < 0) return -1;
  struct stat st;
  if (stat(link, &st) == 0) {
    f.mode = st.st_mode;
    f.ino = st.st_ino;
  }
  char info[64];
  snprintf(info, sizeof info, "/proc/%d/fdinfo/%d", tid, fd);
  char text[256];
  if (read_text(info, text, sizeof text) > 0) {
    const char* fl = std::strstr(text, "flags:");
    if (fl) f.flags = (uint32_t)strtoul(fl + 6, nullptr, 8);
  }
  return n;
}

}  // namespace tracer
