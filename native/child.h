// Starting the workload: the PATH search, the fork, the child's side until
// exec (exactly the state the supervisor was given, plus our seccomp filter
// once the parent has seized it) and the parent's seize.
#pragma once
#include <sys/ptrace.h>

#include "tracer.h"

namespace tracer {

// What the tracer follows in every task it seizes: syscall stops told from
// signal stops, new tasks, execs, our filter's stops. The workload adds
// PTRACE_O_EXITKILL (its filter needs a tracer); a process that entered the
// container does not (without our filter it loses nothing when the tracer
// goes: it runs on untraced).
constexpr long kSeizeOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                               PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP;

// Forks the workload and, with opts.trace, seizes it. *errfd: the read end
// (non-blocking) of the pipe on which the child reports, before its exec,
// what failed on its side: 8-byte messages {NoticeCode, errno}; the pipe is
// close-on-exec. Left as it is when no child was made (res.pid < 0).
StartResult start_workload(const StartOptions& opts, int* errfd);

}  // namespace tracer
