// FERRY_CLIENT and FERRY_STORE argument and result types: every type and union arm round-trips, every
// cut of its encoding is reported as truncation, bounds from the .x files hold in both directions.
#include "catch_xdr.hpp"

#include <functional>
#include <string>
#include <vector>

#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/protocol/store.hpp"

using namespace ferry;
using namespace ferry::xdr;
using bytes = std::vector<byte>;

namespace {

const std::string key_a = "users/alice";
const std::string odd = "odd-length-5";
const std::vector<byte> value_1k(1001, 0x5a);

template <class T>
bytes encoded(const T& v) {
  encoder e;
  auto r = encode(e, v);
  REQUIRE(r);
  return e.flatten();
}

struct type_case {
  std::string name;
  std::function<bytes()> encode;
  std::function<result<bytes>(bytes_view)> decode_and_reencode;
};

template <class T>
type_case make_case(std::string name, T value) {
  return {std::move(name), [value] { return encoded(value); },
          [](bytes_view in) -> result<bytes> {
            auto v = decode<T>(in);
            if (!v) return v.error();
            return encoded(*v);
          }};
}

std::vector<type_case> all_cases() {
  proto::version v{0xFFFFFFFF00000001ull, 0x8000000000000002ull};
  proto::object_info info{1001, v, 1700000000123456789ull};
  proto::request_id rid{};
  for (std::size_t i = 0; i < rid.size(); ++i) rid[i] = static_cast<byte>(0xF0 + i);
  proto::list_page page;
  page.entries = {{as_bytes("a"), info}, {as_bytes(key_a), info}, {as_bytes(odd), {}}};
  page.next_cursor = as_bytes(odd);
  page.more = true;

  namespace c = proto::client;
  namespace s = proto::store;
  return {
      make_case("client put_args", c::put_args{as_bytes(key_a), value_1k, 250, rid, c::put_if_absent}),
      make_case("client key_args", c::key_args{as_bytes(odd), 0}),
      make_case("client delete_args", c::delete_args{as_bytes(key_a), 10, rid}),
      make_case("client list_args", c::list_args{as_bytes("us"), as_bytes(key_a), 100, 5}),
      make_case("client write_open_args", c::write_open_args{as_bytes(key_a), 5ull << 32, 1, rid}),
      make_case("client write_chunk_args", c::write_chunk_args{77, 1 << 20, value_1k, 9}),
      make_case("client write_commit_args", c::write_commit_args{77, 4ull << 30, 9}),
      make_case("client write_abort_args", c::write_abort_args{77}),
      make_case("client read_args", c::read_args{as_bytes(key_a), 3, 1 << 20, 0}),
      make_case("store put_args", s::put_args{as_bytes(key_a), value_1k, v}),
      make_case("store key_args", s::key_args{as_bytes(key_a)}),
      make_case("store delete_args", s::delete_args{as_bytes(key_a), v}),
      make_case("store list_args", s::list_args{{}, {}, 0}),
      make_case("store write_open_args", s::write_open_args{as_bytes(key_a), v, 0}),
      make_case("store write_chunk_args", s::write_chunk_args{1, 2, as_bytes(odd)}),
      make_case("store write_commit_args", s::write_commit_args{1, 2}),
      make_case("store write_abort_args", s::write_abort_args{1}),
      make_case("store read_args", s::read_args{as_bytes(key_a), 0, 0}),
      make_case("store health", s::health{1, 2, 3, 4, "node-a"}),
      make_case("reply OK", proto::reply{proto::status::ok, {}}),
      make_case("reply error with detail", proto::reply{proto::status::no_upload, "upload 7 expired"}),
      make_case("write_res OK", proto::write_res{proto::status::ok, v, {}}),
      make_case("write_res CONFLICT", proto::write_res{proto::status::conflict, v, {}}),
      make_case("write_res NO_SPACE", proto::write_res{proto::status::no_space, {}, "disk full"}),
      make_case("get_res OK", proto::get_res{proto::status::ok, {info, value_1k}, {}, {}}),
      make_case("get_res NOT_FOUND", proto::get_res{proto::status::not_found, {}, v, {}}),
      make_case("get_res TIMEDOUT", proto::get_res{proto::status::timedout, {}, {}, "deadline 5 ms"}),
      make_case("stat_res OK", proto::stat_res{proto::status::ok, info, {}, {}}),
      make_case("stat_res NOT_FOUND", proto::stat_res{proto::status::not_found, {}, v, {}}),
      make_case("stat_res BAD_KEY", proto::stat_res{proto::status::bad_key, {}, {}, "empty key"}),
      make_case("list_res OK", proto::list_res{proto::status::ok, page, {}}),
      make_case("list_res UNAVAILABLE", proto::list_res{proto::status::unavailable, {}, "no store"}),
      make_case("write_open_res OK", proto::write_open_res{proto::status::ok, {99, 1 << 20}, {}}),
      make_case("write_open_res TOO_BIG", proto::write_open_res{proto::status::too_big, {}, "5 TiB"}),
      make_case("read_res OK", proto::read_res{proto::status::ok, {info, value_1k, true}, {}}),
      make_case("read_res BAD_RANGE", proto::read_res{proto::status::bad_range, {}, "offset past end"}),
  };
}

}  // namespace

TEST_CASE("every protocol type and union arm round-trips to identical bytes", "[xdr][protocol]") {
  for (const auto& c : all_cases()) {
    INFO(c.name);
    auto wire = c.encode();
    CHECK(wire.size() % 4 == 0);
    auto again = c.decode_and_reencode(wire);
    REQUIRE(again);
    CHECK(*again == wire);
  }
}

TEST_CASE("every protocol decoder reports truncation at every cut point", "[xdr][protocol]") {
  for (const auto& c : all_cases()) {
    auto wire = c.encode();
    for (std::size_t cut = 0; cut < wire.size(); ++cut) {
      auto r = c.decode_and_reencode(bytes_view{wire.data(), cut});
      if (r || r.error().code != errc::truncated) {
        FAIL(c.name << " cut at " << cut << " gave "
                    << (r ? std::string("success") : describe(r.error())));
      }
    }
  }
}

TEST_CASE("decoded payloads are views into the record", "[xdr][protocol][zero-copy]") {
  std::vector<byte> big(1 << 20, 0x42);
  auto wire = encoded(proto::store::put_args{as_bytes(key_a), big, {1, 2}});
  auto back = decode<proto::store::put_args>(wire);
  REQUIRE(back);
  CHECK(back->value.size() == big.size());
  CHECK(back->value.data() >= wire.data());
  CHECK(back->value.data() + back->value.size() <= wire.data() + wire.size());
  CHECK(as_chars(back->key) == key_a);
}

TEST_CASE("an unknown status is rejected as bad_enum", "[xdr][protocol]") {
  bytes wire{0, 0, 0, 16};
  auto r = decode<proto::reply>(wire);
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_error{errc::bad_enum, 0});
}

TEST_CASE("a key over 1024 bytes is refused by the encoder and by the decoder", "[xdr][protocol]") {
  std::string long_key(1025, 'k');
  encoder e;
  auto w = encode(e, proto::client::key_args{as_bytes(long_key), 0});
  REQUIRE_FALSE(w);
  CHECK(w.error().code == errc::length_over_limit);
  encoder raw;
  raw.string(long_key);
  raw.u32(0);
  auto r = decode<proto::client::key_args>(raw.flatten());
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_error{errc::length_over_limit, 0});
}

TEST_CASE("a list page announcing more entries than bytes is refused without reserving them", "[xdr][protocol]") {
  bytes wire{0, 0, 0, 0, 0, 0, 0x27, 0x10};  // status OK, 10000 entries, nothing after
  auto r = decode<proto::list_res>(wire);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::truncated);
}

TEST_CASE("every status has a name and a human message", "[xdr][protocol]") {
  for (std::uint32_t s = 0; s <= 15; ++s) {
    auto st = static_cast<proto::status>(s);
    CHECK(proto::to_string(st) != "UNKNOWN_STATUS");
    CHECK(proto::describe(st) != "unknown status code");
  }
  CHECK(proto::to_string(proto::status::overloaded) == "OVERLOADED");
}
