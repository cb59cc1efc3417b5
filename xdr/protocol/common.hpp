// C++ mirror of ferry_common.x: the types both protocols share, each with one xdr_apply for both
// directions. Byte fields are views: into the caller's memory when encoding, into the record when decoding.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "xdr/bytes.hpp"

namespace ferry::proto {

using xdr::bytes_view;

inline constexpr std::uint32_t max_key = 1024;
inline constexpr std::uint32_t max_value = 16777216;
inline constexpr std::uint32_t max_chunk = 16777216;
inline constexpr std::uint32_t max_list = 10000;
inline constexpr std::uint32_t max_detail = 256;
inline constexpr std::size_t request_id_size = 16;

enum class status : std::uint32_t {
  ok = 0,
  not_found = 1,
  exists = 2,
  too_big = 3,
  bad_key = 4,
  timedout = 5,
  unavailable = 6,
  overloaded = 7,
  no_space = 8,
  io_error = 9,
  conflict = 10,
  bad_request = 11,
  shutting_down = 12,
  no_upload = 13,
  bad_range = 14,
  internal = 15,
};
constexpr bool xdr_enum_valid(status s) noexcept { return static_cast<std::uint32_t>(s) <= 15; }
/// The wire name, e.g. "NOT_FOUND".
std::string_view to_string(status s) noexcept;
/// A sentence for people, e.g. "no object has this key".
std::string_view describe(status s) noexcept;

using request_id = std::array<xdr::byte, request_id_size>;

struct version {
  std::uint64_t hlc = 0;
  std::uint64_t writer = 0;
  friend auto operator<=>(const version&, const version&) = default;
};
template <class P>
bool xdr_apply(P& p, version& x) { return p(x.hlc) && p(x.writer); }

struct object_info {
  std::uint64_t size = 0;
  version ver;
  std::uint64_t mtime_ns = 0;
  friend bool operator==(const object_info&, const object_info&) = default;
};
template <class P>
bool xdr_apply(P& p, object_info& x) { return p(x.size) && p(x.ver) && p(x.mtime_ns); }

struct value {
  object_info info;
  bytes_view data;
};
template <class P>
bool xdr_apply(P& p, value& x) { return p(x.info) && p(x.data, max_value); }

struct list_entry {
  bytes_view key;
  object_info info;
};
template <class P>
bool xdr_apply(P& p, list_entry& x) { return p(x.key, max_key) && p(x.info); }

struct list_page {
  std::vector<list_entry> entries;
  bytes_view next_cursor;
  bool more = false;
};
template <class P>
bool xdr_apply(P& p, list_page& x) {
  return p(x.entries, max_list) && p(x.next_cursor, max_key) && p(x.more);
}

struct upload {
  std::uint64_t upload_id = 0;
  std::uint32_t chunk_size = 0;
};
template <class P>
bool xdr_apply(P& p, upload& x) { return p(x.upload_id) && p(x.chunk_size); }

struct chunk {
  object_info info;
  bytes_view data;
  bool eof = false;
};
template <class P>
bool xdr_apply(P& p, chunk& x) { return p(x.info) && p(x.data, max_chunk) && p(x.eof); }

// Results: discriminated unions on status. Only the arm selected by `status` is on the wire; the
// `detail` arm is a human-readable reason for any status without an arm of its own.

struct reply {
  status code = status::ok;
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, reply& x) {
  if (!p(x.code)) return false;
  return x.code == status::ok || p(x.detail, max_detail);
}

struct write_res {
  status code = status::ok;
  version ver;  // ok, conflict
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, write_res& x) {
  if (!p(x.code)) return false;
  if (x.code == status::ok || x.code == status::conflict) return p(x.ver);
  return p(x.detail, max_detail);
}

struct get_res {
  status code = status::ok;
  struct value found;  // ok
  version tombstone;   // not_found
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, get_res& x) {
  if (!p(x.code)) return false;
  if (x.code == status::ok) return p(x.found);
  if (x.code == status::not_found) return p(x.tombstone);
  return p(x.detail, max_detail);
}

struct stat_res {
  status code = status::ok;
  object_info info;   // ok
  version tombstone;  // not_found
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, stat_res& x) {
  if (!p(x.code)) return false;
  if (x.code == status::ok) return p(x.info);
  if (x.code == status::not_found) return p(x.tombstone);
  return p(x.detail, max_detail);
}

struct list_res {
  status code = status::ok;
  list_page page;  // ok
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, list_res& x) {
  if (!p(x.code)) return false;
  return x.code == status::ok ? p(x.page) : p(x.detail, max_detail);
}

struct write_open_res {
  status code = status::ok;
  struct upload up;  // ok
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, write_open_res& x) {
  if (!p(x.code)) return false;
  return x.code == status::ok ? p(x.up) : p(x.detail, max_detail);
}

struct read_res {
  status code = status::ok;
  struct chunk data;  // ok
  std::string_view detail;
};
template <class P>
bool xdr_apply(P& p, read_res& x) {
  if (!p(x.code)) return false;
  return x.code == status::ok ? p(x.data) : p(x.detail, max_detail);
}

/// In an OK get_res and an OK read_res the bulk opaque (the value, the chunk) comes right after the
/// status and the object_info, both of fixed size: its 4-byte length at this offset of the results, its
/// bytes after that. Lets a reader find it from the results' first bytes (the shared-memory download path
/// receives those bytes straight into a client's slot).
inline constexpr std::size_t bulk_opaque_length_at = 4 + 8 + (8 + 8) + 8;

}  // namespace ferry::proto
