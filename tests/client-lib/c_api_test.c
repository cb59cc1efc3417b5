/* ferry.h compiled as C99 (-pedantic): the C ABI linked against libferry.so, first with no ferryd running,
   then the async API driven by an epoll loop against the scripted peer run as a child process. */
#define _POSIX_C_SOURCE 200809L /* fork, pipe, mkdtemp, clock_gettime: POSIX, not C99 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ferry.h"

static int failures = 0;
#define EXPECT(cond)                                                   \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

/* ---- Async: an epoll loop around ferry_fd against the scripted peer (FERRY_SCRIPTED_PEER_BIN) ---- */

#define ASYNC_KEYS 24
#define ASYNC_LIMIT_MS 20000 /* the whole async section; each call's own deadline is shorter */

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* The scripted peer as a child: its stdin (closing it stops the peer) and its stdout (its lines). */
struct peer_child {
  pid_t pid;
  int to_peer;
  int from_peer;
};

/* One line of the peer's stdout into `line` (no '\n'), waiting until `deadline`. 0, or -1 on EOF or timeout. */
static int peer_line(const struct peer_child* p, char* line, size_t size, long deadline) {
  size_t used = 0;
  while (used + 1 < size) {
    struct pollfd pfd;
    long left = deadline - now_ms();
    pfd.fd = p->from_peer;
    pfd.events = POLLIN;
    if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) return -1;
    if (read(p->from_peer, line + used, 1) != 1) return -1;
    if (line[used] == '\n') break;
    ++used;
  }
  line[used] = '\0';
  return 0;
}

static int peer_start(struct peer_child* p, const char* socket_path) {
  int in[2], out[2];
  if (pipe(in) != 0) return -1;
  if (pipe(out) != 0) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  p->pid = fork();
  if (p->pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execl(FERRY_SCRIPTED_PEER_BIN, FERRY_SCRIPTED_PEER_BIN, socket_path, (char*)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  p->to_peer = in[1];
  p->from_peer = out[0];
  if (p->pid > 0) return 0;
  close(p->to_peer);
  close(p->from_peer);
  return -1;
}

/* What one async call expects, and what its callback saw. */
struct async_call {
  ferry_t* h;
  int is_get;
  char key[32];
  char value[32]; /* PUT: sent; GET: expected ("" with expect_status NOT_FOUND) */
  int expect_status;
  int callbacks;
  struct async_call* then; /* submitted from this call's callback once it succeeds */
};

static int async_outstanding = 0; /* submitted calls whose callback has not run */

static void on_done(void* user, int status, const ferry_async_result* r);

static int submit(struct async_call* c) {
  ferry_options opts = FERRY_OPTIONS_INIT;
  int rc;
  opts.deadline_ms = 5000;
  if (c->is_get)
    rc = ferry_get_async(c->h, c->key, strlen(c->key), &opts, on_done, c);
  else
    rc = ferry_put_async(c->h, c->key, strlen(c->key), c->value, strlen(c->value), &opts, on_done, c);
  if (rc == FERRY_OK) ++async_outstanding;
  return rc;
}

static void on_done(void* user, int status, const ferry_async_result* r) {
  struct async_call* c = (struct async_call*)user;
  --async_outstanding;
  ++c->callbacks;
  EXPECT(c->callbacks == 1);
  EXPECT(r != NULL);
  EXPECT(status == c->expect_status);
  if (status != c->expect_status)
    fprintf(stderr, "  %s %s: %s\n", c->is_get ? "GET" : "PUT", c->key, ferry_strerror(status));
  if (c->is_get && status == FERRY_OK) {
    EXPECT(r->vlen == strlen(c->value) && memcmp(r->value, c->value, r->vlen) == 0);
    EXPECT(r->info.size == strlen(c->value));
  }
  if (!c->is_get || status != FERRY_OK) EXPECT(r->value == NULL);
  EXPECT(r->detail != NULL);
  /* A callback may submit: each PUT's GET goes out only once the PUT is known to have landed. */
  if (status == FERRY_OK && c->then != NULL) EXPECT(submit(c->then) == FERRY_OK);
}

/* ASYNC_KEYS puts, each chaining its get from its callback, and one get of an absent key, all driven by
   epoll_wait on ferry_fd and ferry_process; the peer answers batches newest first. */
static void async_section(void) {
  static struct async_call put_calls[ASYNC_KEYS], get_calls[ASYNC_KEYS], miss;
  char dir[] = "/tmp/ferry-c-api-XXXXXX";
  char socket_path[64], line[64];
  struct peer_child peer;
  ferry_t* h = NULL;
  int ep, i, status = 0, ran_total = 0, calls_seen = -1;
  const long deadline = now_ms() + ASYNC_LIMIT_MS;

  if (mkdtemp(dir) == NULL) {
    EXPECT(!"mkdtemp");
    return;
  }
  snprintf(socket_path, sizeof(socket_path), "%s/ferryd.sock", dir);
  if (peer_start(&peer, socket_path) != 0) {
    EXPECT(!"starting the scripted peer");
    rmdir(dir);
    return;
  }
  EXPECT(peer_line(&peer, line, sizeof(line), deadline) == 0 && strcmp(line, "ready") == 0);
  EXPECT(ferry_open(socket_path, &h) == FERRY_OK);
  ep = epoll_create1(EPOLL_CLOEXEC);
  EXPECT(ep >= 0);
  if (h != NULL && ep >= 0) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    EXPECT(ferry_fd(h) >= 0);
    EXPECT(ferry_fd(h) == ferry_fd(h));
    EXPECT(epoll_ctl(ep, EPOLL_CTL_ADD, ferry_fd(h), &ev) == 0);
    EXPECT(ferry_process(h) == 0); /* nothing submitted: nothing to run */

    for (i = 0; i < ASYNC_KEYS; ++i) {
      struct async_call* p = &put_calls[i];
      struct async_call* g = &get_calls[i];
      p->h = g->h = h;
      snprintf(p->key, sizeof(p->key), "c/async/%d", i);
      snprintf(p->value, sizeof(p->value), "value %d", i * 7);
      memcpy(g->key, p->key, sizeof(g->key));
      memcpy(g->value, p->value, sizeof(g->value));
      g->is_get = 1;
      p->then = g;
      EXPECT(submit(p) == FERRY_OK);
    }
    miss.h = h;
    miss.is_get = 1;
    strcpy(miss.key, "c/async/absent");
    miss.expect_status = FERRY_NOT_FOUND;
    EXPECT(submit(&miss) == FERRY_OK);

    while (async_outstanding > 0) {
      struct epoll_event ready;
      long left = deadline - now_ms();
      int n;
      if (left <= 0) break;
      n = epoll_wait(ep, &ready, 1, (int)left);
      if (n < 0 && errno == EINTR) continue;
      EXPECT(n >= 0);
      if (n < 0) break;
      if (n == 0) continue;
      n = ferry_process(h);
      EXPECT(n >= 0);
      if (n < 0) break;
      ran_total += n;
    }
    EXPECT(async_outstanding == 0);
    EXPECT(ran_total == 2 * ASYNC_KEYS + 1);
    EXPECT(ferry_process(h) == 0); /* every callback ran already: none runs twice */
    for (i = 0; i < ASYNC_KEYS; ++i) EXPECT(put_calls[i].callbacks == 1 && get_calls[i].callbacks == 1);
    EXPECT(miss.callbacks == 1);
  }
  ferry_close(h);
  if (ep >= 0) close(ep);

  close(peer.to_peer); /* EOF: the peer reports what it answered and exits */
  if (peer_line(&peer, line, sizeof(line), now_ms() + 10000) == 0) sscanf(line, "calls %d", &calls_seen);
  EXPECT(calls_seen == 2 * ASYNC_KEYS + 1);
  close(peer.from_peer);
  EXPECT(waitpid(peer.pid, &status, 0) == peer.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  unlink(socket_path);
  rmdir(dir);
}

int main(void) {
  ferry_t* h = NULL;
  ferry_options opts = FERRY_OPTIONS_INIT;
  ferry_object_info info;
  size_t n = 0;
  int code;

  EXPECT(ferry_abi_version() == FERRY_ABI_VERSION);
  for (code = 0; code <= FERRY_INTERNAL; ++code) EXPECT(ferry_strerror(code) != NULL && strlen(ferry_strerror(code)) > 0);
  EXPECT(strcmp(ferry_strerror(FERRY_NOT_FOUND), "no object has this key") == 0);
  EXPECT(ferry_strerror(FERRY_E_CONNECT) != NULL);
  EXPECT(ferry_strerror(-7) != NULL);

  errno = 0;
  EXPECT(ferry_open("/nonexistent-ferry-dir/ferryd.sock", &h) == FERRY_E_CONNECT);
  EXPECT(errno == ENOENT);
  EXPECT(h == NULL);
  EXPECT(ferry_open(NULL, NULL) == FERRY_E_INVALID);

  opts.deadline_ms = 10;
  EXPECT(ferry_put(NULL, "k", 1, "v", 1, &opts) == FERRY_E_INVALID);
  EXPECT(ferry_get(NULL, "k", 1, NULL, 0, &n, NULL, &opts) == FERRY_E_INVALID);
  EXPECT(ferry_stat(NULL, "k", 1, &info, NULL) == FERRY_E_INVALID);
  EXPECT(ferry_delete(NULL, "k", 1, NULL) == FERRY_E_INVALID);
  {
    ferry_list_page* page = NULL;
    size_t clen = 1;
    EXPECT(ferry_list(NULL, "k", 1, NULL, 0, 0, &page, &opts) == FERRY_E_INVALID);
    EXPECT(page == NULL);
    EXPECT(ferry_list_count(NULL) == 0 && ferry_list_more(NULL) == 0);
    EXPECT(ferry_list_key(NULL, 0, &clen) == NULL && clen == 0);
    EXPECT(ferry_list_info(NULL, 0) == NULL && ferry_list_next_cursor(NULL, NULL) == NULL);
    ferry_list_free(NULL);
  }
  {
    ferry_upload* up = (ferry_upload*)&n; /* must be reset to NULL */
    char buf[4];
    size_t got = 7;
    int eof = 7;
    EXPECT(ferry_upload_open(NULL, "k", 1, 0, &up, &opts) == FERRY_E_INVALID);
    EXPECT(up == NULL);
    EXPECT(ferry_upload_open(NULL, "k", 1, 0, NULL, &opts) == FERRY_E_INVALID);
    EXPECT(ferry_upload_write(NULL, 0, "v", 1, &opts) == FERRY_E_INVALID);
    EXPECT(ferry_upload_commit(NULL, 1, &info, &opts) == FERRY_E_INVALID);
    EXPECT(ferry_upload_abort(NULL) == FERRY_OK);
    EXPECT(ferry_upload_chunk_size(NULL) == 0);
    EXPECT(ferry_read(NULL, "k", 1, 0, buf, sizeof(buf), &got, &eof, NULL, &opts) == FERRY_E_INVALID);
    EXPECT(got == 0 && eof == 0);
    EXPECT(ferry_read(NULL, "k", 1, 0, buf, sizeof(buf), NULL, &eof, NULL, &opts) == FERRY_E_INVALID);
  }
  {
    ferry_async_result r;
    memset(&r, 0, sizeof(r));
    EXPECT(r.value == NULL && r.vlen == 0);
    EXPECT(ferry_fd(NULL) == -FERRY_E_INVALID);
    EXPECT(ferry_process(NULL) == -FERRY_E_INVALID);
    EXPECT(ferry_put_async(NULL, "k", 1, "v", 1, &opts, NULL, NULL) == FERRY_E_INVALID);
    EXPECT(ferry_get_async(NULL, "k", 1, &opts, NULL, NULL) == FERRY_E_INVALID);
    EXPECT(ferry_delete_async(NULL, "k", 1, &opts, NULL, NULL) == FERRY_E_INVALID);
    EXPECT(ferry_stat_async(NULL, "k", 1, &opts, NULL, NULL) == FERRY_E_INVALID);
  }
  EXPECT(ferry_last_detail() != NULL && ferry_last_detail()[0] == '\0');
  ferry_close(NULL);
  ferry_free(NULL);

  async_section();

  if (failures == 0) printf("c_api_test: ok\n");
  return failures == 0 ? 0 : 1;
}
