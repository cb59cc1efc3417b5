// The router over real rpc_connection actors and three real ferry-store processes on loopback: writes,
// reads, LIST, and a store killed mid-test (reads fail over, writes needing it answer UNAVAILABLE in time);
// a chunked upload assembled out of order on two replicas and read back in ranges.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "actors/router/placement.hpp"
#include "actors/router/router_actor.hpp"
#include "actors/rpc_connection/rpc_connection.hpp"
#include "actors/rpc_connection/tcp_link.hpp"
#include "store_process.hpp"
#include "transport/io_thread.hpp"

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::actors;
using proto::status;

namespace {

constexpr auto bound = 10s;  // the longest any single wait may take

shared_bytes bytes_of(const std::string& s) { return std::make_shared<const std::vector<xdr::byte>>(s.begin(), s.end()); }

/// Three real stores, one real connection each, and a router over them with R=2 W=2.
struct live_cluster {
  transport::io_thread io;  // outlives the actor system, hence every link
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
  caf::scoped_actor self{sys};
  std::vector<test::store_process> stores;
  caf::actor router;
  std::vector<caf::actor> conns;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("sharing"));
    c.set("scheduler.max-threads", 2);
    add_rpc_error_category(c);
    return c;
  }

  live_cluster() {
    for (int i = 0; i < 3; ++i) stores.push_back(test::start_store(FERRY_STORE_BIN));
    router_config rc;
    rc.writer = 1;
    rc.quorum = {2, 2};
    router = spawn_router(sys, rc);
    std::vector<server_entry> servers;
    for (auto& s : stores) {
      rpc_connection_config c;
      c.server = s.address();
      c.program = proto::store::program;
      c.version = proto::store::version;
      c.backoff = {20ms, 200ms, 0.2};
      c.listener = self;  // the test waits for "connected"; the router assumes it until told otherwise
      auto conn = spawn_rpc_connection(sys, c, tcp_link_factory(io.context(), {"127.0.0.1", s.port, {}}));
      conns.push_back(conn);
      servers.push_back({s.address(), {conn}});
    }
    for (int i = 0; i < 3; ++i) {
      bool up = false;
      self->receive([&](connection_state_changed& ev) { up = ev.connected; }, caf::after(bound) >> [] {});
      REQUIRE(up);
    }
    self->send(router, set_servers{servers});
  }
  ~live_cluster() {
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
    for (auto& c : conns) caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  }

  template <class Reply, class Request>
  Reply ask(Request req) {
    Reply out;
    self->request(router, bound, std::move(req))
        .receive([&](Reply& r) { out = std::move(r); }, [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  }
};

}  // namespace

TEST_CASE_METHOD(live_cluster, "over three real stores the router writes, reads, lists, and fails reads over when a store dies",
                 "[router][integration]") {
  auto deadline = [] { return std::chrono::steady_clock::now() + 3s; };
  auto put = [&](const std::string& key, const std::string& value) {
    auto owner = bytes_of(key + value);
    xdr::bytes_view all{*owner};
    write_reply out;
    self->request(router, bound, put_request{owner, {all.first(key.size()), all.subspan(key.size()), 0, {}, 0}, deadline()})
        .receive([&](write_reply& r) { out = std::move(r); }, [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  };
  auto get = [&](const std::string& key) {
    auto owner = bytes_of(key);
    get_reply out;
    get_request req;
    req.owner = owner;
    req.args.key = xdr::bytes_view{*owner};
    req.deadline = deadline();
    self->request(router, bound, req)
        .receive([&](get_reply& r) { out = std::move(r); }, [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  };

  std::vector<std::string> keys;
  for (int i = 0; i < 12; ++i) keys.push_back("obj/" + std::to_string(i));
  for (const auto& k : keys) CHECK(put(k, "value of " + k).code == status::ok);
  for (const auto& k : keys) {
    auto r = get(k);
    REQUIRE(r.code == status::ok);
    CHECK(std::string{xdr::as_chars(r.found.data)} == "value of " + k);
  }

  list_request lr;
  lr.args.limit = 100;
  lr.deadline = deadline();
  self->request(router, bound, lr)
      .receive(
          [&](list_reply& r) {
            REQUIRE(r.code == status::ok);
            CHECK(r.entries.size() == keys.size());  // each key once, though stored on two servers
            CHECK_FALSE(r.more);
          },
          [&](caf::error& e) { FAIL(sys.render(e)); });

  // Kill one store: every key keeps a live replica, so every read is still served.
  const auto dead = stores[0].address();
  stores[0].proc->signal(SIGKILL);
  stores[0].proc->wait(bound);
  self->receive([&](connection_state_changed& ev) { CHECK_FALSE(ev.connected); }, caf::after(bound) >> [] {});
  std::vector<std::string> ids;
  for (auto& s : stores) ids.push_back(s.address());
  int writes_unavailable = 0;
  for (const auto& k : keys) {
    auto r = get(k);
    INFO("get " << k << ": " << r.detail);
    CHECK(r.code == status::ok);
    auto reps = router::replicas(xdr::as_bytes(k), ids, 2);
    const bool needs_dead = reps[0] == dead || reps[1] == dead;
    auto w = put(k, "again");
    INFO(w.detail);
    CHECK(w.code == (needs_dead ? status::unavailable : status::ok));
    writes_unavailable += needs_dead;
  }
  CHECK(writes_unavailable > 0);

  self->request(router, bound, router_stats_atom::value)
      .receive([&](router_stats& s) { CHECK(s.open_requests == 0); }, [&](caf::error& e) { FAIL(sys.render(e)); });
}

TEST_CASE_METHOD(live_cluster, "over real stores a chunked upload sent out of order commits on both replicas and reads back in ranges",
                 "[router][integration][bulk]") {
  auto deadline = [] { return std::chrono::steady_clock::now() + 3s; };
  const std::string key = "bulk/object";
  auto key_owner = bytes_of(key);
  const xdr::bytes_view key_view{*key_owner};

  write_open_request open{key_owner, {key_view, 0, 0, {}}, deadline()};
  auto opened = ask<write_open_reply>(open);
  INFO(opened.detail);
  REQUIRE(opened.code == status::ok);
  CHECK(opened.up.chunk_size > 0);

  std::string whole(3 * 70000 + 17, '\0');
  for (std::size_t i = 0; i < whole.size(); ++i) whole[i] = static_cast<char>('a' + (i * 7) % 26);
  const std::size_t piece = 70000;
  for (std::size_t offset : {2 * piece, std::size_t{0}, piece}) {  // out of order
    auto data = bytes_of(whole.substr(offset, offset == 2 * piece ? std::string::npos : piece));
    auto ack = ask<status_reply>(write_chunk_request{data, {opened.up.upload_id, offset, xdr::bytes_view{*data}, 0}, deadline()});
    INFO(ack.detail);
    CHECK(ack.code == status::ok);
  }
  auto committed = ask<write_reply>(write_commit_request{nullptr, {opened.up.upload_id, whole.size(), 0}, deadline()});
  INFO(committed.detail);
  REQUIRE(committed.code == status::ok);
  CHECK(committed.ver.writer == 1);

  for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{100000}, std::uint64_t{200000}}) {
    auto got = ask<read_reply>(read_request{key_owner, {key_view, offset, 50000, 0}, deadline()});
    INFO(got.detail);
    REQUIRE(got.code == status::ok);
    CHECK(std::string{xdr::as_chars(got.data.data)} == whole.substr(offset, 50000));
    CHECK(got.data.info.ver == committed.ver);
    CHECK(got.data.eof == (offset + 50000 >= whole.size()));
  }
  auto past = ask<read_reply>(read_request{key_owner, {key_view, whole.size() + 10, 10, 0}, deadline()});
  CHECK(past.code == status::bad_range);
  auto again = ask<write_reply>(write_commit_request{nullptr, {opened.up.upload_id, whole.size(), 0}, deadline()});
  CHECK(again.code == status::no_upload);

  // An aborted upload is gone from ferryd; the stores' uploads are aborted too (best effort).
  auto second = ask<write_open_reply>(open);
  REQUIRE(second.code == status::ok);
  CHECK(second.up.upload_id != opened.up.upload_id);
  CHECK(ask<status_reply>(write_abort_request{nullptr, {second.up.upload_id}, deadline()}).code == status::ok);
  self->request(router, bound, router_stats_atom::value)
      .receive(
          [&](router_stats& s) {
            CHECK(s.open_requests == 0);
            CHECK(s.open_uploads == 0);
          },
          [&](caf::error& e) { FAIL(sys.render(e)); });

  // Both replicas hold it: with the primary killed, the other one serves the read.
  std::vector<std::string> ids;
  for (auto& st : stores) ids.push_back(st.address());
  const auto primary = router::replicas(key_view, ids, 2).front();
  for (auto& st : stores)
    if (st.address() == primary) {
      st.proc->signal(SIGKILL);
      st.proc->wait(bound);
    }
  self->receive([&](connection_state_changed& ev) { CHECK_FALSE(ev.connected); }, caf::after(bound) >> [] {});
  auto survivor = ask<read_reply>(read_request{key_owner, {key_view, 0, proto::max_chunk, 0}, deadline()});
  INFO(survivor.detail);
  REQUIRE(survivor.code == status::ok);
  CHECK(std::string{xdr::as_chars(survivor.data.data)} == whole);
  CHECK(survivor.data.eof);
}
