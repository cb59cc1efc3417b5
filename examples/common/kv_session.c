/*
 * kv_session.c: the line protocol of the examples (see examples/README.md): requests are parsed from a
 * bounded buffer (kv_parse_request, shared with the epoll example), executed with libferry's synchronous
 * calls, and answered with blocking writes.
 */
#include "kv_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Writes every byte of `iov` (modified as it advances). MSG_NOSIGNAL: a vanished client is EPIPE. */
static int send_all(int fd, struct iovec* iov, size_t count) {
  while (count > 0) {
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    size_t done = (size_t)n;
    while (count > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = (char*)iov->iov_base + done;
      iov->iov_len -= done;
    }
  }
  return 0;
}

static int send_text(int fd, const char* text) {
  struct iovec iov = {(void*)text, strlen(text)};
  return send_all(fd, &iov, 1);
}

/* "ERR <detail>\n" */
static int send_error(int fd, const char* detail) {
  struct iovec iov[3] = {{(void*)"ERR ", 4}, {(void*)detail, strlen(detail)}, {(void*)"\n", 1}};
  return send_all(fd, iov, 3);
}

/* A key is one non-empty token: the protocol separates fields by single spaces. */
static int valid_key(const char* key, size_t klen) { return klen > 0 && memchr(key, ' ', klen) == NULL; }

struct kv_request kv_parse_request(const char* line, size_t len) {
  struct kv_request req = {KV_BAD, NULL, 0, NULL, 0, "unknown request (PUT key value | GET key)"};
  if (len > 0 && line[len - 1] == '\r') --len;
  if (len >= 4 && memcmp(line, "PUT ", 4) == 0) {
    const char* args = line + 4;
    size_t alen = len - 4;
    const char* space = memchr(args, ' ', alen);
    if (space == NULL || space == args) {
      req.error = "usage: PUT key value";
      return req;
    }
    req.verb = KV_PUT;
    req.key = args;
    req.klen = (size_t)(space - args);
    req.value = space + 1;
    req.vlen = alen - req.klen - 1;
  } else if (len >= 4 && memcmp(line, "GET ", 4) == 0) {
    if (!valid_key(line + 4, len - 4)) {
      req.error = "usage: GET key";
      return req;
    }
    req.verb = KV_GET;
    req.key = line + 4;
    req.klen = len - 4;
  }
  return req;
}

static int handle_put(ferry_t* h, int fd, const struct kv_request* req) {
  int rc = ferry_put(h, req->key, req->klen, req->value, req->vlen, NULL);
  if (rc != FERRY_OK) return send_error(fd, ferry_strerror(rc));
  return send_text(fd, "OK\n");
}

static int handle_get(ferry_t* h, int fd, const struct kv_request* req) {
  void* value = NULL;
  size_t vlen = 0;
  int rc = ferry_get_alloc(h, req->key, req->klen, &value, &vlen, NULL, NULL);
  if (rc == FERRY_NOT_FOUND) return send_text(fd, "NOTFOUND\n");
  if (rc != FERRY_OK) return send_error(fd, ferry_strerror(rc));
  char head[40];
  int hlen = snprintf(head, sizeof head, "VALUE %zu\n", vlen);
  struct iovec iov[3] = {{head, (size_t)hlen}, {value, vlen}, {(void*)"\n", 1}};
  int sent = send_all(fd, iov, 3);
  int saved = errno;
  ferry_free(value);
  errno = saved;
  return sent;
}

/* One request line without its '\n'. */
static int handle_line(ferry_t* h, int fd, const char* line, size_t len) {
  struct kv_request req = kv_parse_request(line, len);
  switch (req.verb) {
    case KV_PUT:
      return handle_put(h, fd, &req);
    case KV_GET:
      return handle_get(h, fd, &req);
    case KV_BAD:
      break;
  }
  return send_error(fd, req.error);
}

/* Answers every complete line in buf[0, used). The bytes consumed, or -1 when an answer could not be sent. */
static ssize_t answer_lines(ferry_t* h, int fd, char* buf, size_t used) {
  size_t start = 0;
  char* nl;
  while ((nl = memchr(buf + start, '\n', used - start)) != NULL) {
    size_t len = (size_t)(nl - (buf + start));
    if (handle_line(h, fd, buf + start, len) != 0) return -1;
    start += len + 1;
  }
  return (ssize_t)start;
}

int kv_serve_connection(ferry_t* h, int fd) {
  char* buf = malloc(KV_MAX_LINE);
  if (buf == NULL) return -1;
  size_t used = 0;
  int result = 0;
  for (;;) {
    ssize_t n = read(fd, buf + used, KV_MAX_LINE - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result = n < 0 ? -1 : 0; /* 0: the client closed; an unterminated last line is not a request */
      break;
    }
    used += (size_t)n;
    ssize_t consumed = answer_lines(h, fd, buf, used);
    if (consumed < 0) {
      result = -1;
      break;
    }
    if (consumed == 0 && used == KV_MAX_LINE) {
      result = send_error(fd, KV_ERR_LINE_TOO_LONG);
      break;
    }
    memmove(buf, buf + consumed, used - (size_t)consumed);
    used -= (size_t)consumed;
  }
  int saved = errno;
  free(buf);
  errno = saved;
  return result;
}
