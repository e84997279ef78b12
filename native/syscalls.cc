// x86_64 syscall table for the tracer (see syscalls.h).
#include "syscalls.h"

#include <sys/syscall.h>

#include <cstring>

namespace tracer {

#define N A_NONE
#define P A_PATH
#define D A_DIRFD
#define F A_FD

const SyscallDef kSyscalls[] = {
    // files
    {"open", SYS_open, {P, N, N, N, N, N}, SF_OPEN},
    {"openat", SYS_openat, {D, P, N, N, N, N}, SF_OPEN},
    {"openat2", SYS_openat2, {D, P, A_OPEN_HOW, N, N, N}, SF_NONE},
    {"creat", SYS_creat, {P, N, N, N, N, N}, SF_OPEN},
    {"close", SYS_close, {F, N, N, N, N, N}, SF_NONE},
    {"dup", SYS_dup, {F, N, N, N, N, N}, SF_NONE},
    {"dup2", SYS_dup2, {F, N, N, N, N, N}, SF_NONE},
    {"dup3", SYS_dup3, {F, N, N, N, N, N}, SF_NONE},
    {"fcntl", SYS_fcntl, {F, N, N, N, N, N}, SF_NONE},
    {"pipe", SYS_pipe, {A_FDPAIR_OUT, N, N, N, N, N}, SF_NONE},
    {"pipe2", SYS_pipe2, {A_FDPAIR_OUT, N, N, N, N, N}, SF_NONE},
    {"memfd_create", SYS_memfd_create, {P, N, N, N, N, N}, SF_NONE},
    {"chdir", SYS_chdir, {P, N, N, N, N, N}, SF_NONE},
    {"fchdir", SYS_fchdir, {F, N, N, N, N, N}, SF_CWD},
    {"mkdir", SYS_mkdir, {P, N, N, N, N, N}, SF_NONE},
    {"mkdirat", SYS_mkdirat, {D, P, N, N, N, N}, SF_NONE},
    {"rmdir", SYS_rmdir, {P, N, N, N, N, N}, SF_NONE},
    {"unlink", SYS_unlink, {P, N, N, N, N, N}, SF_NONE},
    {"unlinkat", SYS_unlinkat, {D, P, N, N, N, N}, SF_NONE},
    {"rename", SYS_rename, {P, P, N, N, N, N}, SF_NONE},
    {"renameat", SYS_renameat, {D, P, D, P, N, N}, SF_NONE},
    {"renameat2", SYS_renameat2, {D, P, D, P, N, N}, SF_NONE},
    {"symlink", SYS_symlink, {P, P, N, N, N, N}, SF_NONE},
    {"symlinkat", SYS_symlinkat, {P, D, P, N, N, N}, SF_NONE},
    {"link", SYS_link, {P, P, N, N, N, N}, SF_NONE},
    {"linkat", SYS_linkat, {D, P, D, P, N, N}, SF_NONE},
    {"chmod", SYS_chmod, {P, N, N, N, N, N}, SF_NONE},
    {"fchmod", SYS_fchmod, {F, N, N, N, N, N}, SF_NONE},
    {"fchmodat", SYS_fchmodat, {D, P, N, N, N, N}, SF_NONE},
    {"mount", SYS_mount, {P, P, P, N, N, N}, SF_NONE},
    {"umount2", SYS_umount2, {P, N, N, N, N, N}, SF_NONE},
    // network
    {"socket", SYS_socket, {N, N, N, N, N, N}, SF_NONE},
    {"socketpair", SYS_socketpair, {N, N, N, A_FDPAIR_OUT, N, N}, SF_NONE},
    {"connect", SYS_connect, {F, A_SOCKADDR, N, N, N, N}, SF_SOCKNAME},
    {"bind", SYS_bind, {F, A_SOCKADDR, N, N, N, N}, SF_NONE},
    {"listen", SYS_listen, {F, N, N, N, N, N}, SF_NONE},
    {"accept", SYS_accept, {F, A_SOCKADDR_OUT, N, N, N, N}, SF_SOCKNAME},
    {"accept4", SYS_accept4, {F, A_SOCKADDR_OUT, N, N, N, N}, SF_SOCKNAME},
    {"sendto", SYS_sendto, {F, N, N, N, A_SOCKADDR, N}, SF_NONE},
    {"sendmsg", SYS_sendmsg, {F, A_MSGHDR, N, N, N, N}, SF_NONE},
    {"recvfrom", SYS_recvfrom, {F, N, N, N, A_SOCKADDR_OUT, N}, SF_NONE},
    {"recvmsg", SYS_recvmsg, {F, A_MSGHDR_OUT, N, N, N, N}, SF_NONE},
    // processes
    {"execve", SYS_execve, {P, N, N, N, N, N}, SF_NONE},
    {"execveat", SYS_execveat, {D, P, N, N, N, N}, SF_NONE},
    {"clone", SYS_clone, {N, N, N, N, N, N}, SF_NONE},
    {"clone3", SYS_clone3, {A_CLONE_ARGS, N, N, N, N, N}, SF_NONE},
    {"fork", SYS_fork, {N, N, N, N, N, N}, SF_NONE},
    {"vfork", SYS_vfork, {N, N, N, N, N, N}, SF_NONE},
    {"ptrace", SYS_ptrace, {N, N, N, N, N, N}, SF_NONE},
    {"kill", SYS_kill, {N, N, N, N, N, N}, SF_NONE},
    {"tgkill", SYS_tgkill, {N, N, N, N, N, N}, SF_NONE},
    {"prctl", SYS_prctl, {N, N, N, N, N, N}, SF_NONE},
    {"setuid", SYS_setuid, {N, N, N, N, N, N}, SF_CREDS},
    {"setgid", SYS_setgid, {N, N, N, N, N, N}, SF_CREDS},
    {"setreuid", SYS_setreuid, {N, N, N, N, N, N}, SF_CREDS},
    {"setregid", SYS_setregid, {N, N, N, N, N, N}, SF_CREDS},
    {"setresuid", SYS_setresuid, {N, N, N, N, N, N}, SF_CREDS},
    {"setresgid", SYS_setresgid, {N, N, N, N, N, N}, SF_CREDS},
    {"setfsuid", SYS_setfsuid, {N, N, N, N, N, N}, SF_CREDS},
    {"setfsgid", SYS_setfsgid, {N, N, N, N, N, N}, SF_CREDS},
    {"capset", SYS_capset, {N, N, N, N, N, N}, SF_CREDS},
    {"setns", SYS_setns, {F, N, N, N, N, N}, SF_NONE},
    {"unshare", SYS_unshare, {N, N, N, N, N, N}, SF_NONE},
    // kernel
    {"init_module", SYS_init_module, {N, N, P, N, N, N}, SF_NONE},
    {"finit_module", SYS_finit_module, {F, P, N, N, N, N}, SF_NONE},
    {"delete_module", SYS_delete_module, {P, N, N, N, N, N}, SF_NONE},
    {"bpf", SYS_bpf, {N, N, N, N, N, N}, SF_NONE},
    {"userfaultfd", SYS_userfaultfd, {N, N, N, N, N, N}, SF_NONE},
    {"getppid", SYS_getppid, {N, N, N, N, N, N}, SF_NONE},  // benchmarks and tests (testOnly: the agent never stops on it)
};

#undef N
#undef P
#undef D
#undef F

const int kSyscallCount = sizeof(kSyscalls) / sizeof(kSyscalls[0]);

const SyscallDef* syscall_by_nr(int nr) {
  // Dense lookup built on first use; the table is small and immutable.
  static const SyscallDef* by_nr[512];
  static bool built = false;
  if (!built) {
    for (int i = 0; i < kSyscallCount; i++)
      if (kSyscalls[i].nr >= 0 && kSyscalls[i].nr < 512) by_nr[kSyscalls[i].nr] = &kSyscalls[i];
    built = true;
  }
  if (nr < 0 || nr >= 512) return nullptr;
  return by_nr[nr];
}

const SyscallDef* syscall_by_name(const char* name) {
  for (int i = 0; i < kSyscallCount; i++)
    if (std::strcmp(kSyscalls[i].name, name) == 0) return &kSyscalls[i];
  return nullptr;
}

const char* arg_kind_name(ArgKind kind) {
  switch (kind) {
    case A_NONE: return "none";
    case A_PATH: return "path";
    case A_SOCKADDR: return "sockaddr";
    case A_SOCKADDR_OUT: return "sockaddr_out";
    case A_MSGHDR: return "msghdr";
    case A_MSGHDR_OUT: return "msghdr_out";
    case A_FDPAIR_OUT: return "fdpair_out";
    case A_OPEN_HOW: return "open_how";
    case A_CLONE_ARGS: return "clone_args";
    case A_DIRFD: return "dirfd";
    case A_FD: return "fd";
  }
  return "unknown";
}

const SyscallFlagName kSyscallFlagNames[] = {
    {SF_CREDS, "creds"},
    {SF_SOCKNAME, "sockname"},
    {SF_OPEN, "open"},
    {SF_CWD, "cwd"},
};
const int kSyscallFlagNameCount = sizeof(kSyscallFlagNames) / sizeof(kSyscallFlagNames[0]);

}  // namespace tracer
