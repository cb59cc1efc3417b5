// A chunked upload and ranged reads through the real ferryd (session -> router -> R stores), spoken by
// hand over its UNIX socket: chunks sent pipelined and out of order, committed, read back in ranges,
// the object on exactly R stores; then read again with one of its stores killed.
#include <catch2/catch.hpp>

#include <csignal>
#include <map>

#include "daemon_fixture.hpp"
#include "xdr/protocol/client.hpp"

using namespace ferry;
using namespace ferry::daemon_test;
namespace pc = ferry::proto::client;

namespace {

/// Sends `calls` back to back, then reads one reply each; results decoded as R, by xid.
template <class R>
std::map<std::uint32_t, R> exchange(raw_peer& peer, const std::vector<std::pair<std::uint32_t, bytes>>& calls,
                                    std::map<std::uint32_t, bytes>& keep) {
  for (const auto& [xid, call] : calls) peer.write_all(call);
  std::map<std::uint32_t, R> out;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto rec = peer.read_record();
    REQUIRE(rec);
    auto reply = xdr::rpc::decode_reply(*rec);
    REQUIRE(reply);
    REQUIRE(reply->accepted == xdr::rpc::accept_stat::success);
    keep[reply->xid] = *rec;
    auto again = xdr::rpc::decode_reply(keep[reply->xid]);
    auto res = xdr::decode<R>(again->results);
    REQUIRE(res);
    REQUIRE(out.count(reply->xid) == 0);  // each xid answered once
    out[reply->xid] = *res;
  }
  return out;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 4096) % 251);
  return s;
}

}  // namespace

TEST_CASE("a chunked upload through ferryd lands on R stores and reads back in ranges, also after a store dies",
          "[ferryd][integration][bulk]") {
  cluster cl(3, 2, 2);
  raw_peer peer(cl.ferryd.socket);
  const std::string key = "bulk/object";
  const std::size_t chunk = 256 * 1024, chunks = 5;
  const auto object = pattern(chunk * chunks - 1000);  // the last chunk is short
  std::map<std::uint32_t, bytes> keep;
  const auto p = pc::program, v = pc::version;

  auto opened = exchange<proto::write_open_res>(
      peer, {{1, encode_call(1, p, v, 6, pc::write_open_args{xdr::as_bytes(key), object.size(), 5000, {}})}}, keep);
  REQUIRE(opened[1].code == proto::status::ok);
  const auto upload = opened[1].up.upload_id;
  CHECK(opened[1].up.chunk_size > 0);

  // Chunks in reverse order, all in flight at once.
  std::vector<std::pair<std::uint32_t, bytes>> calls;
  for (std::size_t i = chunks; i-- > 0;) {
    const auto off = i * chunk;
    const auto len = std::min(chunk, object.size() - off);
    auto data = xdr::as_bytes(std::string_view(object).substr(off, len));
    const auto xid = static_cast<std::uint32_t>(10 + i);
    calls.emplace_back(xid, encode_call(xid, p, v, 7, pc::write_chunk_args{upload, off, data, 5000}));
  }
  auto acks = exchange<proto::reply>(peer, calls, keep);
  REQUIRE(acks.size() == chunks);
  for (auto& [xid, r] : acks) CHECK(r.code == proto::status::ok);

  auto committed = exchange<proto::write_res>(
      peer, {{20, encode_call(20, p, v, 8, pc::write_commit_args{upload, object.size(), 5000})}}, keep);
  REQUIRE(committed[20].code == proto::status::ok);
  CHECK(holders(cl.stores, key, object) == 2);

  auto read_all = [&](std::uint32_t first_xid) {
    std::vector<std::pair<std::uint32_t, bytes>> reads;
    const std::uint32_t piece = 300 * 1000;
    for (std::uint32_t off = 0, xid = first_xid; off < object.size(); off += piece, ++xid)
      reads.emplace_back(xid, encode_call(xid, p, v, 10, pc::read_args{xdr::as_bytes(key), off, piece, 5000}));
    auto got = exchange<proto::read_res>(peer, reads, keep);
    std::string assembled;
    bool eof = false;
    for (auto& [xid, r] : got) {  // std::map: in xid order, which is offset order
      REQUIRE(r.code == proto::status::ok);
      CHECK(r.data.info.size == object.size());
      assembled += std::string(xdr::as_chars(r.data.data));
      eof = r.data.eof;
    }
    CHECK(eof);
    return assembled;
  };
  CHECK(read_all(100) == object);

  // Kill one store holding it: the ranges are read from the other replica.
  for (auto& s : cl.stores)
    if (stored_value(s.port, key)) {
      s.proc->signal(SIGKILL);
      REQUIRE(s.proc->wait());
      break;
    }
  CHECK(read_all(200) == object);
}
