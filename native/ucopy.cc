// Reading a stopped tracee's memory (see ucopy.h).
#include "ucopy.h"

#include <errno.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>

namespace tracer {

bool read_mem(int pid, uint64_t addr, void* out, size_t len, std::atomic<uint64_t>& errors) {
  if (!addr) return false;
  struct iovec l = {out, len};
  struct iovec r = {(void*)addr, len};
  ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
  if (n == (ssize_t)len) return true;
  // Fallback word by word through ptrace (works for the tracer whatever the credentials).
  uint8_t* o = static_cast<uint8_t*>(out);
  for (size_t i = 0; i < len; i += sizeof(long)) {
    errno = 0;
    long w = ptrace(PTRACE_PEEKDATA, pid, (void*)(addr + i), nullptr);
    if (errno) {
      errors.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    std::memcpy(o + i, &w, std::min(sizeof(long), len - i));
  }
  return true;
}

ssize_t read_str(int pid, uint64_t addr, char* out, size_t max, std::atomic<uint64_t>& errors) {
  if (!addr) return -1;
  size_t n = 0;
  while (n < max - 1) {
    uint64_t a = addr + n;
    size_t chunk = 4096 - (a & 4095);
    if (chunk > max - 1 - n) chunk = max - 1 - n;
    struct iovec l = {out + n, chunk};
    struct iovec r = {(void*)a, chunk};
    ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
    if (got <= 0) {
      if (n == 0 && read_mem(pid, a, out, sizeof(long), errors)) {
        // process_vm_readv refused (credentials): ptrace word reads.
        size_t i = 0;
        while (i < max - 1) {
          if (i % sizeof(long) == 0 && i && !read_mem(pid, addr + i, out + i, sizeof(long), errors)) break;
          if (out[i] == 0) return (ssize_t)i;
          i++;
        }
        out[i] = 0;
        return (ssize_t)i;
      }
      if (n == 0) errors.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    void* z = std::memchr(out + n, 0, (size_t)got);
    if (z) return (char*)z - out;
    n += (size_t)got;
  }
  if (n == 0) return -1;
  out[n] = 0;
  return (ssize_t)n;
}

}  // namespace tracer
