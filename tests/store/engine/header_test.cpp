// The object file header: what it encodes, and every way a damaged one is refused (a table).
#include <catch2/catch.hpp>

#include <functional>

#include "fixture.hpp"
#include "store/engine/key_digest.hpp"
#include "store/engine/last_writer_wins.hpp"
#include "store/engine/object_header.hpp"

using namespace ferry;
using namespace ferry::store::detail;
using ferry::store::testing::v;

TEST_CASE("an object header survives encoding with binary keys, big sizes and the tombstone flag", "[store][engine]") {
  const auto header = GENERATE(object_header{"k", {0, {0, 0}, 0}, false},
                               object_header{std::string("\0\xff/../x", 7), {1ull << 40, {7, 9}, 123456789}, false},
                               object_header{std::string(1024, 'z'), {0, {~0ull, ~0ull}, ~0ull}, true});
  const auto bytes = encode_header(header);
  REQUIRE(bytes.size() == header_size(header.key.size()));
  const auto decoded = decode_header(bytes);
  INFO(decoded.problem);
  REQUIRE(decoded.header);
  CHECK(*decoded.header == header);
}

TEST_CASE("a damaged object header is refused with a reason", "[store][engine]") {
  const auto good = encode_header({"some key", {5, {3, 4}, 99}, false});
  struct damage {
    const char* name;
    std::function<void(std::vector<xdr::byte>&)> apply;
    const char* reason;
  };
  const std::vector<damage> table{
      {"cut inside the fixed part", [](auto& h) { h.resize(40); }, "shorter"},
      {"cut inside the key", [](auto& h) { h.resize(header_fixed_size + 3); }, "inside the header's key"},
      {"wrong magic", [](auto& h) { h[0] = 'X'; }, "magic"},
      {"unknown format", [](auto& h) { h[11] = 2; }, "format"},
      {"unknown flag", [](auto& h) { h[15] = 4; }, "flags"},
      {"key length zero", [](auto& h) { h[51] = 0; }, "key length"},
      {"key length over 1024", [](auto& h) { h[49] = 0x10; }, "key length"},
      {"reserved field set", [](auto& h) { h[53] = 1; }, "reserved"},
      {"a flipped version bit", [](auto& h) { h[20] ^= 1; }, "checksum"},
      {"a flipped key byte", [](auto& h) { h[header_fixed_size] ^= 1; }, "checksum"},
  };
  for (const auto& row : table) {
    SECTION(row.name) {
      auto bytes = good;
      row.apply(bytes);
      const auto decoded = decode_header(bytes);
      CHECK_FALSE(decoded.header);
      CHECK_THAT(decoded.problem, Catch::Contains(row.reason));
    }
  }
}

TEST_CASE("a key's file name is the SHA-256 of its bytes, split into two folders", "[store][engine]") {
  // Known answer: SHA-256("abc").
  const auto digest = key_digest("abc");
  CHECK(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(object_relative_path(digest) == std::filesystem::path("ba/78") / digest);
  CHECK(key_digest("../../etc/passwd").find('/') == std::string::npos);
}

TEST_CASE("last-writer-wins judges newer, equal and older versions lexicographically", "[store][engine]") {
  struct row {
    std::optional<proto::version> stored;
    proto::version incoming;
    verdict expected;
  };
  const auto r = GENERATE(values<row>({
      {std::nullopt, v(0, 0), verdict::apply},
      {v(5, 1), v(6, 0), verdict::apply},
      {v(5, 1), v(5, 2), verdict::apply},
      {v(5, 1), v(5, 1), verdict::same},
      {v(5, 1), v(5, 0), verdict::stale},
      {v(5, 1), v(4, 9), verdict::stale},
  }));
  CHECK(judge(r.stored, r.incoming) == r.expected);
}
