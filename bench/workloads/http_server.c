// The C HTTP workload: a single-threaded epoll server as event-driven
// servers (nginx, a libuv or Go runtime) are built: accept4(SOCK_NONBLOCK),
// read, write, close, HTTP/1.1 keep-alive unless the request says
// "Connection: close". A fixed 64-byte body. Prints "port=N pid=N" on stdout
// once listening; exits on SIGTERM.
// Usage: http_server [PORT]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 4096
static const char kResp[] =
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 64\r\n\r\n"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
static const char kRespClose[] =
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 64\r\nconnection: close\r\n\r\n"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

struct Conn {
  char buf[2048];
  size_t len;
};
static struct Conn* conns[MAXFD];

static void drop(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(conns[fd]);
  conns[fd] = NULL;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 0));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr*)&a, sizeof a) || listen(l, 511)) return perror("listen"), 1;
  socklen_t al = sizeof a;
  getsockname(l, (struct sockaddr*)&a, &al);
  printf("port=%d pid=%d\n", ntohs(a.sin_port), (int)getpid());
  fflush(stdout);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  struct epoll_event evs[256];
  while (!stop) {
    int n = epoll_wait(ep, evs, 256, 200);
    for (int k = 0; k < n; k++) {
      int fd = evs[k].data.fd;
      if (fd == l) {
        for (;;) {
          int c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          if (c >= MAXFD) {
            close(c);
            continue;
          }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conns[c] = calloc(1, sizeof(struct Conn));
          struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      struct Conn* x = conns[fd];
      if (!x) continue;
      ssize_t r = read(fd, x->buf + x->len, sizeof x->buf - x->len);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        drop(ep, fd);
        continue;
      }
      x->len += (size_t)r;
      char* end;
      int closing = 0;
      while (!closing && (end = memmem(x->buf, x->len, "\r\n\r\n", 4))) {
        size_t req = (size_t)(end - x->buf) + 4;
        closing = memmem(x->buf, req, "onnection: close", 16) != NULL;
        const char* resp = closing ? kRespClose : kResp;
        size_t rl = closing ? sizeof kRespClose - 1 : sizeof kResp - 1;
        if (write(fd, resp, rl) != (ssize_t)rl) closing = 1;
        memmove(x->buf, x->buf + req, x->len - req);
        x->len -= req;
      }
      if (closing || x->len == sizeof x->buf) drop(ep, fd);
    }
  }
  return 0;
}
