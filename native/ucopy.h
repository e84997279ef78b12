// Reading a stopped tracee's memory (strace's ucopy.c): process_vm_readv,
// and PTRACE_PEEKDATA word reads where the kernel refuses it (the tracee's
// credentials changed: the tracer may still peek). Every failed read counts
// in `errors` (Stats::read_errors).
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tracer {

// len bytes at addr into out; false when addr is 0 or a word cannot be read.
bool read_mem(int pid, uint64_t addr, void* out, size_t len, std::atomic<uint64_t>& errors);

// A NUL-terminated string at addr into out (at most max - 1 bytes, then a
// NUL), page by page (a string may end just before an unmapped page). Its
// length (max - 1: maybe truncated), or -1 when nothing could be read.
ssize_t read_str(int pid, uint64_t addr, char* out, size_t max, std::atomic<uint64_t>& errors);

}  // namespace tracer
