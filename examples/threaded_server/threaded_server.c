/*
 * threaded_server.c: a thread-per-connection key/value server. Every thread calls through ONE shared
 * libferry handle; libferry pipelines their calls over its single connection to ferryd.
 */
#include <errno.h>
#include <ferry.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "example_server.h"
#include "kv_session.h"

/* Connections served at once; at the limit the listener is not polled until one ends. */
#define MAX_CONNECTIONS 128

enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_DONE };

struct server;

struct slot {
  struct server* srv;
  pthread_t thread;
  int fd;
  enum slot_state state; /* under srv->lock */
};

struct server {
  ferry_t* h;   /* shared by every connection thread */
  int wake_fd;  /* eventfd: a thread finished, its slot wants joining */
  pthread_mutex_t lock;
  struct slot slots[MAX_CONNECTIONS];
  unsigned live;
  unsigned long served; /* connections whose thread has been joined */
};

static void* connection_thread(void* arg) {
  struct slot* s = arg;
  if (kv_serve_connection(s->srv->h, s->fd) != 0) perror("threaded_server: connection");
  pthread_mutex_lock(&s->srv->lock);
  s->state = SLOT_DONE;
  pthread_mutex_unlock(&s->srv->lock);
  const uint64_t one = 1;
  ssize_t n;
  do {
    n = write(s->srv->wake_fd, &one, sizeof one);
  } while (n < 0 && errno == EINTR);
  if (n < 0) perror("threaded_server: eventfd write");
  return NULL;
}

/* A slot's state as the main thread sees it: its thread may be setting SLOT_DONE right now. */
static enum slot_state state_of(struct server* srv, const struct slot* s) {
  pthread_mutex_lock(&srv->lock);
  enum slot_state state = s->state;
  pthread_mutex_unlock(&srv->lock);
  return state;
}

/* Joins every finished thread and frees its slot. */
static void join_finished(struct server* srv) {
  for (unsigned i = 0; i < MAX_CONNECTIONS; ++i) {
    struct slot* s = &srv->slots[i];
    if (state_of(srv, s) != SLOT_DONE) continue;
    int rc = pthread_join(s->thread, NULL);
    if (rc != 0) fprintf(stderr, "threaded_server: pthread_join: %s\n", strerror(rc));
    if (close(s->fd) != 0) perror("threaded_server: close(connection)");
    s->state = SLOT_FREE; /* joined: no other thread refers to the slot any more */
    --srv->live;
    ++srv->served;
  }
}

/* Empties the eventfd after it polled readable. */
static void clear_wakeups(struct server* srv) {
  uint64_t count;
  ssize_t n;
  do {
    n = read(srv->wake_fd, &count, sizeof count);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN) perror("threaded_server: eventfd read");
}

/* Accepts one pending connection and starts its thread. -1 only on an error that stops the server. */
static int accept_one(struct server* srv, int listen_fd) {
  int conn = example_accept("threaded_server", listen_fd);
  if (conn < 0) return conn == -1 ? 0 : -1;
  struct slot* s = NULL;
  for (unsigned i = 0; i < MAX_CONNECTIONS && s == NULL; ++i)
    if (state_of(srv, &srv->slots[i]) == SLOT_FREE) s = &srv->slots[i];
  /* Only the main thread frees and fills slots, and it polls the listener only below the limit. */
  if (s == NULL) abort();
  s->srv = srv;
  s->fd = conn;
  s->state = SLOT_RUNNING;
  int rc = pthread_create(&s->thread, NULL, connection_thread, s);
  if (rc != 0) {
    fprintf(stderr, "threaded_server: pthread_create: %s\n", strerror(rc)); /* this client is turned away */
    s->state = SLOT_FREE;
    if (close(conn) != 0) perror("threaded_server: close(connection)");
    return 0;
  }
  ++srv->live;
  return 0;
}

/* Shutdown: connections get EXAMPLE_SHUTDOWN_GRACE_MS to end, then are shut down under their threads
   (whose reads then see EOF) and every thread is joined. */
static void drain(struct server* srv, const sigset_t* run_mask) {
  const int64_t deadline = example_now_ms() + EXAMPLE_SHUTDOWN_GRACE_MS;
  for (;;) {
    join_finished(srv);
    int64_t left = deadline - example_now_ms();
    if (srv->live == 0 || left <= 0) break;
    struct pollfd p = {srv->wake_fd, POLLIN, 0};
    int n = example_wait(&p, 1, run_mask, (int)left);
    if (n < 0) {
      perror("threaded_server: ppoll");
      break;
    }
    if (n > 0) clear_wakeups(srv);
  }
  for (unsigned i = 0; i < MAX_CONNECTIONS; ++i) {
    struct slot* s = &srv->slots[i];
    if (state_of(srv, s) == SLOT_FREE) continue;
    if (shutdown(s->fd, SHUT_RDWR) != 0 && errno != ENOTCONN) perror("threaded_server: shutdown");
    int rc = pthread_join(s->thread, NULL);
    if (rc != 0) fprintf(stderr, "threaded_server: pthread_join: %s\n", strerror(rc));
    if (close(s->fd) != 0) perror("threaded_server: close(connection)");
    s->state = SLOT_FREE;
    --srv->live;
    ++srv->served;
  }
}

int main(int argc, char** argv) {
  struct example_args args;
  if (example_parse_args(argc, argv, &args) != 0) return 2;
  sigset_t run_mask;
  /* Before any thread exists, so every connection thread inherits the blocked signals. */
  if (example_install_signals(&run_mask) != 0) {
    perror("threaded_server: signals");
    return 1;
  }
  static struct server srv; /* large (the slot table): static storage, not main's stack */
  int rc = pthread_mutex_init(&srv.lock, NULL);
  if (rc != 0) {
    fprintf(stderr, "threaded_server: pthread_mutex_init: %s\n", strerror(rc));
    return 1;
  }
  srv.h = example_open("threaded_server", args.socket_path);
  if (srv.h == NULL) return 1;
  srv.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (srv.wake_fd < 0) {
    perror("threaded_server: eventfd");
    ferry_close(srv.h);
    return 1;
  }
  int listen_fd = example_listen(args.port);
  if (listen_fd < 0) {
    ferry_close(srv.h);
    return 1;
  }

  int status = 0;
  while (!example_stop_requested()) {
    struct pollfd p[2] = {{srv.wake_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
    int n = example_wait(p, srv.live < MAX_CONNECTIONS ? 2u : 1u, &run_mask, -1);
    if (n < 0) {
      perror("threaded_server: ppoll");
      status = 1;
      break;
    }
    if (n == 0) continue;
    if (p[0].revents & POLLIN) {
      clear_wakeups(&srv);
      join_finished(&srv);
    }
    if ((p[1].revents & POLLIN) && accept_one(&srv, listen_fd) != 0) {
      status = 1;
      break;
    }
  }
  if (close(listen_fd) != 0) perror("threaded_server: close(listener)");
  drain(&srv, &run_mask);
  ferry_close(srv.h); /* every thread is joined: no call is in progress */
  if (close(srv.wake_fd) != 0) perror("threaded_server: close(eventfd)");
  pthread_mutex_destroy(&srv.lock);
  if (printf("served %lu connections\n", srv.served) < 0 || fflush(stdout) != 0) status = 1;
  return status;
}
