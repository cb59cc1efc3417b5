/*
 * ferry.h: the C ABI of libferry, the client library applications use to reach ferryd (DESIGN.md §5).
 * One opaque handle per socket path; it is thread-safe, pipelines calls, and survives fork().
 */
#ifndef FERRY_H
#define FERRY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change; matches the SONAME (libferry.so.0). Adding functions is compatible
   and does not bump it (see libferry.map for their version node). */
#define FERRY_ABI_VERSION 0

#if defined(__GNUC__)
#define FERRY_API __attribute__((visibility("default")))
#else
#define FERRY_API
#endif

#define FERRY_DEFAULT_SOCKET "/run/ferry/ferryd.sock"
#define FERRY_SOCKET_ENV "FERRY_SOCKET"
#define FERRY_MAX_KEY 1024u
#define FERRY_MAX_VALUE 16777216u
#define FERRY_REQUEST_ID_SIZE 16u
#define FERRY_MAX_LIST 10000u  /* entries in one LIST page */
#define FERRY_MAX_DETAIL 256u  /* bytes of ferryd's detail text (ferry_last_detail) */
/* Client-side wait when ferry_options.deadline_ms is 0 (ferryd then applies its own default). */
#define FERRY_DEFAULT_DEADLINE_MS 30000u

/* 0..15 mirror the protocol's status enum (ferry_common.x); 100 and up are raised by the library. */
typedef enum ferry_status {
  FERRY_OK = 0,
  FERRY_NOT_FOUND = 1,
  FERRY_EXISTS = 2,
  FERRY_TOO_BIG = 3,
  FERRY_BAD_KEY = 4,
  FERRY_TIMEDOUT = 5,
  FERRY_UNAVAILABLE = 6,
  FERRY_OVERLOADED = 7,
  FERRY_NO_SPACE = 8,
  FERRY_IO_ERROR = 9,
  FERRY_CONFLICT = 10,
  FERRY_BAD_REQUEST = 11,
  FERRY_SHUTTING_DOWN = 12,
  FERRY_NO_UPLOAD = 13,
  FERRY_BAD_RANGE = 14,
  FERRY_INTERNAL = 15,

  FERRY_E_CONNECT = 100,          /* ferryd could not be reached; errno tells why (ENOENT, ECONNREFUSED...) */
  FERRY_E_PROTOCOL = 101,         /* ferryd sent something that is not a valid FERRY_CLIENT reply */
  FERRY_E_CLOSED = 102,           /* the connection was lost and the call could not be retried */
  FERRY_E_INVALID = 103,          /* a NULL handle or output pointer, or bad options */
  FERRY_E_BUFFER_TOO_SMALL = 104, /* ferry_get: *vlen holds the size needed */
  FERRY_E_NOMEM = 105,            /* the library could not allocate memory */
  FERRY_E_RPC = 106               /* ferryd refused the call at the RPC level (program/version/procedure) */
} ferry_status;

/* Flags of ferry_options.flags. */
#define FERRY_PUT_IF_ABSENT 1u /* ferry_put fails with FERRY_EXISTS when the key has a live value */

/* Per-call options; pass NULL for defaults. Zero-initialise (FERRY_OPTIONS_INIT) and set what you need. */
typedef struct ferry_options {
  uint32_t deadline_ms;      /* relative deadline; 0: FERRY_DEFAULT_DEADLINE_MS here, ferryd's default there */
  uint32_t flags;            /* FERRY_PUT_IF_ABSENT */
  const uint8_t* request_id; /* writes: FERRY_REQUEST_ID_SIZE bytes; NULL: a random id per call */
} ferry_options;
#define FERRY_OPTIONS_INIT {0u, 0u, NULL}

typedef struct ferry_object_info {
  uint64_t size;
  uint64_t version_hlc;    /* version: hybrid logical clock ... */
  uint64_t version_writer; /* ... and writer id; both zero: none */
  uint64_t mtime_ns;       /* wall-clock time of the write, ns since the epoch */
} ferry_object_info;

typedef struct ferry_handle ferry_t;

/* The FERRY_ABI_VERSION the library was built with: compare with the header's at startup. */
FERRY_API int ferry_abi_version(void);
/* A sentence for any status above; never NULL. */
FERRY_API const char* ferry_strerror(int status);

/* socket_path NULL: $FERRY_SOCKET, else FERRY_DEFAULT_SOCKET. Connects now, so an absent ferryd is
   reported here (FERRY_E_CONNECT, errno set). */
FERRY_API int ferry_open(const char* socket_path, ferry_t** out);
/* Closes the connection and frees the handle. No call on it may be in progress. NULL is ignored. */
FERRY_API void ferry_close(ferry_t* h);

FERRY_API int ferry_put(ferry_t* h, const void* key, size_t klen, const void* value, size_t vlen,
                        const ferry_options* opts);
/* Copies the value into buf. *vlen is set to the value's size on FERRY_OK and FERRY_E_BUFFER_TOO_SMALL.
   info may be NULL. */
FERRY_API int ferry_get(ferry_t* h, const void* key, size_t klen, void* buf, size_t buflen, size_t* vlen,
                        ferry_object_info* info, const ferry_options* opts);
/* Allocates the value (free it with ferry_free); *value is NULL and *vlen 0 on any error. */
FERRY_API int ferry_get_alloc(ferry_t* h, const void* key, size_t klen, void** value, size_t* vlen,
                              ferry_object_info* info, const ferry_options* opts);
FERRY_API void ferry_free(void* p);
FERRY_API int ferry_delete(ferry_t* h, const void* key, size_t klen, const ferry_options* opts);
FERRY_API int ferry_stat(ferry_t* h, const void* key, size_t klen, ferry_object_info* info,
                         const ferry_options* opts);

/* ferryd's human-readable detail for the last call this thread made (e.g. why a key was refused):
   "" when the call succeeded, failed locally, or ferryd gave none. Never NULL; valid until this thread's
   next libferry call. Like errno, it is per thread. */
FERRY_API const char* ferry_last_detail(void);

/* LIST: one page of the keys starting with `prefix` (0..FERRY_MAX_KEY bytes; empty: every key), in
   ascending byte order. `cursor` (0..FERRY_MAX_KEY bytes) is empty for the first page, else the
   ferry_list_next_cursor of the previous page. `limit` caps the page (0: ferryd's default; at most
   FERRY_MAX_LIST). On FERRY_OK *page holds the page (free it with ferry_list_free); on any error it is
   NULL. A longer prefix is FERRY_BAD_KEY; a longer cursor or a larger limit is FERRY_E_INVALID. */
typedef struct ferry_list_page ferry_list_page;
FERRY_API int ferry_list(ferry_t* h, const void* prefix, size_t plen, const void* cursor, size_t clen,
                         uint32_t limit, ferry_list_page** page, const ferry_options* opts);
/* The page's accessors; pointers stay valid until ferry_list_free. NULL page: 0 / NULL. */
FERRY_API size_t ferry_list_count(const ferry_list_page* page);
/* Entry i's key and its length (binary; not NUL-terminated). NULL (and *klen 0) when i is out of range. */
FERRY_API const void* ferry_list_key(const ferry_list_page* page, size_t i, size_t* klen);
/* Entry i's info, or NULL when i is out of range. */
FERRY_API const ferry_object_info* ferry_list_info(const ferry_list_page* page, size_t i);
/* 1 when more keys follow this page (ask again with its cursor), else 0. */
FERRY_API int ferry_list_more(const ferry_list_page* page);
/* The cursor to pass back for the next page (*clen bytes, possibly 0); never NULL for a non-NULL page. */
FERRY_API const void* ferry_list_next_cursor(const ferry_list_page* page, size_t* clen);
FERRY_API void ferry_list_free(ferry_list_page* page);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_H */
