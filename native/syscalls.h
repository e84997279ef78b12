// Syscall table as data: which syscalls the tracer knows, their x86_64
// numbers, and how each argument is decoded at the stop (scalar, a string in
// the tracee's memory, a sockaddr, a struct read at exit...). The JavaScript
// side names syscalls; numbers live only here. Its syscall table,
// src/model/syscalls.ts, says the same captures and the roles these flags
// mirror; test/model/syscalls.test.ts compares the two (addon syscalls()).
#pragma once
#include <cstdint>

namespace tracer {

enum ArgKind : uint8_t {
  A_NONE = 0,       // scalar: the register value is enough
  A_PATH,           // NUL-terminated string at the pointer (entry)
  A_SOCKADDR,       // struct sockaddr at the pointer, length in the next arg (entry)
  A_SOCKADDR_OUT,   // struct sockaddr written by the kernel, socklen_t* in the next arg (exit)
  A_MSGHDR,         // struct msghdr: its msg_name sockaddr (entry)
  A_MSGHDR_OUT,     // struct msghdr: its msg_name sockaddr (exit)
  A_FDPAIR_OUT,     // int[2] written by the kernel (pipe, socketpair) (exit)
  A_OPEN_HOW,       // struct open_how (openat2) (entry)
  A_CLONE_ARGS,     // struct clone_args (clone3) (entry)
  A_DIRFD,          // a directory fd for the next path: its path from /proc when not AT_FDCWD (entry)
  A_FD,             // an fd the event is about: its facts from the kernel at the record's stop (TAG_FD0 + i)
};

struct SyscallDef {
  const char* name;
  int nr;
  ArgKind args[6];
  // Facts for the tracer itself, independent of the rules.
  uint8_t flags;
};

enum SyscallFlags : uint8_t {
  SF_NONE = 0,
  SF_CREDS = 1,       // read uid/gid/caps from /proc at exit (set*id, capset)
  SF_SOCKNAME = 2,    // resolve the local address of the socket at exit (connect, accept)
  SF_OPEN = 4,        // opens a path: subject to the open pre-filter (native/prefilter.h)
  SF_CWD = 8,         // changes the cwd: read /proc/PID/cwd at exit (fchdir on an fd the state may not know)
};

// All syscalls the tracer can decode, in no particular order.
extern const SyscallDef kSyscalls[];
extern const int kSyscallCount;

const SyscallDef* syscall_by_nr(int nr);
const SyscallDef* syscall_by_name(const char* name);

// The kinds and flags by name, for the addon's syscalls(): the TypeScript
// table (src/model/syscalls.ts) names them so, and a test compares the two.
const char* arg_kind_name(ArgKind kind);
struct SyscallFlagName {
  SyscallFlags flag;
  const char* name;
};
extern const SyscallFlagName kSyscallFlagNames[];
extern const int kSyscallFlagNameCount;

}  // namespace tracer
