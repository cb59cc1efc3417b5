// The shared pieces of the hostile-client tests (see hostile_support.hpp).
#include "hostile_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "xdr/decoder.hpp"
#include "xdr/record.hpp"

namespace ferry::hostile {

namespace fs = std::filesystem;
namespace pc = proto::client;

std::size_t scaled(std::size_t n) {
#ifdef FERRY_HOSTILE_SCALE_DIVISOR
  return std::max<std::size_t>(1, n / FERRY_HOSTILE_SCALE_DIVISOR);
#else
  return n;
#endif
}

bool long_mode() {
  const char* v = std::getenv("FERRY_HOSTILE_LONG");
  return v != nullptr && std::string(v) == "1";
}

std::uint64_t rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

std::size_t fd_count(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end; it.increment(ec))
    ++n;
  return n;
}

rss_watch::rss_watch(pid_t pid) : pid_(pid), max_(rss_bytes(pid)) {
  thread_ = std::jthread([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      auto v = rss_bytes(pid_);
      auto cur = max_.load();
      while (v > cur && !max_.compare_exchange_weak(cur, v)) {
      }
      std::this_thread::sleep_for(10ms);  // a sampling period, not a wait for a condition
    }
  });
}

rss_watch::~rss_watch() {
  thread_.request_stop();
  thread_.join();
}

hostile_daemon::hostile_daemon(daemon_limits l) : limits(std::move(l)) {
  stores.push_back(test::start_store(FERRY_STORE_BIN, limits.store_args));
  const auto config = dir.file("ferryd.toml");
  std::ofstream out(config);
  out << "[daemon]\n" << limits.daemon_table << "\n[limits]\n"
      << "max_sessions = " << limits.max_sessions << "\n"
      << "accept_rate = 1000000.0\naccept_burst = 1000000\n"
      << "session_max_inflight_calls = " << limits.inflight_calls << "\n"
      << "session_max_inflight_bytes = " << limits.inflight_bytes << "\n"
      << "memory_budget_bytes = " << limits.memory_budget << "\n"
      << "max_record_bytes = " << limits.max_record << "\n";
  out.close();
  std::vector<std::string> extra{"--config", config, "--replicas", "1", "--write-quorum", "1"};
  extra.insert(extra.end(), limits.extra.begin(), limits.extra.end());
  ferryd = daemon_test::start_ferryd_on(dir.file("ferryd.sock"), stores, extra, dir.file("ferryd.log"));
  // The routing probe's session may still be closing: wait (bounded) until the descriptor count holds
  // still for 200 ms, so tests take their baseline from a quiet ferryd.
  std::size_t last = 0;
  int same = 0;
  (void)daemon_test::eventually([&] {
    const auto now = fd_count(pid());
    same = now == last ? same + 1 : 0;
    last = now;
    return same >= 10;
  }, 5s, 20ms);
}

bystander::bystander(const std::string& socket) {
  thread_ = std::jthread([this, socket](std::stop_token stop) {
    daemon_test::client c(socket);
    for (std::uint64_t i = 0; i < 10'000'000 && !stop.stop_requested(); ++i) {
      const auto key = "bystander/" + std::to_string(i % 64);
      const auto value = "value " + std::to_string(i);
      const auto t0 = clock::now();
      bool ok = i % 2 == 0 ? c.put(key, value, 5000) == FERRY_OK
                           : c.get("bystander/" + std::to_string((i - 1) % 64), nullptr, 5000).first == FERRY_OK;
      const auto t1 = clock::now();
      if (!ok) ++errors_;
      std::lock_guard<std::mutex> g(mutex_);
      samples_.push_back({t1, std::chrono::duration<double, std::milli>(t1 - t0).count(), ok});
    }
  });
}

bystander::~bystander() {
  thread_.request_stop();
  thread_.join();
}

bool bystander::wait_ops_since(clock::time_point since, std::size_t n) {
  return daemon_test::eventually(
      [&] {
        std::lock_guard<std::mutex> g(mutex_);
        auto it = std::lower_bound(samples_.begin(), samples_.end(), since,
                                   [](const sample& s, clock::time_point t) { return s.at < t; });
        return static_cast<std::size_t>(samples_.end() - it) >= n;
      },
      60s, 5ms);
}

bystander::window bystander::between(clock::time_point from, clock::time_point to) const {
  std::vector<double> ms;
  window w;
  {
    std::lock_guard<std::mutex> g(mutex_);
    for (const auto& s : samples_)
      if (s.at >= from && s.at <= to) {
        ms.push_back(s.ms);
        if (!s.ok) ++w.errors;
      }
  }
  w.ops = ms.size();
  if (ms.empty()) return w;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))]; };
  w.p99_ms = at(0.99);
  w.p50_ms = at(0.50);
  return w;
}

double p99_allowed(double baseline_ms) {
#ifdef FERRY_HOSTILE_SCALE_DIVISOR
  constexpr double extra = 20.0;
#else
  constexpr double extra = 0.0;
#endif
  return std::max(2.0 * baseline_ms, baseline_ms + 5.0) + extra;
}

int connect_unix(const std::string& path, bool nonblocking) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof(addr.sun_path) - 1));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const bytes& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool wait_closed(int fd, std::chrono::milliseconds limit) {
  const auto until = clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char buf[65536];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE))) return true;
    if (n < 0) return false;
  }
}

std::optional<bytes> read_reply(int fd, bytes& buffer, std::chrono::milliseconds limit) {
  const auto until = clock::now() + limit;
  for (;;) {
    auto scan = xdr::scan_record(buffer);
    if (!scan) return std::nullopt;
    if (scan->complete()) {
      auto payload = xdr::record_payload(buffer, *scan);
      bytes out(payload.begin(), payload.end());
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(scan->bytes));
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    xdr::byte buf[65536];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return std::nullopt;
    buffer.insert(buffer.end(), buf, buf + n);
  }
}

bytes put_call(std::uint32_t xid, const std::string& key, const std::string& value, std::uint32_t deadline_ms) {
  return daemon_test::encode_call(xid, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::put),
                                  pc::put_args{xdr::as_bytes(key), xdr::as_bytes(value), deadline_ms, {}, 0});
}

bytes null_call(std::uint32_t xid) { return daemon_test::encode_void_call(xid, pc::program, pc::version, 0); }

std::optional<proto::status> status_of(const bytes& reply_payload) {
  auto r = xdr::rpc::decode_reply(reply_payload);
  if (!r || r->stat != xdr::rpc::reply_stat::accepted || r->accepted != xdr::rpc::accept_stat::success)
    return std::nullopt;
  xdr::decoder d{r->results};  // every FERRY_CLIENT result is a union on ferry_status: its first word
  auto code = d.u32();
  if (!code) return std::nullopt;
  return static_cast<proto::status>(*code);
}

std::string detail_of(const bytes& reply_payload) {
  auto r = xdr::rpc::decode_reply(reply_payload);
  if (!r) return {};
  auto res = xdr::decode<proto::reply>(r->results);
  return res ? std::string(res->detail) : std::string();
}

}  // namespace ferry::hostile
