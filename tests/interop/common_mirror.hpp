// ferry_common.x types both ways: to_c builds rpcgen's C struct for a ferry value, compare lists the
// fields where an rpcgen struct and a ferry value differ. Each binary includes its own program's header.
#pragma once

#include FERRY_RPCGEN_HEADER

#include "agreement.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::interop {

template <class Len>
void set_c_bytes(Len& len, char*& val, bytes_view b) {
  len = static_cast<Len>(b.size());
  val = c_bytes(b);
}

inline ferry_key to_c(bytes_view key) { return ferry_key{static_cast<u_int>(key.size()), c_bytes(key)}; }
inline void compare_key(field_diff& d, std::string_view field, const ferry_key& c, bytes_view f) {
  d.bytes(field, c.ferry_key_val, c.ferry_key_len, f);
}

inline void compare_request_id(field_diff& d, const ferry_request_id c, const proto::request_id& f) {
  d.bytes("request_id", c, FERRY_REQUEST_ID_SIZE, f);
}

inline ferry_version to_c(const proto::version& v, c_arena&) { return {v.hlc, v.writer}; }
inline void compare(field_diff& d, const ferry_version& c, const proto::version& f) {
  d.number("hlc", c.hlc, f.hlc);
  d.number("writer", c.writer, f.writer);
}

inline ferry_object_info to_c(const proto::object_info& v, c_arena& a) {
  return {v.size, to_c(v.ver, a), v.mtime_ns};
}
inline void compare(field_diff& d, const ferry_object_info& c, const proto::object_info& f) {
  d.number("size", c.size, f.size);
  {
    auto in = d.within("ver");
    compare(d, c.ver, f.ver);
  }
  d.number("mtime_ns", c.mtime_ns, f.mtime_ns);
}

inline ferry_value to_c(const proto::value& v, c_arena& a) {
  ferry_value c{};
  c.info = to_c(v.info, a);
  set_c_bytes(c.data.data_len, c.data.data_val, v.data);
  return c;
}
inline void compare(field_diff& d, const ferry_value& c, const proto::value& f) {
  {
    auto in = d.within("info");
    compare(d, c.info, f.info);
  }
  d.bytes("data", c.data.data_val, c.data.data_len, f.data);
}

inline ferry_list_page to_c(const proto::list_page& v, c_arena& a) {
  ferry_list_page c{};
  c.entries.entries_len = static_cast<u_int>(v.entries.size());
  c.entries.entries_val = a.array<ferry_list_entry>(v.entries.size());
  for (std::size_t i = 0; i < v.entries.size(); ++i)
    c.entries.entries_val[i] = ferry_list_entry{to_c(v.entries[i].key), to_c(v.entries[i].info, a)};
  set_c_bytes(c.next_cursor.next_cursor_len, c.next_cursor.next_cursor_val, v.next_cursor);
  c.more = v.more ? TRUE : FALSE;
  return c;
}
inline void compare(field_diff& d, const ferry_list_page& c, const proto::list_page& f) {
  d.number("entries.length", c.entries.entries_len, f.entries.size());
  for (std::size_t i = 0; i < f.entries.size() && i < c.entries.entries_len; ++i) {
    auto in = d.within("entries[" + std::to_string(i) + "]");
    compare_key(d, "key", c.entries.entries_val[i].key, f.entries[i].key);
    auto info = d.within("info");
    compare(d, c.entries.entries_val[i].info, f.entries[i].info);
  }
  d.bytes("next_cursor", c.next_cursor.next_cursor_val, c.next_cursor.next_cursor_len, f.next_cursor);
  d.number("more", c.more != 0, f.more);
}

inline ferry_upload to_c(const proto::upload& v, c_arena&) { return {v.upload_id, v.chunk_size}; }
inline void compare(field_diff& d, const ferry_upload& c, const proto::upload& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
  d.number("chunk_size", c.chunk_size, f.chunk_size);
}

inline ferry_chunk to_c(const proto::chunk& v, c_arena& a) {
  ferry_chunk c{};
  c.info = to_c(v.info, a);
  set_c_bytes(c.data.data_len, c.data.data_val, v.data);
  c.eof = v.eof ? TRUE : FALSE;
  return c;
}
inline void compare(field_diff& d, const ferry_chunk& c, const proto::chunk& f) {
  {
    auto in = d.within("info");
    compare(d, c.info, f.info);
  }
  d.bytes("data", c.data.data_val, c.data.data_len, f.data);
  d.number("eof", c.eof != 0, f.eof);
}

// Unions: the discriminant, then the arm it selects. rpcgen names each union body <type>_u.

/// Compares the discriminants; true when they agree, so the arm can be compared.
inline bool same_status(field_diff& d, ferry_status c, proto::status f) {
  d.number("status", static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(f));
  return static_cast<std::uint32_t>(c) == static_cast<std::uint32_t>(f);
}
inline ferry_status to_c(proto::status s) { return static_cast<ferry_status>(s); }

inline ferry_reply to_c(const proto::reply& v, c_arena& a) {
  ferry_reply c{};
  c.status = to_c(v.code);
  if (v.code != proto::status::ok) c.ferry_reply_u.detail = a.c_string(v.detail);
  return c;
}
inline void compare(field_diff& d, const ferry_reply& c, const proto::reply& f) {
  if (same_status(d, c.status, f.code) && f.code != proto::status::ok)
    d.text("detail", c.ferry_reply_u.detail, f.detail);
}

inline bool carries_version(proto::status s) { return s == proto::status::ok || s == proto::status::conflict; }

inline ferry_write_res to_c(const proto::write_res& v, c_arena& a) {
  ferry_write_res c{};
  c.status = to_c(v.code);
  if (carries_version(v.code))
    c.ferry_write_res_u.ver = to_c(v.ver, a);
  else
    c.ferry_write_res_u.detail = a.c_string(v.detail);
  return c;
}
inline void compare(field_diff& d, const ferry_write_res& c, const proto::write_res& f) {
  if (!same_status(d, c.status, f.code)) return;
  if (!carries_version(f.code)) return d.text("detail", c.ferry_write_res_u.detail, f.detail);
  auto in = d.within("ver");
  compare(d, c.ferry_write_res_u.ver, f.ver);
}

inline ferry_get_res to_c(const proto::get_res& v, c_arena& a) {
  ferry_get_res c{};
  c.status = to_c(v.code);
  if (v.code == proto::status::ok)
    c.ferry_get_res_u.value = to_c(v.found, a);
  else if (v.code == proto::status::not_found)
    c.ferry_get_res_u.tombstone = to_c(v.tombstone, a);
  else
    c.ferry_get_res_u.detail = a.c_string(v.detail);
  return c;
}
inline void compare(field_diff& d, const ferry_get_res& c, const proto::get_res& f) {
  if (!same_status(d, c.status, f.code)) return;
  if (f.code == proto::status::ok) {
    auto in = d.within("value");
    return compare(d, c.ferry_get_res_u.value, f.found);
  }
  if (f.code == proto::status::not_found) {
    auto in = d.within("tombstone");
    return compare(d, c.ferry_get_res_u.tombstone, f.tombstone);
  }
  d.text("detail", c.ferry_get_res_u.detail, f.detail);
}

inline ferry_stat_res to_c(const proto::stat_res& v, c_arena& a) {
  ferry_stat_res c{};
  c.status = to_c(v.code);
  if (v.code == proto::status::ok)
    c.ferry_stat_res_u.info = to_c(v.info, a);
  else if (v.code == proto::status::not_found)
    c.ferry_stat_res_u.tombstone = to_c(v.tombstone, a);
  else
    c.ferry_stat_res_u.detail = a.c_string(v.detail);
  return c;
}
inline void compare(field_diff& d, const ferry_stat_res& c, const proto::stat_res& f) {
  if (!same_status(d, c.status, f.code)) return;
  if (f.code == proto::status::ok) {
    auto in = d.within("info");
    return compare(d, c.ferry_stat_res_u.info, f.info);
  }
  if (f.code == proto::status::not_found) {
    auto in = d.within("tombstone");
    return compare(d, c.ferry_stat_res_u.tombstone, f.tombstone);
  }
  d.text("detail", c.ferry_stat_res_u.detail, f.detail);
}

inline ferry_list_res to_c(const proto::list_res& v, c_arena& a) {
  ferry_list_res c{};
  c.status = to_c(v.code);
  if (v.code == proto::status::ok)
    c.ferry_list_res_u.page = to_c(v.page, a);
  else
    c.ferry_list_res_u.detail = a.c_string(v.detail);
  return c;
}
inline void compare(field_diff& d, const ferry_list_res& c, const proto::list_res& f) {
  if (!same_status(d, c.status, f.code)) return;
  if (f.code != proto::status::ok) return d.text("detail", c.ferry_list_res_u.detail, f.detail);
  auto in = d.within("page");
  compare(d, c.ferry_list_res_u.page, f.page);
}

inline ferry_write_open_res to_c(const proto::write_open_res& v, c_arena& a) {
  ferry_write_open_res c{};
  c.status = to_c(v.code);
  if (v.code == proto::status::ok)
    c.ferry_write_open_res_u.upload = to_c(v.up, a);
  else
    c.ferry_write_open_res_u.detail = a.c_string(v.detail);
  return c;
}
inline void compare(field_diff& d, const ferry_write_open_res& c, const proto::write_open_res& f) {
  if (!same_status(d, c.status, f.code)) return;
  if (f.code != proto::status::ok) return d.text("detail", c.ferry_write_open_res_u.detail, f.detail);
  auto in = d.within("upload");
  compare(d, c.ferry_write_open_res_u.upload, f.up);
}

inline ferry_read_res to_c(const proto::read_res& v, c_arena& a) {
  ferry_read_res c{};
  c.status = to_c(v.code);
  if (v.code == proto::status::ok)
    c.ferry_read_res_u.chunk = to_c(v.data, a);
  else
    c.ferry_read_res_u.detail = a.c_string(v.detail);
  return c;
}
inline void compare(field_diff& d, const ferry_read_res& c, const proto::read_res& f) {
  if (!same_status(d, c.status, f.code)) return;
  if (f.code != proto::status::ok) return d.text("detail", c.ferry_read_res_u.detail, f.detail);
  auto in = d.within("chunk");
  compare(d, c.ferry_read_res_u.chunk, f.data);
}

}  // namespace ferry::interop
