// Network faults between ferryd and one ferry-store: the test moves itself into a private network
// namespace (unshare(CLONE_NEWNET), loopback brought up with `ip`), runs the stores and ferryd there, and
// drops packets with iptables on a store's port. Calls must come back within their deadline plus slack,
// reads must fail over to the other replicas, and once the rules are gone everything must work again.
// netem (tc) would add delay as well, but this kernel has no sch_netem; iptables DROP is what we use.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chaos_report.hpp"
#include "daemon_fixture.hpp"

namespace ferry::chaos {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// libferry bounds each call by its deadline (poll with the time left); the slack covers this test's own
// scheduling on a shared, loaded 2-core machine, where wake-ups late by about a second were seen.
#ifdef FERRY_SANITIZE_BUILD
constexpr auto slack = 3000ms;
#else
constexpr auto slack = 1500ms;
#endif

/// This thread (and every process it starts from now on) in a fresh network namespace with loopback up;
/// back in the original one on destruction. `why` says what failed when `entered` is false.
class private_netns {
 public:
  private_netns() {
    original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original_ < 0) {
      why = std::string("open /proc/self/ns/net: ") + std::strerror(errno);
      return;
    }
    if (::unshare(CLONE_NEWNET) != 0) {
      why = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    entered = true;
    struct stat was{}, now{};
    if (::fstat(original_, &was) != 0 || ::stat("/proc/thread-self/ns/net", &now) != 0 || was.st_ino == now.st_ino) {
      why = "the new network namespace is not distinct from the original";
      entered = false;
      return;
    }
    if (std::system("ip link set lo up") != 0) why = "ip link set lo up failed";
    if (std::system("iptables -w -L -n >/dev/null 2>&1") != 0) why = "iptables does not work in the namespace";
  }
  ~private_netns() {
    if (entered) ::setns(original_, CLONE_NEWNET);
    if (original_ >= 0) ::close(original_);
  }
  private_netns(const private_netns&) = delete;
  private_netns& operator=(const private_netns&) = delete;

  bool usable() const { return entered && why.empty(); }

  bool entered = false;
  std::string why;

 private:
  int original_ = -1;
};

/// iptables rules dropping TCP to and from one port (loopback traffic passes INPUT both ways), removed on
/// destruction. `probability` below 1 drops that share of packets at random (statistic match).
class drop_rules {
 public:
  drop_rules(std::uint16_t port, double probability) {
    std::string match = probability < 1.0 ? " -m statistic --mode random --probability " + std::to_string(probability)
                                          : std::string();
    for (const char* dir : {"--dport", "--sport"})
      rules_.push_back("INPUT -p tcp " + std::string(dir) + " " + std::to_string(port) + match + " -j DROP");
    for (const auto& r : rules_)
      if (std::system(("iptables -w -A " + r).c_str()) != 0) throw std::runtime_error("iptables -A " + r + " failed");
  }
  ~drop_rules() { remove(); }
  void remove() {
    for (const auto& r : rules_) {
      const int rc = std::system(("iptables -w -D " + r).c_str());
      (void)rc;  // best effort: a rule already gone is fine
    }
    rules_.clear();
  }
  drop_rules(const drop_rules&) = delete;
  drop_rules& operator=(const drop_rules&) = delete;

 private:
  std::vector<std::string> rules_;
};

/// Outcomes of a batch of calls with a deadline.
struct batch {
  std::uint64_t calls = 0, ok = 0, timedout = 0, unavailable = 0, other = 0, wrong_value = 0, late = 0;
  std::chrono::milliseconds slowest{0};
  std::string late_calls;  ///< the first few late calls: status and time

  void record(int rc, clock::duration took, std::uint32_t deadline_ms) {
    ++calls;
    if (rc == FERRY_OK) ++ok;
    else if (rc == FERRY_TIMEDOUT) ++timedout;
    else if (rc == FERRY_UNAVAILABLE) ++unavailable;
    else ++other;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took);
    slowest = std::max(slowest, ms);
    if (ms > std::chrono::milliseconds(deadline_ms) + slack) {
      ++late;
      if (late <= 3) late_calls += " rc " + std::to_string(rc) + " after " + std::to_string(ms.count()) + " ms;";
    }
  }
  std::string text() const {
    return std::to_string(calls) + " calls: " + std::to_string(ok) + " OK, " + std::to_string(timedout) +
           " TIMEDOUT, " + std::to_string(unavailable) + " UNAVAILABLE, " + std::to_string(other) + " other, " +
           std::to_string(wrong_value) + " wrong values; slowest " + std::to_string(slowest.count()) + " ms, " +
           std::to_string(late) + " past deadline + " + std::to_string(slack.count()) + " ms" +
           (late_calls.empty() ? "" : " (" + late_calls + ")");
  }
};

constexpr std::uint32_t deadline_ms = 1000;

batch puts(daemon_test::client& c, const std::string& prefix, int n) {
  batch b;
  for (int i = 0; i < n; ++i) {
    auto key = prefix + std::to_string(i);
    const auto t0 = clock::now();
    int rc = c.put(key, "v:" + key, deadline_ms);
    b.record(rc, clock::now() - t0, deadline_ms);
  }
  return b;
}

batch gets(daemon_test::client& c, const std::string& prefix, int n) {
  batch b;
  for (int i = 0; i < n; ++i) {
    auto key = prefix + std::to_string(i);
    const auto t0 = clock::now();
    auto [rc, value] = c.get(key, nullptr, deadline_ms);
    b.record(rc, clock::now() - t0, deadline_ms);
    if (rc == FERRY_OK && value != "v:" + key) ++b.wrong_value;
  }
  return b;
}

/// After the rules are gone: ferryd writes to every store again, steadily (a write lands on all three, then
/// ten writes in a row succeed within their deadline), within `limit`.
bool heals(daemon_test::cluster& c, int& probe, std::chrono::milliseconds limit) {
  daemon_test::client cl(c.ferryd.socket);
  return daemon_test::eventually(
      [&] {
        auto key = "heal/" + std::to_string(probe++);
        if (cl.put(key, "h", deadline_ms) != FERRY_OK) return false;
        if (!daemon_test::eventually([&] { return daemon_test::holders(c.stores, key, std::string("h")) == 3; },
                                     500ms))
          return false;
        for (int i = 0; i < 10; ++i)
          if (cl.put("heal/" + std::to_string(probe++), "h", deadline_ms) != FERRY_OK) return false;
        return true;
      },
      limit, 100ms);
}

/// Once the rules are gone: the cluster heals within a minute (the time goes in the summary), and then
/// serves every write and every read, each read with its own value.
void heals_and_serves(daemon_test::cluster& c, daemon_test::client& cl, int& probe, summary& s) {
  const auto t0 = clock::now();
  const bool healed = heals(c, probe, 60s);
  const auto heal_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
  s.add("rules removed: writes land on all 3 stores, 10 in a row OK, after (ms)", healed ? std::to_string(heal_ms) : "never (60 s)");
  REQUIRE(healed);
  auto w = puts(cl, "after/", 60);
  auto r = gets(cl, "after/", 60);
  s.add("healed: puts", w.text());
  s.add("healed: gets", r.text());
  CHECK(w.ok == w.calls);
  CHECK(r.ok == r.calls);
  CHECK(r.wrong_value == 0);
}

}  // namespace

TEST_CASE("with one store's port blackholed calls keep their deadlines, reads fail over, and all heals",
          "[chaos][network]") {
  private_netns ns;
  if (!ns.usable()) {
    WARN("SKIPPED: no private network namespace for the fault injection: " << ns.why);
    return;
  }
  daemon_test::cluster c(3, 3, 2);
  daemon_test::client cl(c.ferryd.socket);
  summary s("network_blackhole");
  s.add("setup", "private netns (unshare CLONE_NEWNET), 3 memory ferry-stores, ferryd R=3 W=2; iptables DROP "
                 "on one store's port, both directions; deadline " + std::to_string(deadline_ms) + " ms, slack " +
                 std::to_string(slack.count()) + " ms");

  auto baseline = puts(cl, "base/", 60);
  REQUIRE(baseline.ok == 60);
  int probe = 0;

  {  // one store silent: W=2 still reachable, reads go to the other replicas
    drop_rules silent(c.stores[0].port, 1.0);
    auto w = puts(cl, "one-down/", 60);
    auto r = gets(cl, "base/", 60);
    s.add("one store blackholed: puts", w.text());
    s.add("one store blackholed: gets of earlier keys", r.text());
    CHECK(w.late == 0);
    CHECK(r.late == 0);
    CHECK(w.ok == w.calls);  // two replicas answer
    CHECK(r.ok == r.calls);  // failover to a replica that answers
    CHECK(r.wrong_value == 0);
    auto r2 = gets(cl, "one-down/", 60);
    s.add("one store blackholed: gets of keys written meanwhile", r2.text());
    CHECK(r2.late == 0);
    CHECK(r2.ok == r2.calls);
    CHECK(r2.wrong_value == 0);

    // A second store silent: W=2 is out of reach; writes must fail within their deadline, never hang.
    drop_rules second(c.stores[1].port, 1.0);
    auto w3 = puts(cl, "two-down/", 20);
    auto r3 = gets(cl, "base/", 30);
    s.add("two stores blackholed: puts (quorum unreachable)", w3.text());
    s.add("two stores blackholed: gets of earlier keys", r3.text());
    CHECK(w3.late == 0);
    CHECK(w3.ok == 0);
    CHECK(w3.timedout + w3.unavailable == w3.calls);
    CHECK(r3.late == 0);
    CHECK(r3.ok == r3.calls);  // the third replica has every base key
  }

  heals_and_serves(c, cl, probe, s);
  REQUIRE(s.write());
  WARN("network faults (blackhole):\n" << s.text());
}

TEST_CASE("with 30% packet loss on one store's port writes needing it keep their deadlines and all heals", "[chaos][network]") {
  private_netns ns;
  if (!ns.usable()) {
    WARN("SKIPPED: no private network namespace for the fault injection: " << ns.why);
    return;
  }
  // W = 3: every write needs the lossy store, so its retransmissions meet the deadlines.
  daemon_test::cluster c(3, 3, 3);
  daemon_test::client cl(c.ferryd.socket);
  summary s("network_loss");
  s.add("setup", "private netns, 3 memory ferry-stores, ferryd R=3 W=3 (every write needs the lossy store); "
                 "iptables statistic DROP of 30% of packets on one store's port, both directions; deadline " +
                     std::to_string(deadline_ms) + " ms, slack " + std::to_string(slack.count()) + " ms");
  REQUIRE(puts(cl, "base/", 60).ok == 60);
  int probe = 0;
  {
    drop_rules lossy(c.stores[2].port, 0.3);
    auto w = puts(cl, "lossy/", 150);
    auto r = gets(cl, "base/", 60);
    auto r2 = gets(cl, "lossy/", 150);
    s.add("30% loss: puts", w.text());
    s.add("30% loss: gets of earlier keys", r.text());
    s.add("30% loss: gets of keys written meanwhile", r2.text());
    CHECK(w.late == 0);
    CHECK(r.late == 0);
    CHECK(r2.late == 0);
    CHECK(r.wrong_value + r2.wrong_value == 0);
    CHECK(w.ok > 0);                      // TCP retransmits; a write that misses its deadline says TIMEDOUT
    CHECK(w.ok + w.timedout + w.unavailable == w.calls);
    CHECK(r.ok == r.calls);               // a slow first replica leaves time for the next
    CHECK(r2.ok + r2.other == r2.calls);  // keys whose write timed out may be absent (NOT_FOUND)
  }
  heals_and_serves(c, cl, probe, s);
  REQUIRE(s.write());
  WARN("network faults (packet loss):\n" << s.text());
}

}  // namespace ferry::chaos
