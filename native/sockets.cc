// A tracee's sockets (see sockets.h).
#include "sockets.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace tracer {

int dup_tracee_fd(int tgid, int fd) {
  int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
  if (pidfd < 0) return -1;
  int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  close(pidfd);
  return dup;
}

void read_socket_facts(int sock, FdFacts& f) {
  socklen_t l = sizeof f.domain;
  getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &f.domain, &l);
  l = sizeof f.sotype;
  getsockopt(sock, SOL_SOCKET, SO_TYPE, &f.sotype, &l);
  l = sizeof f.proto;
  getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &f.proto, &l);
  socklen_t sl = sizeof f.local;
  if (getsockname(sock, (struct sockaddr*)f.local, &sl) == 0) f.local_len = (uint16_t)std::min<socklen_t>(sl, sizeof f.local);
  sl = sizeof f.peer;
  if (getpeername(sock, (struct sockaddr*)f.peer, &sl) == 0) f.peer_len = (uint16_t)std::min<socklen_t>(sl, sizeof f.peer);
}

// A dump of listening sockets only, which costs the same however many
// connections the workload holds.
bool port_listens(int family, uint16_t port) {
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return false;
  struct {
    struct nlmsghdr nh;
    struct inet_diag_req_v2 req;
  } msg;
  std::memset(&msg, 0, sizeof msg);
  msg.nh.nlmsg_len = sizeof msg;
  msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.req.sdiag_family = (uint8_t)family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = 1u << 10;  // TCP_LISTEN
  bool found = false, done = false;
  if (send(nl, &msg, sizeof msg, 0) == (ssize_t)sizeof msg) {
    alignas(8) char buf[8192];
    while (!done && !found) {
      ssize_t n = recv(nl, buf, sizeof buf, 0);
      if (n <= 0) break;
      for (struct nlmsghdr* h = (struct nlmsghdr*)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        const struct inet_diag_msg* d = (const struct inet_diag_msg*)NLMSG_DATA(h);
        if (ntohs(d->id.idiag_sport) == port) {
          found = true;
          break;
        }
      }
    }
  }
  close(nl);
  return found;
}

}  // namespace tracer
