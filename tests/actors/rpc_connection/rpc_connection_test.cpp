// rpc_connection, deterministically: CAF's test_coordinator (virtual clock) and a fake link the test
// drives by hand. Also the pure pieces: argument gathering and the backoff schedule.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <map>
#include <memory>
#include <optional>

#include "actors/rpc_connection/rpc_connection.hpp"
#include "fake_link.hpp"
#include "xdr/protocol/store.hpp"

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::actors;

namespace {

bool is(const caf::error& e, rpc_errc x) {
  return e.category() == rpc_errc_category && e.code() == static_cast<std::uint8_t>(x);
}

// What one requester saw: how many answers, and the last one.
struct outcome {
  int answers = 0;
  std::optional<rpc_reply> reply;
  caf::error error;

  std::optional<std::uint32_t> result() const {
    if (!reply) return std::nullopt;
    auto r = reply->results();
    if (r.size() != 4) return std::nullopt;
    return xdr::load_u32(r.data());
  }
};

caf::behavior requester(caf::event_based_actor* self, caf::actor conn, rpc_call call, std::shared_ptr<outcome> out) {
  self->request(conn, caf::infinite, std::move(call))
      .then([out](rpc_reply& r) { ++out->answers; out->reply = std::move(r); },
            [out](caf::error& e) { ++out->answers; out->error = std::move(e); });
  return {};
}

caf::behavior listener(caf::event_based_actor*, std::shared_ptr<std::vector<connection_state_changed>> seen) {
  return {[seen](connection_state_changed& ev) { seen->push_back(std::move(ev)); }};
}

caf::behavior stats_reader(caf::event_based_actor* self, caf::actor conn, std::shared_ptr<rpc_connection_stats> out) {
  self->request(conn, caf::infinite, rpc_stats_atom::value).then([out](rpc_connection_stats& s) { *out = s; });
  return {};
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::shared_ptr<test::link_probe> probe = std::make_shared<test::link_probe>();
  std::shared_ptr<std::vector<connection_state_changed>> events =
      std::make_shared<std::vector<connection_state_changed>>();
  caf::actor conn;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    add_rpc_error_category(c);
    return c;
  }

  fixture()
      : sys(init(cfg)), sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    probe->now = [this] { return sched.clock().now(); };
  }

  ~fixture() {
    if (conn) caf::anon_send_exit(conn, caf::exit_reason::kill);
    sched.run();
  }

  rpc_connection_config config() {
    rpc_connection_config c;
    c.server = "store-a:2049";
    c.program = proto::store::program;
    c.version = proto::store::version;
    c.connect_timeout = 1s;
    c.backoff = {100ms, 1s, 0.0};
    c.seed = 7;
    c.listener = sys.spawn(listener, events);
    return c;
  }

  // Spawns the actor and lets it ask its link to open (connection 1).
  void start(rpc_connection_config c) {
    conn = spawn_rpc_connection(sys, std::move(c), test::fake_link_factory(probe));
    sched.run();
  }
  void start() { start(config()); }

  void opened() {
    caf::anon_send(conn, link_opened{probe->opens.back()});
    sched.run();
  }

  void start_connected(rpc_connection_config c) {
    start(std::move(c));
    opened();
  }
  void start_connected() { start_connected(config()); }

  // Issues a call from a fresh requester; the test decides when the actor runs.
  std::shared_ptr<outcome> call(std::uint32_t proc, caf::timespan timeout = 10s, call_args_ptr args = nullptr) {
    auto out = std::make_shared<outcome>();
    sys.spawn(requester, conn, rpc_call{proc, std::move(args), timeout}, out);
    return out;
  }

  void reply(std::uint32_t xid, std::uint32_t result, std::uint64_t on_conn = 0) {
    caf::anon_send(conn, link_records{on_conn ? on_conn : probe->opens.back(), {test::success_reply(xid, result)}});
    sched.run();
  }

  void close_link(std::string reason = "peer closed the connection") {
    caf::anon_send(conn, link_closed{probe->opens.back(), std::move(reason)});
    sched.run();
  }

  rpc_connection_stats stats() {
    auto out = std::make_shared<rpc_connection_stats>();
    sys.spawn(stats_reader, conn, out);
    sched.run();
    return *out;
  }
};

}  // namespace

TEST_CASE_METHOD(fixture, "calls carry the configured credential (AUTH_SYS for NFS servers)",
                 "[rpc_connection]") {
  auto c = config();
  xdr::rpc::auth_sys_params params;
  params.machine_name = "ferryd";
  params.uid = 1000;
  params.gid = 100;
  xdr::encoder body;
  xdr::rpc::encode_auth_sys(body, params);
  c.cred_flavor = xdr::rpc::auth_flavor::sys;
  c.cred_body = body.flatten();
  start_connected(c);
  call(1);
  sched.run();
  auto calls = probe->all_calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].cred_flavor == xdr::rpc::auth_flavor::sys);
  auto decoded = xdr::rpc::decode_auth_sys(calls[0].cred_body);
  REQUIRE(decoded);
  CHECK(decoded->uid == 1000);
  CHECK(decoded->gid == 100);
  CHECK(decoded->machine_name == "ferryd");
}

TEST_CASE_METHOD(fixture, "replies are matched to their calls by xid in any order", "[rpc_connection]") {
  start_connected();
  auto a = call(11), b = call(12), c = call(13);
  sched.run();
  REQUIRE(probe->batches.size() == 1);  // three calls queued together: one batch, one gather write
  auto sent = probe->batches[0];
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].prog == proto::store::program);
  CHECK(sent[0].vers == proto::store::version);
  std::map<std::uint32_t, std::uint32_t> xid_of;  // proc -> xid
  for (const auto& s : sent) xid_of[s.proc] = s.xid;
  REQUIRE(xid_of.size() == 3);
  CHECK(xid_of[11] != xid_of[12]);

  reply(xid_of[13], 1300);
  reply(xid_of[11], 1100);
  reply(xid_of[12], 1200);

  CHECK(a->answers == 1);
  CHECK(b->answers == 1);
  CHECK(c->answers == 1);
  CHECK(a->result() == 1100u);
  CHECK(b->result() == 1200u);
  CHECK(c->result() == 1300u);
  auto s = stats();
  CHECK(s.calls == 3);
  CHECK(s.replies == 3);
  CHECK(s.in_flight == 0);
  CHECK(s.batches == 1);
}

TEST_CASE_METHOD(fixture, "several replies in one link event are each delivered to their own caller", "[rpc_connection]") {
  start_connected();
  auto a = call(1), b = call(2);
  sched.run();
  auto sent = probe->all_calls();
  REQUIRE(sent.size() == 2);
  caf::anon_send(conn, link_records{probe->opens.back(),
                                    {test::success_reply(sent[1].xid, 2), test::success_reply(sent[0].xid, 1)}});
  sched.run();
  CHECK(a->result() == 1u);
  CHECK(b->result() == 2u);
}

TEST_CASE_METHOD(fixture, "a call whose bytes the server never takes closes the connection at its deadline, freeing them",
                 "[rpc_connection]") {
  probe->written = 0;  // the socket takes nothing: the server stopped reading
  start_connected();
  auto stuck = call(1, 100ms);
  auto patient = call(2, 10s);
  sched.run();
  REQUIRE(probe->batches.size() == 1);
  sched.advance_time(100ms);
  sched.run();
  REQUIRE(stuck->answers == 1);
  CHECK(is(stuck->error, rpc_errc::timedout));
  // Its bytes (and whatever buffers they reference) go with the connection; the call behind it, whose
  // bytes wait behind the stuck ones, is answered now rather than at its own deadline.
  CHECK(probe->closes == 1);
  REQUIRE(patient->answers == 1);
  CHECK(is(patient->error, rpc_errc::unavailable));
  auto s = stats();
  CHECK(s.write_stalls == 1);
  CHECK(s.disconnects == 1);
  CHECK_FALSE(s.connected);
  sched.advance_time(100ms);  // the backoff: a new connection, whose batches count from 0 again
  sched.run();
  CHECK(probe->opens.size() == 2);
}

TEST_CASE_METHOD(fixture, "a server slow to answer but taking bytes only times calls out — the connection stays",
                 "[rpc_connection]") {
  probe->written = 0;
  start_connected();
  auto slow = call(1, 100ms);
  sched.run();
  probe->written = 1;  // the batch went out to its last byte; the server just does not answer
  sched.advance_time(100ms);
  sched.run();
  REQUIRE(slow->answers == 1);
  CHECK(is(slow->error, rpc_errc::timedout));
  CHECK(probe->closes == 0);
  CHECK(stats().write_stalls == 0);
  // A call whose batch waits behind one that goes out while it waits is not stalled either: bytes move.
  auto a = call(2, 100ms);
  sched.run();  // batch 2
  auto b = call(3, 100ms);
  sched.run();  // batch 3, taken while batch 2 was not yet written
  REQUIRE(probe->batches.size() == 3);
  probe->written = 2;  // batch 2 went out; batch 3 not (yet)
  sched.advance_time(100ms);
  sched.run();
  CHECK(a->answers == 1);
  CHECK(b->answers == 1);
  CHECK(probe->closes == 0);
  CHECK(stats().write_stalls == 0);
}

TEST_CASE_METHOD(fixture, "a batch is handed to the link as soon as it reaches max_batch_calls", "[rpc_connection]") {
  auto c = config();
  c.max_batch_calls = 2;
  start_connected(c);
  for (int i = 0; i < 5; ++i) call(1);
  sched.run();
  REQUIRE(probe->batches.size() == 3);
  CHECK(probe->batches[0].size() == 2);
  CHECK(probe->batches[1].size() == 2);
  CHECK(probe->batches[2].size() == 1);
}

TEST_CASE_METHOD(fixture, "a call that times out is answered timedout once and its late reply is dropped and counted",
                 "[rpc_connection]") {
  start_connected();
  auto slow = call(1, 100ms);
  auto patient = call(2, 10s);
  sched.run();
  auto sent = probe->all_calls();
  REQUIRE(sent.size() == 2);

  CHECK(sched.advance_time(99ms) == 0);
  sched.run();
  CHECK(slow->answers == 0);
  CHECK(sched.advance_time(1ms) == 1);
  sched.run();
  REQUIRE(slow->answers == 1);
  CHECK(is(slow->error, rpc_errc::timedout));
  CHECK(patient->answers == 0);

  reply(sent[0].xid, 42);  // too late
  CHECK(slow->answers == 1);
  CHECK_FALSE(slow->reply);
  reply(sent[1].xid, 43);
  CHECK(patient->result() == 43u);

  auto s = stats();
  CHECK(s.late_replies == 1);
  CHECK(s.timeouts == 1);
  CHECK(s.replies == 1);
  CHECK(s.in_flight == 0);
}

TEST_CASE_METHOD(fixture, "a call with no time left is answered timedout at once", "[rpc_connection]") {
  start_connected();
  auto out = call(1, 0s);
  sched.run();
  CHECK(out->answers == 1);
  CHECK(is(out->error, rpc_errc::timedout));
  CHECK(probe->batches.empty());
}

TEST_CASE_METHOD(fixture, "losing the connection fails every call in flight with unavailable exactly once",
                 "[rpc_connection]") {
  start_connected();
  REQUIRE(events->size() == 1);
  CHECK((*events)[0].connected);
  CHECK((*events)[0].source == conn.address());
  std::vector<std::shared_ptr<outcome>> outs;
  for (std::uint32_t i = 0; i < 3; ++i) outs.push_back(call(i, 10s));
  sched.run();
  auto sent = probe->all_calls();
  REQUIRE(sent.size() == 3);
  auto dead_conn = probe->opens.back();

  close_link("connection reset by peer");
  for (const auto& o : outs) {
    CHECK(o->answers == 1);
    CHECK(is(o->error, rpc_errc::unavailable));
  }
  REQUIRE(events->size() == 2);
  CHECK_FALSE((*events)[1].connected);
  CHECK((*events)[1].reason == "connection reset by peer");

  // Replies and a second close from the dead connection change nothing; neither do the timeouts.
  reply(sent[0].xid, 1, dead_conn);
  caf::anon_send(conn, link_closed{dead_conn, "again"});
  sched.run();
  sched.advance_time(10s);
  sched.run();
  for (const auto& o : outs) CHECK(o->answers == 1);
  auto s = stats();
  CHECK(s.unavailable == 3);
  CHECK(s.errors == 3);
  CHECK(s.timeouts == 0);
  CHECK(s.disconnects == 1);
  CHECK(s.in_flight == 0);
  CHECK_FALSE(s.connected);
}

TEST_CASE_METHOD(fixture, "calls while not connected fail fast with unavailable", "[rpc_connection]") {
  start();  // connecting, not yet open
  auto early = call(1);
  sched.run();
  CHECK(early->answers == 1);
  CHECK(is(early->error, rpc_errc::unavailable));
  CHECK(probe->batches.empty());

  opened();
  auto later = call(2);
  sched.run();
  REQUIRE(probe->all_calls().size() == 1);
  reply(probe->all_calls()[0].xid, 5);
  CHECK(later->result() == 5u);
}

TEST_CASE_METHOD(fixture, "reconnect attempts follow the backoff schedule on the virtual clock and stop on exit",
                 "[rpc_connection]") {
  start_connected();  // backoff 100 ms doubling to a 1 s cap, no jitter
  auto t0 = sched.clock().now();
  close_link();
  const std::vector<caf::timespan> expected = {100ms, 200ms, 400ms, 800ms, 1s, 1s};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto opens_before = probe->opens.size();
    sched.advance_time(expected[i] - 1ms);  // stale connect timeouts of failed attempts may fire: ignored
    sched.run();
    CHECK(probe->opens.size() == opens_before);
    sched.advance_time(1ms);
    sched.run();
    REQUIRE(probe->opens.size() == opens_before + 1);
    CHECK(probe->open_times.back() - t0 == expected[i]);
    t0 = probe->open_times.back();
    close_link("connection refused");  // the attempt fails at once
  }
  auto s = stats();
  CHECK(s.connects == 1);
  CHECK(s.connect_failures == expected.size());

  // Opening resets the schedule: the next loss waits the initial delay again.
  sched.advance_time(1s);
  sched.run();
  opened();
  t0 = sched.clock().now();
  close_link();
  sched.advance_time(100ms);
  sched.run();
  CHECK(probe->open_times.back() - t0 == 100ms);

  // After exit, no timer brings it back.
  auto opens = probe->opens.size();
  caf::anon_send_exit(conn, caf::exit_reason::user_shutdown);
  sched.run();
  CHECK(probe->destroyed);
  sched.advance_time(60s);
  sched.trigger_timeouts();
  CHECK(sched.run() == 0);
  CHECK(probe->opens.size() == opens);
}

TEST_CASE_METHOD(fixture, "backoff jitter comes from the seed and only shortens the delay", "[rpc_connection]") {
  auto c = config();
  c.backoff = {100ms, 1s, 0.5};
  start(c);
  close_link();  // the first attempt fails; the retry waits between 50 and 100 ms
  auto t0 = sched.clock().now();
  REQUIRE(sched.has_pending_timeout());
  sched.advance_time(49ms);
  sched.run();
  CHECK(probe->opens.size() == 1);
  sched.advance_time(51ms);
  sched.run();
  REQUIRE(probe->opens.size() == 2);
  auto waited = probe->open_times.back() - t0;
  CHECK(waited >= 50ms);
  CHECK(waited <= 100ms);
}

TEST_CASE_METHOD(fixture, "a connection attempt that does not open in time is abandoned and retried",
                 "[rpc_connection]") {
  start();  // connect_timeout 1 s
  CHECK(probe->opens.size() == 1);
  sched.advance_time(1s);
  sched.run();
  CHECK(probe->closes >= 1);
  // A late "opened" for the abandoned attempt is ignored.
  caf::anon_send(conn, link_opened{1});
  sched.run();
  CHECK(events->empty());
  sched.advance_time(100ms);
  sched.run();
  REQUIRE(probe->opens.size() == 2);
  CHECK(probe->opens[1] == 2);
  auto s = stats();
  CHECK(s.connect_failures == 1);
  CHECK_FALSE(s.connected);
}

TEST_CASE_METHOD(fixture, "calls beyond the in-flight bound are answered overloaded", "[rpc_connection]") {
  auto c = config();
  c.max_in_flight = 2;
  start_connected(c);
  auto a = call(1), b = call(2), over = call(3);
  sched.run();
  CHECK(over->answers == 1);
  CHECK(is(over->error, rpc_errc::overloaded));
  auto sent = probe->all_calls();
  REQUIRE(sent.size() == 2);
  reply(sent[0].xid, 1);
  auto again = call(4);  // room again
  sched.run();
  CHECK(again->answers == 0);
  CHECK(probe->all_calls().size() == 3);
  CHECK(stats().overloaded == 1);
}

TEST_CASE_METHOD(fixture, "a refusal from the server is answered protocol_error", "[rpc_connection]") {
  start_connected();
  auto out = call(99);
  sched.run();
  auto xid = probe->all_calls().at(0).xid;
  xdr::encoder e;
  xdr::rpc::encode_accepted_error(e, xid, xdr::rpc::accept_stat::proc_unavail);
  caf::anon_send(conn, link_records{probe->opens.back(), {std::make_shared<const std::vector<xdr::byte>>(e.flatten())}});
  sched.run();
  REQUIRE(out->answers == 1);
  CHECK(is(out->error, rpc_errc::protocol_error));
  CHECK(sys.render(out->error).find("rpc_connection: protocol_error") != std::string::npos);
}

TEST_CASE_METHOD(fixture, "user_shutdown answers every call in flight and ends the actor with its link closed",
                 "[rpc_connection]") {
  start_connected();
  auto a = call(1), b = call(2);
  sched.run();
  caf::anon_send_exit(conn, caf::exit_reason::user_shutdown);
  sched.run();
  CHECK(a->answers == 1);
  CHECK(b->answers == 1);
  CHECK(is(a->error, rpc_errc::unavailable));
  CHECK(probe->closes >= 1);
  CHECK(probe->destroyed);
  REQUIRE(events->size() == 2);
  CHECK_FALSE(events->back().connected);
  // Pending deadline ticks only reach a dead actor: nothing runs, nothing re-arms.
  sched.trigger_timeouts();
  CHECK(sched.run() == 0);
  CHECK_FALSE(sched.has_pending_timeout());
  auto late = call(3);
  sched.run();
  CHECK(late->answers == 1);
  CHECK(late->error == caf::sec::request_receiver_down);
}

TEST_CASE_METHOD(fixture, "kill ends the actor, answers calls in flight unavailable and closes its link",
                 "[rpc_connection]") {
  start_connected();
  auto a = call(1);
  sched.run();
  caf::anon_send_exit(conn, caf::exit_reason::kill);
  sched.run();
  CHECK(a->answers == 1);
  CHECK(is(a->error, rpc_errc::unavailable));
  CHECK(probe->destroyed);
  sched.trigger_timeouts();
  CHECK(sched.run() == 0);
  CHECK_FALSE(sched.has_pending_timeout());
}

TEST_CASE_METHOD(fixture, "the starter spawns a connection a supervisor can link", "[rpc_connection]") {
  auto start_fn = rpc_connection_starter(config(), test::fake_link_factory(probe));
  caf::scoped_actor parent{sys};
  auto child = start_fn(parent.ptr(), caf::message{});
  REQUIRE(child);
  conn = *child;
  sched.run();
  CHECK(probe->opens.size() == 1);
}

TEST_CASE("a store request appended to a call keeps its bytes and references large values",
          "[rpc_connection][call_args]") {
  for (std::size_t n : {0u, 1u, 3u, 4u, 5u, 4095u, 4096u, 4097u, 10001u, 65536u}) {
    CAPTURE(n);
    auto value = std::make_shared<std::vector<xdr::byte>>(n);
    for (std::size_t i = 0; i < n; ++i) (*value)[i] = static_cast<xdr::byte>(i * 7 + 1);
    std::string key = "users/" + std::to_string(n);
    auto req = make_store_request(proto::store::proc::put,
                                  proto::store::put_args{xdr::as_bytes(key), *value, {n, 9}}, {value});
    REQUIRE(req.args);
    CHECK(req.proc == 2u);

    xdr::encoder out;
    out.u32(0xCAFEF00D);  // a header before the arguments
    out.append(req.args->body);
    auto want = std::vector<xdr::byte>{0xCA, 0xFE, 0xF0, 0x0D};
    req.args->body.append_to(want);
    CHECK(out.flatten() == want);
    // A value at or above the gather threshold is referenced by the output, not copied into it.
    bool referenced = false;
    for (auto v : out.views()) referenced = referenced || (n != 0 && v.data() == value->data());
    CHECK(referenced == (n >= xdr::encoder::default_gather_threshold));
  }
}

TEST_CASE("reconnect_delay doubles up to the cap and jitter only shortens it", "[rpc_connection][backoff]") {
  reconnect_backoff p{100ms, 1s, 0.0};
  CHECK(reconnect_delay(p, 0, 0.5) == 100ms);
  CHECK(reconnect_delay(p, 1, 0.5) == 200ms);
  CHECK(reconnect_delay(p, 3, 0.5) == 800ms);
  CHECK(reconnect_delay(p, 4, 0.5) == 1s);
  CHECK(reconnect_delay(p, 1000, 0.5) == 1s);
  p.jitter = 0.2;
  CHECK(reconnect_delay(p, 0, 0.0) == 100ms);
  CHECK(reconnect_delay(p, 0, 0.5) == 90ms);
  CHECK(reconnect_delay(p, 4, 0.999) > 800ms);
}

TEST_CASE_METHOD(fixture, "a call's reply sink goes to the link with its xid, a diverted reply says so, a timed-out call is forgotten",
                 "[rpc_connection][shm]") {
  start_connected();
  std::vector<xdr::byte> slot(64);
  auto sink = std::make_shared<reply_sink>(xdr::mutable_bytes{slot}, nullptr);
  auto with_sink = std::make_shared<outcome>();
  sys.spawn(requester, conn, rpc_call{1, nullptr, 10s, sink}, with_sink);
  auto timing_out = std::make_shared<outcome>();
  sys.spawn(requester, conn, rpc_call{1, nullptr, 100ms, sink}, timing_out);
  auto plain = call(2, 100ms);
  sched.run();
  auto sent = probe->all_calls();
  REQUIRE(sent.size() == 3);
  REQUIRE(probe->sinks.size() == 2);  // the plain call has none
  CHECK(probe->sinks[0].first == sent[0].xid);
  CHECK(probe->sinks[1].first == sent[1].xid);
  CHECK(probe->sinks[0].second == sink);

  // The link received 40 bytes of the reply's opaque into the sink: the requester learns it.
  caf::anon_send(conn, link_records{probe->opens.back(), {test::success_reply(sent[0].xid, 7)}, {40}});
  sched.run();
  REQUIRE(with_sink->reply);
  CHECK(with_sink->reply->diverted == 40);
  CHECK(with_sink->result() == 7u);

  // Timing out, the call with a sink is forgotten by the link (it writes the sink no more); the plain one
  // needs no word.
  sched.advance_time(100ms);
  sched.run();
  CHECK(is(timing_out->error, rpc_errc::timedout));
  CHECK(is(plain->error, rpc_errc::timedout));
  CHECK(probe->forgotten == std::vector<std::uint32_t>{sent[1].xid});
}
