/*
 * kv_session.h: the examples' line protocol (PUT key value / GET key) served on one connected socket,
 * every request answered through a shared libferry handle. Pure request/response: no signals, no threads.
 */
#ifndef FERRY_EXAMPLE_KV_SESSION_H
#define FERRY_EXAMPLE_KV_SESSION_H

#include <ferry.h>

/* Longest request line, '\n' included: a key of FERRY_MAX_KEY bytes and a value of 64 KiB fit. */
#define KV_MAX_LINE (FERRY_MAX_KEY + 65536u + 16u)

/* Serves requests from `fd` until the client closes it. 0 on a clean end (EOF, or a request line longer
   than KV_MAX_LINE, which is answered with ERR and ends the session); -1 on an I/O error or when memory
   runs out, errno set. Does not close `fd`. */
int kv_serve_connection(ferry_t* h, int fd);

#endif
