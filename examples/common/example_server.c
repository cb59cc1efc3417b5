/*
 * example_server.c: flags, the listener and signal plumbing shared by the example servers. Signals stay
 * blocked except inside ppoll, so the handlers only set flags and nothing else is ever interrupted.
 */
#include "example_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Set only by the handlers below; a signal handler has no other way to report. */
static volatile sig_atomic_t stop_flag = 0;
static volatile sig_atomic_t child_flag = 0;

static void on_stop(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void on_child(int sig) {
  (void)sig;
  child_flag = 1;
}

static void usage(const char* prog) {
  fprintf(stderr, "usage: %s [--socket PATH] [--port N]\n"
                  "  --socket PATH  ferryd's socket (default: $FERRY_SOCKET, else %s)\n"
                  "  --port N       TCP port on 127.0.0.1 (default 0: any free port)\n",
          prog, FERRY_DEFAULT_SOCKET);
}

int example_parse_args(int argc, char** argv, struct example_args* out) {
  out->socket_path = NULL;
  out->port = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
      out->socket_path = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      const char* text = argv[++i];
      char* end = NULL;
      errno = 0;
      unsigned long port = strtoul(text, &end, 10);
      if (errno != 0 || end == text || *end != '\0' || port > 65535u || text[0] == '-') {
        fprintf(stderr, "%s: bad port '%s'\n", argv[0], text);
        usage(argv[0]);
        return -1;
      }
      out->port = (uint16_t)port;
    } else {
      usage(argv[0]);
      return -1;
    }
  }
  return 0;
}

int example_listen(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("socket");
    return -1;
  }
  int one = 1;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    perror("setsockopt(SO_REUSEADDR)");
  } else if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    perror("bind");
  } else if (listen(fd, SOMAXCONN) != 0) {
    perror("listen");
  } else if (getsockname(fd, (struct sockaddr*)&addr, &alen) != 0) {
    perror("getsockname");
  } else if (printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port)) < 0 || fflush(stdout) != 0) {
    perror("stdout");
  } else {
    return fd;
  }
  close(fd);
  return -1;
}

ferry_t* example_open(const char* prog, const char* socket_path) {
  ferry_t* h = NULL;
  int rc = ferry_open(socket_path, &h);
  if (rc == FERRY_OK) return h;
  if (rc == FERRY_E_CONNECT)
    fprintf(stderr, "%s: cannot reach ferryd: %s (%s)\n", prog, ferry_strerror(rc), strerror(errno));
  else
    fprintf(stderr, "%s: cannot reach ferryd: %s\n", prog, ferry_strerror(rc));
  return NULL;
}

int example_accept(const char* prog, int listen_fd) {
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn >= 0) return conn;
  switch (errno) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR:
    case ECONNABORTED: /* the client left before we took it */
    case EPROTO:
      return -1;
    default:
      fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
      return -2;
  }
}

int example_install_signals(sigset_t* run_mask) {
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  if (sigemptyset(&ignore.sa_mask) != 0 || sigaction(SIGPIPE, &ignore, NULL) != 0) return -1;

  sigset_t blocked;
  if (sigemptyset(&blocked) != 0 || sigaddset(&blocked, SIGTERM) != 0 || sigaddset(&blocked, SIGINT) != 0 ||
      sigaddset(&blocked, SIGCHLD) != 0)
    return -1;
  int rc = pthread_sigmask(SIG_BLOCK, &blocked, run_mask);
  if (rc != 0) {
    errno = rc;
    return -1;
  }

  struct sigaction stop;
  memset(&stop, 0, sizeof stop);
  stop.sa_handler = on_stop;
  struct sigaction child;
  memset(&child, 0, sizeof child);
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP;
  if (sigemptyset(&stop.sa_mask) != 0 || sigemptyset(&child.sa_mask) != 0) return -1;
  if (sigaction(SIGTERM, &stop, NULL) != 0 || sigaction(SIGINT, &stop, NULL) != 0 ||
      sigaction(SIGCHLD, &child, NULL) != 0)
    return -1;
  return 0;
}

int example_reset_signals(const sigset_t* run_mask) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  if (sigemptyset(&dfl.sa_mask) != 0) return -1;
  if (sigaction(SIGTERM, &dfl, NULL) != 0 || sigaction(SIGINT, &dfl, NULL) != 0 ||
      sigaction(SIGCHLD, &dfl, NULL) != 0)
    return -1;
  int rc = pthread_sigmask(SIG_SETMASK, run_mask, NULL);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return 0;
}

int example_stop_requested(void) { return stop_flag != 0; }

int example_take_child_exited(void) {
  if (child_flag == 0) return 0;
  child_flag = 0;
  return 1;
}

int example_wait(struct pollfd* fds, unsigned nfds, const sigset_t* run_mask, int timeout_ms) {
  struct timespec limit;
  struct timespec* lp = NULL;
  if (timeout_ms >= 0) {
    limit.tv_sec = timeout_ms / 1000;
    limit.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    lp = &limit;
  }
  int n = ppoll(fds, nfds, lp, run_mask);
  if (n < 0 && errno == EINTR) return 0;
  return n;
}

int64_t example_now_ms(void) {
  struct timespec t;
  if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) abort(); /* cannot fail for CLOCK_MONOTONIC */
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
