// Clients that break the protocol lose their own connection and nothing else: a concurrent libferry
// handle keeps working throughout. Calls to an unknown procedure, program or version get the RPC error.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>

#include "daemon_fixture.hpp"
#include "xdr/record.hpp"

using namespace ferry;
using namespace ferry::daemon_test;
namespace pc = proto::client;
namespace rpc = xdr::rpc;

namespace {

bytes framed(const bytes& payload) { return xdr::frame_record(payload); }

bytes as_bytes(std::string_view s) { return bytes(xdr::as_bytes(s).begin(), xdr::as_bytes(s).end()); }

/// A REPLY message (not a call) in a record, as a confused peer might send.
bytes reply_message(std::uint32_t xid) {
  xdr::encoder e;
  e.begin_record();
  rpc::encode_success(e, xid);
  e.end_record();
  return e.flatten();
}

rpc::reply decoded(const std::optional<bytes>& rec) {
  REQUIRE(rec);
  auto r = rpc::decode_reply(*rec);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("a client sending garbage loses its connection while another client works on",
          "[ferryd][integration][hostile]") {
  cluster cl(2, 2, 2);
  const auto& d = cl.ferryd;

  // A well-behaved client writes and reads back the whole time, from its own thread (a jthread: asked to
  // stop and joined however this test ends).
  std::atomic<int> good{0}, bad{0};
  client bystander(d.socket);
  std::jthread steady([&](std::stop_token stop) {
    for (int i = 0; i < 100000 && !stop.stop_requested(); ++i) {
      auto key = "bystander/" + std::to_string(i);
      if (bystander.put(key, key, 5000) == FERRY_OK && bystander.get(key, nullptr, 5000).second == key)
        ++good;
      else
        ++bad;
    }
  });

  struct hostile_case {
    const char* what;
    bytes data;
  };
  bytes giant_mark{0xFF, 0xFF, 0xFF, 0xFF, 'x', 'y'};  // last fragment of 2 GiB − 1 bytes
  bytes half_giant{0x7F, 0xFF, 0xFF, 0xFF};              // a non-last fragment of 2 GiB − 1 bytes
  const std::vector<hostile_case> cases{
      {"text that is no record", as_bytes("GET / HTTP/1.1\r\nHost: ferryd\r\n\r\n")},
      {"a record mark of 2 GiB", giant_mark},
      {"a non-last fragment of 2 GiB", half_giant},
      {"a record holding no RPC message", framed(as_bytes("\x01\x02\x03"))},
      {"a record holding random bytes", framed(as_bytes("definitely not an ONC RPC call at all"))},
      {"a REPLY instead of a CALL", reply_message(77)},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    raw_peer peer(d.socket);
    peer.write_all(c.data);
    CHECK(peer.closed_by_peer(10s));
    const int before = good;
    CHECK(eventually([&] { return good > before; }));  // the bystander progressed meanwhile
  }
  steady.request_stop();
  steady.join();
  CHECK(bad == 0);
  CHECK(good > 0);

  check_serves(d.socket, "after/hostile");  // and new clients are still welcome
}

TEST_CASE("unknown procedure, program or version get their RPC errors and the connection stays",
          "[ferryd][integration][hostile]") {
  cluster cl(1, 1, 1);
  raw_peer peer(cl.ferryd.socket);

  peer.write_all(encode_void_call(1, pc::program, pc::version, 99));
  auto r = decoded(peer.read_record());
  CHECK(r.xid == 1);
  CHECK(r.stat == rpc::reply_stat::accepted);
  CHECK(r.accepted == rpc::accept_stat::proc_unavail);

  peer.write_all(encode_void_call(2, pc::program + 1, pc::version, 0));
  r = decoded(peer.read_record());
  CHECK(r.xid == 2);
  CHECK(r.stat == rpc::reply_stat::accepted);
  CHECK(r.accepted == rpc::accept_stat::prog_unavail);

  peer.write_all(encode_void_call(3, pc::program, pc::version + 1, 0));
  r = decoded(peer.read_record());
  CHECK(r.xid == 3);
  CHECK(r.accepted == rpc::accept_stat::prog_mismatch);
  CHECK(r.mismatch == rpc::mismatch_info{pc::version, pc::version});

  // Garbage arguments for a known procedure: GARBAGE_ARGS, and the connection is still usable.
  bytes truncated = encode_void_call(4, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::put));
  peer.write_all(truncated);
  r = decoded(peer.read_record());
  CHECK(r.xid == 4);
  CHECK(r.accepted == rpc::accept_stat::garbage_args);

  peer.write_all(encode_void_call(5, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::null)));
  r = decoded(peer.read_record());
  CHECK(r.xid == 5);
  CHECK(r.accepted == rpc::accept_stat::success);
  CHECK(r.results.empty());
}

TEST_CASE("a connection over --max-sessions is answered OVERLOADED with the reason, then closed",
          "[ferryd][integration][hostile]") {
  auto stores = start_stores(1);
  temp_dir dir;
  auto d = start_ferryd_on(dir.file("ferryd.sock"), stores,
                           {"--replicas", "1", "--write-quorum", "1", "--max-sessions", "2"});
  wait_until_routing(d.socket);
  client first(d.socket);
  auto second = std::make_unique<client>(d.socket);
  // Both sessions exist for sure once a call succeeds on each (the routing probe's session may still
  // be closing inside ferryd: until it is, a new client is refused and libferry reconnects next call).
  REQUIRE(eventually([&] { return first.put("a", "1", 2000) == FERRY_OK; }));
  REQUIRE(eventually([&] { return second->put("b", "2", 2000) == FERRY_OK; }));

  // The third connection's first call is answered, whatever the procedure, and the socket closes.
  raw_peer third(d.socket);
  third.write_all(encode_call(41, pc::program, pc::version, 4, pc::key_args{xdr::as_bytes(std::string_view("a")), 0}));
  auto rec = third.read_record();
  REQUIRE(rec);
  auto r = rpc::decode_reply(*rec);
  REQUIRE(r);
  CHECK(r->xid == 41);
  REQUIRE(r->accepted == rpc::accept_stat::success);
  auto res = xdr::decode<proto::reply>(r->results);
  REQUIRE(res);
  CHECK(res->code == proto::status::overloaded);
  CHECK(std::string(res->detail).find("maximum of 2 sessions") != std::string::npos);
  CHECK(third.closed_by_peer(10s));

  // The admitted sessions are untouched, and a place freed is taken by the next client.
  CHECK(first.get("b").second == "2");
  second.reset();
  client next(d.socket);
  CHECK(eventually([&] { return next.put("c", "3", 2000) == FERRY_OK; }));
}
