// A tracee's sockets as the kernel sees them, asked from the tracer: the fd
// duplicated into the tracer with pidfd_getfd (we are the tracee's tracer,
// which the kernel's access check allows), and the TCP listeners from a
// sock_diag dump (of the supervisor's network namespace, the workload's).
#pragma once
#include <cstdint>

#include "record.h"

namespace tracer {

// A duplicate of the tracee's fd, to close after use; -1 when it cannot be had.
int dup_tracee_fd(int tgid, int fd);
// Domain, type, protocol, local and peer address of a socket we hold (a
// duplicate) into f; what cannot be read is left as it is.
void read_socket_facts(int sock, FdFacts& f);
// Whether some TCP socket listens on `port` (family AF_INET or AF_INET6).
bool port_listens(int family, uint16_t port);

}  // namespace tracer
