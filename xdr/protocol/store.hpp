// C++ mirror of ferry_store.x (FERRY_STORE, ferryd <-> ferry-store): program number, procedures,
// arguments. Writes carry the version ferryd chose; results are the shared types of common.hpp.
#pragma once

#include "xdr/protocol/common.hpp"

namespace ferry::proto::store {

inline constexpr std::uint32_t program = 0x20FE0002;
inline constexpr std::uint32_t version = 1;

enum class proc : std::uint32_t {
  null = 0,
  health = 1,
  put = 2,
  get = 3,
  del = 4,
  stat = 5,
  list = 6,
  write_open = 7,
  write_chunk = 8,
  write_commit = 9,
  write_abort = 10,
  read = 11,
};
inline constexpr std::uint32_t max_proc = 11;

struct put_args {
  bytes_view key;
  bytes_view value;
  struct version ver;
};
template <class P>
bool xdr_apply(P& p, put_args& x) { return p(x.key, max_key) && p(x.value, max_value) && p(x.ver); }

struct key_args {  // GET and STAT
  bytes_view key;
};
template <class P>
bool xdr_apply(P& p, key_args& x) { return p(x.key, max_key); }

struct delete_args {
  bytes_view key;
  struct version ver;
};
template <class P>
bool xdr_apply(P& p, delete_args& x) { return p(x.key, max_key) && p(x.ver); }

struct list_args {
  bytes_view prefix;
  bytes_view cursor;
  std::uint32_t limit = 0;
};
template <class P>
bool xdr_apply(P& p, list_args& x) { return p(x.prefix, max_key) && p(x.cursor, max_key) && p(x.limit); }

struct write_open_args {
  bytes_view key;
  struct version ver;
  std::uint64_t size_hint = 0;
};
template <class P>
bool xdr_apply(P& p, write_open_args& x) { return p(x.key, max_key) && p(x.ver) && p(x.size_hint); }

struct write_chunk_args {
  std::uint64_t upload_id = 0;
  std::uint64_t offset = 0;
  bytes_view data;
};
template <class P>
bool xdr_apply(P& p, write_chunk_args& x) { return p(x.upload_id) && p(x.offset) && p(x.data, max_chunk); }

struct write_commit_args {
  std::uint64_t upload_id = 0;
  std::uint64_t size = 0;
};
template <class P>
bool xdr_apply(P& p, write_commit_args& x) { return p(x.upload_id) && p(x.size); }

struct write_abort_args {
  std::uint64_t upload_id = 0;
};
template <class P>
bool xdr_apply(P& p, write_abort_args& x) { return p(x.upload_id); }

struct read_args {
  bytes_view key;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
};
template <class P>
bool xdr_apply(P& p, read_args& x) { return p(x.key, max_key) && p(x.offset) && p(x.length); }

struct health {
  std::uint64_t objects = 0;
  std::uint64_t bytes_used = 0;
  std::uint64_t bytes_free = 0;
  std::uint64_t uptime_ms = 0;
  std::string_view node;
};
template <class P>
bool xdr_apply(P& p, health& x) {
  return p(x.objects) && p(x.bytes_used) && p(x.bytes_free) && p(x.uptime_ms) && p(x.node, 255);
}

}  // namespace ferry::proto::store
