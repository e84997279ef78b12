// HTTP load generator: C keep-alive connections to 127.0.0.1:PORT, one GET in
// flight per connection, for S seconds after a 0.5 s warm-up. Prints
// "requests=N seconds=S rps=R errors=E".
// Usage: http_load PORT [CONNECTIONS] [SECONDS]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define MAXC 256
static const char kReq[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";

struct Conn {
  int fd;
  char buf[4096];
  size_t len;
};

// A complete response at the start of buf: its length, else 0.
static size_t response_len(const char* b, size_t n) {
  const char* end = memmem(b, n, "\r\n\r\n", 4);
  if (!end) return 0;
  size_t head = (size_t)(end - b) + 4;
  const char* cl = memmem(b, head, "ontent-", 7);  // Content-Length / content-length
  long body = 0;
  while (cl && cl < b + head) {
    if (!strncasecmp(cl - 1, "content-length:", 15)) {
      body = atol(cl + 14);
      break;
    }
    cl = memmem(cl + 1, head - (size_t)(cl + 1 - b), "ontent-", 7);
  }
  return head + (size_t)body <= n ? head + (size_t)body : 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return fprintf(stderr, "usage: http_load PORT [CONNS] [SECONDS]\n"), 2;
  int port = atoi(argv[1]);
  int nc = argc > 2 ? atoi(argv[2]) : 8;
  double secs = argc > 3 ? atof(argv[3]) : 3;
  if (nc < 1 || nc > MAXC) nc = 8;
  static struct Conn c[MAXC];
  int ep = epoll_create1(0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < nc; i++) {
    c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c[i].fd, (struct sockaddr*)&sa, sizeof sa) != 0) return perror("connect"), 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    if (write(c[i].fd, kReq, sizeof kReq - 1) < 0) return perror("write"), 1;
  }
  unsigned long long start = bench_now_ns(), warm = start + 500000000ull;
  unsigned long long stop = warm + (unsigned long long)(secs * 1e9), t = start;
  long counted = 0, errors = 0;
  struct epoll_event evs[MAXC];
  while (t < stop) {
    int n = epoll_wait(ep, evs, MAXC, 100);
    t = bench_now_ns();
    for (int k = 0; k < n; k++) {
      struct Conn* x = &c[evs[k].data.u32];
      ssize_t r = read(x->fd, x->buf + x->len, sizeof x->buf - x->len);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        return fprintf(stderr, "http_load: connection closed\n"), 1;
      }
      x->len += (size_t)r;
      size_t rl;
      while ((rl = response_len(x->buf, x->len)) > 0) {
        if (strncmp(x->buf, "HTTP/1.1 200", 12)) errors++;
        if (t >= warm && t < stop) counted++;
        memmove(x->buf, x->buf + rl, x->len - rl);
        x->len -= rl;
        if (write(x->fd, kReq, sizeof kReq - 1) < 0) errors++;
      }
    }
  }
  double elapsed = (double)(stop - warm) / 1e9;
  printf("requests=%ld seconds=%.3f rps=%.1f errors=%ld\n", counted, elapsed, counted / elapsed, errors);
  return 0;
}
