// The floor of any HTTP server on this machine, for `npm run bench:serve` (compiled there with cc
// when there is one): one thread, epoll, keep-alive, on 127.0.0.1:PORT (0: any), answering every
// request — its headers and Content-Length body read — with /healthz's 15 bytes. Prints
// "listening on URL " once listening. No nftlens, no node: what the kernel, loopback and the
// hypervisor cost alone.
// Usage: serve-floor PORT

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_FD 4096
#define BUF 16384

static char *buf[MAX_FD];
static int len[MAX_FD];

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 15\r\n"
    "Connection: keep-alive\r\n\r\n{\"status\":\"ok\"}";

/* The Content-Length of the headers in [p, end), 0 if none. */
static long content_length(const char *p, const char *end) {
  static const char name[] = "\r\ncontent-length:";
  for (; p + sizeof name - 1 < end; p++)
    if (strncasecmp(p, name, sizeof name - 1) == 0) return strtol(p + sizeof name - 1, NULL, 10);
  return 0;
}

static void drop(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(buf[fd]);
  buf[fd] = NULL;
}

int main(int argc, char **argv) {
  int one = 1;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 0), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 512) || getsockname(s, (struct sockaddr *)&a, &alen)) {
    perror("serve-floor");
    return 3;
  }
  printf("listening on http://127.0.0.1:%d \n", ntohs(a.sin_port));
  fflush(stdout);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == s) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        if (c >= MAX_FD) {
          close(c);
          continue;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c, F_SETFL, O_NONBLOCK);
        buf[c] = malloc(BUF);
        len[c] = 0;
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        continue;
      }
      int r = read(fd, buf[fd] + len[fd], BUF - len[fd]);
      if (r <= 0) {
        drop(ep, fd);
        continue;
      }
      len[fd] += r;
      for (;;) { /* every whole request in the buffer */
        char *b = buf[fd];
        char *end = memmem(b, len[fd], "\r\n\r\n", 4);
        if (!end) break;
        long whole = end + 4 - b + content_length(b, end);
        if (whole > BUF) { /* a body this floor does not keep */
          drop(ep, fd);
          break;
        }
        if (len[fd] < whole) break;
        if (write(fd, RESPONSE, sizeof RESPONSE - 1) < 0) {
          drop(ep, fd);
          break;
        }
        memmove(b, b + whole, len[fd] - whole);
        len[fd] -= whole;
      }
      if (buf[fd] && len[fd] == BUF) drop(ep, fd); /* headers larger than the buffer */
    }
  }
}
