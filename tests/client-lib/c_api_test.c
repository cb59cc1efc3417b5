/* ferry.h compiled as C99 (-pedantic): the C ABI linked against libferry.so with no ferryd running. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ferry.h"

static int failures = 0;
#define EXPECT(cond)                                                   \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

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

  if (failures == 0) printf("c_api_test: ok\n");
  return failures == 0 ? 0 : 1;
}
