// Table-driven tests of the XDR primitives (RFC 4506 §4): exact bytes, round trips, and every decoder
// fed its input cut at every byte boundary.
#include "catch_xdr.hpp"

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "xdr/decoder.hpp"
#include "xdr/encoder.hpp"

using namespace ferry::xdr;
using bytes = std::vector<byte>;

namespace {

struct primitive_case {
  std::string name;
  void (*encode)(encoder&);
  bytes wire;
  // Decodes one value and compares it with the encoded one; returns the decoder's error if any.
  result<void> (*decode_and_check)(decoder&);
};

#define CHECKED(expr, expected)              \
  [](decoder& d) -> result<void> {           \
    auto v = (expr);                         \
    if (!v) return v.error();                \
    CHECK(*v == (expected));                 \
    return {};                               \
  }

#define CHECKED_BYTES(expr, expected)        \
  [](decoder& d) -> result<void> {           \
    auto v = (expr);                         \
    if (!v) return v.error();                \
    CHECK(as_chars(*v) == (expected));       \
    return {};                               \
  }

const std::vector<primitive_case>& primitive_cases() {
  static const std::vector<primitive_case> cases = {
      {"unsigned int 0x01020304", [](encoder& e) { e.u32(0x01020304); }, {1, 2, 3, 4},
       CHECKED(d.u32(), 0x01020304u)},
      {"int -2", [](encoder& e) { e.i32(-2); }, {0xff, 0xff, 0xff, 0xfe}, CHECKED(d.i32(), -2)},
      {"unsigned hyper", [](encoder& e) { e.u64(0x0102030405060708ull); }, {1, 2, 3, 4, 5, 6, 7, 8},
       CHECKED(d.u64(), 0x0102030405060708ull)},
      {"hyper minimum", [](encoder& e) { e.i64(std::numeric_limits<std::int64_t>::min()); },
       {0x80, 0, 0, 0, 0, 0, 0, 0}, CHECKED(d.i64(), std::numeric_limits<std::int64_t>::min())},
      {"bool true", [](encoder& e) { e.boolean(true); }, {0, 0, 0, 1}, CHECKED(d.boolean(), true)},
      {"bool false", [](encoder& e) { e.boolean(false); }, {0, 0, 0, 0}, CHECKED(d.boolean(), false)},
      {"float 1.0", [](encoder& e) { e.f32(1.0f); }, {0x3f, 0x80, 0, 0}, CHECKED(d.f32(), 1.0f)},
      {"double -2.0", [](encoder& e) { e.f64(-2.0); }, {0xc0, 0, 0, 0, 0, 0, 0, 0}, CHECKED(d.f64(), -2.0)},
      {"empty opaque", [](encoder& e) { e.opaque({}); }, {0, 0, 0, 0},
       [](decoder& d) -> result<void> {
         auto v = d.opaque(10);
         if (!v) return v.error();
         CHECK(v->empty());
         return {};
       }},
      {"opaque of 5 bytes is padded to 8", [](encoder& e) { e.opaque(as_bytes("hello")); },
       {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0}, CHECKED_BYTES(d.opaque(5), "hello")},
      {"string of 4 bytes needs no padding", [](encoder& e) { e.string("abcd"); },
       {0, 0, 0, 4, 'a', 'b', 'c', 'd'}, CHECKED(d.string(4), "abcd")},
      {"fixed opaque of 3 bytes", [](encoder& e) { e.fixed_opaque(as_bytes("xyz")); },
       {'x', 'y', 'z', 0}, CHECKED_BYTES(d.fixed_opaque(3), "xyz")},
  };
  return cases;
}

}  // namespace

TEST_CASE("every XDR primitive encodes to the RFC 4506 bytes and decodes back", "[xdr]") {
  for (const auto& c : primitive_cases()) {
    INFO(c.name);
    encoder e;
    c.encode(e);
    CHECK(e.flatten() == c.wire);
    decoder d{c.wire};
    auto r = c.decode_and_check(d);
    REQUIRE(r);
    CHECK(d.finish());
  }
}

TEST_CASE("every XDR primitive decoder reports truncation at every cut point", "[xdr]") {
  for (const auto& c : primitive_cases()) {
    for (std::size_t cut = 0; cut < c.wire.size(); ++cut) {
      INFO(c.name << " cut at " << cut);
      decoder d{bytes_view{c.wire.data(), cut}};
      auto r = c.decode_and_check(d);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == errc::truncated);
    }
  }
}

TEST_CASE("a bool other than 0 or 1 is rejected with bad_bool at its offset", "[xdr]") {
  bytes wire{0, 0, 0, 0, 0, 0, 0, 2};
  decoder d{wire};
  CHECK(*d.boolean() == false);
  auto r = d.boolean();
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_error{errc::bad_bool, 4});
}

TEST_CASE("non-zero padding after opaque data is rejected", "[xdr]") {
  bytes wire{0, 0, 0, 1, 'x', 0, 1, 0};
  decoder d{wire};
  auto r = d.opaque(16);
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_error{errc::bad_padding, 5});
}

TEST_CASE("a length over the declared maximum is rejected before the data is touched", "[xdr]") {
  bytes wire{0x7f, 0xff, 0xff, 0xff};  // claims 2 GiB with nothing behind it
  decoder d{wire};
  auto r = d.opaque(1024);
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_error{errc::length_over_limit, 0});
  decoder unbounded_len{wire};
  auto u = unbounded_len.opaque(unbounded);
  REQUIRE_FALSE(u);
  CHECK(u.error().code == errc::truncated);
}

TEST_CASE("an array length is checked against the bytes left so reserving it is safe", "[xdr]") {
  bytes wire{0, 0x10, 0, 0, 0, 0, 0, 1};  // a million elements announced, one present
  decoder d{wire};
  auto r = d.array_length(unbounded);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::truncated);
  decoder bounded{wire};
  auto b = bounded.array_length(16);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == errc::length_over_limit);
}

TEST_CASE("finish reports trailing bytes", "[xdr]") {
  bytes wire{0, 0, 0, 1, 0, 0, 0, 2};
  decoder d{wire};
  CHECK(*d.u32() == 1);
  auto r = d.finish();
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_error{errc::trailing_bytes, 4});
}

TEST_CASE("decoding a 1 MiB opaque returns a view into the input without copying", "[xdr][zero-copy]") {
  std::vector<byte> payload(1 << 20);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<byte>(i * 7);
  encoder e;
  e.opaque(payload);
  auto wire = e.flatten();
  decoder d{wire};
  auto v = d.opaque(unbounded);
  REQUIRE(v);
  CHECK(v->data() == wire.data() + 4);  // the view points into the input buffer: no copy was made
  CHECK(v->size() == payload.size());
  CHECK(std::memcmp(v->data(), payload.data(), payload.size()) == 0);
}

TEST_CASE("encoding a large opaque references the caller's bytes as a gather segment", "[xdr][zero-copy]") {
  std::vector<byte> payload(1 << 20, 0xab);
  encoder e;
  e.u32(7);
  e.opaque(payload);
  e.u32(9);
  auto segments = e.views();
  REQUIRE(segments.size() == 3);
  CHECK(segments[0].size() == 8);  // u32 + length
  CHECK(segments[1].data() == payload.data());
  CHECK(segments[1].size() == payload.size());
  CHECK(segments[2].size() == 4);
  CHECK(e.payload_bytes_copied() == 0);
  CHECK(e.size() == 8 + payload.size() + 4);
}

TEST_CASE("an odd-sized gathered opaque gets its padding in the owned buffer", "[xdr][zero-copy]") {
  std::vector<byte> payload(encoder::default_gather_threshold + 1, 0x11);
  encoder e;
  e.opaque(payload);
  auto segments = e.views();
  REQUIRE(segments.size() == 3);
  CHECK(segments[2].size() == 3);
  CHECK(e.size() % 4 == 0);
  auto wire = e.flatten();
  decoder d{wire};
  auto v = d.opaque(unbounded);
  REQUIRE(v);
  CHECK(v->size() == payload.size());
  CHECK(d.finish());
}

TEST_CASE("small opaques are copied and counted", "[xdr]") {
  encoder e;
  e.opaque(as_bytes("abc"));
  CHECK(e.payload_bytes_copied() == 3);
  CHECK(e.views().size() == 1);
}

TEST_CASE("an encoder that gathers every opaque still copies empty ones", "[xdr][zero-copy]") {
  encoder e{0};
  e.opaque({});  // an empty view whose data() is null
  e.string("cursor");
  auto wire = e.flatten();
  CHECK(wire == std::vector<byte>{0, 0, 0, 0, 0, 0, 0, 6, 'c', 'u', 'r', 's', 'o', 'r', 0, 0});
}

TEST_CASE("appending an encoder keeps its large opaques referenced and its bytes in order", "[xdr][zero-copy]") {
  std::vector<byte> big(encoder::default_gather_threshold + 2, 0x77);
  encoder args;
  args.u32(5);
  args.opaque(big);
  args.string("tail");
  encoder call;
  call.u32(1);
  call.append(args);
  call.u32(2);
  auto views = call.views();
  bool referenced = false;
  for (auto v : views) referenced = referenced || v.data() == big.data();
  CHECK(referenced);
  CHECK(call.payload_bytes_copied() == args.payload_bytes_copied());
  auto expected = std::vector<byte>{0, 0, 0, 1};
  args.append_to(expected);
  expected.insert(expected.end(), {0, 0, 0, 2});
  CHECK(call.flatten() == expected);
}
