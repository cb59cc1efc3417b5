// C++ mirror of ferry_client.x (FERRY_CLIENT, app <-> ferryd): program number, procedures, arguments.
// Results are the shared types of common.hpp.
#pragma once

#include "xdr/protocol/common.hpp"

namespace ferry::proto::client {

inline constexpr std::uint32_t program = 0x20FE0001;
inline constexpr std::uint32_t version = 1;
inline constexpr std::uint32_t put_if_absent = 1;

enum class proc : std::uint32_t {
  null = 0,
  put = 1,
  get = 2,
  del = 3,
  stat = 4,
  list = 5,
  write_open = 6,
  write_chunk = 7,
  write_commit = 8,
  write_abort = 9,
  read = 10,
};
inline constexpr std::uint32_t max_proc = 10;

struct put_args {
  bytes_view key;
  bytes_view value;
  std::uint32_t deadline_ms = 0;
  request_id id{};
  std::uint32_t flags = 0;
};
template <class P>
bool xdr_apply(P& p, put_args& x) {
  return p(x.key, max_key) && p(x.value, max_value) && p(x.deadline_ms) && p(x.id) && p(x.flags);
}

struct key_args {  // GET and STAT
  bytes_view key;
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, key_args& x) { return p(x.key, max_key) && p(x.deadline_ms); }

struct delete_args {
  bytes_view key;
  std::uint32_t deadline_ms = 0;
  request_id id{};
};
template <class P>
bool xdr_apply(P& p, delete_args& x) { return p(x.key, max_key) && p(x.deadline_ms) && p(x.id); }

struct list_args {
  bytes_view prefix;
  bytes_view cursor;
  std::uint32_t limit = 0;
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, list_args& x) {
  return p(x.prefix, max_key) && p(x.cursor, max_key) && p(x.limit) && p(x.deadline_ms);
}

struct write_open_args {
  bytes_view key;
  std::uint64_t size_hint = 0;
  std::uint32_t deadline_ms = 0;
  request_id id{};
};
template <class P>
bool xdr_apply(P& p, write_open_args& x) {
  return p(x.key, max_key) && p(x.size_hint) && p(x.deadline_ms) && p(x.id);
}

struct write_chunk_args {
  std::uint64_t upload_id = 0;
  std::uint64_t offset = 0;
  bytes_view data;
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, write_chunk_args& x) {
  return p(x.upload_id) && p(x.offset) && p(x.data, max_chunk) && p(x.deadline_ms);
}

struct write_commit_args {
  std::uint64_t upload_id = 0;
  std::uint64_t size = 0;
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, write_commit_args& x) { return p(x.upload_id) && p(x.size) && p(x.deadline_ms); }

struct write_abort_args {
  std::uint64_t upload_id = 0;
};
template <class P>
bool xdr_apply(P& p, write_abort_args& x) { return p(x.upload_id); }

struct read_args {
  bytes_view key;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, read_args& x) {
  return p(x.key, max_key) && p(x.offset) && p(x.length) && p(x.deadline_ms);
}

}  // namespace ferry::proto::client
