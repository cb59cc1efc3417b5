// The router actor's test fixture: fake store connections (a tiny in-memory FERRY_STORE, uploads
// included) on CAF's deterministic test coordinator, shared by router_actor_test.cpp and router_bulk_test.cpp.
#pragma once

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "actors/router/hlc.hpp"
#include "actors/router/list_merge.hpp"
#include "actors/router/placement.hpp"
#include "actors/router/router_actor.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/store.hpp"

namespace router_test {

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::actors;
namespace ps = ferry::proto::store;
using proto::status;

inline shared_bytes bytes_of(std::string_view s) {
  return std::make_shared<const std::vector<xdr::byte>>(s.begin(), s.end());
}
inline std::string str(xdr::bytes_view b) { return std::string{xdr::as_chars(b)}; }

template <class T>
rpc_reply encoded(const T& res) {
  xdr::encoder e;
  REQUIRE(xdr::encode(e, res));
  return rpc_reply{std::make_shared<const std::vector<xdr::byte>>(e.flatten()), 0};
}

/// How a fake server treats calls.
enum class mode { normal, unavailable, silent, io_error };

struct stored {
  std::string value;
  proto::version ver;
  bool live = true;
};

struct call_record {
  std::string server;
  std::uint32_t proc = 0;
  std::vector<xdr::byte> args;
  std::vector<const xdr::byte*> segments;  // where each gather view of the encoded args starts
};

/// A store upload: its chunks by offset, assembled at commit.
struct fake_upload {
  std::string key;
  proto::version ver;
  std::map<std::uint64_t, std::string> chunks;
};

/// Everything the fake servers share with the test (all on the test thread: the coordinator runs
/// every handler there).
struct store_world {
  std::map<std::string, std::map<std::string, stored>> data;  // server -> key -> object
  std::map<std::string, mode> modes;
  std::map<std::string, std::set<ps::proc>> failing;  // server -> procedures it answers IO_ERROR
  std::map<std::string, std::map<std::uint64_t, fake_upload>> uploads;  // server -> store upload id -> upload
  std::uint64_t next_store_upload = 100;  // shared by all servers: replicas' ids differ
  std::uint32_t chunk_size = 1 << 20;
  std::map<std::string, std::uint32_t> chunk_sizes;  // per server, overriding chunk_size
  std::vector<call_record> calls;
  struct held_call {
    caf::actor_addr at;  // the fake connection holding it
    caf::typed_response_promise<rpc_reply> rp;
  };
  std::vector<held_call> held;  // calls of silent servers, answered later through release()
  std::vector<std::pair<std::size_t, std::variant<rpc_reply, caf::error>>> releases;

  std::vector<std::string> servers_called(ps::proc p) const {
    std::vector<std::string> out;
    for (const auto& c : calls)
      if (c.proc == static_cast<std::uint32_t>(p)) out.push_back(c.server);
    return out;
  }

  /// A small last-writer-wins store, enough for the router's view of FERRY_STORE.
  rpc_reply answer(const std::string& server, std::uint32_t proc, xdr::bytes_view args) {
    auto& objects = data[server];
    switch (static_cast<ps::proc>(proc)) {
      case ps::proc::put:
      case ps::proc::del: {
        std::string key;
        proto::version ver;
        std::string value;
        bool live = true;
        if (proc == static_cast<std::uint32_t>(ps::proc::put)) {
          auto a = xdr::decode<ps::put_args>(args);
          REQUIRE(a);
          key = str(a->key), ver = a->ver, value = str(a->value);
        } else {
          auto a = xdr::decode<ps::delete_args>(args);
          REQUIRE(a);
          key = str(a->key), ver = a->ver, live = false;
        }
        auto it = objects.find(key);
        if (it != objects.end() && it->second.ver > ver) return encoded(proto::write_res{status::conflict, it->second.ver, {}});
        objects[key] = stored{value, ver, live};
        return encoded(proto::write_res{status::ok, ver, {}});
      }
      case ps::proc::get: {
        auto a = xdr::decode<ps::key_args>(args);
        REQUIRE(a);
        auto it = objects.find(str(a->key));
        if (it == objects.end() || !it->second.live) {
          proto::get_res r{status::not_found, {}, it == objects.end() ? proto::version{} : it->second.ver, {}};
          return encoded(r);
        }
        proto::get_res r{status::ok, {{it->second.value.size(), it->second.ver, 0}, xdr::as_bytes(it->second.value)}, {}, {}};
        return encoded(r);
      }
      case ps::proc::stat: {
        auto a = xdr::decode<ps::key_args>(args);
        REQUIRE(a);
        auto it = objects.find(str(a->key));
        if (it == objects.end() || !it->second.live)
          return encoded(proto::stat_res{status::not_found, {}, it == objects.end() ? proto::version{} : it->second.ver, {}});
        return encoded(proto::stat_res{status::ok, {it->second.value.size(), it->second.ver, 0}, {}, {}});
      }
      case ps::proc::list: {
        auto a = xdr::decode<ps::list_args>(args);
        REQUIRE(a);
        proto::list_res r;
        const auto prefix = str(a->prefix), cursor = str(a->cursor);
        for (auto it = objects.upper_bound(cursor); it != objects.end(); ++it) {
          if (it->first.compare(0, prefix.size(), prefix) != 0 || !it->second.live) continue;
          if (r.page.entries.size() == a->limit) {
            r.page.more = true;
            break;
          }
          r.page.entries.push_back({xdr::as_bytes(it->first), {it->second.value.size(), it->second.ver, 0}});
        }
        if (!r.page.entries.empty()) r.page.next_cursor = r.page.entries.back().key;
        return encoded(r);
      }
      case ps::proc::write_open: {
        auto a = xdr::decode<ps::write_open_args>(args);
        REQUIRE(a);
        const auto id = next_store_upload++;
        uploads[server][id] = fake_upload{str(a->key), a->ver, {}};
        const auto cs = chunk_sizes.count(server) ? chunk_sizes[server] : chunk_size;
        return encoded(proto::write_open_res{status::ok, {id, cs}, {}});
      }
      case ps::proc::write_chunk: {
        auto a = xdr::decode<ps::write_chunk_args>(args);
        REQUIRE(a);
        auto it = uploads[server].find(a->upload_id);
        if (it == uploads[server].end()) return encoded(proto::reply{status::no_upload, "no such upload"});
        it->second.chunks[a->offset] = str(a->data);
        return encoded(proto::reply{status::ok, {}});
      }
      case ps::proc::write_commit: {
        auto a = xdr::decode<ps::write_commit_args>(args);
        REQUIRE(a);
        auto it = uploads[server].find(a->upload_id);
        if (it == uploads[server].end()) return encoded(proto::write_res{status::no_upload, {}, "no such upload"});
        auto up = std::move(it->second);
        uploads[server].erase(it);
        std::string whole;
        for (const auto& [offset, bytes] : up.chunks) {
          if (offset != whole.size()) return encoded(proto::write_res{status::bad_range, {}, "a gap"});
          whole += bytes;
        }
        if (whole.size() != a->size) return encoded(proto::write_res{status::bad_range, {}, "size differs"});
        auto obj = objects.find(up.key);
        if (obj != objects.end() && obj->second.ver > up.ver)
          return encoded(proto::write_res{status::conflict, obj->second.ver, {}});
        objects[up.key] = stored{whole, up.ver, true};
        return encoded(proto::write_res{status::ok, up.ver, {}});
      }
      case ps::proc::write_abort: {
        auto a = xdr::decode<ps::write_abort_args>(args);
        REQUIRE(a);
        if (uploads[server].erase(a->upload_id) == 0) return encoded(proto::reply{status::no_upload, "no such upload"});
        return encoded(proto::reply{status::ok, {}});
      }
      case ps::proc::read: {
        auto a = xdr::decode<ps::read_args>(args);
        REQUIRE(a);
        auto it = objects.find(str(a->key));
        if (it == objects.end() || !it->second.live) return encoded(proto::read_res{status::not_found, {}, "no such key"});
        const auto& v = it->second.value;
        if (a->offset > v.size()) return encoded(proto::read_res{status::bad_range, {}, "offset past the end"});
        const auto part = xdr::as_bytes(std::string_view{v}.substr(a->offset, a->length));
        const bool eof = a->offset + part.size() == v.size();
        return encoded(proto::read_res{status::ok, {{v.size(), it->second.ver, 0}, part, eof}, {}});
      }
      default: return encoded(proto::reply{status::bad_request, "unexpected procedure"});
    }
  }
};

/// Tells a fake connection to deliver the answers queued for its held calls (promises are delivered
/// from inside their actor: CAF needs the actor's context for that).
using release_atom = caf::atom_constant<caf::atom("release")>;

inline caf::behavior fake_store(caf::event_based_actor* self, std::string server, std::shared_ptr<store_world> world) {
  return {[=](release_atom) {
            auto& queue = world->releases;
            for (auto it = queue.begin(); it != queue.end();) {
              auto& h = world->held.at(it->first);
              if (h.at != self->address()) {
                ++it;
                continue;
              }
              if (auto* r = std::get_if<rpc_reply>(&it->second))
                h.rp.deliver(*r);
              else
                h.rp.deliver(std::get<caf::error>(it->second));
              it = queue.erase(it);
            }
          },
          [=](rpc_call& c) {
    auto rp = self->make_response_promise<rpc_reply>();
    std::vector<xdr::byte> bytes = c.args ? c.args->body.flatten() : std::vector<xdr::byte>{};
    std::vector<const xdr::byte*> segments;
    if (c.args)
      for (auto v : c.args->body.views()) segments.push_back(v.data());
    world->calls.push_back({server, c.proc, bytes, std::move(segments)});
    if (world->failing[server].count(static_cast<ps::proc>(c.proc)) != 0) {
      rp.deliver(encoded(proto::reply{status::io_error, "disk on fire"}));
      return rp;
    }
    switch (world->modes[server]) {
      case mode::normal: rp.deliver(world->answer(server, c.proc, bytes)); break;
      case mode::unavailable: rp.deliver(make_error(rpc_errc::unavailable, "test")); break;
      case mode::io_error: rp.deliver(encoded(proto::write_res{status::io_error, {}, "disk on fire"})); break;
      case mode::silent: world->held.push_back({self->address(), rp}); break;
    }
    return rp;
  }};
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;
  std::shared_ptr<store_world> world = std::make_shared<store_world>();
  std::map<std::string, std::vector<caf::actor>> stores;  // server -> its fake connections
  std::vector<std::string> ids;
  caf::actor router;
  std::uint64_t wall_ms = 1'000'000;
  std::function<void(router_config&)> configure;  // start() applies it to the router's config

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }
  fixture()
      : sys(init(cfg)), sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())), self(sys, true) {}
  ~fixture() {
    world->held.clear();
    if (router) caf::anon_send_exit(router, caf::exit_reason::kill);
    for (auto& [id, conns] : stores)
      for (auto& c : conns) caf::anon_send_exit(c, caf::exit_reason::kill);
    sched.run();
  }

  std::vector<server_entry> make_servers(const std::vector<std::string>& names, std::size_t k = 1) {
    std::vector<server_entry> out;
    for (const auto& n : names) {
      auto& conns = stores[n];
      while (conns.size() < k) conns.push_back(sys.spawn(fake_store, n, world));
      out.push_back({n, conns});
    }
    return out;
  }

  void start(std::size_t servers, std::size_t r, std::size_t w, std::size_t k = 1) {
    for (std::size_t i = 0; i < servers; ++i) ids.push_back("10.0.0." + std::to_string(i + 1) + ":7340");
    router_config rc;
    rc.writer = 7;
    rc.quorum = {r, w};
    rc.servers = make_servers(ids, k);
    rc.wall_clock_ms = [this] { return wall_ms; };
    if (configure) configure(rc);
    router = spawn_router(sys, std::move(rc));
    sched.run();
  }

  /// Answers held call `i` (through its fake connection, on the next run).
  void release(std::size_t i, std::variant<rpc_reply, caf::error> answer) {
    world->releases.emplace_back(i, std::move(answer));
    caf::anon_send(caf::actor_cast<caf::actor>(world->held.at(i).at), release_atom::value);
  }
  void release_all(std::variant<rpc_reply, caf::error> answer) {
    for (std::size_t i = 0; i < world->held.size(); ++i) release(i, answer);
  }

  router::time_point in(router::duration d) { return sched.clock().now() + d; }

  put_request put(std::string_view key, std::string_view value, router::duration d = 2s) {
    auto owner = bytes_of(std::string{key} + std::string{value});
    xdr::bytes_view all{*owner};
    return {owner, {all.first(key.size()), all.subspan(key.size()), 0, {}, 0}, in(d)};
  }
  template <class Request>
  Request keyed(std::string_view key, router::duration d = 2s) {
    auto owner = bytes_of(key);
    Request r;
    r.owner = owner;
    r.args.key = xdr::bytes_view{*owner};
    r.deadline = in(d);
    return r;
  }

  /// Every reply of type T waiting in the test's mailbox.
  template <class T>
  std::vector<T> replies() {
    std::vector<T> out;
    bool more = true;
    while (more)
      self->receive([&](T& x) { out.push_back(std::move(x)); }, caf::after(0s) >> [&] { more = false; });
    return out;
  }
  template <class T, class Request>
  T ask(Request req) {
    self->send(router, std::move(req));
    sched.run();
    auto got = replies<T>();
    REQUIRE(got.size() == 1);
    return got.front();
  }

  router_stats stats() {
    self->send(router, router_stats_atom::value);
    sched.run();
    auto got = replies<router_stats>();
    REQUIRE(got.size() == 1);
    return got.front();
  }

  /// After a TIMEDOUT: the silent servers answer at last, every timer fires, and nothing reaches the
  /// client again while the router holds no state for the request.
  template <class Reply>
  void expect_late_answers_dropped_and_state_freed() {
    release_all(make_error(rpc_errc::timedout));
    sched.trigger_timeouts();
    sched.run();
    CHECK(replies<Reply>().empty());
    auto s = stats();
    CHECK(s.open_requests == 0);
    CHECK(s.armed_deadlines == 0);
    CHECK(s.timeouts == 1);
  }

  std::vector<std::string> placement(std::string_view key, std::size_t r) {
    return router::replicas(xdr::as_bytes(key), ids, r);
  }
};

}  // namespace router_test
