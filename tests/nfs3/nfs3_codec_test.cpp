// NFSv3 / MOUNT / PMAP XDR types: encode -> decode round trips, exact wire bytes of a few, and decoders
// that refuse truncated or over-bound peer input without throwing.
#include <catch2/catch.hpp>

#include <vector>

#include "xdr/codec.hpp"
#include "xdr/protocol/nfs3.hpp"

using namespace ferry;
namespace nfs = proto::nfs3;

namespace {

template <class T>
std::vector<xdr::byte> bytes_of(const T& v) {
  xdr::encoder out;
  REQUIRE(xdr::encode(out, v));
  return out.flatten();
}

// Every prefix of a valid encoding is refused (never a crash, never a half value accepted).
template <class T>
void check_truncations(const std::vector<xdr::byte>& wire) {
  for (std::size_t n = 0; n < wire.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(xdr::decode<T>(xdr::bytes_view{wire}.first(n)));
  }
}

const std::vector<xdr::byte> fh = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

nfs::fattr some_attr() {
  nfs::fattr a;
  a.type = nfs::ftype_reg;
  a.mode = 0644;
  a.size = 12345;
  a.fileid = 77;
  a.mtime = {1764000000, 123000042};
  return a;
}

}  // namespace

TEST_CASE("NFSv3 results round-trip through encode and decode", "[nfs3][xdr]") {
  SECTION("LOOKUP ok and failure arms") {
    nfs::lookup_res ok{nfs::stat::ok, fh, {true, some_attr()}, {false, {}}};
    auto wire = bytes_of(ok);
    auto back = xdr::decode<nfs::lookup_res>(wire);
    REQUIRE(back);
    CHECK(std::vector<xdr::byte>(back->object.begin(), back->object.end()) == fh);
    CHECK(back->obj_attr.present);
    CHECK(back->obj_attr.attr.mtime == some_attr().mtime);
    check_truncations<nfs::lookup_res>(wire);
    nfs::lookup_res fail{nfs::stat::noent, {}, {}, {true, some_attr()}};
    auto fwire = bytes_of(fail);
    CHECK(fwire.size() == 4 + 4 + 84);  // status, present, fattr3 (84 bytes)
    auto fback = xdr::decode<nfs::lookup_res>(fwire);
    REQUIRE(fback);
    CHECK(fback->status == nfs::stat::noent);
  }
  SECTION("WRITE with its verifier") {
    nfs::write_res w{nfs::stat::ok, {true, {1, {2, 3}, {4, 5}}, {true, some_attr()}}, 4096, nfs::file_sync,
                     {1, 2, 3, 4, 5, 6, 7, 8}};
    auto wire = bytes_of(w);
    auto back = xdr::decode<nfs::write_res>(wire);
    REQUIRE(back);
    CHECK(back->count == 4096);
    CHECK(back->verf == w.verf);
    check_truncations<nfs::write_res>(wire);
  }
  SECTION("COMMIT with its verifier, and its failure arm without one") {
    nfs::commit_res c{nfs::stat::ok, {false, {}, {true, some_attr()}}, {8, 7, 6, 5, 4, 3, 2, 1}};
    auto wire = bytes_of(c);
    auto back = xdr::decode<nfs::commit_res>(wire);
    REQUIRE(back);
    CHECK(back->verf == c.verf);
    CHECK(std::vector<xdr::byte>(wire.end() - 8, wire.end()) == std::vector<xdr::byte>{8, 7, 6, 5, 4, 3, 2, 1});
    check_truncations<nfs::commit_res>(wire);
    nfs::commit_res fail{nfs::stat::io, {}, {}};
    auto fwire = bytes_of(fail);
    CHECK(fwire.size() == 4 + 4 + 4);  // status, no pre-op attributes, no post-op attributes
    auto fback = xdr::decode<nfs::commit_res>(fwire);
    REQUIRE(fback);
    CHECK(fback->status == nfs::stat::io);
    const auto args = bytes_of(nfs::commit_args{fh, 1u << 20, 65536});
    CHECK(args.size() == 4 + 12 + 8 + 4);
    CHECK(xdr::decode<nfs::commit_args>(args)->count == 65536);
  }
  SECTION("READDIRPLUS entry lists of 0, 1 and 3 entries") {
    for (std::size_t n : {0u, 1u, 3u}) {
      nfs::readdirplus_res r;
      r.cookieverf = {9, 9, 9, 9, 9, 9, 9, 9};
      for (std::size_t i = 0; i < n; ++i)
        r.entries.push_back({i, i == 0 ? "a" : "bb", 100 + i, {true, some_attr()}, true, fh});
      r.eof = true;
      auto wire = bytes_of(r);
      auto back = xdr::decode<nfs::readdirplus_res>(wire);
      REQUIRE(back);
      REQUIRE(back->entries.size() == n);
      for (std::size_t i = 0; i < n; ++i) CHECK(back->entries[i].cookie == 100 + i);
      CHECK(back->eof);
      check_truncations<nfs::readdirplus_res>(wire);
    }
  }
  SECTION("FSINFO, FSSTAT, CREATE, READ, MNT, GETPORT") {
    nfs::fsinfo_res fi{nfs::stat::ok, {}, 1u << 20, 1u << 20, 4096, 1u << 20, 1u << 20, 4096, 8192, ~0ull, {0, 1}, 27};
    auto fib = xdr::decode<nfs::fsinfo_res>(bytes_of(fi));
    REQUIRE(fib);
    CHECK(fib->wtpref == 1u << 20);
    nfs::fsstat_res fs{nfs::stat::ok, {}, 100, 50, 40, 10, 5, 4, 0};
    CHECK(xdr::decode<nfs::fsstat_res>(bytes_of(fs))->abytes == 40);
    nfs::create_res cr{nfs::stat::ok, true, fh, {true, some_attr()}, {}};
    CHECK(xdr::decode<nfs::create_res>(bytes_of(cr))->has_handle);
    std::vector<xdr::byte> data(100, 7);
    nfs::read_res rr{nfs::stat::ok, {}, 100, true, data};
    auto rwire = bytes_of(rr);
    CHECK(xdr::decode<nfs::read_res>(rwire)->data.size() == 100);
    check_truncations<nfs::read_res>(rwire);
    nfs::mnt_res m{0, fh, {1}};
    CHECK(xdr::decode<nfs::mnt_res>(bytes_of(m))->flavors == std::vector<std::uint32_t>{1});
    CHECK(xdr::decode<nfs::getport_res>(bytes_of(nfs::getport_res{2049}))->port == 2049);
  }
}

TEST_CASE("NFSv3 arguments encode to the RFC 1813 wire layout", "[nfs3][xdr]") {
  // SETATTR: fh<12>, sattr3 with only mtime set to client time, no guard.
  nfs::setattr_args sa{fh, {}, false, {}};
  sa.attributes.mtime_how = nfs::set_to_client_time;
  sa.attributes.mtime = {1, 2};
  auto wire = bytes_of(sa);
  // 4 + 12 (fh) + 4*4 (mode/uid/gid/size flags) + 4 (atime how) + 4 + 8 (mtime how + time) + 4 (guard)
  CHECK(wire.size() == 16 + 16 + 4 + 12 + 4);
  CHECK(wire[wire.size() - 13] == 2);  // SET_TO_CLIENT_TIME
  // WRITE: count and data length agree; data padded to 4.
  std::vector<xdr::byte> data = {1, 2, 3};
  auto w = bytes_of(nfs::write_args{fh, 8, 3, nfs::file_sync, data});
  CHECK(w.size() == 16 + 8 + 4 + 4 + 4 + 4);
  // GETPORT mapping for NFSv3 over TCP.
  auto g = bytes_of(nfs::pmap_mapping{nfs::program, nfs::version, nfs::ipproto_tcp, 0});
  CHECK(g == std::vector<xdr::byte>{0, 1, 0x86, 0xa3, 0, 0, 0, 3, 0, 0, 0, 6, 0, 0, 0, 0});
}

TEST_CASE("decoders refuse over-bound handles and garbage without throwing", "[nfs3][xdr]") {
  // A LOOKUP reply claiming a 65-byte handle (NFS3_FHSIZE is 64).
  std::vector<xdr::byte> big = {0, 0, 0, 0, 0, 0, 0, 65};
  big.resize(big.size() + 68, 0);
  CHECK_FALSE(xdr::decode<nfs::lookup_res>(big));
  // A READDIRPLUS list whose "more" flag is followed by nothing.
  std::vector<xdr::byte> cut = {0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1};
  CHECK_FALSE(xdr::decode<nfs::readdirplus_res>(cut));
  // Random words never crash a decoder.
  std::vector<xdr::byte> noise(256);
  std::uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    for (auto& b : noise) {
      x = x * 1103515245 + 12345;
      b = static_cast<xdr::byte>(x >> 16);
    }
    (void)xdr::decode<nfs::readdirplus_res>(noise);
    (void)xdr::decode<nfs::lookup_res>(noise);
    (void)xdr::decode<nfs::create_res>(noise);
    (void)xdr::decode<nfs::fsinfo_res>(noise);
  }
  SUCCEED("no decoder threw or crashed");
}
