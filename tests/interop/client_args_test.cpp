// FERRY_CLIENT argument types (ferry_client.x): ferry's encoding of each argument struct against rpcgen's
// xdr_fc_* routine, in both directions, over keys, values and request ids at every padding remainder.
#include "common_mirror.hpp"
#include "samples.hpp"
#include "xdr/protocol/client.hpp"

namespace ferry::interop {

namespace fc = proto::client;

// C mirrors of the FERRY_CLIENT argument structs (found by check_codecs_agree through this namespace).

fc_put_args to_c(const fc::put_args& v, c_arena&) {
  fc_put_args c{};
  c.key = to_c(v.key);
  set_c_bytes(c.value.value_len, c.value.value_val, v.value);
  c.deadline_ms = v.deadline_ms;
  std::memcpy(c.request_id, v.id.data(), v.id.size());
  c.flags = v.flags;
  return c;
}
void compare(field_diff& d, const fc_put_args& c, const fc::put_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.bytes("value", c.value.value_val, c.value.value_len, f.value);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
  compare_request_id(d, c.request_id, f.id);
  d.number("flags", c.flags, f.flags);
}

fc_key_args to_c(const fc::key_args& v, c_arena&) { return {to_c(v.key), v.deadline_ms}; }
void compare(field_diff& d, const fc_key_args& c, const fc::key_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

fc_delete_args to_c(const fc::delete_args& v, c_arena&) {
  fc_delete_args c{};
  c.key = to_c(v.key);
  c.deadline_ms = v.deadline_ms;
  std::memcpy(c.request_id, v.id.data(), v.id.size());
  return c;
}
void compare(field_diff& d, const fc_delete_args& c, const fc::delete_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
  compare_request_id(d, c.request_id, f.id);
}

fc_list_args to_c(const fc::list_args& v, c_arena&) {
  fc_list_args c{};
  set_c_bytes(c.prefix.prefix_len, c.prefix.prefix_val, v.prefix);
  set_c_bytes(c.cursor.cursor_len, c.cursor.cursor_val, v.cursor);
  c.limit = v.limit;
  c.deadline_ms = v.deadline_ms;
  return c;
}
void compare(field_diff& d, const fc_list_args& c, const fc::list_args& f) {
  d.bytes("prefix", c.prefix.prefix_val, c.prefix.prefix_len, f.prefix);
  d.bytes("cursor", c.cursor.cursor_val, c.cursor.cursor_len, f.cursor);
  d.number("limit", c.limit, f.limit);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

fc_write_open_args to_c(const fc::write_open_args& v, c_arena&) {
  fc_write_open_args c{};
  c.key = to_c(v.key);
  c.size_hint = v.size_hint;
  c.deadline_ms = v.deadline_ms;
  std::memcpy(c.request_id, v.id.data(), v.id.size());
  return c;
}
void compare(field_diff& d, const fc_write_open_args& c, const fc::write_open_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.number("size_hint", c.size_hint, f.size_hint);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
  compare_request_id(d, c.request_id, f.id);
}

fc_write_chunk_args to_c(const fc::write_chunk_args& v, c_arena&) {
  fc_write_chunk_args c{};
  c.upload_id = v.upload_id;
  c.offset = v.offset;
  set_c_bytes(c.data.data_len, c.data.data_val, v.data);
  c.deadline_ms = v.deadline_ms;
  return c;
}
void compare(field_diff& d, const fc_write_chunk_args& c, const fc::write_chunk_args& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
  d.number("offset", c.offset, f.offset);
  d.bytes("data", c.data.data_val, c.data.data_len, f.data);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

fc_write_commit_args to_c(const fc::write_commit_args& v, c_arena&) {
  return {v.upload_id, v.size, v.deadline_ms};
}
void compare(field_diff& d, const fc_write_commit_args& c, const fc::write_commit_args& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
  d.number("size", c.size, f.size);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

fc_write_abort_args to_c(const fc::write_abort_args& v, c_arena&) { return {v.upload_id}; }
void compare(field_diff& d, const fc_write_abort_args& c, const fc::write_abort_args& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
}

fc_read_args to_c(const fc::read_args& v, c_arena&) { return {to_c(v.key), v.offset, v.length, v.deadline_ms}; }
void compare(field_diff& d, const fc_read_args& c, const fc::read_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.number("offset", c.offset, f.offset);
  d.number("length", c.length, f.length);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

// The shared-memory bulk path's arguments (issue 12).

fc_shm_slot to_c(const fc::shm_slot& v) { return {v.offset, v.length}; }
void compare_slot(field_diff& d, const fc_shm_slot& c, const fc::shm_slot& f) {
  d.number("slot.offset", c.offset, f.offset);
  d.number("slot.length", c.length, f.length);
}

fc_shm_attach_args to_c(const fc::shm_attach_args& v, c_arena&) { return {v.size}; }
void compare(field_diff& d, const fc_shm_attach_args& c, const fc::shm_attach_args& f) { d.number("size", c.size, f.size); }

fc_put_shm_args to_c(const fc::put_shm_args& v, c_arena&) {
  fc_put_shm_args c{};
  c.key = to_c(v.key);
  c.value = to_c(v.value);
  c.deadline_ms = v.deadline_ms;
  std::memcpy(c.request_id, v.id.data(), v.id.size());
  c.flags = v.flags;
  return c;
}
void compare(field_diff& d, const fc_put_shm_args& c, const fc::put_shm_args& f) {
  compare_key(d, "key", c.key, f.key);
  compare_slot(d, c.value, f.value);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
  compare_request_id(d, c.request_id, f.id);
  d.number("flags", c.flags, f.flags);
}

fc_get_shm_args to_c(const fc::get_shm_args& v, c_arena&) { return {to_c(v.key), to_c(v.into), v.deadline_ms}; }
void compare(field_diff& d, const fc_get_shm_args& c, const fc::get_shm_args& f) {
  compare_key(d, "key", c.key, f.key);
  compare_slot(d, c.into, f.into);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

fc_write_chunk_shm_args to_c(const fc::write_chunk_shm_args& v, c_arena&) {
  return {v.upload_id, v.offset, to_c(v.data), v.deadline_ms};
}
void compare(field_diff& d, const fc_write_chunk_shm_args& c, const fc::write_chunk_shm_args& f) {
  d.number("upload_id", c.upload_id, f.upload_id);
  d.number("offset", c.offset, f.offset);
  compare_slot(d, c.data, f.data);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

fc_read_shm_args to_c(const fc::read_shm_args& v, c_arena&) {
  return {to_c(v.key), v.offset, to_c(v.into), v.deadline_ms};
}
void compare(field_diff& d, const fc_read_shm_args& c, const fc::read_shm_args& f) {
  compare_key(d, "key", c.key, f.key);
  d.number("offset", c.offset, f.offset);
  compare_slot(d, c.into, f.into);
  d.number("deadline_ms", c.deadline_ms, f.deadline_ms);
}

namespace {

using samples::high_u64;
using samples::key;
using samples::max_u32;
using samples::per_key;

const proto::request_id& id(std::size_t i) { return samples::request_ids()[i % samples::request_ids().size()].value; }

TEST_CASE("fc_put_args encodes and decodes like rpcgen for every key, value, request id and flag",
          "[interop][client]") {
  auto rows = per_key<fc::put_args>([](bytes_view k, std::size_t i) {
    return fc::put_args{k, samples::values()[1].value, static_cast<std::uint32_t>(i), id(i), 0};
  });
  std::size_t i = 0;
  for (const auto& v : samples::values())
    rows.push_back({v.name, fc::put_args{key(3), v.value, 30'000, id(i++), fc::put_if_absent}});
  for (const auto& r : samples::request_ids())
    rows.push_back({r.name + ", all-ones deadline and flags", fc::put_args{key(1), {}, max_u32, r.value, max_u32}});
  check_table(rows, xdr_fc_put_args);
}

TEST_CASE("fc_key_args encodes and decodes like rpcgen for every key length", "[interop][client]") {
  auto rows = per_key<fc::key_args>([](bytes_view k, std::size_t i) {
    return fc::key_args{k, i % 2 == 0 ? max_u32 : static_cast<std::uint32_t>(i)};
  });
  check_table(rows, xdr_fc_key_args);
}

TEST_CASE("fc_delete_args encodes and decodes like rpcgen for every key length and request id",
          "[interop][client]") {
  auto rows = per_key<fc::delete_args>([](bytes_view k, std::size_t i) {
    return fc::delete_args{k, static_cast<std::uint32_t>(1000 * i), id(i)};
  });
  check_table(rows, xdr_fc_delete_args);
}

TEST_CASE("fc_list_args encodes and decodes like rpcgen for empty, odd and longest prefixes and cursors",
          "[interop][client]") {
  auto rows = per_key<fc::list_args>([](bytes_view k, std::size_t i) {
    return fc::list_args{k, key((i + 3) % samples::keys().size()), static_cast<std::uint32_t>(i), max_u32};
  });
  rows.push_back({"no prefix, no cursor, default limit", fc::list_args{}});
  check_table(rows, xdr_fc_list_args);
}

TEST_CASE("fc_write_open_args encodes and decodes like rpcgen for every key, size hint and request id",
          "[interop][client]") {
  auto rows = per_key<fc::write_open_args>([](bytes_view k, std::size_t i) {
    return fc::write_open_args{k, i % 2 == 0 ? high_u64 + i : 0, static_cast<std::uint32_t>(i), id(i)};
  });
  check_table(rows, xdr_fc_write_open_args);
}

TEST_CASE("fc_write_chunk_args encodes and decodes like rpcgen for chunks of every length",
          "[interop][client]") {
  std::vector<named<fc::write_chunk_args>> rows;
  std::uint32_t n = 0;
  for (const auto& v : samples::values()) {
    rows.push_back({v.name, fc::write_chunk_args{high_u64 | n, std::uint64_t{n} << 20, v.value, max_u32 - n}});
    ++n;
  }
  check_table(rows, xdr_fc_write_chunk_args);
}

TEST_CASE("fc_write_commit_args and fc_write_abort_args encode and decode like rpcgen", "[interop][client]") {
  check_table(std::vector<named<fc::write_commit_args>>{
                  {"zero commit", {}},
                  {"commit with high bits", {high_u64 | 7, high_u64 | (1u << 20), max_u32}},
                  {"all-ones commit", {~0ull, ~0ull, max_u32}},
              },
              xdr_fc_write_commit_args);
  check_table(std::vector<named<fc::write_abort_args>>{{"zero abort", {}}, {"abort with high bits", {high_u64 | 1}}},
              xdr_fc_write_abort_args);
}

TEST_CASE("fc_read_args encodes and decodes like rpcgen for every key length, offset and length",
          "[interop][client]") {
  auto rows = per_key<fc::read_args>([](bytes_view k, std::size_t i) {
    return fc::read_args{k, high_u64 >> i, static_cast<std::uint32_t>(max_u32 >> i), static_cast<std::uint32_t>(i)};
  });
  check_table(rows, xdr_fc_read_args);
}

TEST_CASE("the shared-memory procedures' arguments encode and decode like rpcgen", "[interop][client][shm]") {
  check_table(std::vector<named<fc::shm_attach_args>>{{"empty", {}}, {"64 MiB", {64u << 20}}, {"all ones", {~0ull}}},
              xdr_fc_shm_attach_args);
  auto puts = per_key<fc::put_shm_args>([](bytes_view k, std::size_t i) {
    return fc::put_shm_args{k, {high_u64 >> i, static_cast<std::uint32_t>(max_u32 >> i)}, static_cast<std::uint32_t>(i),
                            id(i), static_cast<std::uint32_t>(i % 2)};
  });
  check_table(puts, xdr_fc_put_shm_args);
  auto gets = per_key<fc::get_shm_args>([](bytes_view k, std::size_t i) {
    return fc::get_shm_args{k, {~0ull - i, max_u32}, static_cast<std::uint32_t>(i)};
  });
  check_table(gets, xdr_fc_get_shm_args);
  check_table(std::vector<named<fc::write_chunk_shm_args>>{
                  {"zero", {}}, {"high bits", {high_u64 | 3, high_u64 | (1u << 20), {high_u64, max_u32}, max_u32}}},
              xdr_fc_write_chunk_shm_args);
  auto reads = per_key<fc::read_shm_args>([](bytes_view k, std::size_t i) {
    return fc::read_shm_args{k, high_u64 >> i, {i, static_cast<std::uint32_t>(1u << (i % 24))}, max_u32};
  });
  check_table(reads, xdr_fc_read_shm_args);
}

}  // namespace
}  // namespace ferry::interop

namespace ferry::interop {
namespace {

// Regression test: with a gather threshold of 0, opaque() used to reference even an empty span; when its
// data() was null the segment {external = nullptr, length 0} looked owned to grow(), which then appended the
// following bytes to it at offset 0, so views() repeated the first bytes of the buffer.
TEST_CASE("an encoder that gathers every opaque agrees with rpcgen when an opaque is empty",
          "[interop][client]") {
  fc::list_args args{{}, xdr::as_bytes("cursor"), 0xAAAAAAAAu, 0xBBBBBBBBu};  // empty prefix: data() is null
  xdr::encoder out{0};
  REQUIRE(xdr::encode(out, args));
  c_arena arena;
  auto c = to_c(args, arena);
  auto theirs = rpcgen_encode(xdr_fc_list_args, c, 64);
  REQUIRE(theirs);
  CHECK(byte_difference(out.flatten(), *theirs) == "");
}

}  // namespace
}  // namespace ferry::interop
