// Overload: measure ferryd's capacity with a closed loop, offer far more, and check that it sheds with
// OVERLOADED, keeps serving the admitted work, stops shedding once the load drops, and stays within its
// memory budget.
//
// On this 2-core VM the load generator, ferryd and ferry-store share the cores, so "2x capacity" cannot be
// offered by CPU alone: the client saturates the machine first and ferryd would merely be slow, never
// shed. The measurement is made meaningful by a tiny memory budget (16 KiB of request bytes daemon-wide,
// about 26 in-flight 600-byte PUTs): the capacity phase keeps 8 calls in flight (well inside it), the
// overload phase keeps 8 + 96 in flight (about 4x the budget, over 2x the calls) so the io must answer the
// excess OVERLOADED itself.
//
// What ctest asserts is behaviour, not speed: every call is answered OK or OVERLOADED, shedding happens,
// admitted calls keep succeeding during the overload, a run of 2,000 calls after the excess goes sees no
// shedding at all, and RSS stays within the budget. The throughput ratios (served during overload and in
// the first second after it, against capacity; target 80 %) are figures of a shared, noisy machine: they
// are measured and judged in tests/hostile/REPORT.md (tests/hostile/run), never a ctest failure.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>

#include "hostile_support.hpp"

using namespace ferry;
using namespace ferry::hostile;

namespace {

constexpr int max_seconds = 64;

struct tally {
  std::array<std::atomic<std::uint64_t>, max_seconds> ok{}, shed{}, other{};
  std::array<std::atomic<std::uint64_t>, 17> by_code{};  // 16: no status (not a success reply)
  clock::time_point t0 = clock::now();
  void count(std::optional<proto::status> s) {
    by_code[s ? std::min<std::size_t>(16, static_cast<std::size_t>(*s)) : 16]++;
    auto sec = std::chrono::duration_cast<std::chrono::seconds>(clock::now() - t0).count();
    auto& slot = s == proto::status::ok ? ok : s == proto::status::overloaded ? shed : other;
    slot[static_cast<std::size_t>(std::clamp<std::int64_t>(sec, 0, max_seconds - 1))]++;
  }
  static std::uint64_t total(const std::array<std::atomic<std::uint64_t>, max_seconds>& a) {
    std::uint64_t n = 0;
    for (const auto& x : a) n += x;
    return n;
  }
  /// Per-second rate over whole seconds [from, to).
  static double rate(const std::array<std::atomic<std::uint64_t>, max_seconds>& a, int from, int to) {
    std::uint64_t n = 0;
    for (int i = from; i < to; ++i) n += a[static_cast<std::size_t>(i)];
    return static_cast<double>(n) / (to - from);
  }
};

/// One connection keeping `depth` PUTs in flight until stopped (then it collects what is owed and closes).
class loader {
 public:
  loader(const std::string& socket, std::size_t depth, tally& t, std::uint32_t id) {
    thread_ = std::jthread([=, &t](std::stop_token stop) {
      int fd = connect_unix(socket);
      if (fd < 0) return;
      // Each call writes its own key: concurrent PUTs to one key would race for its version (CONFLICT).
      std::uint32_t seq = 0;
      const std::string value(512, 'l');
      auto call = [&] {
        ++seq;
        return put_call(seq, "load/" + std::to_string(id) + "/" + std::to_string(seq % 4096), value);
      };
      bytes buffer;
      std::size_t owed = 0;
      for (; owed < depth; ++owed) (void)send_all(fd, call());
      for (std::size_t i = 0; i < 10'000'000 && owed > 0; ++i) {
        auto reply = read_reply(fd, buffer, 10s);
        if (!reply) break;
        --owed;
        t.count(status_of(*reply));
        if (!stop.stop_requested() && send_all(fd, call())) ++owed;
      }
      ::close(fd);
    });
  }

 private:
  std::jthread thread_;
};

/// Waits (bounded polling) until the tally's clock enters second `s`.
void until_second(const tally& t, int s) {
  (void)daemon_test::eventually([&] { return clock::now() - t.t0 >= std::chrono::seconds(s); }, 70s, 5ms);
}

}  // namespace

TEST_CASE("offered far more than its capacity, ferryd sheds OVERLOADED, keeps serving and stops shedding when the load drops",
          "[hostile][overload][ferryd]") {
  daemon_limits l;
  l.max_record = 4096;
  l.inflight_bytes = 8192;
  l.inflight_calls = 8;
  l.memory_budget = 16384;
  hostile_daemon d(l);
  tally t;
  std::vector<std::unique_ptr<loader>> base, extra;
  for (std::uint32_t i = 0; i < 4; ++i) base.push_back(std::make_unique<loader>(d.socket(), 2, t, i));
  until_second(t, 4);  // second 0 warms up; capacity over seconds 1..3
  // The process baseline: ferryd serving at capacity (its allocator arenas warm), right before overload.
  const auto rss0 = rss_bytes(d.pid());
  rss_watch watch(d.pid());
  for (std::uint32_t i = 0; i < 12; ++i) extra.push_back(std::make_unique<loader>(d.socket(), 8, t, 100 + i));
  until_second(t, 8);  // second 4 ramps up; overload over 5..7
  extra.clear();        // the excess goes (each loader collects its answers, then closes)
  // The load has dropped once every excess loader has closed, which may be after second 8 began: the
  // recovery second is the first whole second after that (a reported figure).
  const int dropped = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(clock::now() - t.t0).count()) + 1;
  // Recovery, asserted by count: within 20 s of the drop (ferryd notices the closed connections and frees
  // their buffers), 2,000 consecutive replies to the remaining clients hold no OVERLOADED. A window that
  // saw a shed starts over.
  constexpr std::uint64_t window = 2000;
  bool quiet_window = false;
  const auto drop_time = clock::now();
  for (int attempt = 0; attempt < 100 && !quiet_window && clock::now() - drop_time < 20s; ++attempt) {
    const auto ok0 = tally::total(t.ok), shed0 = tally::total(t.shed), other0 = tally::total(t.other);
    const bool filled = daemon_test::eventually(
        [&] { return tally::total(t.ok) >= ok0 + window || tally::total(t.shed) != shed0; }, 20s, 1ms);
    quiet_window = filled && tally::total(t.shed) == shed0 && tally::total(t.other) == other0;
  }
  const double recovery_s = std::chrono::duration<double>(clock::now() - drop_time).count();
  until_second(t, dropped + 1);
  base.clear();

  const double capacity = tally::rate(t.ok, 1, 4);
  const double served = tally::rate(t.ok, 5, 8);
  const double shed = tally::rate(t.shed, 5, 8);
  const double recovered = tally::rate(t.ok, dropped, dropped + 1);
  const std::uint64_t others = tally::total(t.other), shed_total = tally::total(t.shed);
  const auto rss_max = watch.max();
  std::string codes;
  for (std::size_t c = 0; c < t.by_code.size(); ++c)
    if (t.by_code[c] > 0) codes += (codes.empty() ? "" : ", ") + (c == 16 ? std::string("no status") : std::string(proto::to_string(static_cast<proto::status>(c)))) + " " + std::to_string(t.by_code[c].load());
  const std::uint64_t slack = 8ull << 20;  // 16 sessions' io state and reply queues, CAF mailboxes
  summary s("overload");
  s.num("capacity_ok_per_s", capacity)
      .num("overload_ok_per_s", served)
      .num("overload_shed_per_s", shed)
      .num("shed_total", static_cast<double>(shed_total))
      .num("recovery_ok_per_s_next_second", recovered)
      .num("served_over_capacity", capacity > 0 ? served / capacity : 0)
      .num("recovered_over_capacity", capacity > 0 ? recovered / capacity : 0)
      .num("seconds_to_2000_calls_without_shedding", recovery_s)
      .num("other_statuses", static_cast<double>(others))
      .text("replies_by_status", codes)
      .num("memory_budget_bytes", static_cast<double>(l.memory_budget))
      .num("rss_before_mib", static_cast<double>(rss0) / (1 << 20))
      .num("rss_max_mib", static_cast<double>(rss_max) / (1 << 20))
      .text("inputs", "capacity: 4 conns x 2 in flight (600-byte PUTs); overload: + 12 conns x 8 in flight "
                      "against a 16 KiB memory budget")
      .text("outcome", std::string("asserted: shed > 0, only OK or OVERLOADED, 2,000 calls unshed after the drop; "
                                   "throughput target (report only): overload and next-second ok/s >= 80% of "
                                   "capacity: ") +
                           (served >= 0.8 * capacity && recovered >= 0.8 * capacity ? "met" : "MISSED"))
      .text("throughput_verdict", served >= 0.8 * capacity && recovered >= 0.8 * capacity ? "met" : "MISSED");
  CHECK(capacity > 0);
  CHECK(shed_total > 0);
  CHECK(served > 0);
  CHECK(quiet_window);
  CHECK(others == 0);
  if (rss_checked()) CHECK(rss_max <= rss0 + l.memory_budget + slack);
}
