// The nfs3 backend's stable on-disk mapping: key <-> file name, fan-out directory, version <-> mtime.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "actors/nfs3/object_path.hpp"
#include "actors/nfs3/version_time.hpp"

using namespace ferry;

namespace {
std::string name_of(const std::string& key) { return nfs3::path_of(xdr::as_bytes(key))->name; }
}  // namespace

TEST_CASE("a key that is a safe file name is stored under its own name", "[nfs3][mapping]") {
  for (const std::string& key : std::vector<std::string>{"a", "photo-2024.jpg", "x=y", "~tilde", std::string(200, 'k')}) {
    CAPTURE(key);
    CHECK(nfs3::safe_name(key));
    CHECK(name_of(key) == key);
    CHECK(nfs3::key_of(key) == key);
  }
}

TEST_CASE("unsafe keys are hex-encoded behind '=' and LIST recovers them byte for byte", "[nfs3][mapping]") {
  const std::string keys[] = {".", "..", ".hidden", "=looks-encoded", "a/b", "../../etc/passwd", "with space",
                              std::string("\0\x01\xff", 3), "tab\there",
                              std::string(127, '/')};
  for (const auto& key : keys) {
    CAPTURE(key);
    auto name = name_of(key);
    CHECK(name.front() == '=');
    CHECK(name.size() <= 255);
    CHECK(name.find('/') == std::string::npos);
    CHECK(nfs3::key_of(name) == key);
  }
}

TEST_CASE("keys whose encoded name would pass NAME_MAX are refused, not truncated", "[nfs3][mapping]") {
  CHECK(nfs3::path_of(xdr::as_bytes(std::string(128, '/'))) == std::nullopt);
  CHECK(nfs3::path_of(xdr::as_bytes(std::string(201, 'k'))) == std::nullopt);  // too long to be plain or encoded
  CHECK(nfs3::path_of(xdr::as_bytes(std::string())) == std::nullopt);
}

TEST_CASE("names that are not objects are skipped by LIST", "[nfs3][mapping]") {
  for (std::string_view name : {".ferry-tmp-0123-1", ".", "..", "=", "=abc", "=zz", "=6162" /* "ab": stored plain */}) {
    CAPTURE(name);
    CHECK(nfs3::key_of(name) == std::nullopt);
  }
}

TEST_CASE("the fan-out directory is the low byte of FNV-1a-64 of the key, two lowercase hex digits", "[nfs3][mapping]") {
  // FNV-1a-64("a") = 0xaf63dc4c8601ec8c
  CHECK(nfs3::path_of(xdr::as_bytes(std::string("a")))->dir == "8c");
  // FNV-1a-64("") would be the offset basis; any key gives a two-digit name of the 256 fan-out names
  auto dir = nfs3::path_of(xdr::as_bytes(std::string("some/key")))->dir;
  CHECK(dir.size() == 2);
  CHECK(nfs3::fanout_dir(0) == "00");
  CHECK(nfs3::fanout_dir(255) == "ff");
}

TEST_CASE("an HLC survives the round trip through mtime exactly", "[nfs3][version]") {
  const std::uint64_t ms = 1764000000123ull;  // 2025-11-24
  for (std::uint64_t logical : {0ull, 1ull, 999ull, 65535ull}) {
    const auto hlc = (ms << 16) | logical;
    auto t = nfs3::mtime_of(hlc);
    CHECK(t.nseconds < 1000000000u);
    CHECK(t.seconds == ms / 1000);
    CHECK(nfs3::version_of(t) == proto::version{hlc, 0});
  }
}

TEST_CASE("a file written by hand reads as written at its mtime's millisecond", "[nfs3][version]") {
  proto::nfs3::nfstime t{1764000000, 123456789};
  auto v = nfs3::version_of(t);
  CHECK(v.hlc >> 16 == 1764000000123ull);
  CHECK(v.writer == 0);
  CHECK(nfs3::mtime_ns(t) == 1764000000123456789ull);
}
