// The seccomp-bpf filter builder: which syscalls stop the workload.
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace tracer {

// SECCOMP_RET_DATA bits the filter attaches to a trace stop; the tracer reads
// them back with PTRACE_GETEVENTMSG / PTRACE_GET_SYSCALL_INFO.
// Every value ours returns carries FD_MAGIC in its high byte, which tells
// our stops from those of a filter the workload installed itself.
enum FilterData : uint16_t {
  FD_WANT_EXIT = 1,   // stop again at syscall exit (the return value is needed)
  FD_FOREIGN = 2,     // a non-x86_64 ABI (int 0x80 / x32): reported, never decoded
  FD_MAGIC = 0xa500,
  FD_MAGIC_MASK = 0xff00,
};

struct TracedSyscall {
  int nr;
  bool want_exit;
};

// Builds: native ABI -> RET_TRACE|data for each listed syscall, RET_ALLOW
// otherwise; any other ABI (i386 via int 0x80, x32) -> RET_TRACE|FD_FOREIGN,
// so that a program cannot slip past the sensor by changing ABI.
// The filter depends only on arch and nr, so kernels >= 5.11 cache the allow
// decisions and untraced syscalls run at native speed.
std::vector<sock_filter> build_filter(const std::vector<TracedSyscall>& set);

}  // namespace tracer
