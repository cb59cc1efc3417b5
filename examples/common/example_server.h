/*
 * example_server.h: what both example servers share besides the protocol: command-line flags, the
 * loopback listener, and SIGTERM/SIGCHLD delivered only inside ppoll (so no other call sees EINTR).
 */
#ifndef FERRY_EXAMPLE_SERVER_H
#define FERRY_EXAMPLE_SERVER_H

#include <ferry.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>

/* How long shutdown waits for open connections to end before cutting them off. */
#define EXAMPLE_SHUTDOWN_GRACE_MS 5000

struct example_args {
  const char* socket_path; /* --socket; NULL: ferry_open's own choice ($FERRY_SOCKET, else the default) */
  uint16_t port;           /* --port; 0: any free port */
};

/* Parses argv. 0 on success; prints usage and returns -1 on a bad or unknown flag. */
int example_parse_args(int argc, char** argv, struct example_args* out);

/* A non-blocking, close-on-exec TCP listener on 127.0.0.1:port. Prints (and flushes)
   "listening on 127.0.0.1:PORT" with the bound port. -1 with a message on stderr on failure. */
int example_listen(uint16_t port);

/* ferry_open(socket_path), reporting a failure on stderr as `prog`'s; NULL when ferryd is unreachable. */
ferry_t* example_open(const char* prog, const char* socket_path);

/* accept4 (close-on-exec) on the non-blocking listener: the connection; -1 when there is none to take
   (already gone, or taken by nobody yet); -2 on an error that should stop the server (reported on stderr). */
int example_accept(const char* prog, int listen_fd);

/* Ignores SIGPIPE, blocks SIGTERM, SIGINT and SIGCHLD (threads created afterwards inherit the mask) and
   installs handlers that only record them. `*run_mask` receives the mask to wait with: the previous one.
   -1 on failure, errno set. */
int example_install_signals(sigset_t* run_mask);

/* Undoes example_install_signals in a forked child: default dispositions, the previous mask. */
int example_reset_signals(const sigset_t* run_mask);

/* Whether SIGTERM or SIGINT has arrived. */
int example_stop_requested(void);
/* Whether SIGCHLD has arrived since the last call (and clears it). */
int example_take_child_exited(void);

/* ppoll on `fds` with the signals open; timeout_ms < 0: no limit. The number of ready descriptors,
   0 on timeout or when a signal arrived, -1 on error (errno set). */
int example_wait(struct pollfd* fds, unsigned nfds, const sigset_t* run_mask, int timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC, for shutdown deadlines. */
int64_t example_now_ms(void);

#endif
