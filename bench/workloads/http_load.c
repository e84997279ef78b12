// HTTP load generator: C connections to 127.0.0.1:PORT, one GET in flight
// per connection, for S seconds after a 0.5 s warm-up. Keep-alive by
// default; with "close", a new connection for every request ("Connection:
// close", the server closes), as clients without pooling and load balancer
// health checks do. Prints "requests=N seconds=S rps=R errors=E total=T"
// (total: every request answered, warm-up included).
// Usage: http_load PORT [CONNECTIONS] [SECONDS] [keepalive|close]
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
static const char kReqKa[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
static const char kReqClose[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
static const char* kReq = kReqKa;
static size_t kReqLen = sizeof kReqKa - 1;
static struct sockaddr_in sa;
static int ep;

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

// A new connection in slot i with its first request sent; 0 on success.
static int open_conn(struct Conn* x, unsigned i) {
  x->fd = socket(AF_INET, SOCK_STREAM, 0);
  x->len = 0;
  int one = 1;
  setsockopt(x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(x->fd, (struct sockaddr*)&sa, sizeof sa) != 0) return perror("connect"), -1;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
  epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
  if (write(x->fd, kReq, kReqLen) < 0) return perror("write"), -1;
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return fprintf(stderr, "usage: http_load PORT [CONNS] [SECONDS] [keepalive|close]\n"), 2;
  int port = atoi(argv[1]);
  int nc = argc > 2 ? atoi(argv[2]) : 8;
  double secs = argc > 3 ? atof(argv[3]) : 3;
  int per_request = argc > 4 && !strcmp(argv[4], "close");
  if (per_request) {
    kReq = kReqClose;
    kReqLen = sizeof kReqClose - 1;
  }
  if (nc < 1 || nc > MAXC) nc = 8;
  static struct Conn c[MAXC];
  ep = epoll_create1(0);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < nc; i++)
    if (open_conn(&c[i], (unsigned)i)) return 1;
  unsigned long long start = bench_now_ns(), warm = start + 500000000ull;
  unsigned long long stop = warm + (unsigned long long)(secs * 1e9), t = start;
  long counted = 0, errors = 0, total = 0;
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
        total++;
        memmove(x->buf, x->buf + rl, x->len - rl);
        x->len -= rl;
        if (per_request) {
          // the server closes; our side closes and opens the next one
          epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
          close(x->fd);
          if (open_conn(x, evs[k].data.u32)) return 1;
          break;
        }
        if (write(x->fd, kReq, kReqLen) < 0) errors++;
      }
    }
  }
  double elapsed = (double)(stop - warm) / 1e9;
  printf("requests=%ld seconds=%.3f rps=%.1f errors=%ld total=%ld\n", counted, elapsed, counted / elapsed, errors, total);
  return 0;
}
