// FERRY_STORE argument types and fs_health (ferry_store.x): ferry's encoding against rpcgen's xdr_fs_*
// routines, both directions, with versions chosen by ferryd that have their high bits set.
#include "common_mirror.hpp"
#include "samples.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::interop {

namespace fs = proto::store;

// C mirrors of the FERRY_STORE argument structs (found by check_codecs_agree through this namespace).

fs_put_args to_c(const fs::put_args& v, c_arena& a) {
  fs_put_args c{};
  c.key = to_c(v.key);
  set_c_bytes(c.value.value_len, c.value.value_val, v.value);
  c.ver = to_c(v.ver, a);
  return c;
}
void compare(field_diff& d, const fs_put_args& c, const fs::put_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.bytes("value", c.value.value_val, c.value.value_len, f.value);
  auto in = d.within("ver");
  compare(d, c.ver, f.ver);
}

fs_key_args to_c(const fs::key_args& v, c_arena&) { return {to_c(v.key)}; }
void compare(field_diff& d, const fs_key_args& c, const fs::key_args& f) { compare_key(d, "key", c.key, f.key); }

fs_delete_args to_c(const fs::delete_args& v, c_arena& a) { return {to_c(v.key), to_c(v.ver, a)}; }
void compare(field_diff& d, const fs_delete_args& c, const fs::delete_args& f) {
  compare_key(d, "key", c.key, f.key);
  auto in = d.within("ver");
  compare(d, c.ver, f.ver);
}

fs_list_args to_c(const fs::list_args& v, c_arena&) {
  fs_list_args c{};
  set_c_bytes(c.prefix.prefix_len, c.prefix.prefix_val, v.prefix);
  set_c_bytes(c.cursor.cursor_len, c.cursor.cursor_val, v.cursor);
  c.limit = v.limit;
  return c;
}
void compare(field_diff& d, const fs_list_args& c, const fs::list_args& f) {
  d.bytes("prefix", c.prefix.prefix_val, c.prefix.prefix_len, f.prefix);
  d.bytes("cursor", c.cursor.cursor_val, c.cursor.cursor_len, f.cursor);
  d.number("limit", c.limit, f.limit);
}

fs_write_open_args to_c(const fs::write_open_args& v, c_arena& a) {
  return {to_c(v.key), to_c(v.ver, a), v.size_hint};
}
void compare(field_diff& d, const fs_write_open_args& c, const fs::write_open_args& f) {
  compare_key(d, "key", c.key, f.key);
  {
    auto in = d.within("ver");
    compare(d, c.ver, f.ver);
  }
  d.number("size_hint", c.size_hint, f.size_hint);
}

fs_write_chunk_args to_c(const fs::write_chunk_args& v, c_arena&) {
  fs_write_chunk_args c{};
  c.upload_id = v.upload_id;
  c.offset = v.offset;
  set_c_bytes(c.data.data_len, c.data.data_val, v.data);
  return c;
}
void compare(field_diff& d, const fs_write_chunk_args& c, const fs::write_chunk_args& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
  d.number("offset", c.offset, f.offset);
  d.bytes("data", c.data.data_val, c.data.data_len, f.data);
}

fs_write_commit_args to_c(const fs::write_commit_args& v, c_arena&) { return {v.upload_id, v.size}; }
void compare(field_diff& d, const fs_write_commit_args& c, const fs::write_commit_args& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
  d.number("size", c.size, f.size);
}

fs_write_abort_args to_c(const fs::write_abort_args& v, c_arena&) { return {v.upload_id}; }
void compare(field_diff& d, const fs_write_abort_args& c, const fs::write_abort_args& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
}

fs_read_args to_c(const fs::read_args& v, c_arena&) { return {to_c(v.key), v.offset, v.length}; }
void compare(field_diff& d, const fs_read_args& c, const fs::read_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.number("offset", c.offset, f.offset);
  d.number("length", c.length, f.length);
}

fs_health to_c(const fs::health& v, c_arena& a) {
  return {v.objects, v.bytes_used, v.bytes_free, v.uptime_ms, a.c_string(v.node)};
}
void compare(field_diff& d, const fs_health& c, const fs::health& f) {
  d.number("objects", c.objects, f.objects);
  d.number("bytes_used", c.bytes_used, f.bytes_used);
  d.number("bytes_free", c.bytes_free, f.bytes_free);
  d.number("uptime_ms", c.uptime_ms, f.uptime_ms);
  d.text("node", c.node, f.node);
}

namespace {

using samples::high_u64;
using samples::key;
using samples::max_u32;
using samples::per_key;

const proto::version& version(std::size_t i) { return samples::versions()[i % samples::versions().size()].value; }

TEST_CASE("fs_put_args encodes and decodes like rpcgen for every key, value and version", "[interop][store]") {
  auto rows = per_key<fs::put_args>(
      [](bytes_view k, std::size_t i) { return fs::put_args{k, samples::values()[1].value, version(i)}; });
  std::size_t i = 0;
  for (const auto& v : samples::values()) rows.push_back({v.name, fs::put_args{key(3), v.value, version(i++ + 2)}});
  check_table(rows, xdr_fs_put_args);
}

TEST_CASE("fs_key_args encodes and decodes like rpcgen for every key length", "[interop][store]") {
  check_table(per_key<fs::key_args>([](bytes_view k, std::size_t) { return fs::key_args{k}; }), xdr_fs_key_args);
}

TEST_CASE("fs_delete_args encodes and decodes like rpcgen for every key length and version", "[interop][store]") {
  auto rows = per_key<fs::delete_args>([](bytes_view k, std::size_t i) { return fs::delete_args{k, version(i)}; });
  check_table(rows, xdr_fs_delete_args);
}

TEST_CASE("fs_list_args encodes and decodes like rpcgen for empty, odd and longest prefixes and cursors",
          "[interop][store]") {
  auto rows = per_key<fs::list_args>([](bytes_view k, std::size_t i) {
    auto limit = i % 2 == 0 ? max_u32 : static_cast<std::uint32_t>(i);
    return fs::list_args{k, key((i + 2) % samples::keys().size()), limit};
  });
  check_table(rows, xdr_fs_list_args);
}

TEST_CASE("fs_write_open_args encodes and decodes like rpcgen for every key, version and size hint",
          "[interop][store]") {
  auto rows = per_key<fs::write_open_args>([](bytes_view k, std::size_t i) {
    return fs::write_open_args{k, version(i + 1), i % 2 == 0 ? high_u64 + i : 0};
  });
  check_table(rows, xdr_fs_write_open_args);
}

TEST_CASE("fs_write_chunk_args encodes and decodes like rpcgen for chunks of every length", "[interop][store]") {
  std::vector<named<fs::write_chunk_args>> rows;
  std::uint64_t n = 0;
  for (const auto& v : samples::values()) {
    rows.push_back({v.name, fs::write_chunk_args{high_u64 | n, n << 20, v.value}});
    ++n;
  }
  check_table(rows, xdr_fs_write_chunk_args);
}

TEST_CASE("fs_write_commit_args and fs_write_abort_args encode and decode like rpcgen", "[interop][store]") {
  check_table(std::vector<named<fs::write_commit_args>>{
                  {"zero commit", {}},
                  {"commit with high bits", {high_u64 | 7, high_u64 | (1u << 20)}},
                  {"all-ones commit", {~0ull, ~0ull}},
              },
              xdr_fs_write_commit_args);
  check_table(std::vector<named<fs::write_abort_args>>{{"zero abort", {}}, {"abort with high bits", {high_u64 | 1}}},
              xdr_fs_write_abort_args);
}

TEST_CASE("fs_read_args encodes and decodes like rpcgen for every key length, offset and length",
          "[interop][store]") {
  auto rows = per_key<fs::read_args>([](bytes_view k, std::size_t i) {
    return fs::read_args{k, high_u64 >> i, static_cast<std::uint32_t>(max_u32 >> i)};
  });
  check_table(rows, xdr_fs_read_args);
}

TEST_CASE("fs_health encodes and decodes like rpcgen for empty, odd and longest node names", "[interop][store]") {
  static const std::string longest(255, 'n');
  check_table(std::vector<named<fs::health>>{
                  {"zero health, empty node", {}},
                  {"3-byte node", {1, 2, 3, 4, "s-1"}},
                  {"255-byte node and high counters", {~0ull, high_u64, high_u64 | 1, 0x0123456789ABCDEFu, longest}},
              },
              xdr_fs_health);
}

}  // namespace
}  // namespace ferry::interop
