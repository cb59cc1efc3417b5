// Result unions of ferry_common.x, shared by both programs: every arm of every result, ferry against the
// xdr_* routines rpcgen generated for this binary's program. Compiled into both interop binaries.
#include "common_mirror.hpp"
#include "samples.hpp"

namespace ferry::interop {
namespace {

using proto::status;

// A value result arm has no rows for statuses that carry a detail.
template <class T>
using arm_rows = std::optional<std::vector<named<T>>>;

proto::list_page page_of(std::size_t entries, bytes_view cursor, bool more) {
  proto::list_page page;
  for (std::size_t i = 0; i < entries; ++i) {
    const auto& key = samples::keys()[(i + 1) % samples::keys().size()].value;
    page.entries.push_back(proto::list_entry{key, samples::info(i)});
  }
  page.next_cursor = cursor;
  page.more = more;
  return page;
}

TEST_CASE("ferry_reply encodes and decodes like rpcgen for OK and every error status with a detail",
          "[interop][results]") {
  auto rows = samples::union_rows<proto::reply>([](status s) -> arm_rows<proto::reply> {
    if (s != status::ok) return std::nullopt;
    return std::vector<named<proto::reply>>{{"void arm", proto::reply{status::ok, {}}}};
  });
  check_table(rows, xdr_ferry_reply);
}

TEST_CASE("ferry_write_res encodes and decodes like rpcgen for OK and CONFLICT versions and every error detail",
          "[interop][results]") {
  auto rows = samples::union_rows<proto::write_res>([](status s) -> arm_rows<proto::write_res> {
    if (!carries_version(s)) return std::nullopt;
    std::vector<named<proto::write_res>> out;
    for (const auto& v : samples::versions()) out.push_back({v.name, proto::write_res{s, v.value, {}}});
    return out;
  });
  check_table(rows, xdr_ferry_write_res);
}

TEST_CASE("ferry_get_res encodes and decodes like rpcgen for values, tombstones and every error detail",
          "[interop][results]") {
  auto rows = samples::union_rows<proto::get_res>([](status s) -> arm_rows<proto::get_res> {
    std::vector<named<proto::get_res>> out;
    if (s == status::ok) {
      std::size_t i = 0;
      for (const auto& v : samples::values()) {
        proto::get_res r{};
        r.found = proto::value{samples::info(i++), v.value};
        out.push_back({v.name, r});
      }
      return out;
    }
    if (s != status::not_found) return std::nullopt;
    for (const auto& v : samples::versions()) {
      proto::get_res r{};
      r.code = status::not_found;
      r.tombstone = v.value;
      out.push_back({"tombstone " + v.name, r});
    }
    return out;
  });
  check_table(rows, xdr_ferry_get_res);
}

TEST_CASE("ferry_stat_res encodes and decodes like rpcgen for object infos, tombstones and every error detail",
          "[interop][results]") {
  auto rows = samples::union_rows<proto::stat_res>([](status s) -> arm_rows<proto::stat_res> {
    std::vector<named<proto::stat_res>> out;
    if (s == status::ok) {
      for (std::size_t i = 0; i < samples::versions().size(); ++i) {
        proto::stat_res r{};
        r.info = samples::info(i);
        out.push_back({"info with " + samples::versions()[i].name, r});
      }
      return out;
    }
    if (s != status::not_found) return std::nullopt;
    for (const auto& v : samples::versions()) {
      proto::stat_res r{};
      r.code = status::not_found;
      r.tombstone = v.value;
      out.push_back({"tombstone " + v.name, r});
    }
    return out;
  });
  check_table(rows, xdr_ferry_stat_res);
}

TEST_CASE("ferry_list_res encodes and decodes like rpcgen for empty and multi-entry pages and error details",
          "[interop][results]") {
  auto rows = samples::union_rows<proto::list_res>([](status s) -> arm_rows<proto::list_res> {
    if (s != status::ok) return std::nullopt;
    auto odd_cursor = samples::keys()[3].value;  // 7 bytes: padded
    auto longest_cursor = samples::keys()[5].value;
    auto row = [](std::string name, proto::list_page page) {
      proto::list_res r{};
      r.page = std::move(page);
      return named<proto::list_res>{std::move(name), std::move(r)};
    };
    return std::vector<named<proto::list_res>>{
        row("empty last page", page_of(0, {}, false)),
        row("one entry, odd cursor, more", page_of(1, odd_cursor, true)),
        row("six entries of every key length, 1024-byte cursor, more", page_of(6, longest_cursor, true)),
        row("three entries, no cursor, last page", page_of(3, {}, false)),
    };
  });
  check_table(rows, xdr_ferry_list_res);
}

TEST_CASE("ferry_write_open_res encodes and decodes like rpcgen for uploads and every error detail",
          "[interop][results]") {
  auto rows = samples::union_rows<proto::write_open_res>([](status s) -> arm_rows<proto::write_open_res> {
    if (s != status::ok) return std::nullopt;
    auto row = [](std::string name, proto::upload up) {
      proto::write_open_res r{};
      r.up = up;
      return named<proto::write_open_res>{std::move(name), r};
    };
    return std::vector<named<proto::write_open_res>>{
        row("zero upload", {0, 0}),
        row("upload with high bits", {0x8000000000000000u, 0x80000000u}),
        row("all-ones upload", {0xFFFFFFFFFFFFFFFFu, 0xFFFFFFFFu}),
    };
  });
  check_table(rows, xdr_ferry_write_open_res);
}

TEST_CASE("ferry_read_res encodes and decodes like rpcgen for chunks of every length and error details",
          "[interop][results]") {
  auto rows = samples::union_rows<proto::read_res>([](status s) -> arm_rows<proto::read_res> {
    if (s != status::ok) return std::nullopt;
    std::vector<named<proto::read_res>> out;
    std::size_t i = 0;
    for (const auto& v : samples::values()) {
      proto::read_res r{};
      r.data = proto::chunk{samples::info(i), v.value, i % 2 == 1};
      out.push_back({v.name + (i % 2 == 1 ? ", eof" : ", not eof"), r});
      ++i;
    }
    return out;
  });
  check_table(rows, xdr_ferry_read_res);
}

}  // namespace
}  // namespace ferry::interop
