/*
 * epoll_server.c: an event-driven key/value server. One thread runs one epoll loop over the listener, every
 * connection and ferry_fd() of ONE libferry handle; requests become async calls, so nothing waits on ferryd.
 * Connection I/O is non-blocking per call (MSG_DONTWAIT), so a stale readiness report can never block it.
 */
#include <errno.h>
#include <ferry.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "example_server.h"
#include "kv_session.h"

/* Connections served at once; at the limit the listener leaves the epoll set until one ends. */
#define MAX_CONNECTIONS 1024u
/* Answers a connection may have outstanding (in flight or unsent). A full queue stops reading from it, so a
   pipelining client is slowed down by the kernel's buffers instead of growing ours. */
#define PIPELINE_DEPTH 32u
/* Client-side deadline of every call: a callback always comes within it, so shutdown can wait for them. */
#define CALL_DEADLINE_MS 10000u
/* After the shutdown grace, how long calls of cut-off connections may still take to complete. */
#define INFLIGHT_GRACE_MS (CALL_DEADLINE_MS + 2000)
#define MAX_EVENTS 64

/* epoll_event.data.u64 of the two descriptors that are not connections (those carry their slot index). */
#define TAG_LISTENER UINT64_MAX
#define TAG_FERRY (UINT64_MAX - 1u)

/* One answer in a connection's queue: its bytes once known (ready), and how many are sent already. */
struct answer {
  int ready;
  const char* text;
  size_t len;
  size_t sent;
  char* heap; /* what to free when it is sent or dropped (NULL for constant texts) */
};

struct connection {
  int fd;              /* -1: the slot is free */
  uint32_t generation; /* bumped on close: callbacks of an earlier connection in this slot find a mismatch */
  uint32_t events;     /* what epoll watches for now */
  int eof;             /* the client sent EOF: answer what is queued, then close */
  int finishing;       /* an over-long line was refused: send what is queued, then close */
  char* in;            /* KV_MAX_LINE bytes of request data, in_used of them filled */
  size_t in_used;
  struct answer queue[PIPELINE_DEPTH]; /* ring: answer of request number seq at queue[seq % PIPELINE_DEPTH] */
  uint32_t head_seq;                   /* the oldest answer not yet fully sent */
  uint32_t next_seq;                   /* the next request's number */
  unsigned calls_in_flight;            /* of this connection; ... */
  unsigned puts_in_flight;             /* ... of which PUTs */
};

struct server {
  ferry_t* h;
  int epoll_fd;
  int listen_fd;        /* -1 once closed */
  int listening;        /* whether the listener is in the epoll set */
  unsigned live;        /* open connections */
  unsigned long served; /* connections closed */
  unsigned long inflight; /* async calls whose callback has not run yet */
  struct connection conns[MAX_CONNECTIONS];
};

/* What a callback gets as `user`: which answer of which connection it completes. The connection is named
   by slot and generation, never by pointer, since it may have closed (and the slot been reused) meanwhile. */
struct call_ticket {
  struct server* srv;
  unsigned slot;
  uint32_t generation;
  uint32_t seq;
  enum kv_verb verb;
};

static unsigned queued(const struct connection* c) { return c->next_seq - c->head_seq; }

static int watch(struct server* srv, int op, int fd, uint32_t events, uint64_t tag) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = tag;
  if (epoll_ctl(srv->epoll_fd, op, fd, &ev) == 0) return 0;
  perror("epoll_server: epoll_ctl");
  return -1;
}

static void set_listening(struct server* srv, int on) {
  if (srv->listen_fd < 0 || srv->listening == on) return;
  if (watch(srv, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, srv->listen_fd, EPOLLIN, TAG_LISTENER) == 0)
    srv->listening = on;
}

static void drop_answer(struct answer* a) {
  free(a->heap);
  memset(a, 0, sizeof *a);
}

static void close_connection(struct server* srv, struct connection* c) {
  while (c->head_seq != c->next_seq) drop_answer(&c->queue[c->head_seq++ % PIPELINE_DEPTH]);
  if (close(c->fd) != 0) perror("epoll_server: close(connection)"); /* also leaves the epoll set */
  free(c->in);
  c->in = NULL;
  c->fd = -1;
  ++c->generation;
  --srv->live;
  ++srv->served;
  set_listening(srv, 1);
}

/* The connection's place in the queue for one more answer; the caller checked there is room. */
static struct answer* enqueue(struct connection* c) {
  struct answer* a = &c->queue[c->next_seq++ % PIPELINE_DEPTH];
  memset(a, 0, sizeof *a);
  return a;
}

static void answer_text(struct answer* a, const char* text) {
  a->text = text;
  a->len = strlen(text);
  a->ready = 1;
}

/* "ERR <why>\n"; on allocation failure a fixed text, so the client still gets an answer in its place. */
static void answer_error(struct answer* a, const char* why) {
  size_t n = strlen(why) + 5;
  a->heap = malloc(n + 1);
  if (a->heap == NULL) {
    answer_text(a, "ERR out of memory\n");
    return;
  }
  snprintf(a->heap, n + 1, "ERR %s\n", why);
  a->text = a->heap;
  a->len = n;
  a->ready = 1;
}

/* "VALUE <len>\n<bytes>\n", copied: the result's value lives only during the callback. */
static void answer_value(struct answer* a, const void* value, size_t vlen) {
  char head[40];
  int hlen = snprintf(head, sizeof head, "VALUE %zu\n", vlen);
  a->heap = malloc((size_t)hlen + vlen + 1);
  if (a->heap == NULL) {
    answer_error(a, ferry_strerror(FERRY_E_NOMEM));
    return;
  }
  memcpy(a->heap, head, (size_t)hlen);
  if (vlen > 0) memcpy(a->heap + hlen, value, vlen);
  a->heap[(size_t)hlen + vlen] = '\n';
  a->text = a->heap;
  a->len = (size_t)hlen + vlen + 1;
  a->ready = 1;
}

static void answer_result(struct answer* a, enum kv_verb verb, int status, const ferry_async_result* r) {
  if (status == FERRY_OK && verb == KV_GET)
    answer_value(a, r->value, r->vlen);
  else if (status == FERRY_OK)
    answer_text(a, "OK\n");
  else if (status == FERRY_NOT_FOUND && verb == KV_GET)
    answer_text(a, "NOTFOUND\n");
  else
    answer_error(a, ferry_strerror(status));
}

static void progress(struct server* srv, struct connection* c);

/* Runs from ferry_process, in the loop thread, for every call submitted below: exactly once each. */
static void on_call_done(void* user, int status, const ferry_async_result* r) {
  struct call_ticket* t = user;
  struct server* srv = t->srv;
  --srv->inflight;
  struct connection* c = &srv->conns[t->slot];
  if (c->fd >= 0 && c->generation == t->generation) { /* else its connection closed: nobody to answer */
    --c->calls_in_flight;
    if (t->verb == KV_PUT) --c->puts_in_flight;
    answer_result(&c->queue[t->seq % PIPELINE_DEPTH], t->verb, status, r);
    progress(srv, c);
  }
  free(t);
}

/* Whether `req` must wait for this connection's calls in flight. Requests of one connection take effect in
   order, as with the sync servers: a PUT waits for every call before it, and every call after a PUT waits
   for it; a run of GETs goes out at once (their answers still leave in request order). */
static int must_wait(const struct connection* c, const struct kv_request* req) {
  return (req->verb == KV_PUT && c->calls_in_flight > 0) || (req->verb == KV_GET && c->puts_in_flight > 0);
}

/* Starts one request: an async call whose answer takes the next place in the queue, or an answer now. */
static void submit(struct server* srv, struct connection* c, struct kv_request req) {
  const uint32_t seq = c->next_seq;
  struct answer* a = enqueue(c);
  if (req.verb == KV_BAD) {
    answer_error(a, req.error);
    return;
  }
  struct call_ticket* t = malloc(sizeof *t);
  if (t == NULL) {
    answer_error(a, ferry_strerror(FERRY_E_NOMEM));
    return;
  }
  *t = (struct call_ticket){srv, (unsigned)(c - srv->conns), c->generation, seq, req.verb};
  ferry_options opts = FERRY_OPTIONS_INIT;
  opts.deadline_ms = CALL_DEADLINE_MS;
  int rc = req.verb == KV_PUT
               ? ferry_put_async(srv->h, req.key, req.klen, req.value, req.vlen, &opts, on_call_done, t)
               : ferry_get_async(srv->h, req.key, req.klen, &opts, on_call_done, t);
  if (rc == FERRY_OK) {
    ++srv->inflight;
    ++c->calls_in_flight;
    if (req.verb == KV_PUT) ++c->puts_in_flight;
    return;
  }
  free(t); /* not made: no callback will run */
  answer_error(a, ferry_strerror(rc));
}

/* Starts the buffered requests the queue has room for and must_wait allows; an over-long line is refused
   and ends the session. */
static void submit_buffered(struct server* srv, struct connection* c) {
  size_t start = 0;
  while (!c->finishing && queued(c) < PIPELINE_DEPTH) {
    char* nl = memchr(c->in + start, '\n', c->in_used - start);
    if (nl == NULL) {
      if (start == 0 && c->in_used == KV_MAX_LINE) {
        answer_error(enqueue(c), KV_ERR_LINE_TOO_LONG);
        c->finishing = 1;
      }
      break;
    }
    size_t len = (size_t)(nl - (c->in + start));
    struct kv_request req = kv_parse_request(c->in + start, len); /* parsed again later if it must wait */
    if (must_wait(c, &req)) break;
    submit(srv, c, req);
    start += len + 1;
  }
  memmove(c->in, c->in + start, c->in_used - start);
  c->in_used -= start;
}

/* Sends the ready answers at the queue's head, in order. 0 when sent or blocked (EAGAIN), -1 on error. */
static int send_ready(struct connection* c) {
  while (c->head_seq != c->next_seq) {
    struct answer* a = &c->queue[c->head_seq % PIPELINE_DEPTH];
    if (!a->ready) return 0; /* completions that came early wait behind it */
    while (a->sent < a->len) {
      ssize_t n = send(c->fd, a->text + a->sent, a->len - a->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
      if (n < 0) return -1;
      a->sent += (size_t)n;
    }
    drop_answer(a);
    ++c->head_seq;
  }
  return 0;
}

/* Reads what the client sent, once: epoll is level-triggered and says when there is more. */
static void receive(struct connection* c) {
  ssize_t n;
  do {
    n = recv(c->fd, c->in + c->in_used, KV_MAX_LINE - c->in_used, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0)
    c->in_used += (size_t)n;
  else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
    c->eof = 1; /* an unterminated last line is not a request; a reset ends the session like EOF */
}

/* Brings a connection up to date after anything happened to it: starts what can start, sends what can be
   sent, closes it once it is done, else sets what epoll watches. `c` may be closed on return. */
static void progress(struct server* srv, struct connection* c) {
  submit_buffered(srv, c); /* complete lines are requests, even after EOF */
  if (send_ready(c) != 0) {
    close_connection(srv, c); /* the client vanished: its calls in flight find a new generation */
    return;
  }
  const int done = c->eof || c->finishing;
  if (done && c->head_seq == c->next_seq) {
    close_connection(srv, c);
    return;
  }
  uint32_t events = 0;
  if (!done && queued(c) < PIPELINE_DEPTH && c->in_used < KV_MAX_LINE) events |= EPOLLIN;
  if (c->head_seq != c->next_seq && c->queue[c->head_seq % PIPELINE_DEPTH].ready) events |= EPOLLOUT;
  if (events != c->events && watch(srv, EPOLL_CTL_MOD, c->fd, events, (uint64_t)(c - srv->conns)) == 0)
    c->events = events;
}

/* Takes every pending connection (until the table is full). -1 only on an error that stops the server. */
static int accept_all(struct server* srv) {
  while (srv->live < MAX_CONNECTIONS) {
    int fd = example_accept("epoll_server", srv->listen_fd);
    if (fd < 0) return fd == -1 ? 0 : -1;
    struct connection* c = NULL;
    for (unsigned i = 0; i < MAX_CONNECTIONS && c == NULL; ++i)
      if (srv->conns[i].fd < 0) c = &srv->conns[i];
    char* in = malloc(KV_MAX_LINE);
    if (c == NULL || in == NULL || watch(srv, EPOLL_CTL_ADD, fd, EPOLLIN, (uint64_t)(c - srv->conns)) != 0) {
      fprintf(stderr, "epoll_server: turning a client away\n");
      free(in);
      if (close(fd) != 0) perror("epoll_server: close(connection)");
      continue;
    }
    const uint32_t generation = c->generation;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->generation = generation + 1u;
    c->events = EPOLLIN;
    c->in = in;
    ++srv->live;
  }
  set_listening(srv, 0);
  return 0;
}

/* Runs the callbacks libferry has ready (they answer and progress their connections). */
static int process_completions(struct server* srv) {
  int n = ferry_process(srv->h);
  if (n >= 0) return 0;
  fprintf(stderr, "epoll_server: ferry_process: %s\n", ferry_strerror(-n));
  return -1;
}

/* One round of the loop: waits at most timeout_ms (< 0: no limit), then handles what is ready. -1 on an
   error that stops the server. */
static int turn(struct server* srv, const sigset_t* run_mask, int timeout_ms) {
  struct epoll_event events[MAX_EVENTS];
  int n = epoll_pwait(srv->epoll_fd, events, MAX_EVENTS, timeout_ms, run_mask);
  if (n < 0 && errno == EINTR) return 0; /* a signal: the caller looks at the flags */
  if (n < 0) {
    perror("epoll_server: epoll_pwait");
    return -1;
  }
  for (int i = 0; i < n; ++i) {
    const uint64_t tag = events[i].data.u64;
    if (tag == TAG_LISTENER) {
      if (srv->listening && accept_all(srv) != 0) return -1;
    } else if (tag == TAG_FERRY) {
      if (process_completions(srv) != 0) return -1;
    } else {
      struct connection* c = &srv->conns[tag];
      /* An event reported in this batch for a connection closed earlier in it: nothing left to do. */
      if (c->fd < 0) continue;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        close_connection(srv, c); /* reset, or shut down both ways: no answer can reach the client */
        continue;
      }
      if ((events[i].events & EPOLLIN) && (c->events & EPOLLIN)) receive(c);
      progress(srv, c);
    }
  }
  return 0;
}

/* Shutdown: connections get EXAMPLE_SHUTDOWN_GRACE_MS to end, then are cut off; then the calls still in
   flight (bounded by CALL_DEADLINE_MS) complete into nothing, so ferry_close drops none. */
static int drain(struct server* srv, const sigset_t* run_mask) {
  int64_t deadline = example_now_ms() + EXAMPLE_SHUTDOWN_GRACE_MS;
  int64_t left;
  while (srv->live > 0 && (left = deadline - example_now_ms()) > 0)
    if (turn(srv, run_mask, (int)left) != 0) return -1;
  for (unsigned i = 0; i < MAX_CONNECTIONS; ++i)
    if (srv->conns[i].fd >= 0) close_connection(srv, &srv->conns[i]);
  deadline = example_now_ms() + INFLIGHT_GRACE_MS;
  while (srv->inflight > 0 && (left = deadline - example_now_ms()) > 0)
    if (turn(srv, run_mask, (int)left) != 0) return -1;
  if (srv->inflight > 0) fprintf(stderr, "epoll_server: %lu calls never completed\n", srv->inflight);
  return 0;
}

static int serve(struct server* srv, const sigset_t* run_mask) {
  const int ferry_events = ferry_fd(srv->h);
  if (ferry_events < 0) {
    fprintf(stderr, "epoll_server: ferry_fd: %s\n", ferry_strerror(-ferry_events));
    return -1;
  }
  if (watch(srv, EPOLL_CTL_ADD, ferry_events, EPOLLIN, TAG_FERRY) != 0) return -1;
  set_listening(srv, 1);
  if (!srv->listening) return -1;
  int status = 0;
  while (!example_stop_requested() && status == 0) status = turn(srv, run_mask, -1);
  set_listening(srv, 0);
  if (close(srv->listen_fd) != 0) perror("epoll_server: close(listener)");
  srv->listen_fd = -1;
  if (status == 0) status = drain(srv, run_mask);
  return status;
}

int main(int argc, char** argv) {
  struct example_args args;
  if (example_parse_args(argc, argv, &args) != 0) return 2;
  sigset_t run_mask;
  if (example_install_signals(&run_mask) != 0) {
    perror("epoll_server: signals");
    return 1;
  }
  static struct server srv; /* large (the connection table): static storage, not main's stack */
  for (unsigned i = 0; i < MAX_CONNECTIONS; ++i) srv.conns[i].fd = -1;
  srv.h = example_open("epoll_server", args.socket_path);
  if (srv.h == NULL) return 1;
  srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (srv.epoll_fd < 0) {
    perror("epoll_server: epoll_create1");
    ferry_close(srv.h);
    return 1;
  }
  srv.listen_fd = example_listen(args.port);
  int status = srv.listen_fd < 0 ? 1 : serve(&srv, &run_mask);
  if (srv.listen_fd >= 0 && close(srv.listen_fd) != 0) perror("epoll_server: close(listener)");
  for (unsigned i = 0; i < MAX_CONNECTIONS; ++i)
    if (srv.conns[i].fd >= 0) close_connection(&srv, &srv.conns[i]); /* only after an error */
  ferry_close(srv.h); /* drops (without callbacks) only calls an error left in flight */
  if (close(srv.epoll_fd) != 0) perror("epoll_server: close(epoll)");
  if (status != 0) return 1;
  if (printf("served %lu connections\n", srv.served) < 0 || fflush(stdout) != 0) return 1;
  return 0;
}
