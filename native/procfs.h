// What /proc says about a task: files read whole, links (exe, cwd, fd/N),
// the fields of status and stat, credentials, an fd's type and flags. Every
// reader fills a buffer its caller owns: nothing is allocated per stop.
#pragma once
#include <sys/types.h>

#include <cstddef>

#include "record.h"

namespace tracer {

// /proc/PID/NAME into out (at most max bytes, no NUL added): its length, or
// -1 when it cannot be opened.
ssize_t read_proc(int pid, const char* name, char* out, size_t max);
// The same as text: at most max - 1 bytes, then a NUL.
ssize_t read_proc_text(int pid, const char* name, char* out, size_t max);
// readlink /proc/PID/NAME, or /proc/PID/NAME/FD when fd >= 0: the kernel's
// own path for an executable, a cwd or an fd. Its length, or -1.
ssize_t read_proc_link(int pid, const char* name, int fd, char* out, size_t max);

// The fields of /proc/PID/stat the tracer uses.
struct ProcStat {
  const char* comm;  // in the caller's buffer, comm_len bytes (no NUL)
  size_t comm_len;
  char state;
  int ppid, pgrp, session, tty_nr;
  unsigned long long start;  // start time, clock ticks since boot
};
// /proc/PID/stat, read into buf and parsed; false when unreadable or malformed.
bool read_proc_stat(int pid, ProcStat& s, char* buf, size_t max);

// Thread group and parent of a task (/proc/TID/status); left unchanged when
// it cannot be read.
void read_task_ids(int tid, int& tgid, int& ppid);
// Ids, capabilities, login uid, session, process group, terminal and start
// time of a task (status, loginuid, stat); false when its status cannot be read.
// With member_gid, *is_member tells whether that gid is one of the task's
// supplementary groups (status's Groups line).
bool read_creds(int tid, Creds& c, char* buf, size_t max, const uint32_t* member_gid = nullptr, bool* is_member = nullptr);
// An fd of a task as /proc has it: the target of /proc/TID/fd/FD into name
// (its length, or -1 when the fd is not open), and in f its st_mode, inode
// and status flags (fdinfo). f's other fields are left as they are.
ssize_t read_fd_facts(int tid, int fd, FdFacts& f, char* name, size_t max);

}  // namespace tracer
