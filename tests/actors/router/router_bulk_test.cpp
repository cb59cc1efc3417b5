// The router's chunked transfers against fake stores on CAF's test coordinator: WRITE_OPEN / CHUNK /
// COMMIT / ABORT across replicas (quorum, failing replicas, idle expiry, the upload cap) and READ failover.
#include "router_fixture.hpp"

#include <algorithm>

using namespace router_test;

namespace {

struct bulk_fixture : fixture {
  write_open_request open_req(std::string_view key, router::duration d = 2s) { return keyed<write_open_request>(key, d); }
  write_chunk_request chunk_req(std::uint64_t upload, std::uint64_t offset, shared_bytes data, router::duration d = 2s) {
    write_chunk_request r;
    r.owner = data;
    r.args.upload_id = upload;
    r.args.offset = offset;
    r.args.data = xdr::bytes_view{*data};
    r.deadline = in(d);
    return r;
  }
  write_commit_request commit_req(std::uint64_t upload, std::uint64_t size, router::duration d = 2s) {
    write_commit_request r;
    r.args.upload_id = upload;
    r.args.size = size;
    r.deadline = in(d);
    return r;
  }
  write_abort_request abort_req(std::uint64_t upload) {
    write_abort_request r;
    r.args.upload_id = upload;
    r.deadline = in(2s);
    return r;
  }
  read_request read_req(std::string_view key, std::uint64_t offset, std::uint32_t length, router::duration d = 2s) {
    auto r = keyed<read_request>(key, d);
    r.args.offset = offset;
    r.args.length = length;
    return r;
  }

  /// Opens an upload of `key` and requires it to succeed.
  std::uint64_t open_upload(std::string_view key) {
    auto res = ask<write_open_reply>(open_req(key));
    REQUIRE(res.code == status::ok);
    REQUIRE(res.up.upload_id != 0);
    return res.up.upload_id;
  }

  std::size_t store_uploads(const std::string& server) { return world->uploads[server].size(); }

  /// The router holds nothing: no upload, no request, no deadline; returns the stats for more checks.
  router_stats expect_nothing_held() {
    auto s = stats();
    CHECK(s.open_uploads == 0);
    CHECK(s.open_requests == 0);
    CHECK(s.armed_deadlines == 0);
    return s;
  }

  std::vector<call_record> calls_of(ps::proc p) const {
    std::vector<call_record> out;
    for (const auto& c : world->calls)
      if (c.proc == static_cast<std::uint32_t>(p)) out.push_back(c);
    return out;
  }
};

std::string pattern(std::size_t n, char first) {
  std::string s(n, first);
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(first + i % 23);
  return s;
}

}  // namespace

TEST_CASE_METHOD(bulk_fixture,
                 "an upload opened on R=2 W=2, sent as three concurrent chunks out of order and committed, lands "
                 "whole with its version on each replica",
                 "[router][bulk]") {
  start(3, 2, 2);
  auto reps = placement("big", 2);
  world->chunk_sizes[reps[1]] = 4096;  // the smallest replica preference wins
  auto opened = ask<write_open_reply>(open_req("big"));
  REQUIRE(opened.code == status::ok);
  CHECK(opened.up.chunk_size == 4096);
  auto opens = calls_of(ps::proc::write_open);
  REQUIRE(opens.size() == 2);
  auto open_args = xdr::decode<ps::write_open_args>(opens[0].args);
  REQUIRE(open_args);
  CHECK(str(open_args->key) == "big");
  CHECK(open_args->ver.writer == 7);
  auto servers = world->servers_called(ps::proc::write_open);
  std::sort(servers.begin(), servers.end());
  std::sort(reps.begin(), reps.end());
  CHECK(servers == reps);

  const auto a = pattern(5000, 'a'), b = pattern(5000, 'b'), c = pattern(123, 'c');
  const auto id = opened.up.upload_id;
  self->send(router, chunk_req(id, 5000, bytes_of(b)));
  self->send(router, chunk_req(id, 10000, bytes_of(c)));
  self->send(router, chunk_req(id, 0, bytes_of(a)));
  sched.run();
  auto acks = replies<status_reply>();
  REQUIRE(acks.size() == 3);
  for (const auto& ack : acks) CHECK(ack.code == status::ok);
  CHECK(calls_of(ps::proc::write_chunk).size() == 6);

  auto done = ask<write_reply>(commit_req(id, 10123));
  REQUIRE(done.code == status::ok);
  CHECK(done.ver == open_args->ver);
  for (const auto& s : reps) {
    REQUIRE(world->data[s].count("big") == 1);
    CHECK(world->data[s]["big"].value == a + b + c);
    CHECK(world->data[s]["big"].ver == done.ver);
    CHECK(store_uploads(s) == 0);
  }
  expect_nothing_held();
  CHECK(ask<status_reply>(chunk_req(id, 0, bytes_of(a))).code == status::no_upload);  // committed: gone
}

TEST_CASE_METHOD(bulk_fixture, "chunk data goes to the stores by reference into the session's record, not copied",
                 "[router][bulk]") {
  start(2, 2, 2);
  const auto id = open_upload("k");
  auto data = bytes_of(pattern(8192, 'x'));
  CHECK(ask<status_reply>(chunk_req(id, 0, data)).code == status::ok);
  auto chunks = calls_of(ps::proc::write_chunk);
  REQUIRE(chunks.size() == 2);
  for (const auto& call : chunks) {
    CHECK(std::count(call.segments.begin(), call.segments.end(), data->data()) == 1);
    auto args = xdr::decode<ps::write_chunk_args>(call.args);
    REQUIRE(args);
    CHECK(args->data.size() == 8192);
  }
  // Each replica got its own store upload id.
  auto first = xdr::decode<ps::write_chunk_args>(chunks[0].args), second = xdr::decode<ps::write_chunk_args>(chunks[1].args);
  CHECK(first->upload_id != second->upload_id);
}

TEST_CASE_METHOD(bulk_fixture, "with W=1 a replica failing a chunk leaves the upload and the other replica carries it",
                 "[router][bulk]") {
  start(2, 2, 1);
  auto reps = placement("k", 2);
  const auto id = open_upload("k");  // decided on the first opener; the second joins late (no chunk sent yet)
  CHECK(store_uploads(reps[0]) == 1);
  CHECK(store_uploads(reps[1]) == 1);
  world->failing[reps[1]] = {ps::proc::write_chunk};
  CHECK(ask<status_reply>(chunk_req(id, 0, bytes_of("hello "))).code == status::ok);
  CHECK(store_uploads(reps[1]) == 0);  // dropped: its store upload aborted
  CHECK(world->servers_called(ps::proc::write_abort) == std::vector<std::string>{reps[1]});
  world->calls.clear();
  CHECK(ask<status_reply>(chunk_req(id, 6, bytes_of("world"))).code == status::ok);
  CHECK(world->servers_called(ps::proc::write_chunk) == std::vector<std::string>{reps[0]});
  auto done = ask<write_reply>(commit_req(id, 11));
  CHECK(done.code == status::ok);
  CHECK(world->data[reps[0]]["k"].value == "hello world");
  CHECK(world->data[reps[1]].count("k") == 0);
  CHECK(stats().open_uploads == 0);
}

TEST_CASE_METHOD(bulk_fixture, "with W=2 a replica failing a chunk fails the upload: chunks and the commit answer UNAVAILABLE",
                 "[router][bulk]") {
  start(2, 2, 2);
  auto reps = placement("k", 2);
  const auto id = open_upload("k");
  world->failing[reps[1]] = {ps::proc::write_chunk};
  auto bad = ask<status_reply>(chunk_req(id, 0, bytes_of("hello")));
  CHECK(bad.code == status::unavailable);
  CHECK(bad.detail.find(reps[1]) != std::string::npos);
  CHECK(store_uploads(reps[0]) == 0);  // the whole upload is aborted on its replicas
  CHECK(store_uploads(reps[1]) == 0);
  world->calls.clear();
  CHECK(ask<status_reply>(chunk_req(id, 5, bytes_of("again"))).code == status::unavailable);
  CHECK(stats().open_uploads == 1);  // remembered as failed until committed, aborted or expired
  auto commit = ask<write_reply>(commit_req(id, 10));
  CHECK(commit.code == status::unavailable);
  CHECK(world->calls.empty());
  CHECK(stats().open_uploads == 0);
  CHECK(ask<write_reply>(commit_req(id, 10)).code == status::no_upload);
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(bulk_fixture, "an unknown upload id is answered NO_UPLOAD by CHUNK, COMMIT and ABORT without a store call",
                 "[router][bulk]") {
  start(2, 2, 2);
  CHECK(ask<status_reply>(chunk_req(12345, 0, bytes_of("x"))).code == status::no_upload);
  CHECK(ask<write_reply>(commit_req(12345, 1)).code == status::no_upload);
  CHECK(ask<status_reply>(abort_req(12345)).code == status::no_upload);
  CHECK(world->calls.empty());
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(bulk_fixture, "WRITE_ABORT aborts the upload on every replica and forgets it", "[router][bulk]") {
  start(3, 2, 2);
  auto reps = placement("k", 2);
  const auto id = open_upload("k");
  CHECK(ask<status_reply>(chunk_req(id, 0, bytes_of("part"))).code == status::ok);
  CHECK(ask<status_reply>(abort_req(id)).code == status::ok);
  sched.run();
  for (const auto& s : reps) CHECK(store_uploads(s) == 0);
  CHECK(world->servers_called(ps::proc::write_abort).size() == 2);
  CHECK(ask<status_reply>(chunk_req(id, 4, bytes_of("more"))).code == status::no_upload);
  CHECK(ask<status_reply>(abort_req(id)).code == status::no_upload);
  CHECK(stats().open_uploads == 0);
}

TEST_CASE_METHOD(bulk_fixture, "upload ids are unique and differ between routers (a random salt)", "[router][bulk]") {
  start(2, 2, 2);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 20; ++i) seen.insert(open_upload("k" + std::to_string(i)));
  CHECK(seen.size() == 20);
  auto other = spawn_router(sys, [&] {
    router_config rc;
    rc.quorum = {2, 2};
    rc.servers = make_servers(this->ids);
    return rc;
  }());
  self->send(other, open_req("k0"));
  sched.run();
  auto res = replies<write_open_reply>();
  REQUIRE(res.size() == 1);
  REQUIRE(res.front().code == status::ok);
  CHECK(seen.count(res.front().up.upload_id) == 0);
  caf::anon_send_exit(other, caf::exit_reason::kill);
  sched.run();
}

TEST_CASE_METHOD(bulk_fixture,
                 "an idle upload expires: aborted on its replicas, its state freed, and no timer left armed",
                 "[router][bulk]") {
  configure = [](router_config& rc) { rc.upload_idle_timeout = 10s; };
  start(2, 2, 2);
  auto reps = placement("k", 2);
  const auto id = open_upload("k");
  sched.advance_time(9s);
  sched.run();
  CHECK(ask<status_reply>(chunk_req(id, 0, bytes_of("part"))).code == status::ok);  // activity: 10 s more
  sched.advance_time(9s);
  sched.run();
  CHECK(stats().open_uploads == 1);
  for (const auto& s : reps) CHECK(store_uploads(s) == 1);
  sched.advance_time(1s);
  sched.run();
  expect_nothing_held();
  for (const auto& r : reps) CHECK(store_uploads(r) == 0);
  CHECK(world->servers_called(ps::proc::write_abort).size() == 2);
  // Leftover request timeouts of answered calls fire once; nothing re-arms while no upload is open.
  sched.trigger_timeouts();
  sched.run();
  CHECK(sched.trigger_timeouts() == 0);
  CHECK_FALSE(sched.has_pending_timeout());
  CHECK(ask<status_reply>(chunk_req(id, 4, bytes_of("late"))).code == status::no_upload);
}

TEST_CASE_METHOD(bulk_fixture, "WRITE_OPEN beyond max_uploads open uploads is answered OVERLOADED", "[router][bulk]") {
  configure = [](router_config& rc) { rc.max_uploads = 2; };
  start(2, 2, 2);
  const auto first = open_upload("a");
  open_upload("b");
  world->calls.clear();
  auto over = ask<write_open_reply>(open_req("c"));
  CHECK(over.code == status::overloaded);
  CHECK(world->calls.empty());
  CHECK(ask<status_reply>(abort_req(first)).code == status::ok);
  open_upload("c");
  CHECK(stats().open_uploads == 2);
}

TEST_CASE_METHOD(bulk_fixture, "fewer than W replicas opening answers UNAVAILABLE and aborts the one that opened",
                 "[router][bulk]") {
  start(2, 2, 2);
  auto reps = placement("k", 2);
  world->failing[reps[1]] = {ps::proc::write_open};
  auto res = ask<write_open_reply>(open_req("k"));
  CHECK(res.code == status::unavailable);
  CHECK(res.detail.find(reps[1]) != std::string::npos);
  sched.run();
  CHECK(store_uploads(reps[0]) == 0);
  CHECK(world->servers_called(ps::proc::write_abort) == std::vector<std::string>{reps[0]});
  expect_nothing_held();
}

TEST_CASE_METHOD(bulk_fixture, "a WRITE_OPEN timing out answers TIMEDOUT once, aborts the replica that opened and frees its state",
                 "[router][bulk]") {
  start(2, 2, 2);
  auto reps = placement("k", 2);
  world->modes[reps[1]] = mode::silent;
  self->send(router, open_req("k", 1s));
  sched.run();
  CHECK(replies<write_open_reply>().empty());
  sched.advance_time(1s);
  sched.run();
  auto got = replies<write_open_reply>();
  REQUIRE(got.size() == 1);
  CHECK(got.front().code == status::timedout);
  CHECK(store_uploads(reps[0]) == 0);
  CHECK(world->servers_called(ps::proc::write_abort) == std::vector<std::string>{reps[0]});
  expect_late_answers_dropped_and_state_freed<write_open_reply>();
  CHECK(stats().open_uploads == 0);
}

TEST_CASE_METHOD(bulk_fixture, "a replica opening after the open was decided UNAVAILABLE is aborted", "[router][bulk]") {
  start(3, 3, 2);
  auto reps = placement("k", 3);
  world->failing[reps[0]] = {ps::proc::write_open};
  world->failing[reps[1]] = {ps::proc::write_open};
  world->modes[reps[2]] = mode::silent;
  auto res = ask<write_open_reply>(open_req("k"));
  CHECK(res.code == status::unavailable);
  REQUIRE(world->held.size() == 1);
  world->modes[reps[2]] = mode::normal;
  release(0, encoded(proto::write_open_res{status::ok, {999, 4096}, {}}));
  sched.run();
  auto aborts = calls_of(ps::proc::write_abort);
  REQUIRE(aborts.size() == 1);
  CHECK(aborts.front().server == reps[2]);
  CHECK(xdr::decode<ps::write_abort_args>(aborts.front().args)->upload_id == 999);
  CHECK(expect_nothing_held().dropped_replies == 1);
}

TEST_CASE_METHOD(bulk_fixture, "a COMMIT meeting a newer version answers CONFLICT with it and ends the upload",
                 "[router][bulk]") {
  start(2, 2, 2);
  auto reps = placement("k", 2);
  const auto id = open_upload("k");
  const proto::version newer{router::make_hlc(wall_ms + 60'000, 0), 99};
  world->data[reps[1]]["k"] = stored{"future", newer, true};
  CHECK(ask<status_reply>(chunk_req(id, 0, bytes_of("v"))).code == status::ok);
  auto res = ask<write_reply>(commit_req(id, 1));
  CHECK(res.code == status::conflict);
  CHECK(res.ver == newer);
  CHECK(stats().open_uploads == 0);
}

TEST_CASE_METHOD(bulk_fixture, "READ returns a byte range of the object as a view into the store's reply",
                 "[router][bulk]") {
  start(3, 2, 2);
  const auto value = pattern(10000, 'a');
  REQUIRE(ask<write_reply>(put("obj", value)).code == status::ok);
  auto part = ask<read_reply>(read_req("obj", 4000, 5000));
  REQUIRE(part.code == status::ok);
  CHECK(str(part.data.data) == value.substr(4000, 5000));
  CHECK(part.data.info.size == 10000);
  CHECK_FALSE(part.data.eof);
  REQUIRE(part.owner);
  const auto* begin = part.owner->data();
  CHECK(part.data.data.data() >= begin);
  CHECK(part.data.data.data() + part.data.data.size() <= begin + part.owner->size());
  auto tail = ask<read_reply>(read_req("obj", 9000, 5000));
  CHECK(tail.code == status::ok);
  CHECK(tail.data.data.size() == 1000);
  CHECK(tail.data.eof);
  world->calls.clear();
  CHECK(ask<read_reply>(read_req("obj", 20000, 10)).code == status::bad_range);  // final: one replica asked
  CHECK(ask<read_reply>(read_req("missing", 0, 10)).code == status::not_found);
  CHECK(world->servers_called(ps::proc::read).size() == 2);
}

TEST_CASE_METHOD(bulk_fixture, "READ fails over to the next replica when the first answers an error", "[router][bulk]") {
  start(3, 3, 3);
  REQUIRE(ask<write_reply>(put("k", "value")).code == status::ok);
  world->calls.clear();
  auto reps = placement("k", 3);
  world->modes[reps[0]] = mode::io_error;
  auto got = ask<read_reply>(read_req("k", 0, 100));
  CHECK(got.code == status::ok);
  CHECK(str(got.data.data) == "value");
  CHECK(world->servers_called(ps::proc::read) == std::vector<std::string>{reps[0], reps[1]});
  CHECK(stats().open_requests == 0);
}

TEST_CASE_METHOD(bulk_fixture, "a READ from silent replicas answers TIMEDOUT exactly once and frees all its state",
                 "[router][bulk]") {
  start(2, 2, 2);
  for (const auto& id : ids) world->modes[id] = mode::silent;
  self->send(router, read_req("k", 0, 10, 2s));
  sched.run();
  for (int i = 0; i < 2; ++i) {
    CHECK(replies<read_reply>().empty());
    sched.advance_time(1s);
    sched.run();
  }
  auto got = replies<read_reply>();
  REQUIRE(got.size() == 1);
  CHECK(got.front().code == status::timedout);
  CHECK(world->servers_called(ps::proc::read).size() == 2);
  expect_late_answers_dropped_and_state_freed<read_reply>();
}

TEST_CASE_METHOD(bulk_fixture, "a chunk to silent replicas answers TIMEDOUT once and the failed upload frees its state",
                 "[router][bulk]") {
  start(2, 2, 2);
  const auto id = open_upload("k");
  for (const auto& s : ids) world->modes[s] = mode::silent;
  self->send(router, chunk_req(id, 0, bytes_of("x"), 1s));
  sched.run();
  sched.advance_time(1s);
  sched.run();
  auto got = replies<status_reply>();
  REQUIRE(got.size() == 1);
  CHECK(got.front().code == status::timedout);
  for (const auto& s : ids) world->modes[s] = mode::normal;
  CHECK(ask<write_reply>(commit_req(id, 1)).code == status::unavailable);
  expect_nothing_held();
}
