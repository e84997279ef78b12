// Binary record format between the supervisor's trace loop and the analysis process
// (decoded by src/tracer/records.ts; keep the two in step).
// Little-endian, every record 8-byte aligned:
//   RecHdr, then `nitems` items: {u16 tag, u16 0, u32 len, len bytes, pad to 8}
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tracer {

enum RecKind : uint16_t {
  K_PAD = 0,
  K_SYSCALL = 1,  // pid/tid, nr, args, ret (flags & RF_HAS_RET)
  K_CLONE = 2,    // pid/tid = new task; args[0] = parent tgid; flags & RF_THREAD
  K_EXEC = 3,     // pid/tid after exec; args[0] = former tid; items: exe, cmdline, env, cwd, creds
  K_EXIT = 4,     // pid/tid; args[0] = wait status; flags & RF_LEADER
  K_LOST = 5,     // args[0] = records dropped (ring full) since the last K_LOST, emitted when space returns
  K_NOTICE = 6,   // args[0] = notice code; item TAG_TEXT
  K_SIGNAL = 7,   // pid/tid; args[0] = signal delivered to the tracee
};

enum RecFlags : uint32_t {
  RF_HAS_RET = 1,    // `ret` holds the syscall's return value
  RF_THREAD = 2,     // K_CLONE: a thread of an existing process
  RF_LEADER = 4,     // K_EXIT: the thread group leader (process gone)
  RF_FOREIGN = 8,    // K_SYSCALL: non-x86_64 ABI; nr is that ABI's number
  RF_MAIN = 16,      // K_EXIT/K_EXEC: the workload's main process
  RF_ENTERED = 64,   // K_EXEC/K_SYSCALL: a process found entering the container (args[1] of K_EXEC: its parent in the namespace, 0 outside)
};

enum ItemTag : uint16_t {
  // 0..5: data behind entry argument i; 8..13: data behind argument i at exit
  TAG_ARG0 = 0,
  TAG_OUT0 = 8,
  TAG_EXE = 20,      // readlink /proc/PID/exe
  TAG_CMDLINE = 21,  // /proc/PID/cmdline (NUL separated)
  TAG_ENV = 22,      // /proc/PID/environ (NUL separated)
  TAG_CWD = 23,      // readlink /proc/PID/cwd
  TAG_CREDS = 24,    // struct Creds
  TAG_LOCAL = 25,    // local sockaddr of the fd (getsockname), connect/accept
  TAG_TEXT = 26,     // K_NOTICE text
  TAG_COMM = 27,     // /proc/PID/comm
  TAG_EXE_STAT = 28, // struct ExeStat: the executable's inode, an exec's image
  TAG_DIR0 = 40,     // TAG_DIR0 + i: readlink /proc/PID/fd/N of a dirfd argument i (A_DIRFD)
  TAG_FD0 = 48,      // TAG_FD0 + i: struct FdFacts + readlink target of the fd in argument i (A_FD)
};

struct RecHdr {
  uint32_t size;
  uint16_t kind;
  uint16_t nitems;
  int32_t pid;
  int32_t tid;
  uint64_t ts;   // CLOCK_REALTIME ns
  int32_t nr;
  uint32_t flags;
  int64_t ret;
  uint64_t args[6];
};
static_assert(sizeof(RecHdr) == 88, "RecHdr layout");

struct Creds {
  uint32_t ruid, euid, suid, fsuid;
  uint32_t rgid, egid, sgid, fsgid;
  uint64_t cap_inh, cap_prm, cap_eff;
  uint32_t loginuid;  // 0xffffffff when unset
  int32_t vpid;       // pid in the innermost pid namespace
  int32_t ppid;       // real parent (tgid)
  int32_t sid;        // session id (host view)
  int32_t pgid;       // process group (host view)
  int32_t tty;        // tty_nr from /proc/PID/stat
  uint64_t start_ticks;  // start time in clock ticks since boot
};
static_assert(sizeof(Creds) == 88, "Creds layout");

// What the kernel says about an fd the tracee holds, read while the tracee is
// stopped at the syscall that names it (lazy fd state: the tracer does not
// stop on close/accept/socket/... to keep a table; docs/BENCHMARKS.md).
// Followed in the item by the readlink of /proc/PID/fd/N (no NUL).
struct FdFacts {
  int32_t fd;
  uint32_t mode;      // st_mode (S_IFMT: file, directory, socket, fifo...)
  uint32_t flags;     // F_GETFL: access mode and status flags
  int32_t domain;     // sockets: SO_DOMAIN, SO_TYPE, SO_PROTOCOL; -1 otherwise
  int32_t sotype;
  int32_t proto;
  uint64_t ino;
  uint16_t local_len;  // getsockname / getpeername, 0 when unknown or unconnected
  uint16_t peer_len;
  uint32_t role;       // connected TCP: FR_SERVER when a listener holds the local port (an accepted socket), else FR_CLIENT
  uint8_t local[128];
  uint8_t peer[128];
};
static_assert(sizeof(FdFacts) == 296, "FdFacts layout");
// The executable of an exec's image (stat and statfs of /proc/PID/exe at the
// exec event): Falco's exe_ino*, and the facts behind proc.is_exe_writable
// and proc.is_exe_upper_layer.
struct ExeStat {
  uint64_t ino;
  int64_t ctime_ns;  // CLOCK_REALTIME
  int64_t mtime_ns;
  uint32_t mode;     // st_mode
  uint32_t uid;      // owner
  uint32_t gid;
  uint32_t flags;    // ExeStatFlag
};
static_assert(sizeof(ExeStat) == 40, "ExeStat layout");
enum ExeStatFlag : uint32_t {
  ES_OVERLAY = 1,      // on an overlayfs (the container's root, or another overlay mount)
  ES_SINCE_START = 2,  // its inode changed (ctime) after the supervisor started: written, or copied up, by this run
  ES_RDONLY = 4,       // on a read-only mount
  ES_GROUP_MEMBER = 8, // its group is one of the process's supplementary groups
};

enum FdRole : uint32_t { FR_UNKNOWN = 0, FR_SERVER = 1, FR_CLIENT = 2 };

enum NoticeCode : uint32_t {
  N_UNTRACED = 1,       // ptrace not permitted (or tracing off): the workload runs untraced
  N_NO_SECCOMP = 2,     // seccomp filter refused: lifecycle only
  N_EXEC_FAILED = 3,    // args[1] = errno of the workload's exec
  N_ANALYSIS = 4,       // the analysis process ended (args[1] = wait status) and was restarted
  N_ENTERED_UNTRACED = 5,  // a process that entered the container could not be seized (args[1] = errno): it runs untraced
};

// Appends an item, encoded as the header comment says, to a record's item bytes.
inline void put_item(std::vector<uint8_t>& buf, uint16_t tag, const void* data, uint32_t len) {
  size_t off = buf.size();
  size_t padded = (len + 7) & ~size_t(7);
  buf.resize(off + 8 + padded);
  uint8_t* p = buf.data() + off;
  std::memcpy(p, &tag, 2);
  std::memset(p + 2, 0, 2);
  std::memcpy(p + 4, &len, 4);
  if (len) std::memcpy(p + 8, data, len);
  if (padded > len) std::memset(p + 8 + len, 0, padded - len);
}

// How many items the item bytes hold (RecHdr::nitems).
inline size_t count_items(const std::vector<uint8_t>& buf) {
  size_t n = 0, off = 0;
  while (off + 8 <= buf.size()) {
    uint32_t len;
    std::memcpy(&len, buf.data() + off + 4, 4);
    off += 8 + ((len + 7) & ~size_t(7));
    n++;
  }
  return n;
}

}  // namespace tracer
