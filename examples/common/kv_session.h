/*
 * kv_session.h: the examples' line protocol (PUT key value / GET key) served on one connected socket,
 * every request answered through a shared libferry handle. Pure request/response: no signals, no threads.
 */
#ifndef FERRY_EXAMPLE_KV_SESSION_H
#define FERRY_EXAMPLE_KV_SESSION_H

#include <ferry.h>
#include <stddef.h>

/* Longest request line, '\n' included: a key of FERRY_MAX_KEY bytes and a value of 64 KiB fit. */
#define KV_MAX_LINE (FERRY_MAX_KEY + 65536u + 16u)

/* One request line, parsed: pointers into the line. The protocol's own refusals (KV_BAD) carry their text. */
enum kv_verb { KV_PUT, KV_GET, KV_BAD };
struct kv_request {
  enum kv_verb verb;
  const char* key; /* PUT, GET */
  size_t klen;
  const char* value; /* PUT: the rest of the line, possibly empty */
  size_t vlen;
  const char* error; /* KV_BAD: the text after "ERR " */
};

/* Parses one request line given without its '\n' (a trailing '\r' is dropped, for telnet). Pure. */
struct kv_request kv_parse_request(const char* line, size_t len);

/* The answer to an over-long line (after "ERR "); the session ends after it. */
#define KV_ERR_LINE_TOO_LONG "request line too long"

/* Serves requests from `fd` until the client closes it. 0 on a clean end (EOF, or a request line longer
   than KV_MAX_LINE, which is answered with ERR and ends the session); -1 on an I/O error or when memory
   runs out, errno set. Does not close `fd`. */
int kv_serve_connection(ferry_t* h, int fd);

#endif
