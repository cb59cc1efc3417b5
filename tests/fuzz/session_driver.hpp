// Drives ferryd's whole session input path in one thread: bytes written into one end of a socketpair are
// read by the real socket io (record_stream framing, memory budget, flow gate) whose records go to a real
// session actor on CAF's test coordinator, which calls a fake router that answers at once. Shared by the
// libFuzzer target fuzz_session and the seeded random test in tests/hostile (one driver, two feeders).
//
// Invariants checked after each stream (a violation aborts: libFuzzer reports it, the test fails):
// - every reply is a whole record holding a decodable ONC RPC reply to one of the calls sent;
// - when every complete record of the stream is a call, each is answered exactly once (no more, no less)
//   unless the stream breaks the framing (then at most once);
// - once the client is gone: no request bytes held in the budget, no call owed, no session open.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include <caf/all.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <vector>

#include "actors/router/router_messages.hpp"
#include "actors/session/session.hpp"
#include "actors/session/socket_io.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

namespace ferry::fuzz {

/// What one stream did, for the caller's counters.
struct session_outcome {
  std::size_t records = 0;   ///< complete records in the stream (as the io's limits frame them)
  std::size_t calls = 0;     ///< of which decode as ONC RPC calls
  std::size_t replies = 0;   ///< reply records the client read back
  bool framing_broken = false;  ///< the stream breaks record marking (or ends inside a record)
};

/// Limits for one stream: small ones make the flow gate pause and the budget answer OVERLOADED.
struct session_knobs {
  std::uint32_t max_record = 1 << 16;
  std::uint32_t max_calls = 4;
  std::uint64_t max_bytes = 1 << 17;
  std::uint64_t budget = 1 << 20;
};

[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "session_driver: invariant violated: %s\n", what);
  std::abort();
}

class session_driver {
 public:
  session_driver() : sys_(init(cfg_)), sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())) {
    router_ = sys_.spawn(fake_router, std::make_shared<std::uint64_t>(0));
  }
  ~session_driver() {
    caf::anon_send_exit(router_, caf::exit_reason::kill);
    sched_.run();
  }
  session_driver(const session_driver&) = delete;
  session_driver& operator=(const session_driver&) = delete;

  /// Writes `stream` into a fresh session's socket, answers and reads everything, closes, and checks.
  session_outcome feed(xdr::bytes_view stream, const session_knobs& k) {
    namespace asio = boost::asio;
    using unix_socket = asio::local::stream_protocol::socket;
    session_outcome out = expected_of(stream, k.max_record);
    auto budget = std::make_shared<session::memory_budget>(k.budget);
    std::set<std::uint32_t> xids = xids_of(stream, k.max_record);
    caf::actor session;
    unix_socket client(io_);
    {
      unix_socket server(io_);
      asio::local::connect_pair(server, client);
      actors::accepted_connection conn;
      conn.unix_socket = std::make_shared<unix_socket>(std::move(server));
      actors::socket_io_options options;
      options.limits = {.max_record_size = k.max_record, .max_fragments = 64};
      options.flow = {k.max_calls, k.max_bytes};
      options.budget = budget;
      actors::session_config sc;
      sc.router = router_;
      sc.peer.description = "fuzz peer";
      session = actors::spawn_session(sys_, std::move(sc), actors::socket_io_factory(std::move(conn), options));
    }
    const int fd = client.native_handle();
    std::size_t sent = 0;
    bool shut = false;
    std::vector<xdr::byte> in;
    // Bounded: each round moves bytes or runs handlers; a stream of n bytes needs O(n) rounds. The client
    // half-closes only once nothing moves any more: ferryd reads EOF as "the client is gone" and drops
    // answers still owed (README of actors/session), so closing early would lose answers by design.
    const std::size_t max_rounds = 100000 + stream.size() * 4;
    int idle = 0;
    for (std::size_t round = 0; round < max_rounds && !(shut && idle >= 8); ++round) {
      bool progress = false;
      if (sent < stream.size()) {
        auto n = ::send(fd, stream.data() + sent, stream.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) sent += static_cast<std::size_t>(n), progress = true;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) sent = stream.size();  // closed
      } else if (!shut && idle >= 8) {
        ::shutdown(fd, SHUT_WR);
        shut = true;
        idle = 0;
        progress = true;
      }
      io_.restart();
      if (io_.poll() > 0) progress = true;
      if (sched_.run() > 0) progress = true;
      xdr::byte buf[65536];
      auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) in.insert(in.end(), buf, buf + n), progress = true;
      idle = progress ? 0 : idle + 1;
    }
    if (!shut) violated("the stream was not consumed within its round bound");
    out.replies = count_replies(in, xids);
    if (out.replies > out.records) violated("more replies than records");
    if (!out.framing_broken && out.calls == out.records && out.replies != out.records)
      violated("a call was not answered exactly once");
    caf::anon_send_exit(session, caf::exit_reason::kill);
    client.close();
    for (int i = 0; i < 100; ++i) {  // let the io core and the session's leftovers go
      io_.restart();
      const auto a = io_.poll();
      const auto b = sched_.run();
      if (a == 0 && b == 0) break;
    }
    if (budget->used() != 0) violated("request bytes still held in the memory budget");
    if (budget->calls_in_flight() != 0) violated("calls still counted in flight");
    if (budget->sessions() != 0) violated("a session still counted open");
    return out;
  }

 private:
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.verbosity", caf::atom("quiet"));
    return c;
  }

  // Answers every request at once: mostly OK, some other statuses, every fourth one with an error (a
  // router restarting), so every reply path of the session runs.
  static caf::behavior fake_router(caf::event_based_actor*, std::shared_ptr<std::uint64_t> n) {
    auto code = [n] {
      static constexpr proto::status codes[] = {proto::status::ok, proto::status::timedout,
                                                proto::status::unavailable, proto::status::bad_key};
      return codes[(*n)++ % 4];
    };
    auto fail = [n] { return (*n % 7) == 3; };
    auto err = [] { return caf::make_error(caf::sec::request_receiver_down); };
    using namespace ferry::actors;
    return {
        [=](put_request&) -> caf::result<write_reply> { if (fail()) return err(); write_reply r; r.code = code(); return r; },
        [=](get_request&) -> caf::result<get_reply> { if (fail()) return err(); get_reply r; r.code = code(); return r; },
        [=](delete_request&) -> caf::result<write_reply> { if (fail()) return err(); write_reply r; r.code = code(); return r; },
        [=](stat_request&) -> caf::result<stat_reply> { if (fail()) return err(); stat_reply r; r.code = code(); return r; },
        [=](list_request&) -> caf::result<list_reply> { if (fail()) return err(); list_reply r; r.code = code(); return r; },
        [=](write_open_request&) -> caf::result<write_open_reply> { if (fail()) return err(); write_open_reply r; r.code = code(); return r; },
        [=](write_chunk_request&) -> caf::result<status_reply> { if (fail()) return err(); status_reply r; r.code = code(); return r; },
        [=](write_commit_request&) -> caf::result<write_reply> { if (fail()) return err(); write_reply r; r.code = code(); return r; },
        [=](write_abort_request&) -> caf::result<status_reply> { if (fail()) return err(); status_reply r; r.code = code(); return r; },
        [=](read_request&) -> caf::result<read_reply> { if (fail()) return err(); read_reply r; r.code = code(); return r; },
    };
  }

  /// Frames `stream` as the io would: complete records, and whether the framing breaks or ends mid-record.
  template <class F>
  static bool for_each_record(xdr::bytes_view stream, std::uint32_t max_record, F&& f) {
    std::vector<xdr::byte> scratch;
    const xdr::record_limits limits{.max_record_size = max_record, .max_fragments = 64};
    while (!stream.empty()) {
      auto scan = xdr::scan_record(stream, limits);
      if (!scan || !scan->complete()) return false;
      scratch.assign(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(scan->bytes));
      auto payload = xdr::record_payload(xdr::mutable_bytes{scratch.data(), scratch.size()}, *scan);
      f(xdr::bytes_view{payload.data(), payload.size()});
      stream = stream.subspan(scan->bytes);
    }
    return true;
  }

  static session_outcome expected_of(xdr::bytes_view stream, std::uint32_t max_record) {
    session_outcome o;
    o.framing_broken = !for_each_record(stream, max_record, [&](xdr::bytes_view rec) {
      ++o.records;
      auto call = xdr::rpc::decode_call(rec);
      if (call) ++o.calls;
    });
    return o;
  }

  static std::set<std::uint32_t> xids_of(xdr::bytes_view stream, std::uint32_t max_record) {
    std::set<std::uint32_t> xids;
    for_each_record(stream, max_record, [&](xdr::bytes_view rec) {
      if (auto head = xdr::rpc::decode_head(rec)) xids.insert(head->xid);
    });
    return xids;
  }

  static std::size_t count_replies(const std::vector<xdr::byte>& in, const std::set<std::uint32_t>& xids) {
    std::size_t n = 0;
    const bool ok = for_each_record(in, 1u << 30, [&](xdr::bytes_view rec) {
      auto reply = xdr::rpc::decode_reply(rec);
      if (!reply) violated("a reply that does not decode");
      if (!xids.contains(reply->xid)) violated("a reply to no call sent");
      ++n;
    });
    if (!ok) violated("the replies break record marking");
    return n;
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  boost::asio::io_context io_;
  caf::actor router_;
};

}  // namespace ferry::fuzz
