// What a stop's record carries besides the registers: its items
// (native/record.h), read while the tracee is stopped, from its memory
// (ucopy.h), its /proc (procfs.h) and its sockets (sockets.h), as the
// syscall table (syscalls.h) says each argument is decoded. The reads go
// through the capture's own buffers: nothing is allocated per stop but the
// growth of the caller's item vectors.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "record.h"
#include "shared.h"
#include "syscalls.h"

namespace tracer {

// The path argument an entry capture read whole: what the open pre-filter
// looks at. Points into the capture's buffer, valid until its next entry_items.
struct EntryPath {
  const char* str = nullptr;  // null: none (no path argument, unreadable, or truncated)
  size_t len = 0;
};

class Capture {
 public:
  Capture(Stats& stats, bool read_env);
  // The items of a syscall's entry: the strings and structs its pointers
  // name, the cwd a relative path starts from, a dirfd's target.
  EntryPath entry_items(int pid, const SyscallDef* def, const uint64_t* args, std::vector<uint8_t>& items);
  // The facts of each fd argument (A_FD) that is open (TAG_FD0 + i).
  void fd_items(int tid, int tgid, const SyscallDef* def, const uint64_t* args, std::vector<uint8_t>& items);
  // The items of a syscall's exit: what the kernel wrote for a successful
  // one, the fd facts, and what the table's flags ask (SF_CREDS, SF_CWD,
  // SF_SOCKNAME).
  void exit_items(int tid, int tgid, const SyscallDef* def, const uint64_t* args, int64_t ret, std::vector<uint8_t>& items);
  // The image an exec record describes: exe, cwd, cmdline, comm,
  // environment (unless read_env is off), credentials.
  void image_items(int tid, std::vector<uint8_t>& items);
  // readlink /proc/PID/REL (or /proc/PID/REL/FD) as an item.
  void proc_link(std::vector<uint8_t>& items, uint16_t tag, int pid, const char* rel, int fd = -1);

 private:
  void add_written(int tid, const SyscallDef* def, const uint64_t* args, std::vector<uint8_t>& items);
  void add_mem(std::vector<uint8_t>& items, uint16_t tag, int pid, uint64_t addr, size_t len);
  void add_msg_name(std::vector<uint8_t>& items, uint16_t tag, int pid, uint64_t addr);
  void add_sockaddr(std::vector<uint8_t>& items, uint16_t tag, int pid, uint64_t addr, uint64_t len);
  void add_creds(int tid, std::vector<uint8_t>& items);
  bool exe_stat(int tid, ExeStat& e);
  void add_local_addr(int tgid, int fd, std::vector<uint8_t>& items);
  uint32_t tcp_role(uint64_t ino, const uint8_t* local);

  Stats& stats_;
  bool read_env_;
  int64_t start_ns_;  // when the tracer started: an executable changed since was written by this run (ES_SINCE_START)
  char path_[8192];   // the last path argument read (EntryPath)
  char buf_[65536];   // everything else: /proc files and links, FdFacts and its link
  std::unordered_map<uint64_t, uint32_t> roles_;  // socket inode -> FdRole, decided once per connection
};

}  // namespace tracer
