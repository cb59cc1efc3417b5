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

/// The shared-memory bulk procedures (FC_SHM_ATTACH, FC_PUT_SHM, FC_GET_SHM, FC_WRITE_CHUNK_SHM, FC_READ_SHM). A separate enum for now so
/// that existing exhaustive switches over `proc` (tests/hostile, tests/client-lib) keep compiling under
/// -Werror; to be folded into `proc` (and max_proc raised to 15) together with those switches.
enum class shm_proc : std::uint32_t {
  attach = 11,
  put = 12,
  get = 13,
  write_chunk = 14,
  read = 15,
};
inline constexpr std::uint32_t max_shm_proc = 15;

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

// ---- shared-memory bulk path (issue 12): slots in a memfd region passed once with SCM_RIGHTS ----------

struct shm_attach_args {
  std::uint64_t size = 0;  // must equal the memfd's size
};
template <class P>
bool xdr_apply(P& p, shm_attach_args& x) { return p(x.size); }

struct shm_slot {
  std::uint64_t offset = 0;
  std::uint32_t length = 0;  // PUT: the value's length; GET: the slot's capacity
  friend bool operator==(const shm_slot&, const shm_slot&) = default;
};
template <class P>
bool xdr_apply(P& p, shm_slot& x) { return p(x.offset) && p(x.length); }

struct put_shm_args {
  bytes_view key;
  shm_slot value;
  std::uint32_t deadline_ms = 0;
  request_id id{};
  std::uint32_t flags = 0;
};
template <class P>
bool xdr_apply(P& p, put_shm_args& x) {
  return p(x.key, max_key) && p(x.value) && p(x.deadline_ms) && p(x.id) && p(x.flags);
}

struct get_shm_args {
  bytes_view key;
  shm_slot into;
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, get_shm_args& x) { return p(x.key, max_key) && p(x.into) && p(x.deadline_ms); }

struct shm_value {
  object_info info;
  std::uint32_t length = 0;  // larger than the slot: nothing was written
};
template <class P>
bool xdr_apply(P& p, shm_value& x) { return p(x.info) && p(x.length); }

struct get_shm_res {
  status code = status::ok;
  shm_value value;    // ok
  proto::version tombstone;  // not_found
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, get_shm_res& x) {
  if (!p(x.code)) return false;
  if (x.code == status::ok) return p(x.value);
  if (x.code == status::not_found) return p(x.tombstone);
  return p(x.detail, max_detail);
}

struct write_chunk_shm_args {
  std::uint64_t upload_id = 0;
  std::uint64_t offset = 0;
  shm_slot data;
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, write_chunk_shm_args& x) {
  return p(x.upload_id) && p(x.offset) && p(x.data) && p(x.deadline_ms);
}

struct read_shm_args {
  bytes_view key;
  std::uint64_t offset = 0;
  shm_slot into;  // reads at most into.length bytes
  std::uint32_t deadline_ms = 0;
};
template <class P>
bool xdr_apply(P& p, read_shm_args& x) { return p(x.key, max_key) && p(x.offset) && p(x.into) && p(x.deadline_ms); }

struct shm_chunk {
  object_info info;
  std::uint32_t length = 0;  // bytes written at the slot's start
  bool eof = false;
};
template <class P>
bool xdr_apply(P& p, shm_chunk& x) { return p(x.info) && p(x.length) && p(x.eof); }

struct read_shm_res {
  status code = status::ok;
  shm_chunk chunk;  // ok
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, read_shm_res& x) {
  if (!p(x.code)) return false;
  return x.code == status::ok ? p(x.chunk) : p(x.detail, max_detail);
}

}  // namespace ferry::proto::client
