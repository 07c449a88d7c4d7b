// The compiled receiver (docs/BENCHMARKS.md "Running it", `--receiver c`): holds a
// load worker's counting-only WebSocket connections — the ones that neither send
// nor time updates — so that reading 10 000 sockets does not need a Node event loop
// per core. It does per frame what raw-ws.mjs and protocols/ours.mjs do for such a
// connection: parse the frame header, peek the message type and the BATCH entry
// count from the first bytes of the payload (PROTOCOL.md §3–4: every server frame is
// a MsgPack array [type, …]; a BATCH is [101, entries]), answer pings, and skip the
// rest without copying it.
//
// Talks to its worker over stdin/stdout, one line per message:
//   in:  O <id> <port> <path> [<hex>]  open a connection to 127.0.0.1:<port><path>; the
//                                   binary message <hex> (at most 125 bytes) is sent once it
//                                   joined (L1's members that take a place and then stay still)
//        W <baseS> <baseNs> <fromUs> <toUs>  the measured window on the bench's clock
//                                   (CLOCK_MONOTONIC minus the base: shared-clock.mjs)
//        Q                          report the counts now
//        X                          close every connection and exit
//   out: R <id> <snapshotBytes>     joined (SNAPSHOT_DONE), with its join snapshot's bytes
//        F <id> <reason>            failed or closed
//        E <id> <code>              an ERROR message (its code)
//        S <seen>                   entries seen so far (every 200 ms, drain detection)
//        C <frames> <bytes> <updates> <seen>   answer to Q: frames, wire bytes and BATCH
//                                   entries received inside the window, entries ever
// Only loopback IPv4 is ever load-tested (the bench's rule), so only 127.0.0.1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSED };
/** Bytes of a payload kept for peeking (type, entry count, an ERROR's code). */
#define PEEK 128
#define MAX_HANDSHAKE 4096  // a 101 answer is a few hundred bytes; frames after it are read from the read buffer
#define READ_BUF (256 * 1024)

typedef struct {
  int fd;
  int id;
  int state;
  char *request;       // the upgrade request, until written
  size_t request_len, request_off;
  char handshake[MAX_HANDSHAKE];
  size_t handshake_len;
  // Frame parser: the header so far, then the payload's first PEEK bytes, then a skip.
  uint8_t header[14];
  size_t header_len;
  int in_payload;
  uint64_t payload_len, payload_off;
  uint8_t peek[PEEK];
  int opcode;
  int ready;
  uint64_t snapshot_bytes;
  uint8_t on_ready[125];  // a binary message to send once joined (on_ready_len > 0)
  size_t on_ready_len;
} conn_t;

static conn_t **conns;
static int n_conns, cap_conns;
static int ep;
static long long base_s, base_ns;
static double from_us = 1e300, to_us = 1e300;
static unsigned long long frames, bytes, updates, seen;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)(ts.tv_sec - base_s) * 1e6 + (double)(ts.tv_nsec - base_ns) / 1e3;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

static void fail(conn_t *c, const char *reason) {
  if (c->state == ST_CLOSED) return;
  c->state = ST_CLOSED;
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  say("F %d %s\n", c->id, reason);
}

/** Writes all of buf (small control frames: the kernel buffer always has room for them). */
static void write_all(conn_t *c, const uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(c->fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(c, "write-failed");
      return;
    }
    buf += n;
    len -= (size_t)n;
  }
}

/** A client frame of `opcode` with a payload of at most 125 bytes, masked with an all-zero key as raw-ws.mjs does. */
static void send_small(conn_t *c, int opcode, const uint8_t *payload, size_t len) {
  uint8_t f[2 + 4 + 125];
  f[0] = 0x80 | (uint8_t)opcode;
  f[1] = 0x80 | (uint8_t)len;
  memset(f + 2, 0, 4);
  memcpy(f + 6, payload, len);
  write_all(c, f, 6 + len);
}

/** MsgPack array header at p: element count, or -1 when it is not one. */
static long array_count(const uint8_t *p, size_t avail, size_t *used) {
  if (avail < 1) return -1;
  if ((p[0] & 0xf0) == 0x90) { *used = 1; return p[0] & 0x0f; }
  if (p[0] == 0xdc && avail >= 3) { *used = 3; return (p[1] << 8) | p[2]; }
  if (p[0] == 0xdd && avail >= 5) {
    *used = 5;
    return (long)(((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 8) | p[4]);
  }
  return -1;
}

/** A whole message's first bytes are in c->peek: count and report it. */
static void on_message(conn_t *c, uint64_t wire) {
  size_t have = c->payload_len < PEEK ? (size_t)c->payload_len : PEEK;
  const uint8_t *p = c->peek;
  size_t used;
  if (c->opcode == 9) {  // ping (its payload is at most 125 bytes, all peeked up to PEEK)
    send_small(c, 10, p, have);  // pong
    return;
  }
  if (c->opcode == 8) {
    fail(c, "closed-by-server");
    return;
  }
  double t = now_us();
  int in_window = t >= from_us && t < to_us;
  if (in_window) {
    frames++;
    bytes += wire;
  }
  if (array_count(p, have, &used) < 2 || used >= have) return;
  int type;
  size_t at = used;
  if (p[at] < 0x80) {
    type = p[at];
    at += 1;
  } else if (p[at] == 0xcc && have > at + 1) {
    type = p[at + 1];
    at += 2;
  } else {
    return;
  }
  if (type == 101) {  // BATCH [101, entries]
    long n = array_count(p + at, have - at, &used);
    if (n < 0) return;
    seen += (unsigned long long)n;
    if (in_window) updates += (unsigned long long)n;
  } else if (type == 201) {  // SNAPSHOT_CHUNK: the join snapshot's bytes
    if (!c->ready) c->snapshot_bytes += c->payload_len;
  } else if (type == 202) {  // SNAPSHOT_DONE: joined
    if (!c->ready) {
      c->ready = 1;
      if (c->on_ready_len > 0) send_small(c, 2, c->on_ready, c->on_ready_len);
      say("R %d %llu\n", c->id, (unsigned long long)c->snapshot_bytes);
    }
  } else if (type == 2) {  // ERROR [2, code, message]: the code is a fixstr or str8
    char code[40] = "unknown";
    if (have > at && (p[at] & 0xe0) == 0xa0) {
      size_t len = p[at] & 0x1f;
      if (len < sizeof code && have >= at + 1 + len) {
        memcpy(code, p + at + 1, len);
        code[len] = 0;
      }
    }
    say("E %d %s\n", c->id, code);
  }
}

/** Feeds received bytes to the frame parser; payloads are peeked, never copied whole. */
static void feed(conn_t *c, const uint8_t *buf, size_t len) {
  while (len > 0 && c->state == ST_OPEN) {
    if (!c->in_payload) {
      // The header, a byte at a time: 2 bytes, then 2 or 8 more for the length
      // (server frames are never masked).
      c->header[c->header_len++] = *buf++;
      len--;
      if (c->header_len < 2) continue;
      if (c->header[1] & 0x80) {
        fail(c, "masked-server-frame");
        return;
      }
      uint8_t l7 = c->header[1] & 0x7f;
      size_t need = l7 == 126 ? 4 : l7 == 127 ? 10 : 2;
      if (c->header_len < need) continue;
      c->opcode = c->header[0] & 0x0f;
      if (l7 == 126) c->payload_len = ((uint64_t)c->header[2] << 8) | c->header[3];
      else if (l7 == 127) {
        c->payload_len = 0;
        for (int i = 2; i < 10; i++) c->payload_len = (c->payload_len << 8) | c->header[i];
      } else c->payload_len = l7;
      c->payload_off = 0;
      c->in_payload = 1;
    } else {
      // In the payload: keep its first PEEK bytes, skip the rest.
      uint64_t left = c->payload_len - c->payload_off;
      size_t take = len < left ? len : (size_t)left;
      if (c->payload_off < PEEK) {
        size_t keep = PEEK - (size_t)c->payload_off;
        if (keep > take) keep = take;
        memcpy(c->peek + c->payload_off, buf, keep);
      }
      c->payload_off += take;
      buf += take;
      len -= take;
    }
    if (c->in_payload && c->payload_off == c->payload_len) {
      on_message(c, c->header_len + c->payload_len);
      c->header_len = 0;
      c->in_payload = 0;
    }
  }
}

static void on_readable(conn_t *c, uint8_t *rbuf) {
  for (;;) {
    ssize_t n = read(c->fd, rbuf, READ_BUF);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      fail(c, "read-failed");
      return;
    }
    if (n == 0) {
      fail(c, "eof");
      return;
    }
    if (c->state == ST_HANDSHAKE) {
      // The 101 answer, then possibly the first frames in the same read.
      size_t room = MAX_HANDSHAKE - c->handshake_len;
      size_t copy = (size_t)n < room ? (size_t)n : room;
      memcpy(c->handshake + c->handshake_len, rbuf, copy);
      c->handshake_len += copy;
      char *end = memmem(c->handshake, c->handshake_len, "\r\n\r\n", 4);
      if (end == NULL) {
        if (c->handshake_len == MAX_HANDSHAKE) fail(c, "handshake-too-large");
        continue;
      }
      if (strncmp(c->handshake, "HTTP/1.1 101", 12) != 0) {
        char *eol = memchr(c->handshake, '\r', c->handshake_len);
        char status[64] = "upgrade-refused";
        if (eol != NULL && eol - c->handshake > 9 && eol - c->handshake < 60) {
          snprintf(status, sizeof status, "upgrade-refused:%.*s", (int)(eol - c->handshake - 9),
                   c->handshake + 9);
          for (char *s = status; *s; s++)
            if (*s == ' ') *s = '_';
        }
        fail(c, status);
        return;
      }
      size_t head = (size_t)(end + 4 - c->handshake);
      c->state = ST_OPEN;
      // What followed the handshake in this read.
      size_t rest_start = head - (c->handshake_len - copy);
      feed(c, rbuf + rest_start, (size_t)n - rest_start);
      continue;
    }
    feed(c, rbuf, (size_t)n);
  }
}

static void on_writable(conn_t *c) {
  if (c->state == ST_CONNECTING) {
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err != 0) {
      fail(c, "connect-failed");
      return;
    }
    c->state = ST_HANDSHAKE;
  }
  while (c->request != NULL && c->request_off < c->request_len) {
    ssize_t n = write(c->fd, c->request + c->request_off, c->request_len - c->request_off);
    if (n < 0) {
      if (errno == EAGAIN) return;
      if (errno == EINTR) continue;
      fail(c, "write-failed");
      return;
    }
    c->request_off += (size_t)n;
  }
  free(c->request);
  c->request = NULL;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/** Hex digits to bytes (at most `max`); the count, or -1 when malformed or too long. */
static int unhex(const char *hex, uint8_t *out, size_t max) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > max) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  return (int)(n / 2);
}

static void open_conn(int id, int port, const char *path, const char *on_ready_hex) {
  conn_t *c = calloc(1, sizeof *c);
  c->id = id;
  if (on_ready_hex != NULL) {
    int n = unhex(on_ready_hex, c->on_ready, sizeof c->on_ready);
    if (n < 0) {
      say("F %d bad-on-ready-message\n", id);
      free(c);
      return;
    }
    c->on_ready_len = (size_t)n;
  }
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    say("F %d socket-failed\n", id);
    free(c);
    return;
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char req[8192];
  int len = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: Y29sbGFiYmxvY2tzYmVuYw==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path, port);
  if (len <= 0 || (size_t)len >= sizeof req) {
    say("F %d path-too-long\n", id);
    close(c->fd);
    free(c);
    return;
  }
  c->request = strndup(req, (size_t)len);
  c->request_len = (size_t)len;
  c->state = ST_CONNECTING;
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
    say("F %d connect-failed\n", id);
    close(c->fd);
    free(c->request);
    free(c);
    return;
  }
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
  if (n_conns == cap_conns) {
    cap_conns = cap_conns ? 2 * cap_conns : 1024;
    conns = realloc(conns, (size_t)cap_conns * sizeof *conns);
  }
  conns[n_conns++] = c;
}

/** One command line from the worker. */
static int command(char *line) {
  int id, port;
  char path[8192], hex[256];
  switch (line[0]) {
    case 'O': {
      int n = sscanf(line, "O %d %d %8191s %255s", &id, &port, path, hex);
      if (n >= 3) open_conn(id, port, path, n == 4 ? hex : NULL);
      return 1;
    }
    case 'W':
      sscanf(line, "W %lld %lld %lf %lf", &base_s, &base_ns, &from_us, &to_us);
      return 1;
    case 'Q':
      say("C %llu %llu %llu %llu\n", frames, bytes, updates, seen);
      return 1;
    case 'X':
      return 0;
    default:
      return 1;
  }
}

int main(void) {
  ep = epoll_create1(EPOLL_CLOEXEC);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event in = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);
  static uint8_t rbuf[READ_BUF];
  static char cmd[1 << 16];
  size_t cmd_len = 0;
  struct epoll_event events[256];
  double last_seen_report = 0;
  for (;;) {
    int n = epoll_wait(ep, events, 256, 200);
    if (n < 0 && errno != EINTR) return 1;
    for (int i = 0; i < n; i++) {
      conn_t *c = events[i].data.ptr;
      if (c == NULL) {
        ssize_t r = read(0, cmd + cmd_len, sizeof cmd - cmd_len - 1);
        if (r == 0) return 0;  // the worker is gone
        if (r < 0) continue;
        cmd_len += (size_t)r;
        char *start = cmd, *nl;
        while ((nl = memchr(start, '\n', cmd_len - (size_t)(start - cmd))) != NULL) {
          *nl = 0;
          if (!command(start)) {
            for (int k = 0; k < n_conns; k++)
              if (conns[k]->state != ST_CLOSED) close(conns[k]->fd);
            return 0;
          }
          start = nl + 1;
        }
        cmd_len -= (size_t)(start - cmd);
        memmove(cmd, start, cmd_len);
        continue;
      }
      if (c->state == ST_CLOSED) continue;
      if (events[i].events & (EPOLLERR | EPOLLHUP) && !(events[i].events & EPOLLIN)) {
        fail(c, "socket-error");
        continue;
      }
      if (events[i].events & EPOLLOUT) on_writable(c);
      if (c->state != ST_CLOSED && (events[i].events & EPOLLIN)) on_readable(c, rbuf);
    }
    double t = now_us();
    if (t - last_seen_report >= 200e3) {
      last_seen_report = t;
      say("S %llu\n", seen);
    }
  }
}
