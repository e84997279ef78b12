// Building a stop's items (see capture.h).
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "procfs.h"
#include "record.h"
#include "sockets.h"
#include "ucopy.h"

namespace tracer {

namespace {
constexpr long kOverlayfsMagic = 0x794c7630;  // OVERLAYFS_SUPER_MAGIC
int64_t ns_of(const struct timespec& t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }
}  // namespace

Capture::Capture(Stats& stats, bool read_env) : stats_(stats), read_env_(read_env) {
  // the clock the kernel stamps inode times with (coarse: up to a tick
  // behind CLOCK_REALTIME), so a file written right after start is not
  // taken for an older one
  struct timespec now;
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  start_ns_ = ns_of(now);
}

// Two syscalls per exec (~2 us) against a launch's ~1 ms: what Falco's
// driver reads from the exe's inode at execve.
bool Capture::exe_stat(int tid, ExeStat& e) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", tid);
  struct stat st;
  if (stat(path, &st) != 0) return false;
  e = ExeStat{};
  e.ino = st.st_ino;
  e.ctime_ns = ns_of(st.st_ctim);
  e.mtime_ns = ns_of(st.st_mtim);
  e.mode = st.st_mode;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  if (e.ctime_ns >= start_ns_) e.flags |= ES_SINCE_START;
  struct statfs sf;
  if (statfs(path, &sf) == 0) {
    if ((long)sf.f_type == kOverlayfsMagic) e.flags |= ES_OVERLAY;
    if (sf.f_flags & ST_RDONLY) e.flags |= ES_RDONLY;
  }
  return true;
}

void Capture::add_sockaddr(std::vector<uint8_t>& items, uint16_t tag, int pid, uint64_t addr, uint64_t len) {
  if (!addr || len == 0) return;
  if (len > 128) len = 128;
  uint8_t sa[128];
  if (read_mem(pid, addr, sa, len, stats_.read_errors)) put_item(items, tag, sa, (uint32_t)len);
}

// len bytes at addr, as they are (a struct the analysis decodes).
void Capture::add_mem(std::vector<uint8_t>& items, uint16_t tag, int pid, uint64_t addr, size_t len) {
  uint8_t buf[64];
  if (len <= sizeof buf && read_mem(pid, addr, buf, len, stats_.read_errors)) put_item(items, tag, buf, (uint32_t)len);
}

// The msg_name sockaddr of the struct msghdr at addr.
void Capture::add_msg_name(std::vector<uint8_t>& items, uint16_t tag, int pid, uint64_t addr) {
  struct msghdr mh;
  if (read_mem(pid, addr, &mh, sizeof mh, stats_.read_errors) && mh.msg_name)
    add_sockaddr(items, tag, pid, (uint64_t)mh.msg_name, mh.msg_namelen);
}

EntryPath Capture::entry_items(int pid, const SyscallDef* def, const uint64_t* args, std::vector<uint8_t>& items) {
  EntryPath path;
  for (int i = 0; i < 6; i++) {
    switch (def->args[i]) {
      case A_PATH: {
        ssize_t n = read_str(pid, args[i], path_, sizeof path_, stats_.read_errors);
        if (n >= 0) put_item(items, TAG_ARG0 + i, path_, (uint32_t)n);
        // whole: read, and shorter than the buffer allows (else maybe truncated)
        path = n >= 0 && (size_t)n < sizeof path_ - 1 ? EntryPath{path_, (size_t)n} : EntryPath{};
        // A path relative to the cwd: the kernel's cwd now, because the
        // filter no longer stops on chdir/fchdir to follow it.
        if (n >= 0 && (n == 0 || path_[0] != '/') && (i == 0 || def->args[i - 1] != A_DIRFD || (int)args[i - 1] == AT_FDCWD))
          proc_link(items, TAG_CWD, pid, "cwd");
        break;
      }
      case A_DIRFD: {
        // The kernel's own answer for the directory a relative path starts
        // from: the state may not know the fd (an open the pre-filter
        // skipped, an fd passed over a socket...).
        int dfd = (int)args[i];
        if (dfd >= 0) proc_link(items, TAG_DIR0 + i, pid, "fd", dfd);  // AT_FDCWD: the cwd, which the state follows
        break;
      }
      case A_SOCKADDR:
        add_sockaddr(items, TAG_ARG0 + i, pid, args[i], args[i + 1]);
        break;
      case A_MSGHDR:
        add_msg_name(items, TAG_ARG0 + i, pid, args[i]);
        break;
      case A_OPEN_HOW:
        add_mem(items, TAG_ARG0 + i, pid, args[i], 3 * sizeof(uint64_t));  // struct open_how
        break;
      case A_CLONE_ARGS:
        add_mem(items, TAG_ARG0 + i, pid, args[i], 8 * sizeof(uint64_t));  // struct clone_args up to tls
        break;
      default:
        break;
    }
  }
  return path;
}

// What the kernel wrote for a successful syscall.
void Capture::add_written(int tid, const SyscallDef* def, const uint64_t* args, std::vector<uint8_t>& items) {
  for (int i = 0; i < 6; i++) {
    switch (def->args[i]) {
      case A_FDPAIR_OUT:
        add_mem(items, TAG_OUT0 + i, tid, args[i], 2 * sizeof(int));
        break;
      case A_SOCKADDR_OUT: {
        uint32_t len = 0;
        if (args[i] && args[i + 1] && read_mem(tid, args[i + 1], &len, sizeof len, stats_.read_errors))
          add_sockaddr(items, TAG_OUT0 + i, tid, args[i], len);
        break;
      }
      case A_MSGHDR_OUT:
        add_msg_name(items, TAG_OUT0 + i, tid, args[i]);
        break;
      default:
        break;
    }
  }
}

void Capture::exit_items(int tid, int tgid, const SyscallDef* def, const uint64_t* args, int64_t ret,
                         std::vector<uint8_t>& items) {
  if (ret >= 0) add_written(tid, def, args, items);
  fd_items(tid, tgid, def, args, items);
  if (def->flags & SF_CREDS && ret == 0) add_creds(tid, items);
  if (def->flags & SF_CWD && ret == 0) proc_link(items, TAG_CWD, tid, "cwd");
  if (def->flags & SF_SOCKNAME) {
    int fd = def->nr == SYS_connect ? (int)args[0] : (int)ret;
    if (ret >= 0 || ret == -EINPROGRESS) add_local_addr(tgid, fd, items);
  }
}

// Local address of a socket the tracee holds (connect, accept).
void Capture::add_local_addr(int tgid, int fd, std::vector<uint8_t>& items) {
  int dup = dup_tracee_fd(tgid, fd);
  if (dup < 0) return;
  uint8_t sa[128];
  socklen_t len = sizeof sa;
  if (getsockname(dup, (struct sockaddr*)sa, &len) == 0 && len > 0)
    put_item(items, TAG_LOCAL, sa, len > sizeof sa ? (uint32_t)sizeof sa : (uint32_t)len);
  close(dup);
}

// Which side of a connected TCP socket the workload holds, when the event
// does not tell (a dup2 of an fd whose accept was not stopped on): the
// server's side has a listener on its local port. Decided at the stop, while
// the listener still exists, once per socket.
uint32_t Capture::tcp_role(uint64_t ino, const uint8_t* local) {
  auto it = roles_.find(ino);
  if (it != roles_.end()) return it->second;
  uint16_t port;
  std::memcpy(&port, local + 2, 2);  // sin_port and sin6_port are at the same offset
  port = ntohs(port);
  // an AF_INET6 listener on :: also accepts IPv4 connections, and the other way round for the peer
  bool server = port_listens(AF_INET, port) || port_listens(AF_INET6, port);
  if (roles_.size() > 4096) roles_.clear();  // bounded: inode numbers are reused
  return roles_[ino] = server ? FR_SERVER : FR_CLIENT;
}

// Read while the tracee is stopped at the syscall's record: the fd is the one
// the syscall used, whatever the filter let pass unseen before (close,
// accept, socket, a descriptor received over a socket...).
void Capture::fd_items(int tid, int tgid, const SyscallDef* def, const uint64_t* args, std::vector<uint8_t>& items) {
  for (int i = 0; i < 6; i++) {
    if (def->args[i] != A_FD) continue;
    int fd = (int)args[i];
    if (fd < 0) continue;
    FdFacts f;
    std::memset(&f, 0, sizeof f);
    f.fd = fd;
    f.domain = f.sotype = f.proto = -1;
    ssize_t n = read_fd_facts(tid, fd, f, buf_ + sizeof f, sizeof buf_ - sizeof f);
    if (n < 0) continue;
    if (S_ISSOCK(f.mode)) {
      int dup = dup_tracee_fd(tgid, fd);
      if (dup >= 0) {
        read_socket_facts(dup, f);
        close(dup);
        if (f.peer_len && f.local_len >= 4 && f.sotype == SOCK_STREAM && (f.domain == AF_INET || f.domain == AF_INET6))
          f.role = tcp_role(f.ino, f.local);
      }
    }
    std::memcpy(buf_, &f, sizeof f);
    put_item(items, TAG_FD0 + i, buf_, (uint32_t)(sizeof f + n));
  }
}

void Capture::add_creds(int tid, std::vector<uint8_t>& items) {
  Creds c;
  if (read_creds(tid, c, buf_, sizeof buf_)) put_item(items, TAG_CREDS, &c, sizeof c);
}

void Capture::proc_link(std::vector<uint8_t>& items, uint16_t tag, int pid, const char* rel, int fd) {
  ssize_t n = read_proc_link(pid, rel, fd, buf_, sizeof buf_);
  if (n >= 0) put_item(items, tag, buf_, (uint32_t)n);
}

void Capture::image_items(int tid, std::vector<uint8_t>& items) {
  proc_link(items, TAG_EXE, tid, "exe");
  ExeStat exe;
  bool have_exe = exe_stat(tid, exe);
  Creds c;
  bool member = false;
  bool have_creds = read_creds(tid, c, buf_, sizeof buf_, have_exe ? &exe.gid : nullptr, &member);
  if (have_creds) put_item(items, TAG_CREDS, &c, sizeof c);
  if (have_exe) {
    if (member) exe.flags |= ES_GROUP_MEMBER;
    put_item(items, TAG_EXE_STAT, &exe, sizeof exe);
  }
  proc_link(items, TAG_CWD, tid, "cwd");
  ssize_t n = read_proc(tid, "cmdline", buf_, sizeof buf_);
  if (n >= 0) put_item(items, TAG_CMDLINE, buf_, (uint32_t)n);
  char comm[64];
  n = read_proc(tid, "comm", comm, sizeof comm);
  if (n > 0) put_item(items, TAG_COMM, comm, (uint32_t)(comm[n - 1] == '\n' ? n - 1 : n));
  if (read_env_) {
    n = read_proc(tid, "environ", buf_, sizeof buf_);
    if (n >= 0) put_item(items, TAG_ENV, buf_, (uint32_t)n);
  }
}

}  // namespace tracer
