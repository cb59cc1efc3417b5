// The router actor against fake store connections on CAF's test coordinator: placement, quorum paths,
// failover, deadlines on the virtual clock, HLC, LIST merge and reload, each answer counted exactly once.
#include "router_fixture.hpp"

using namespace router_test;

TEST_CASE_METHOD(fixture, "a put goes to exactly the R replicas placement picks, with the key, value and version",
                 "[router]") {
  start(5, 2, 2);
  auto res = ask<write_reply>(put("alpha", "one"));
  CHECK(res.code == status::ok);
  CHECK(res.ver.writer == 7);
  auto called = world->servers_called(ps::proc::put);
  std::sort(called.begin(), called.end());
  auto expected = placement("alpha", 2);
  std::sort(expected.begin(), expected.end());
  CHECK(called == expected);
  for (const auto& c : world->calls) {
    auto a = xdr::decode<ps::put_args>(c.args);
    REQUIRE(a);
    CHECK(str(a->key) == "alpha");
    CHECK(str(a->value) == "one");
    CHECK(a->ver == res.ver);
  }
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a write is answered OK once W replicas ack and a late replica reply is dropped",
                 "[router]") {
  start(3, 3, 2);
  auto reps = placement("k", 3);
  world->modes[reps[2]] = mode::silent;
  auto res = ask<write_reply>(put("k", "v"));
  CHECK(res.code == status::ok);
  REQUIRE(world->held.size() == 1);
  release(0, encoded(proto::write_res{status::ok, res.ver, {}}));
  sched.run();
  CHECK(replies<write_reply>().empty());
  auto s = stats();
  CHECK(s.dropped_replies == 1);
  CHECK(s.open_requests == 0);
  CHECK(s.armed_deadlines == 0);
}

TEST_CASE_METHOD(fixture, "a replica holding a newer version makes the write CONFLICT and the clock observes it",
                 "[router]") {
  start(3, 3, 2);
  const proto::version newer{router::make_hlc(wall_ms + 60'000, 3), 99};
  world->data[placement("k", 3)[1]]["k"] = stored{"future", newer, true};
  auto res = ask<write_reply>(put("k", "v"));
  CHECK(res.code == status::conflict);
  CHECK(res.ver == newer);
  auto next = ask<write_reply>(put("other", "v"));
  CHECK(next.code == status::ok);
  CHECK(next.ver > newer);
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a write whose quorum is out of reach answers UNAVAILABLE naming the failed replicas",
                 "[router]") {
  start(3, 3, 2);
  auto reps = placement("k", 3);
  world->modes[reps[0]] = mode::unavailable;
  world->modes[reps[2]] = mode::io_error;
  auto res = ask<write_reply>(put("k", "v"));
  CHECK(res.code == status::unavailable);
  CHECK(res.detail.find(reps[0]) != std::string::npos);
  CHECK(res.detail.find(reps[2]) != std::string::npos);
  CHECK(res.detail.find(reps[1]) == std::string::npos);
  CHECK(stats().open_requests == 0);
}

/// A 500 ms PUT to replicas that never answer: nothing before `answered_at`, then TIMEDOUT exactly once.
void expect_silent_write_timedout_at(fixture& f, std::chrono::milliseconds answered_at) {
  for (const auto& id : f.ids) f.world->modes[id] = mode::silent;
  f.self->send(f.router, f.put("k", "v", 500ms));
  f.sched.run();
  CHECK(f.stats().open_requests == 1);
  f.sched.advance_time(answered_at - 1ms);
  f.sched.run();
  CHECK(f.replies<write_reply>().empty());
  f.sched.advance_time(1ms);
  f.sched.run();
  auto got = f.replies<write_reply>();
  REQUIRE(got.size() == 1);
  CHECK(got.front().code == status::timedout);
  f.expect_late_answers_dropped_and_state_freed<write_reply>();
}

TEST_CASE_METHOD(fixture, "a write to silent replicas that must all answer (W = R) answers TIMEDOUT exactly once at its deadline",
                 "[router]") {
  start(3, 3, 3);
  expect_silent_write_timedout_at(*this, 500ms);
}

TEST_CASE_METHOD(fixture, "with W < R a write's calls end a reserve before the deadline, so silent replicas are answered TIMEDOUT in time",
                 "[router]") {
  // The reserve is a tenth of the time left (at least the attempt floor, at most 100 ms): 50 ms of 500 ms.
  // A straggler's call ending early is what lets its connection, stalled, close before the client gives up.
  start(3, 3, 2);
  expect_silent_write_timedout_at(*this, 450ms);
}

TEST_CASE_METHOD(fixture, "HLC versions of successive writes strictly increase while the wall clock stands still",
                 "[router]") {
  start(3, 2, 1);
  auto a = ask<write_reply>(put("a", "1"));
  auto b = ask<write_reply>(keyed<delete_request>("a"));
  wall_ms -= 5000;  // the wall clock steps back: versions still grow
  auto c = ask<write_reply>(put("a", "3"));
  CHECK(a.code == status::ok);
  CHECK(b.code == status::ok);
  CHECK(c.code == status::ok);
  CHECK(a.ver < b.ver);
  CHECK(b.ver < c.ver);
  CHECK(router::hlc_physical_ms(a.ver.hlc) == 1'000'000);
  auto got = ask<get_reply>(keyed<get_request>("a"));
  CHECK(got.code == status::ok);
  CHECK(str(got.found.data) == "3");
  CHECK(got.found.info.ver == c.ver);
}

TEST_CASE_METHOD(fixture, "a delete writes a tombstone that later reads report as NOT_FOUND", "[router]") {
  start(3, 2, 2);
  CHECK(ask<write_reply>(put("gone", "x")).code == status::ok);
  auto del = ask<write_reply>(keyed<delete_request>("gone"));
  CHECK(del.code == status::ok);
  auto got = ask<get_reply>(keyed<get_request>("gone"));
  CHECK(got.code == status::not_found);
  CHECK(got.tombstone == del.ver);
  CHECK(ask<stat_reply>(keyed<stat_request>("gone")).code == status::not_found);
}

// ---- reads across replicas: R = 3, W = 2, so a read wants the versions of R − W + 1 = 2 replicas ----

/// The replica a GET of `key` fetches from first and the one it probes (the health order, stable here).
std::pair<std::string, std::string> fetched_and_probed(fixture& f, const std::string& key) {
  f.world->calls.clear();
  REQUIRE(f.ask<get_reply>(f.keyed<get_request>(key)).code == status::ok);
  auto gets = f.world->servers_called(ps::proc::get);
  auto stats = f.world->servers_called(ps::proc::stat);
  REQUIRE(gets.size() == 1);
  REQUIRE(stats.size() == 1);
  f.world->calls.clear();
  return {gets.front(), stats.front()};
}

/// "k" written twice to all three replicas ("old", then `newer`): the old copy (to put a replica back to
/// it), the newer write's reply, and the replica a GET fetches from first and the one it probes.
struct two_writes {
  stored old_copy;
  write_reply fresh;
  std::string first, probed;
};
two_writes written_twice(fixture& f, const std::string& newer = "new") {
  f.start(3, 3, 2);
  REQUIRE(f.ask<write_reply>(f.put("k", "old")).code == status::ok);
  two_writes w;
  w.old_copy = f.world->data[f.placement("k", 3)[0]]["k"];
  w.fresh = f.ask<write_reply>(f.put("k", newer));
  REQUIRE(w.fresh.code == status::ok);
  std::tie(w.first, w.probed) = fetched_and_probed(f, "k");
  return w;
}

TEST_CASE_METHOD(fixture, "a read whose first replica is behind answers the newer value a probe found and repairs it",
                 "[router][read-repair]") {
  auto [old_copy, fresh, first, probed] = written_twice(*this);
  world->data[first]["k"] = old_copy;  // the first replica missed the overwrite

  auto got = ask<get_reply>(keyed<get_request>("k"));
  CHECK(got.code == status::ok);
  CHECK(str(got.found.data) == "new");
  CHECK(got.found.info.ver == fresh.ver);
  CHECK(world->servers_called(ps::proc::get) == std::vector<std::string>{first, probed});
  sched.run();  // the background repair
  CHECK(world->servers_called(ps::proc::put) == std::vector<std::string>{first});
  CHECK(world->data[first]["k"].value == "new");
  CHECK(world->data[first]["k"].ver == fresh.ver);
  auto s = stats();
  CHECK(s.newer_refetches == 1);
  CHECK(s.read_repairs == 1);
  CHECK(s.degraded_reads == 0);
  CHECK(s.open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a read whose probed replica is behind answers at once and repairs the probed one",
                 "[router][read-repair]") {
  auto [old_copy, fresh, first, probed] = written_twice(*this);
  world->data[probed]["k"] = old_copy;

  auto got = ask<get_reply>(keyed<get_request>("k"));
  CHECK(str(got.found.data) == "new");
  CHECK(world->servers_called(ps::proc::get) == std::vector<std::string>{first});  // no second fetch
  sched.run();
  CHECK(world->servers_called(ps::proc::put) == std::vector<std::string>{probed});
  CHECK(world->data[probed]["k"].ver == fresh.ver);
  CHECK(stats().newer_refetches == 0);
}

TEST_CASE_METHOD(fixture, "a read that finds a newer tombstone answers NOT_FOUND and deletes the stale live copy",
                 "[router][read-repair]") {
  start(3, 3, 2);
  REQUIRE(ask<write_reply>(put("k", "old")).code == status::ok);
  const auto old_copy = world->data[placement("k", 3)[0]]["k"];
  auto [first, probed] = fetched_and_probed(*this, "k");
  auto del = ask<write_reply>(keyed<delete_request>("k"));
  REQUIRE(del.code == status::ok);
  world->data[first]["k"] = old_copy;  // the first replica missed the delete
  world->calls.clear();

  auto got = ask<get_reply>(keyed<get_request>("k"));
  CHECK(got.code == status::not_found);
  CHECK(got.tombstone == del.ver);
  CHECK(world->servers_called(ps::proc::get) == std::vector<std::string>{first});  // a tombstone needs no fetch
  sched.run();
  CHECK(world->servers_called(ps::proc::del) == std::vector<std::string>{first});
  CHECK_FALSE(world->data[first]["k"].live);
  CHECK(world->data[first]["k"].ver == del.ver);
  CHECK(stats().read_repairs == 1);
}

TEST_CASE_METHOD(fixture, "a STAT answers the newest replica's info without a value to repair with",
                 "[router][read-repair]") {
  auto [old_copy, fresh, first, probed] = written_twice(*this, "newer");
  world->data[first]["k"] = old_copy;

  auto st = ask<stat_reply>(keyed<stat_request>("k"));
  CHECK(st.code == status::ok);
  CHECK(st.info.ver == fresh.ver);
  CHECK(st.info.size == 5);
  CHECK(world->servers_called(ps::proc::stat).size() == 2);
  sched.run();
  CHECK(world->servers_called(ps::proc::put).empty());  // only a GET holds the value to repair with
  CHECK(stats().read_repairs == 0);
}

TEST_CASE_METHOD(fixture, "a read with one replica down still sees two versions and answers the newest",
                 "[router][read-repair]") {
  auto [old_copy, fresh, first, probed] = written_twice(*this);
  world->modes[probed] = mode::unavailable;
  world->data[first]["k"] = old_copy;

  auto got = ask<get_reply>(keyed<get_request>("k"));
  CHECK(str(got.found.data) == "new");  // the third replica's probe replaced the failed one
  CHECK(got.found.info.ver == fresh.ver);
  auto s = stats();
  CHECK(s.degraded_reads == 0);
  CHECK(s.newer_refetches == 1);
  CHECK(s.open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a read whose other replicas stay silent answers what it holds at its deadline, degraded",
                 "[router][read-repair]") {
  start(3, 3, 2);
  REQUIRE(ask<write_reply>(put("k", "v")).code == status::ok);
  auto [first, probed] = fetched_and_probed(*this, "k");
  for (const auto& id : ids)
    if (id != first) world->modes[id] = mode::silent;
  self->send(router, keyed<get_request>("k", 2s));
  sched.run();
  CHECK(replies<get_reply>().empty());  // the fetch answered; a probe is out
  sched.advance_time(1s);               // the first probe's share of the time: the third replica is asked
  sched.run();
  CHECK(replies<get_reply>().empty());
  sched.advance_time(1s);
  sched.run();
  auto got = replies<get_reply>();
  REQUIRE(got.size() == 1);
  CHECK(got.front().code == status::ok);
  CHECK(str(got.front().found.data) == "v");
  auto s = stats();
  CHECK(s.degraded_reads == 1);
  CHECK(s.open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a read fails over to the next replica when the first answers an error", "[router]") {
  start(3, 3, 3);
  CHECK(ask<write_reply>(put("k", "value")).code == status::ok);
  world->calls.clear();
  auto reps = placement("k", 3);
  world->modes[reps[0]] = mode::unavailable;
  auto got = ask<get_reply>(keyed<get_request>("k"));
  CHECK(got.code == status::ok);
  CHECK(str(got.found.data) == "value");
  CHECK(world->servers_called(ps::proc::get) == std::vector<std::string>{reps[0], reps[1]});
  auto st = ask<stat_reply>(keyed<stat_request>("k"));
  CHECK(st.code == status::ok);
  CHECK(st.info.size == 5);
  // The failed server now has an error on record: the next read starts with a healthy one.
  CHECK(world->servers_called(ps::proc::stat).front() != reps[0]);
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a read fails over to the next replica when the first stays silent past its budget",
                 "[router]") {
  start(3, 3, 3);
  CHECK(ask<write_reply>(put("k", "value")).code == status::ok);
  world->calls.clear();
  auto reps = placement("k", 3);
  world->modes[reps[0]] = mode::silent;
  self->send(router, keyed<get_request>("k", 3s));  // three replicas: one second each
  sched.run();
  CHECK(replies<get_reply>().empty());
  sched.advance_time(999ms);
  sched.run();
  CHECK(replies<get_reply>().empty());
  sched.advance_time(1ms);
  sched.run();
  auto got = replies<get_reply>();
  REQUIRE(got.size() == 1);
  CHECK(got.front().code == status::ok);
  CHECK(world->servers_called(ps::proc::get) == std::vector<std::string>{reps[0], reps[1]});
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a read from silent replicas answers TIMEDOUT exactly once and frees all its state",
                 "[router]") {
  start(3, 3, 3);
  for (const auto& id : ids) world->modes[id] = mode::silent;
  self->send(router, keyed<get_request>("k", 3s));
  sched.run();
  for (int i = 0; i < 3; ++i) {
    CHECK(replies<get_reply>().empty());
    sched.advance_time(1s);
    sched.run();
  }
  auto got = replies<get_reply>();
  REQUIRE(got.size() == 1);
  CHECK(got.front().code == status::timedout);
  CHECK(world->servers_called(ps::proc::get).size() == 3);
  expect_late_answers_dropped_and_state_freed<get_reply>();
}

TEST_CASE_METHOD(fixture, "a request whose deadline has already passed is answered TIMEDOUT without a store call",
                 "[router]") {
  start(3, 2, 1);
  CHECK(ask<write_reply>(put("k", "v", 0s)).code == status::timedout);
  CHECK(ask<get_reply>(keyed<get_request>("k", -1ms)).code == status::timedout);
  CHECK(world->calls.empty());
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(fixture, "LIST merges every server's page in key order, newest version winning, with pagination",
                 "[router]") {
  start(3, 2, 1);
  const proto::version old_v{100, 1}, new_v{200, 1};
  world->data[ids[0]]["a"] = stored{"old", old_v, true};
  world->data[ids[1]]["a"] = stored{"newer", new_v, true};
  world->data[ids[1]]["b"] = stored{"b", old_v, true};
  world->data[ids[2]]["b"] = stored{"b", old_v, true};
  world->data[ids[2]]["c"] = stored{"c", old_v, true};
  world->data[ids[0]]["d"] = stored{"d", old_v, true};
  world->data[ids[0]]["x-other"] = stored{"x", old_v, true};

  list_request first;
  first.args.limit = 2;
  first.deadline = in(2s);
  auto page = ask<list_reply>(first);
  REQUIRE(page.code == status::ok);
  REQUIRE(page.entries.size() == 2);
  CHECK(str(page.entries[0].key) == "a");
  CHECK(page.entries[0].info.ver == new_v);
  CHECK(page.entries[0].info.size == 5);
  CHECK(str(page.entries[1].key) == "b");
  CHECK(page.more);
  auto wire = page.wire();
  CHECK(str(wire.page.next_cursor) == "b");

  list_request second;
  second.owner = bytes_of("b");
  second.args.cursor = xdr::bytes_view{*second.owner};
  second.args.limit = 10;
  second.deadline = in(2s);
  auto rest = ask<list_reply>(second);
  REQUIRE(rest.code == status::ok);
  std::vector<std::string> keys;
  for (const auto& e : rest.entries) keys.push_back(str(e.key));
  CHECK(keys == std::vector<std::string>{"c", "d", "x-other"});
  CHECK_FALSE(rest.more);
  CHECK(world->servers_called(ps::proc::list).size() == 6);
}

TEST_CASE_METHOD(fixture, "LIST tolerates fewer than R failed servers and answers UNAVAILABLE beyond that",
                 "[router]") {
  start(3, 2, 1);
  world->data[ids[1]]["a"] = stored{"a", {1, 1}, true};
  world->modes[ids[0]] = mode::unavailable;
  list_request req;
  req.deadline = in(2s);
  auto ok = ask<list_reply>(req);
  CHECK(ok.code == status::ok);
  CHECK(ok.entries.size() == 1);
  world->modes[ids[2]] = mode::io_error;
  req.deadline = in(2s);
  auto bad = ask<list_reply>(req);
  CHECK(bad.code == status::unavailable);
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(fixture, "a reload replaces the server set and writes follow the new placement", "[router]") {
  start(2, 1, 1);
  auto fresh = std::vector<std::string>{"10.0.1.1:7340"};
  self->send(router, set_servers{make_servers(fresh)});
  sched.run();
  world->calls.clear();
  auto res = ask<write_reply>(put("k", "v"));
  CHECK(res.code == status::ok);
  CHECK(world->servers_called(ps::proc::put) == fresh);
  self->send(router, set_servers{});
  sched.run();
  auto none = ask<get_reply>(keyed<get_request>("k"));
  CHECK(none.code == status::unavailable);
}

TEST_CASE_METHOD(fixture, "connections enroll themselves, survive a reload, and are forgotten when they end",
                 "[router]") {
  // The daemon's wiring: the router knows the server ids; connections offer themselves as they start.
  ids = {"10.0.2.1:7340"};
  router_config rc;
  rc.quorum = {1, 1};
  rc.servers = {{ids[0], {}}};
  router = spawn_router(sys, std::move(rc));
  sched.run();
  CHECK(ask<write_reply>(put("k", "v")).code == status::unavailable);  // nobody to call yet

  auto conn = sys.spawn(fake_store, ids[0], world);
  stores[ids[0]].push_back(conn);
  auto stray = sys.spawn(fake_store, std::string("10.9.9.9:1"), world);
  stores["stray"].push_back(stray);
  self->send(router, enroll_connection{ids[0], conn});
  self->send(router, enroll_connection{"10.9.9.9:1", stray});  // not a configured server: ignored
  sched.run();
  CHECK(stats().servers_connected == 0);  // enrolled, not yet connected
  CHECK(ask<write_reply>(put("k", "v")).code == status::unavailable);
  CHECK(world->servers_called(ps::proc::put).empty());
  self->send(router, connection_state_changed{conn.address(), ids[0], true, {}});
  sched.run();
  CHECK(stats().servers_connected == 1);
  CHECK(ask<write_reply>(put("k", "v")).code == status::ok);
  CHECK(world->servers_called(ps::proc::put) == ids);

  // A reload naming the same server without connections keeps the enrolled one.
  self->send(router, set_servers{{{ids[0], {}}}});
  sched.run();
  CHECK(ask<write_reply>(put("k", "v2")).code == status::ok);

  // The connection ends (its supervisor restarts it as a new actor): the router drops the dead handle.
  caf::anon_send_exit(conn, caf::exit_reason::kill);
  sched.run();
  auto res = ask<write_reply>(put("k", "v3"));
  CHECK(res.code == status::unavailable);
  CHECK(res.detail.find(ids[0]) != std::string::npos);
  CHECK(stats().servers_connected == 0);
}

TEST_CASE_METHOD(fixture, "a connection's first up event enrolls it even when it overtakes the enrollment",
                 "[router]") {
  ids = {"10.0.3.1:7340"};
  router_config rc;
  rc.quorum = {1, 1};
  rc.servers = {{ids[0], {}}};
  router = spawn_router(sys, std::move(rc));
  auto conn = sys.spawn(fake_store, ids[0], world);
  stores[ids[0]].push_back(conn);
  self->send(router, connection_state_changed{conn.address(), ids[0], true, {}});
  self->send(router, enroll_connection{ids[0], conn});  // arrives second: changes nothing
  sched.run();
  auto s = stats();
  CHECK(s.servers == 1);
  CHECK(s.servers_connected == 1);
  CHECK(ask<write_reply>(put("k", "v")).code == status::ok);
  CHECK(world->servers_called(ps::proc::put).size() == 1);  // one slot, not two
}

TEST_CASE_METHOD(fixture, "calls rotate over a server's connections and skip one reported disconnected",
                 "[router]") {
  start(1, 1, 1, 2);
  auto& conns = stores[ids[0]];
  auto job_of = [](const caf::actor& a) {
    return dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(a));
  };
  // Which connection a call goes to shows as the next scheduled job after the router's turn.
  auto next_call_goes_to = [&](auto request) {
    self->send(router, std::move(request));
    REQUIRE(sched.jobs.size() == 1);
    sched.run_once();
    REQUIRE(sched.jobs.size() == 1);
    auto* job = sched.jobs.front();
    sched.run();
    return job;
  };
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(next_call_goes_to(put("k" + std::to_string(i), "v")) == job_of(conns[i % 2]));
    CHECK(replies<write_reply>().size() == 1);
  }
  // Mark the first connection down: every call must now reach the second one only.
  self->send(router, connection_state_changed{conns[0].address(), ids[0], false, "test"});
  sched.run();
  world->calls.clear();
  for (int i = 0; i < 3; ++i) {
    CHECK(next_call_goes_to(keyed<get_request>("k0")) == job_of(conns[1]));
    CHECK(replies<get_reply>().size() == 1);
  }
  self->send(router, connection_state_changed{conns[1].address(), ids[0], false, "test"});
  sched.run();
  auto down = ask<get_reply>(keyed<get_request>("k0"));
  CHECK(down.code == status::unavailable);
  CHECK(world->calls.size() == 3);
}

TEST_CASE_METHOD(fixture, "a replica ejected after repeated errors is read only after every other replica failed",
                 "[router]") {
  start(3, 3, 2);
  auto reps = placement("k", 3);
  world->modes[reps[0]] = mode::unavailable;
  for (int i = 0; i < 5; ++i) CHECK(ask<write_reply>(put("k", "v" + std::to_string(i))).code == status::ok);
  world->modes[reps[0]] = mode::normal;
  world->calls.clear();
  CHECK(ask<get_reply>(keyed<get_request>("k")).code == status::ok);
  CHECK(world->servers_called(ps::proc::get) == std::vector<std::string>{reps[1]});
  world->modes[reps[1]] = mode::unavailable;
  world->modes[reps[2]] = mode::unavailable;
  world->calls.clear();
  auto got = ask<get_reply>(keyed<get_request>("k"));
  // The ejected replica is the last resort. It missed the writes while failing and is the only replica
  // left answering, so its NOT_FOUND is the answer: a degraded read (fewer than R − W + 1 versions seen),
  // which can be stale only because W replicas are unreachable.
  CHECK(got.code == status::not_found);
  CHECK(world->servers_called(ps::proc::get) == std::vector<std::string>{reps[1], reps[0]});
  CHECK(world->servers_called(ps::proc::stat) == std::vector<std::string>{reps[2]});
  CHECK(stats().degraded_reads == 1);
}

TEST_CASE_METHOD(fixture, "a router told to shut down answers its open requests SHUTTING_DOWN", "[router]") {
  start(3, 3, 2);
  for (const auto& id : ids) world->modes[id] = mode::silent;
  self->send(router, put("k", "v"));
  self->send(router, keyed<get_request>("k"));
  sched.run();
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
  sched.run();
  auto w = replies<write_reply>();
  REQUIRE(w.size() == 1);
  CHECK(w.front().code == status::shutting_down);
  auto g = replies<get_reply>();
  REQUIRE(g.size() == 1);
  CHECK(g.front().code == status::shutting_down);
}

TEST_CASE("merging LIST pages keeps key order, the newest copy of a key, and the limit", "[router][list]") {
  const std::string a = "a", b = "b", c = "c";
  auto entry = [](const std::string& k, std::uint64_t hlc) {
    return proto::list_entry{xdr::as_bytes(k), {hlc, {hlc, 1}, 0}};
  };
  proto::list_page p1{{entry(a, 1), entry(c, 1)}, {}, false};
  proto::list_page p2{{entry(a, 5), entry(b, 2)}, {}, false};
  std::vector<proto::list_page> pages{p1, p2};

  auto all = router::merge_list_pages(pages, 10);
  REQUIRE(all.entries.size() == 3);
  CHECK(str(all.entries[0].key) == "a");
  CHECK(all.entries[0].info.ver.hlc == 5);
  CHECK(str(all.entries[2].key) == "c");
  CHECK_FALSE(all.more);

  auto two = router::merge_list_pages(pages, 2);
  CHECK(two.entries.size() == 2);
  CHECK(two.more);

  auto zero = router::merge_list_pages(pages, 0);  // read as 1
  CHECK(zero.entries.size() == 1);

  pages[1].more = true;  // a server that stopped early: more keys exist after the merged page
  CHECK(router::merge_list_pages(pages, 10).more);
  CHECK(router::merge_list_pages({}, 10).entries.empty());
}
