// The session actor on CAF's test coordinator, with a fake io (records in, replies captured) and a fake
// router whose answers the test releases in any order: pipelining, exactly-once answers, RPC-level
// rejections that never reach the router, deadlines, router loss, and crash containment.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "actors/router/router_messages.hpp"
#include "actors/session/session.hpp"
#include "actors/session/shm_region.hpp"
#include "wire.hpp"

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::actors;
using namespace ferry::test;
namespace pc = ferry::proto::client;
namespace rpc = ferry::xdr::rpc;

namespace {

struct io_log {
  bool started = false;
  bool closed = false;
  std::vector<std::pair<transport::outgoing_record, std::uint64_t>> sent;  // reply, request bytes
};

class fake_io final : public session_io {
 public:
  explicit fake_io(std::shared_ptr<io_log> log) : log_(std::move(log)) {}
  void start() override { log_->started = true; }
  void send(transport::outgoing_record reply, std::uint64_t request_bytes) override {
    log_->sent.emplace_back(std::move(reply), request_bytes);
  }
  void close() override { log_->closed = true; }

 private:
  std::shared_ptr<io_log> log_;
};

/// What the fake router saw; it holds each request's promise until the test answers it.
struct router_log {
  std::vector<put_request> puts;
  std::vector<caf::typed_response_promise<write_reply>> put_promises;
  std::vector<get_request> gets;
  std::vector<caf::typed_response_promise<get_reply>> get_promises;
  std::vector<std::function<void()>> to_run;  // run inside the router (promises deliver from there only)
  std::size_t requests() const { return puts.size() + gets.size(); }
};
using run_atom = caf::atom_constant<caf::atom("run")>;

caf::behavior fake_router(caf::event_based_actor* self, std::shared_ptr<router_log> log) {
  return {
      [self, log](put_request& r) {
        log->puts.push_back(r);
        log->put_promises.push_back(self->make_response_promise<write_reply>());
        return log->put_promises.back();
      },
      [self, log](get_request& r) {
        log->gets.push_back(r);
        log->get_promises.push_back(self->make_response_promise<get_reply>());
        return log->get_promises.back();
      },
      [log](run_atom) {
        auto jobs = std::move(log->to_run);
        log->to_run.clear();
        for (auto& j : jobs) j();
      },
  };
}

shared_bytes record(const bytes& payload) { return std::make_shared<const std::vector<xdr::byte>>(payload); }

pc::put_args put_of(std::string_view key, std::string_view value, std::uint32_t deadline_ms = 0) {
  return {xdr::as_bytes(key), xdr::as_bytes(value), deadline_ms, {}, 0};
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::shared_ptr<router_log> rlog = std::make_shared<router_log>();
  caf::actor router;
  std::vector<caf::actor> sessions;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }
  fixture() : sys(init(cfg)), sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    router = sys.spawn(fake_router, rlog);
  }
  ~fixture() {
    rlog->put_promises.clear();
    rlog->get_promises.clear();
    for (auto& s : sessions) caf::anon_send_exit(s, caf::exit_reason::kill);
    caf::anon_send_exit(router, caf::exit_reason::kill);
    sched.run();
  }

  std::pair<caf::actor, std::shared_ptr<io_log>> start_session(session_config sc = {}) {
    auto log = std::make_shared<io_log>();
    if (!sc.router) sc.router = router;
    sc.peer.description = "test peer";
    auto s = spawn_session(sys, std::move(sc), [log](caf::actor) { return std::make_unique<fake_io>(log); });
    sessions.push_back(s);
    sched.run();
    return {s, log};
  }

  /// Answers a held request from inside the fake router.
  template <class F>
  void in_router(F f) {
    rlog->to_run.push_back(std::move(f));
    caf::anon_send(router, run_atom::value);
    sched.run();
  }
  void answer_put(std::size_t i, write_reply r) {
    in_router([this, i, r] { rlog->put_promises[i].deliver(r); });
  }

  void deliver(const caf::actor& s, std::vector<shared_bytes> records) {
    caf::anon_send(s, session_records{std::move(records)});
    sched.run();
  }

  bool alive(const caf::actor& a) {
    bool down = false;
    // Spawned with arguments: CAF 0.17 binds a null tuple for an argument-less function (UBSan).
    auto watcher = sys.spawn(
        [](caf::event_based_actor* self, caf::actor watched, bool* flag) -> caf::behavior {
          self->monitor(watched);
          self->set_down_handler([flag](caf::down_msg&) { *flag = true; });
          return {[](int) {}};
        },
        a, &down);
    sched.run();
    caf::anon_send_exit(watcher, caf::exit_reason::kill);
    sched.run();
    return !down;
  }
};

write_reply ok_write(std::uint64_t hlc) { return write_reply{proto::status::ok, {hlc, 7}, {}}; }

}  // namespace

TEST_CASE_METHOD(fixture, "pipelined calls are answered as they complete, each exactly once, with its xid",
                 "[session]") {
  auto [s, io] = start_session();
  REQUIRE(io->started);
  std::vector<shared_bytes> recs;
  for (std::uint32_t xid : {101u, 102u, 103u}) recs.push_back(record(call_payload(xid, 1, put_of("k" + std::to_string(xid), "v"))));
  deliver(s, recs);
  REQUIRE(rlog->puts.size() == 3);
  CHECK(io->sent.empty());
  CHECK(std::string(xdr::as_chars(rlog->puts[1].args.key)) == "k102");
  // The router's request keeps the received record alive: the key views point into it.
  CHECK(rlog->puts[1].owner.get() == recs[1].get());

  // Answer out of order: 3rd, 1st, 2nd.
  answer_put(2, ok_write(3));
  answer_put(0, ok_write(1));
  answer_put(1, ok_write(2));
  REQUIRE(io->sent.size() == 3);
  std::vector<std::uint32_t> xids;
  for (auto& [reply, bytes] : io->sent) {
    auto d = decode_outgoing(reply);
    xids.push_back(d.reply.xid);
    auto res = results_of<proto::write_res>(d);
    CHECK(res.code == proto::status::ok);
    CHECK(res.ver.hlc == d.reply.xid - 100);  // each answer went to its own call
  }
  CHECK(xids == std::vector<std::uint32_t>{103, 101, 102});
  // Each answer releases exactly its own request's bytes from the io's in-flight count.
  CHECK(io->sent[0].second == recs[2]->size());
  CHECK(io->sent[1].second == recs[0]->size());
  CHECK(io->sent[2].second == recs[1]->size());
}

TEST_CASE_METHOD(fixture, "a GET answer carries the value by reference to the router's reply", "[session]") {
  auto [s, io] = start_session();
  deliver(s, {record(call_payload(7, 2, pc::key_args{xdr::as_bytes(std::string_view("key")), 0}))});
  REQUIRE(rlog->gets.size() == 1);
  std::string big(64 * 1024, 'z');
  auto owner = std::make_shared<const std::vector<xdr::byte>>(big.begin(), big.end());
  get_reply r;
  r.found.data = xdr::bytes_view{*owner};
  r.found.info.size = big.size();
  r.owner = owner;
  in_router([this, r] { rlog->get_promises[0].deliver(r); });
  REQUIRE(io->sent.size() == 1);
  auto& reply = io->sent[0].first;
  // The 64 KiB value is a gather segment pointing at the store reply's bytes, not a copy.
  bool referenced = false;
  for (auto v : reply.body.views())
    if (v.data() == owner->data() && v.size() == owner->size()) referenced = true;
  CHECK(referenced);
  auto d = decode_outgoing(reply);
  auto res = results_of<proto::get_res>(d);
  CHECK(res.code == proto::status::ok);
  CHECK(std::string(xdr::as_chars(res.found.data)) == big);
}

TEST_CASE_METHOD(fixture, "RPC-level faults are answered by the session and never reach the router", "[session]") {
  auto [s, io] = start_session();
  const auto key = pc::key_args{xdr::as_bytes(std::string_view("k")), 0};
  std::vector<shared_bytes> recs{
      record(call_payload(1, 2, key, 0x20FE0002)),                           // FERRY_STORE's program
      record(call_payload(2, 2, key, pc::program, 9)),                       // version 9
      record(call_payload(3, 77, key)),                                      // no procedure 77
      record(raw_call(4, 1, {0, 0, 0, 5, 'a'})),                             // truncated PUT args
      record(raw_call(5, 0, {})),                                            // NULL
      record(call_payload(6, 2, key, pc::program, pc::version, 3 /*AUTH_DH*/)),
  };
  deliver(s, recs);
  CHECK(rlog->requests() == 0);
  REQUIRE(io->sent.size() == recs.size());
  auto reply_of = [&](std::size_t i) { return decode_outgoing(io->sent[i].first); };
  auto r1 = reply_of(0);
  CHECK(r1.reply.xid == 1);
  CHECK(r1.reply.accepted == rpc::accept_stat::prog_unavail);
  auto r2 = reply_of(1);
  CHECK(r2.reply.accepted == rpc::accept_stat::prog_mismatch);
  CHECK(r2.reply.mismatch == rpc::mismatch_info{1, 1});
  CHECK(reply_of(2).reply.accepted == rpc::accept_stat::proc_unavail);
  CHECK(reply_of(3).reply.accepted == rpc::accept_stat::garbage_args);
  auto r5 = reply_of(4);
  CHECK(r5.reply.accepted == rpc::accept_stat::success);
  CHECK(r5.reply.results.empty());
  auto r6 = reply_of(5);
  CHECK(r6.reply.stat == rpc::reply_stat::denied);
  CHECK(r6.reply.auth == rpc::auth_stat::rejectedcred);
  for (std::size_t i = 0; i < recs.size(); ++i) CHECK(io->sent[i].second == recs[i]->size());
  CHECK(alive(s));
}

TEST_CASE_METHOD(fixture, "a record that is not an RPC call closes the session", "[session]") {
  auto [s, io] = start_session();
  xdr::encoder e;
  rpc::encode_success(e, 9);  // a reply, sent by a confused peer
  deliver(s, {record(e.flatten())});
  CHECK(io->closed);
  CHECK(io->sent.empty());
  CHECK_FALSE(alive(s));
}

TEST_CASE_METHOD(fixture, "the client's deadline reaches the router — a silent router is answered TIMEDOUT once",
                 "[session]") {
  session_config sc;
  sc.router_grace = 1s;
  auto [s, io] = start_session(sc);
  const auto before = sched.clock().now();  // the virtual clock: only tests move it
  deliver(s, {record(call_payload(5, 1, put_of("k", "v", 500)))});
  REQUIRE(rlog->puts.size() == 1);
  CHECK(rlog->puts[0].deadline == before + 500ms);
  CHECK(sched.trigger_timeouts() == 1);  // deadline + grace, the session's own guard
  sched.run();
  REQUIRE(io->sent.size() == 1);
  auto d = decode_outgoing(io->sent[0].first);
  CHECK(d.reply.xid == 5);
  CHECK(results_of<proto::reply>(d).code == proto::status::timedout);
  // The router's late answer is dropped: still one reply.
  answer_put(0, ok_write(1));
  CHECK(io->sent.size() == 1);
}

TEST_CASE_METHOD(fixture, "a call whose router has died is answered UNAVAILABLE", "[session]") {
  auto [s, io] = start_session();
  caf::anon_send_exit(router, caf::exit_reason::kill);
  sched.run();
  deliver(s, {record(call_payload(8, 1, put_of("k", "v")))});
  REQUIRE(io->sent.size() == 1);
  auto res = results_of<proto::reply>(decode_outgoing(io->sent[0].first));
  CHECK(res.code == proto::status::unavailable);
  CHECK(alive(s));
}

TEST_CASE_METHOD(fixture, "a fault inside one session ends only that session", "[session][containment]") {
  session_config faulty;
  faulty.fault_hook = [](std::uint32_t, xdr::bytes_view args) {
    auto a = xdr::decode<pc::put_args>(args);
    if (a && xdr::as_chars(a->key) == "boom") throw std::runtime_error("injected fault");
  };
  auto [bad, bad_io] = start_session(faulty);
  auto [good, good_io] = start_session();
  deliver(good, {record(call_payload(1, 1, put_of("a", "v")))});
  deliver(bad, {record(call_payload(2, 1, put_of("boom", "v")))});
  CHECK_FALSE(alive(bad));
  CHECK(bad_io->closed);  // its socket closes with it
  // The other session and the router carry on: the pending call is answered, a new one is routed.
  REQUIRE(alive(good));
  REQUIRE(alive(router));
  answer_put(0, ok_write(1));
  deliver(good, {record(call_payload(3, 1, put_of("b", "v")))});
  CHECK(rlog->puts.size() == 2);
  REQUIRE(good_io->sent.size() == 1);
  CHECK(decode_outgoing(good_io->sent[0].first).reply.xid == 1);
}

TEST_CASE_METHOD(fixture, "a client that goes away ends its session — late answers are dropped", "[session]") {
  auto [s, io] = start_session();
  deliver(s, {record(call_payload(1, 1, put_of("k", "v")))});
  caf::anon_send(s, session_closed{"peer closed"});
  sched.run();
  CHECK_FALSE(alive(s));
  answer_put(0, ok_write(1));
  CHECK(io->sent.empty());
}

// ---- shared-memory bulk path (issue 12) -----------------------------------------------------------------

namespace {

/// A sealed memfd mapped here (the "app's" view) and attached as ferryd's io would (ferryd's view).
struct attached_region {
  std::shared_ptr<session::memory_budget> budget = std::make_shared<session::memory_budget>(1ull << 30);
  int fd = -1;
  xdr::byte* app = nullptr;
  std::size_t size;
  session::shm::attach_result ferryd;
  explicit attached_region(std::size_t n) : size(n) {
    fd = ::memfd_create("ferry-shm-unit", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(n)) == 0);
    REQUIRE(::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) == 0);
    app = static_cast<xdr::byte*>(::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    REQUIRE(app != MAP_FAILED);
    ferryd = session::shm::attach_region(session::shm::owned_fd(::dup(fd)), n, {}, budget);
    REQUIRE(ferryd.mapped);
  }
  ~attached_region() {
    ::munmap(app, size);
    ::close(fd);
  }
};

/// FC_SHM_ATTACH of `region` (xid 1) on session `s`, run to its answer: OK, the session's first reply.
void attach(caf::scheduler::test_coordinator& sched, const caf::actor& s, const io_log& io, attached_region& region) {
  caf::anon_send(s, session_shm_attach{record(call_payload(1, 11, pc::shm_attach_args{region.size})),
                                       std::move(region.ferryd)});
  sched.run();
  REQUIRE(io.sent.size() == 1);
  CHECK(results_of<proto::reply>(decode_outgoing(io.sent[0].first)).code == proto::status::ok);
}

session_stats stats_of(caf::actor_system& sys, caf::scheduler::test_coordinator& sched, const caf::actor& s) {
  auto out = std::make_shared<session_stats>();
  // Spawned with arguments: CAF 0.17 binds a null tuple for an argument-less function (UBSan).
  sys.spawn(
      [](caf::event_based_actor* self, caf::actor session, std::shared_ptr<session_stats> into) {
        self->request(session, caf::infinite, session_stats_atom::value).then([into](session_stats& st) { *into = st; });
      },
      s, out);
  sched.run();
  return *out;
}

}  // namespace

TEST_CASE_METHOD(fixture, "an upload's value reaches the router as a view into the app's region, copied nowhere",
                 "[session][shm]") {
  auto [s, io] = start_session();
  attached_region region(4u << 20);
  auto ferryd_view = region.ferryd.mapped;
  CHECK(region.budget->shm_mapped() == region.size);
  attach(sched, s, *io, region);

  constexpr std::uint32_t n = 1u << 20;
  std::memset(region.app + 4096, 'q', n);
  pc::put_shm_args a{xdr::as_bytes(std::string_view("big")), {4096, n}, 0, {}, 0};
  deliver(s, {record(call_payload(2, 12, a))});
  REQUIRE(rlog->puts.size() == 1);
  const auto& value = rlog->puts[0].args.value;
  // The very bytes of ferryd's mapping: no copy between the app's slot and the store call's gather list.
  CHECK(value.data() == ferryd_view->slot(4096, n)->data());
  CHECK(value.size() == n);
  region.app[4096 + 10] = 'Z';  // the app writes its page; ferryd's view is the same page
  CHECK(value[10] == 'Z');
  CHECK(stats_of(sys, sched, s).payload_bytes_copied == 0);
  CHECK(stats_of(sys, sched, s).shm_calls == 1);

  // The router answers, but a (simulated) store call still holds the request: the slot is not the app's
  // again yet, so no reply.
  answer_put(0, ok_write(5));
  CHECK(io->sent.size() == 1);
  rlog->puts.clear();  // the last reference to the slot's bytes goes
  sched.run();
  REQUIRE(io->sent.size() == 2);
  auto d = decode_outgoing(io->sent[1].first);
  CHECK(d.reply.xid == 2);
  CHECK(results_of<proto::write_res>(d).ver.hlc == 5);

  // The region stays mapped while anything holds it, and is given back to the budget after.
  caf::anon_send_exit(s, caf::exit_reason::kill);
  sched.run();
  ferryd_view.reset();
  CHECK(region.budget->shm_mapped() == 0);
}

TEST_CASE_METHOD(fixture, "a download is written once into the app's slot, and slots are checked before routing",
                 "[session][shm]") {
  auto [s, io] = start_session();
  attached_region region(1u << 20);
  attach(sched, s, *io, region);

  auto key = xdr::as_bytes(std::string_view("k"));
  deliver(s, {record(call_payload(2, 13, pc::get_shm_args{key, {1000, 200000}, 0})),
              record(call_payload(3, 13, pc::get_shm_args{key, {200000, 10}, 0})),           // overlaps xid 2
              record(call_payload(4, 12, pc::put_shm_args{key, {1u << 20, 1}, 0, {}, 0})),  // past the end
              record(call_payload(5, 12, pc::put_shm_args{key, {~0ull - 1, 4}, 0, {}, 0}))});  // wraps
  REQUIRE(rlog->gets.size() == 1);
  REQUIRE(io->sent.size() == 4);
  for (std::size_t i = 1; i < 4; ++i)
    CHECK(results_of<proto::reply>(decode_outgoing(io->sent[i].first)).code == proto::status::bad_range);

  std::string v(100000, 'd');
  auto owner = std::make_shared<const std::vector<xdr::byte>>(v.begin(), v.end());
  get_reply r;
  r.found.data = xdr::bytes_view{*owner};
  r.found.info.size = v.size();
  r.owner = owner;
  in_router([this, r] { rlog->get_promises[0].deliver(r); });
  REQUIRE(io->sent.size() == 5);
  auto res = results_of<pc::get_shm_res>(decode_outgoing(io->sent[4].first));
  CHECK(res.code == proto::status::ok);
  CHECK(res.value.length == v.size());
  CHECK(std::memcmp(region.app + 1000, v.data(), v.size()) == 0);
  CHECK(stats_of(sys, sched, s).payload_bytes_copied == v.size());
  // The slot is free again once answered.
  deliver(s, {record(call_payload(6, 13, pc::get_shm_args{key, {200000, 10}, 0}))});
  CHECK(rlog->gets.size() == 2);
}

TEST_CASE("attach refuses what is not a memfd sealed against shrinking, and ranges are checked once",
          "[session][shm]") {
  auto budget = std::make_shared<session::memory_budget>(1ull << 30);
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  auto piped = session::shm::attach_region(session::shm::owned_fd(p[0]), 4096, {}, budget);
  ::close(p[1]);
  CHECK(!piped.mapped);
  CHECK(piped.code == proto::status::bad_request);

  int fd = ::memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  REQUIRE(::ftruncate(fd, 8192) == 0);
  auto unsealed = session::shm::attach_region(session::shm::owned_fd(::dup(fd)), 8192, {}, budget);
  CHECK(!unsealed.mapped);
  CHECK(unsealed.detail.find("F_SEAL_SHRINK") != std::string::npos);
  REQUIRE(::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
  session::shm::shm_limits small;
  small.max_region_bytes = 4096;
  CHECK(!session::shm::attach_region(session::shm::owned_fd(::dup(fd)), 8192, small, budget).mapped);
  small.max_region_bytes = 1u << 20;
  small.max_total_bytes = 4096;
  CHECK(session::shm::attach_region(session::shm::owned_fd(::dup(fd)), 8192, small, budget).code ==
        proto::status::overloaded);
  auto ok = session::shm::attach_region(session::shm::owned_fd(::dup(fd)), 8192, {}, budget);
  ::close(fd);
  REQUIRE(ok.mapped);
  CHECK(ok.mapped->slot(0, 8192));
  CHECK(ok.mapped->slot(8192, 0));
  CHECK(!ok.mapped->slot(8192, 1));
  CHECK(!ok.mapped->slot(~0ull, 2));
  CHECK(budget->shm_mapped() == 8192);
  ok.mapped.reset();
  CHECK(budget->shm_mapped() == 0);

  using slots = session::shm::slot_table;
  slots t(3);
  CHECK(t.take(100, 100) == slots::outcome::taken);
  CHECK(t.take(199, 1) == slots::outcome::overlaps);
  CHECK(t.take(50, 51) == slots::outcome::overlaps);
  CHECK(t.take(200, 1) == slots::outcome::taken);
  CHECK(t.take(0, 100) == slots::outcome::taken);
  CHECK(t.take(150, 0) == slots::outcome::taken);  // empty slots never collide, nor count
  CHECK(t.take(300, 1) == slots::outcome::too_many);  // three in flight: the limit
  CHECK(t.take(150, 10) == slots::outcome::overlaps);  // overlapping is named before the count
  t.give_back(100, 100);
  CHECK(t.take(150, 10) == slots::outcome::taken);
  CHECK(t.in_flight() == 3);
}

TEST_CASE_METHOD(fixture, "a download received into the slot is answered at once, and one a losing reply claimed waits for its release",
                 "[session][shm]") {
  auto [s, io] = start_session();
  attached_region region(1u << 20);
  attach(sched, s, *io, region);
  auto key = xdr::as_bytes(std::string_view("k"));

  // The store connection claims the request's sink and writes the value into it (what tcp_link does).
  deliver(s, {record(call_payload(2, 13, pc::get_shm_args{key, {0, 4096}, 0}))});
  REQUIRE(rlog->gets.size() == 1);
  auto sink = rlog->gets[0].sink;
  REQUIRE(sink);
  CHECK(sink->capacity() == 4096);
  REQUIRE(sink->claim(3000));
  CHECK_FALSE(sink->claim(3000));  // once only: another reply for the same request comes in its record
  std::memset(sink->memory(), 'x', 3000);
  get_reply landed;
  landed.found.info.size = 3000;
  landed.in_sink = 3000;
  in_router([this, landed] { rlog->get_promises[0].deliver(landed); });
  REQUIRE(io->sent.size() == 2);  // at once: the answer's own bytes are in the slot, nothing can write it
  auto res = results_of<pc::get_shm_res>(decode_outgoing(io->sent[1].first));
  CHECK(res.code == proto::status::ok);
  CHECK(res.value.length == 3000);
  CHECK(std::all_of(region.app, region.app + 3000, [](xdr::byte b) { return b == 'x'; }));
  auto st = stats_of(sys, sched, s);
  CHECK(st.payload_bytes_in_place == 3000);
  CHECK(st.payload_bytes_copied == 0);
  CHECK(region.budget->shm_bytes_in_place() == 3000);

  // A reply that lost the race (a late one, a stale replica's) claimed the sink; the answer comes in its
  // record. The slot is written, and the app answered, only once that reply can write no more.
  std::memset(region.app + 8192, 0, 4096);
  deliver(s, {record(call_payload(3, 13, pc::get_shm_args{key, {8192, 4096}, 0}))});
  REQUIRE(rlog->gets.size() == 2);
  auto loser = rlog->gets[1].sink;
  REQUIRE(loser->claim(10));
  std::string v(100, 'e');
  auto owner = std::make_shared<const std::vector<xdr::byte>>(v.begin(), v.end());
  get_reply in_record;
  in_record.found.data = xdr::bytes_view{*owner};
  in_record.found.info.size = v.size();
  in_record.owner = owner;
  in_router([this, in_record] { rlog->get_promises[1].deliver(in_record); });
  CHECK(io->sent.size() == 2);  // waiting for the claim's end
  CHECK(region.app[8192] == 0);
  sink.reset();
  rlog->gets.clear();
  sched.run();
  CHECK(io->sent.size() == 2);
  loser.reset();  // the last reference: released
  sched.run();
  REQUIRE(io->sent.size() == 3);
  res = results_of<pc::get_shm_res>(decode_outgoing(io->sent[2].first));
  CHECK(res.value.length == v.size());
  CHECK(std::memcmp(region.app + 8192, v.data(), v.size()) == 0);
  CHECK(stats_of(sys, sched, s).payload_bytes_copied == v.size());
}
