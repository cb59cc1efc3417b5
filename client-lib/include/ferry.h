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
/* Closes the connection and frees the handle. No call on it may be in progress; async calls still pending
   are dropped without their callbacks, and open uploads must be finished first. NULL is ignored. */
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

/* ---- Streaming (bulk): objects of any size, in chunks (client-lib/README.md "Streaming") ----
   An upload is opened on a handle, written in pieces at any offsets (in any order; the library cuts each
   piece into ferryd's chunk size and pipelines the chunks over the handle's connection), then committed
   with the total size, or aborted. Nothing needs the whole object in memory. An upload belongs to the
   process that opened it: after fork() every use of it in the child is FERRY_E_INVALID. One thread at a
   time per upload; different uploads (and other calls) may run concurrently on one handle. */
typedef struct ferry_upload ferry_upload;
/* size_hint: the expected total size, or 0 if unknown. opts: deadline and request_id (idempotency of the
   open); flags are ignored. On FERRY_OK *upload is set; on any error it is NULL. */
FERRY_API int ferry_upload_open(ferry_t* h, const void* key, size_t klen, uint64_t size_hint,
                                ferry_upload** upload, const ferry_options* opts);
/* Sends data[0..len) as the object's bytes at `offset`. opts' deadline bounds the whole call. On an error
   some of the chunks may have arrived: write the range again, or abort. */
FERRY_API int ferry_upload_write(ferry_upload* upload, uint64_t offset, const void* data, size_t len,
                                 const ferry_options* opts);
/* Commits the object as `total_size` bytes (ferryd checks that much arrived). On FERRY_OK the upload is
   freed and *info (may be NULL) holds the size and the new version (mtime_ns 0: not reported). On any
   error the upload stays valid: commit again, or ferry_upload_abort it. */
FERRY_API int ferry_upload_commit(ferry_upload* upload, uint64_t total_size, ferry_object_info* info,
                                  const ferry_options* opts);
/* Tells ferryd to drop the upload (best effort) and frees it, whatever the status. NULL is ignored. */
FERRY_API int ferry_upload_abort(ferry_upload* upload);
/* The preferred chunk size ferryd gave at open (a write of this many bytes is one chunk); 0 for NULL. */
FERRY_API uint32_t ferry_upload_chunk_size(const ferry_upload* upload);

/* Ranged read: up to buflen bytes (at most FERRY_MAX_VALUE in one call) of the object at `offset` into buf.
   *got is the number of bytes copied, *eof 1 when they reach the end of the object; info may be NULL.
   An offset past the end is FERRY_BAD_RANGE. Loop with offset += *got until *eof. */
FERRY_API int ferry_read(ferry_t* h, const void* key, size_t klen, uint64_t offset, void* buf, size_t buflen,
                         size_t* got, int* eof, ferry_object_info* info, const ferry_options* opts);

/* ---- Async (client-lib/README.md "Async") ----
   Submit functions return FERRY_OK when the call is on its way; then its callback runs exactly once, from
   ferry_process() on the thread calling it, never from inside a submit or another thread's call. Any
   other return means the call was not made and no callback will run. Sync and async calls mix freely on
   one handle from several threads. */
typedef struct ferry_async_result {
  const void* value;      /* GET: the value (vlen bytes), valid only during the callback; else NULL */
  size_t vlen;
  ferry_object_info info; /* GET, STAT: the object; PUT, DELETE: the new version (version_* only) */
  const char* detail;     /* ferryd's detail text ("" if none), valid only during the callback */
} ferry_async_result;
/* status is a ferry_status; r is never NULL. The callback may submit new calls or make sync ones. */
typedef void (*ferry_async_callback)(void* user, int status, const ferry_async_result* r);

/* A descriptor that polls readable (POLLIN / EPOLLIN) while ferry_process() has work: completions are
   queued, the socket has bytes, or a pending call's deadline has passed. It is an epoll descriptor owned
   by the handle: poll it, never read or close it. Stable for the handle's life, also across reconnects;
   after fork() the child has its own under the same number. Negative ferry_status on error. */
FERRY_API int ferry_fd(ferry_t* h);
/* Non-blocking: reads what has arrived, times out calls past their deadline, and runs the callbacks of the
   completed calls. Returns how many callbacks ran (0 included), or a negative ferry_status (-FERRY_E_INVALID
   for a NULL handle). */
FERRY_API int ferry_process(ferry_t* h);
FERRY_API int ferry_put_async(ferry_t* h, const void* key, size_t klen, const void* value, size_t vlen,
                              const ferry_options* opts, ferry_async_callback callback, void* user);
FERRY_API int ferry_get_async(ferry_t* h, const void* key, size_t klen, const ferry_options* opts,
                              ferry_async_callback callback, void* user);
FERRY_API int ferry_delete_async(ferry_t* h, const void* key, size_t klen, const ferry_options* opts,
                                 ferry_async_callback callback, void* user);
FERRY_API int ferry_stat_async(ferry_t* h, const void* key, size_t klen, const ferry_options* opts,
                               ferry_async_callback callback, void* user);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_H */
