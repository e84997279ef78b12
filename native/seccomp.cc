// seccomp-bpf filter builder (see seccomp.h).
#include "seccomp.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>

#include <algorithm>

namespace tracer {

static sock_filter stmt(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
static sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return BPF_JUMP(code, k, jt, jf); }

std::vector<sock_filter> build_filter(const std::vector<TracedSyscall>& set_in) {
  std::vector<TracedSyscall> set = set_in;
  std::sort(set.begin(), set.end(), [](const TracedSyscall& a, const TracedSyscall& b) { return a.nr < b.nr; });
  set.erase(std::unique(set.begin(), set.end(), [](const TracedSyscall& a, const TracedSyscall& b) { return a.nr == b.nr; }),
            set.end());

  std::vector<sock_filter> f;
  const uint32_t kForeign = SECCOMP_RET_TRACE | FD_MAGIC | FD_FOREIGN;
  // [0] load arch; non-native ABI -> foreign trace
  f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  f.push_back(stmt(BPF_RET | BPF_K, kForeign));
  // load nr; x32 syscalls carry bit 30
  f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  f.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
  f.push_back(stmt(BPF_RET | BPF_K, kForeign));
  // One compare per traced syscall. Each match jumps to its own return.
  // Layout: [cmp_0 .. cmp_{n-1}] [RET_ALLOW] [ret_0 .. ret_{n-1}]
  const size_t n = set.size();
  for (size_t i = 0; i < n; i++) {
    // from cmp_i, the distance to ret_i: remaining compares (n-1-i) + ALLOW (1) + i returns
    size_t jt = (n - 1 - i) + 1 + i;
    f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)set[i].nr, (uint8_t)jt, 0));
  }
  f.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  for (size_t i = 0; i < n; i++) {
    uint32_t data = FD_MAGIC | (set[i].want_exit ? FD_WANT_EXIT : 0);
    f.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_TRACE | data));
  }
  return f;
}

}  // namespace tracer
