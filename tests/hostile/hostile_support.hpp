// What the hostile-client tests share: a ferryd with small, known limits (written to a config file), its
// RSS and descriptor count read from /proc, a well-behaved bystander measuring its own latency, raw
// sockets for attackers, and the machine-readable summary in $FERRY_HOSTILE_REPORT_DIR.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/daemon_fixture.hpp"
#include "summary.hpp"

namespace ferry::hostile {

using namespace std::chrono_literals;
using daemon_test::bytes;
using clock = std::chrono::steady_clock;

/// Counts scale down under the sanitizers (FERRY_HOSTILE_SCALE_DIVISOR, set by CMake with FERRY_SANITIZE):
/// ASan makes ferryd several times slower and the quick suite must stay within its time budget.
std::size_t scaled(std::size_t n);
/// False under the sanitizers: ASan's quarantine (freed memory held back for reuse checks) and shadow
/// memory make ferryd's RSS measure the sanitizer, not ferryd. RSS bounds are checked in the normal build
/// and only reported under ASan.
constexpr bool rss_checked() {
#ifdef FERRY_HOSTILE_SCALE_DIVISOR
  return false;
#else
  return true;
#endif
}
/// True when FERRY_HOSTILE_LONG=1 asks for the full counts.
bool long_mode();

/// VmRSS of `pid` in bytes (0 when unreadable).
std::uint64_t rss_bytes(pid_t pid);
/// Entries in /proc/PID/fd.
std::size_t fd_count(pid_t pid);

/// Samples `pid`'s RSS every 10 ms on its own thread and keeps the maximum.
class rss_watch {
 public:
  explicit rss_watch(pid_t pid);
  ~rss_watch();
  std::uint64_t max() const { return max_.load(); }
  void reset() { max_.store(rss_bytes(pid_)); }

 private:
  pid_t pid_;
  std::atomic<std::uint64_t> max_{0};
  std::jthread thread_;
};

struct daemon_limits {
  std::uint64_t memory_budget = 32ull << 20;
  std::uint64_t inflight_bytes = 1ull << 20;
  std::uint32_t inflight_calls = 128;
  std::uint32_t max_record = 256u << 10;
  std::uint64_t max_sessions = 4096;
  std::vector<std::string> extra;  ///< more ferryd flags
  std::vector<std::string> store_args{"--memory"};
  std::string daemon_table;        ///< extra lines for [daemon] (socket_mode, allow lists)
};

/// One ferry-store (R = W = 1) and ferryd with `limits` in a config file; accept rate/burst at their
/// maximum so admission never refuses (these tests look at what comes after admission).
struct hostile_daemon {
  daemon_test::temp_dir dir;
  std::vector<test::store_process> stores;
  test::ferryd_process ferryd;
  daemon_limits limits;
  explicit hostile_daemon(daemon_limits l = {});
  pid_t pid() const { return ferryd.proc->pid(); }
  const std::string& socket() const { return ferryd.socket; }
};

/// A well-behaved libferry client writing and reading back on its own thread, recording each operation's
/// latency; windows of its samples give p99 before and during an attack.
class bystander {
 public:
  explicit bystander(const std::string& socket);
  ~bystander();
  /// Waits (bounded, 60 s) until `n` operations completed after `since`.
  bool wait_ops_since(clock::time_point since, std::size_t n);
  struct window {
    std::size_t ops = 0, errors = 0;
    double p99_ms = 0, p50_ms = 0;
  };
  window between(clock::time_point from, clock::time_point to) const;
  std::size_t errors() const { return errors_.load(); }

 private:
  struct sample {
    clock::time_point at;
    double ms;
    bool ok;
  };
  mutable std::mutex mutex_;
  std::vector<sample> samples_;
  std::atomic<std::size_t> errors_{0};
  std::jthread thread_;
};

/// The p99 a bystander may show under attack. The machine is a noisy shared 2-core VM where attacker,
/// ferryd, ferry-store and the bystander compete for the same cores, so "within 2x of its baseline" gets
/// a floor: max(2 x baseline, baseline + 5 ms) (+ 20 ms more under the sanitizers).
double p99_allowed(double baseline_ms);

/// A raw client socket on ferryd's UNIX socket (blocking unless told otherwise).
int connect_unix(const std::string& path, bool nonblocking = false);
/// Sends everything (false on error: ferryd closed).
bool send_all(int fd, const bytes& data);
/// Reads until EOF or error within `limit`: true when ferryd closed the connection.
bool wait_closed(int fd, std::chrono::milliseconds limit = 10s);
/// The next reply record's payload from `fd`, `buffer` keeping bytes between calls; nullopt on EOF/timeout.
std::optional<bytes> read_reply(int fd, bytes& buffer, std::chrono::milliseconds limit = 10s);

/// A record-marked PUT/GET/NULL call with AUTH_NONE.
bytes put_call(std::uint32_t xid, const std::string& key, const std::string& value, std::uint32_t deadline_ms = 0);
bytes null_call(std::uint32_t xid);
/// The status in a FERRY_CLIENT reply record (accepted SUCCESS), nullopt otherwise.
std::optional<proto::status> status_of(const bytes& reply_payload);
/// The detail text of a status-only reply ("" when there is none).
std::string detail_of(const bytes& reply_payload);

}  // namespace ferry::hostile
