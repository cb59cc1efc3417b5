// rpc_connection over real TCP: the Asio link on a real io thread, CAF's normal scheduler, and the
// real ferry-store binary, killed and restarted on the same port. Every wait is for an actual message
// with a bounded timeout.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "actors/rpc_connection/reply_sink.hpp"
#include "actors/rpc_connection/rpc_connection.hpp"
#include "actors/rpc_connection/tcp_link.hpp"
#include "store_process.hpp"
#include "transport/io_thread.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/store.hpp"

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::actors;
namespace ps = proto::store;

namespace {

constexpr auto bound = 10s;  // the longest any single wait may take


bool is(const caf::error& e, rpc_errc x) {
  return e.category() == rpc_errc_category && e.code() == static_cast<std::uint8_t>(x);
}

// Waits for the next connection event, which must say `connected`.
void expect_state(caf::scoped_actor& self, bool connected) {
  bool seen = false;
  self->receive([&](connection_state_changed& ev) { seen = ev.connected == connected; },
                caf::after(bound) >> [] {});
  REQUIRE(seen);
}

using bytes = std::vector<xdr::byte>;

rpc_call put_call(const std::string& key, const std::shared_ptr<bytes>& value, std::uint64_t hlc) {
  auto r = make_store_request(ps::proc::put, ps::put_args{xdr::as_bytes(key), *value, {hlc, 1}}, {value});
  return {r.proc, r.args, 5s};
}

/// The io thread (declared first: it outlives the actor system, hence every link), an actor system with
/// the sharing scheduler on 2 threads, and a scoped actor to call from and listen with.
struct real_system {
  transport::io_thread io;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  real_system() : sys(init(cfg)), self(sys) {}
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("sharing"));
    c.set("scheduler.max-threads", 2);
    add_rpc_error_category(c);
    return c;
  }
};

/// A FERRY_STORE connection to 127.0.0.1:`port` that reports its state changes to `listener`.
rpc_connection_config store_connection(std::uint16_t port, const caf::actor& listener) {
  rpc_connection_config c;
  c.server = "127.0.0.1:" + std::to_string(port);
  c.program = ps::program;
  c.version = ps::version;
  c.listener = listener;
  return c;
}

/// An rpc_connection over a tcp_link to the store on 127.0.0.1:`port`, once it says it is connected.
caf::actor connected_to_store(real_system& rs, std::uint16_t port) {
  auto conn = spawn_rpc_connection(rs.sys, store_connection(port, rs.self),
                                   tcp_link_factory(rs.io.context(), {"127.0.0.1", port, {}}));
  expect_state(rs.self, true);
  return conn;
}

rpc_call get_call(const std::string& key) {
  auto r = make_store_request(ps::proc::get, ps::key_args{xdr::as_bytes(key)});
  return {r.proc, r.args, 5s};
}

}  // namespace

TEST_CASE("over real TCP, pipelined calls are answered, a killed store fails them unavailable, and a restarted "
          "store is reconnected",
          "[rpc_connection][integration]") {
  real_system rs;
  auto& [io, cfg, sys, self] = rs;

  auto store = std::make_unique<test::store_process>(test::start_store(FERRY_STORE_BIN));
  auto port = store->port;
  auto c = store_connection(port, self);
  c.backoff = {20ms, 200ms, 0.2};
  auto conn = spawn_rpc_connection(sys, c, tcp_link_factory(io.context(), {"127.0.0.1", port, {}}));
  expect_state(self, true);

  // 100 PUTs, then 100 GETs, each group pipelined: all sent before any reply is read.
  constexpr int n = 100;
  std::vector<std::string> keys;
  std::vector<std::shared_ptr<bytes>> values;
  for (int i = 0; i < n; ++i) {
    keys.push_back("key/" + std::to_string(i));
    auto size = i % 10 == 0 ? 10000 + i : 1 + i;  // some above the gather threshold: sent by reference
    values.push_back(std::make_shared<bytes>(static_cast<std::size_t>(size), static_cast<xdr::byte>(i)));
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<decltype(self->request(conn, bound, rpc_call{}))> puts;
  for (int i = 0; i < n; ++i) puts.push_back(self->request(conn, bound, put_call(keys[i], values[i], 100 + i)));
  int ok = 0;
  for (auto& h : puts)
    h.receive(
        [&](rpc_reply& r) {
          auto res = xdr::decode<proto::write_res>(r.results());
          ok += res && res->code == proto::status::ok;
        },
        [&](caf::error& e) { FAIL_CHECK("PUT failed: " << sys.render(e)); });
  CHECK(ok == n);

  std::vector<decltype(self->request(conn, bound, rpc_call{}))> gets;
  for (int i = 0; i < n; ++i) gets.push_back(self->request(conn, bound, get_call(keys[i])));
  int matched = 0;
  for (int i = 0; i < n; ++i)
    gets[static_cast<std::size_t>(i)].receive(
        [&](rpc_reply& r) {
          auto res = xdr::decode<proto::get_res>(r.results());
          matched += res && res->code == proto::status::ok &&
                     bytes(res->found.data.begin(), res->found.data.end()) == *values[static_cast<std::size_t>(i)];
        },
        [&](caf::error& e) { FAIL_CHECK("GET failed: " << sys.render(e)); });
  CHECK(matched == n);
  auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  WARN("200 pipelined PUT/GET calls through rpc_connection: " << elapsed.count() << " us");

  // Calls in flight when the store dies: stop it so they stay unanswered, make sure the actor took
  // them (its counters reply after them), then SIGKILL.
  store->proc->signal(SIGSTOP);
  std::vector<decltype(self->request(conn, bound, rpc_call{}))> stuck;
  for (int i = 0; i < 20; ++i) stuck.push_back(self->request(conn, bound, get_call(keys[0])));
  self->request(conn, bound, rpc_stats_atom::value)
      .receive([&](rpc_connection_stats& s) { CHECK(s.in_flight == 20); },
               [&](caf::error& e) { FAIL("no stats: " << sys.render(e)); });
  store->proc->signal(SIGKILL);
  int unavailable = 0;
  for (auto& h : stuck)
    h.receive([&](rpc_reply&) { FAIL_CHECK("a call got a reply from a stopped store"); },
              [&](caf::error& e) { unavailable += is(e, rpc_errc::unavailable); });
  CHECK(unavailable == 20);
  expect_state(self, false);
  store->proc->wait();
  store.reset();

  // While no store listens, calls fail fast.
  self->request(conn, bound, get_call(keys[0]))
      .receive([&](rpc_reply&) { FAIL("answered with no store"); },
               [&](caf::error& e) { CHECK(is(e, rpc_errc::unavailable)); });

  // A new store on the same port: the actor reconnects by itself and calls succeed again.
  store = std::make_unique<test::store_process>(test::start_store(FERRY_STORE_BIN, {"--memory"}, port));
  REQUIRE(store->port == port);
  expect_state(self, true);
  auto fresh = std::make_shared<bytes>(bytes{'b', 'a', 'c', 'k'});
  self->request(conn, bound, put_call("again", fresh, 1))
      .receive([&](rpc_reply& r) { CHECK(xdr::decode<proto::write_res>(r.results())->code == proto::status::ok); },
               [&](caf::error& e) { FAIL("PUT after restart failed: " << sys.render(e)); });
  self->request(conn, bound, get_call("again"))
      .receive(
          [&](rpc_reply& r) {
            auto res = xdr::decode<proto::get_res>(r.results());
            REQUIRE(res);
            CHECK(bytes(res->found.data.begin(), res->found.data.end()) == *fresh);
          },
          [&](caf::error& e) { FAIL("GET after restart failed: " << sys.render(e)); });

  self->request(conn, bound, rpc_stats_atom::value)
      .receive(
          [&](rpc_connection_stats& s) {
            CHECK(s.connected);
            CHECK(s.connects == 2);
            CHECK(s.disconnects == 1);
            CHECK(s.unavailable == 21);
            CHECK(s.in_flight == 0);
          },
          [&](caf::error& e) { FAIL("no stats: " << sys.render(e)); });

  // Shut down: the actor ends (the system's destructor waits for it), then its socket closes.
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE("throughput of pipelined NULL calls over one rpc_connection (measurement, not run by default)",
          "[rpc_connection][.bench]") {
  real_system rs;
  auto& [io, cfg, sys, self] = rs;
  auto store = test::start_store(FERRY_STORE_BIN);
  auto conn = connected_to_store(rs, store.port);
  constexpr int window = 1000, rounds = 20;
  auto t0 = std::chrono::steady_clock::now();
  int ok = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<decltype(self->request(conn, bound, rpc_call{}))> hs;
    for (int i = 0; i < window; ++i)
      hs.push_back(self->request(conn, bound, rpc_call{static_cast<std::uint32_t>(ps::proc::null), nullptr, 5s}));
    for (auto& h : hs) h.receive([&](rpc_reply&) { ++ok; }, [&](caf::error&) {});
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(ok == window * rounds);
  self->request(conn, bound, rpc_stats_atom::value)
      .receive([&](rpc_connection_stats& s) {
                 WARN(ok << " NULL calls in " << us << " us = " << (1e6 * ok / static_cast<double>(us))
                         << " calls/s; " << s.batches << " batches (" << (ok / static_cast<double>(s.batches))
                         << " calls per batch)");
               },
               [](caf::error&) {});
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

TEST_CASE("over real TCP, a GET's value is received straight into the call's sink when it fits, once per sink",
          "[rpc_connection][integration][shm]") {
  real_system rs;
  auto& [io, cfg, sys, self] = rs;
  auto store = test::start_store(FERRY_STORE_BIN);
  auto conn = connected_to_store(rs, store.port);

  auto value = std::make_shared<bytes>(300001);
  for (std::size_t i = 0; i < value->size(); ++i) (*value)[i] = static_cast<xdr::byte>(i * 7 % 253);
  self->request(conn, bound, put_call("big", value, 5))
      .receive([](rpc_reply&) {}, [&](caf::error& e) { FAIL("PUT failed: " << sys.render(e)); });

  auto get = [&](const std::string& key, const reply_sink_ptr& sink) {
    auto call = get_call(key);
    call.sink = sink;
    std::optional<rpc_reply> out;
    self->request(conn, bound, std::move(call))
        .receive([&](rpc_reply& r) { out = std::move(r); }, [&](caf::error& e) { FAIL("GET failed: " << sys.render(e)); });
    REQUIRE(out);
    auto res = xdr::decode<proto::get_res>(out->results());
    REQUIRE(res);
    return std::make_pair(*out, *res);
  };

  bytes slot(400000, 0xEE);
  auto sink = std::make_shared<reply_sink>(xdr::mutable_bytes{slot}, nullptr);
  auto [landed, landed_res] = get("big", sink);
  CHECK(landed.diverted == value->size());
  CHECK(landed_res.code == proto::status::ok);
  CHECK(landed_res.found.info.size == value->size());
  CHECK(landed_res.found.data.empty());  // the record carries the value with length 0
  CHECK(std::equal(value->begin(), value->end(), slot.begin()));
  CHECK(slot[value->size()] == 0xEE);  // not one byte past the value

  // The same sink again: claimed already, so the value comes in the record.
  auto [again, again_res] = get("big", sink);
  CHECK(again.diverted == 0);
  CHECK(bytes(again_res.found.data.begin(), again_res.found.data.end()) == *value);

  // A sink too small, and a missing key: received whole, the sink untouched.
  bytes small(1000, 0xEE);
  auto [whole, whole_res] = get("big", std::make_shared<reply_sink>(xdr::mutable_bytes{small}, nullptr));
  CHECK(whole.diverted == 0);
  CHECK(whole_res.found.data.size() == value->size());
  auto [missing, missing_res] = get("none", std::make_shared<reply_sink>(xdr::mutable_bytes{small}, nullptr));
  CHECK(missing.diverted == 0);
  CHECK(missing_res.code == proto::status::not_found);
  CHECK(std::all_of(small.begin(), small.end(), [](xdr::byte b) { return b == 0xEE; }));
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}
