/*
 * forking_server.c: an inetd-style key/value server. ONE libferry handle is opened before any fork and
 * every per-connection child uses the copy it inherits: libferry sees the pid change and reconnects.
 */
#include <errno.h>
#include <ferry.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example_server.h"
#include "kv_session.h"

/* Live children at most; at the limit the listener is not polled until one exits (the kernel's backlog
   holds the next clients). */
#define MAX_CHILDREN 128

struct children {
  pid_t pids[MAX_CHILDREN];
  unsigned live;
  unsigned long served; /* connections whose child has been reaped */
};

static void record_exit(struct children* c, pid_t pid, int status) {
  for (unsigned i = 0; i < c->live; ++i) {
    if (c->pids[i] != pid) continue;
    c->pids[i] = c->pids[--c->live];
    ++c->served;
    break;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    fprintf(stderr, "forking_server: child %ld exited with status %d\n", (long)pid, WEXITSTATUS(status));
  else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
    fprintf(stderr, "forking_server: child %ld killed by signal %d\n", (long)pid, WTERMSIG(status));
}

/* Collects every child that has ended, without blocking. */
static void reap(struct children* c) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      record_exit(c, pid, status);
      continue;
    }
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0 && errno != ECHILD) perror("forking_server: waitpid");
    return;
  }
}

/* The child's whole life: the connection, served with the inherited handle, then _exit (the parent's
   stdio buffers and atexit handlers are not the child's to run). */
static _Noreturn void serve_in_child(ferry_t* h, int listen_fd, int conn, const sigset_t* run_mask) {
  if (close(listen_fd) != 0) perror("forking_server: close(listener)");
  if (example_reset_signals(run_mask) != 0) {
    perror("forking_server: signals");
    _exit(1);
  }
  int rc = kv_serve_connection(h, conn);
  if (rc != 0) perror("forking_server: connection");
  if (close(conn) != 0) perror("forking_server: close(connection)");
  ferry_close(h); /* closes only the child's own connection */
  _exit(rc == 0 ? 0 : 1);
}

/* Accepts one pending connection and forks its child. -1 only on an error that stops the server. */
static int accept_one(ferry_t* h, int listen_fd, struct children* c, const sigset_t* run_mask) {
  int conn = example_accept("forking_server", listen_fd);
  if (conn < 0) return conn == -1 ? 0 : -1;
  pid_t pid = fork();
  if (pid < 0) {
    perror("forking_server: fork"); /* this client is turned away; the next may fare better */
    if (close(conn) != 0) perror("forking_server: close(connection)");
    return 0;
  }
  if (pid == 0) serve_in_child(h, listen_fd, conn, run_mask);
  c->pids[c->live++] = pid;
  if (close(conn) != 0) perror("forking_server: close(connection)");
  return 0;
}

/* Shutdown: children finish their connections for EXAMPLE_SHUTDOWN_GRACE_MS, then get SIGTERM. */
static void drain(struct children* c, const sigset_t* run_mask) {
  const int64_t deadline = example_now_ms() + EXAMPLE_SHUTDOWN_GRACE_MS;
  for (;;) {
    reap(c);
    int64_t left = deadline - example_now_ms();
    if (c->live == 0 || left <= 0) break;
    if (example_wait(NULL, 0, run_mask, (int)left) < 0) {
      perror("forking_server: ppoll");
      break;
    }
  }
  for (unsigned i = 0; i < c->live; ++i)
    if (kill(c->pids[i], SIGTERM) != 0 && errno != ESRCH) perror("forking_server: kill");
  while (c->live > 0) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid > 0) {
      record_exit(c, pid, status);
    } else if (errno != EINTR) {
      perror("forking_server: waitpid");
      return;
    }
  }
}

int main(int argc, char** argv) {
  struct example_args args;
  if (example_parse_args(argc, argv, &args) != 0) return 2;
  sigset_t run_mask;
  if (example_install_signals(&run_mask) != 0) {
    perror("forking_server: signals");
    return 1;
  }
  /* Opened once, before any child exists: the pattern libferry's fork safety is for. */
  ferry_t* h = example_open("forking_server", args.socket_path);
  if (h == NULL) return 1;
  int listen_fd = example_listen(args.port);
  if (listen_fd < 0) {
    ferry_close(h);
    return 1;
  }

  struct children c;
  memset(&c, 0, sizeof c);
  int status = 0;
  while (!example_stop_requested()) {
    if (example_take_child_exited()) reap(&c);
    struct pollfd p = {listen_fd, POLLIN, 0};
    int n = example_wait(&p, c.live < MAX_CHILDREN ? 1u : 0u, &run_mask, -1);
    if (n < 0) {
      perror("forking_server: ppoll");
      status = 1;
      break;
    }
    if (n > 0 && accept_one(h, listen_fd, &c, &run_mask) != 0) {
      status = 1;
      break;
    }
  }
  if (close(listen_fd) != 0) perror("forking_server: close(listener)");
  drain(&c, &run_mask);
  ferry_close(h);
  if (printf("served %lu connections\n", c.served) < 0 || fflush(stdout) != 0) status = 1;
  return status;
}
