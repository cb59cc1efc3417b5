// Idle sessions: connect all, send every NULL call, then read every reply (so N sessions take about
// N round trips of the peer's accept path, not N sequential latencies), sample RSS, hold, close.
#include "idle.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <poll.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include "load.hpp"
#include "wire.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/protocol/store.hpp"
#include "xdr/rpc.hpp"

namespace ferry::bench {
namespace {

void raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= wanted) return;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
}

// Waits (at most until `deadline`) for the NULL reply of one session; true when it came back accepted.
bool await_null_reply(int fd, std::uint32_t xid, std::chrono::steady_clock::time_point deadline) {
  record_reader rx;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) return false;
    if (n <= 0) continue;
    if (rx.fill(fd) != record_reader::status::ok) return false;
    if (auto rec = rx.next()) {
      auto r = xdr::rpc::decode_reply(*rec);
      return r && r->xid == xid && r->stat == xdr::rpc::reply_stat::accepted &&
             r->accepted == xdr::rpc::accept_stat::success;
    }
    if (!rx.error.empty()) return false;
  }
}

}  // namespace

int run_idle(const options& o, output_format f) {
  raise_fd_limit(static_cast<rlim_t>(o.idle) + 64);
  std::vector<std::optional<long>> before;
  for (auto pid : o.pids) before.push_back(process_rss_kib(pid));
  std::vector<std::pair<int, std::uint32_t>> fds;  // socket, xid of its NULL call
  fds.reserve(o.idle);
  std::string first_error;
  unsigned failed = 0;
  const bool c = o.protocol == wire_protocol::client;
  for (unsigned i = 0; i < o.idle; ++i) {
    int fd = connect_to(o.where);
    if (fd < 0) {
      if (first_error.empty()) first_error = fmt::format("connect failed at session {}: {}", i, std::strerror(errno));
      ++failed;
      continue;
    }
    xdr::encoder e;
    e.begin_record();
    xdr::rpc::encode_call(e, {i + 1, c ? proto::client::program : proto::store::program,
                              c ? proto::client::version : proto::store::version, 0, {}, {}});
    e.end_record();
    if (!send_all(fd, e)) {
      if (first_error.empty()) first_error = fmt::format("send failed at session {}", i);
      ++failed;
      ::close(fd);
      continue;
    }
    fds.emplace_back(fd, i + 1);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const auto& [fd, xid] : fds) {
    if (await_null_reply(fd, xid, deadline)) continue;
    if (first_error.empty()) first_error = fmt::format("NULL call {} unanswered", xid);
    ++failed;
  }
  // Every answered NULL proves its session is set up, buffers included: sample now, then hold.
  std::vector<std::optional<long>> after;
  for (auto pid : o.pids) after.push_back(process_rss_kib(pid));
  const unsigned opened = o.idle - failed;
  std::string out;
  for (std::size_t i = 0; i < o.pids.size(); ++i) {
    const bool known = before[i] && after[i];
    const double per = known && opened > 0 ? static_cast<double>(*after[i] - *before[i]) * 1024.0 / opened : 0.0;
    if (f == output_format::json)
      out += fmt::format("{}{{\"pid\": {}, \"rss_before_kib\": {}, \"rss_after_kib\": {}, \"per_session_bytes\": {}}}",
                         out.empty() ? "" : ", ", o.pids[i], before[i] ? std::to_string(*before[i]) : "null",
                         after[i] ? std::to_string(*after[i]) : "null", known ? fmt::format("{:.0f}", per) : "null");
    else
      out += fmt::format(" pid={} rss_before_kib={} rss_after_kib={} per_session_bytes={}", o.pids[i],
                         before[i] ? std::to_string(*before[i]) : "na", after[i] ? std::to_string(*after[i]) : "na",
                         known ? fmt::format("{:.0f}", per) : "na");
  }
  if (f == output_format::json)
    fmt::print("{{\"idle_sessions\": {}, \"failed\": {}, \"first_error\": \"{}\", \"pids\": [{}]}}\n", opened, failed,
               first_error, out);
  else
    fmt::print("idle_sessions={} failed={}{}{}\n", opened, failed, out,
               first_error.empty() ? "" : " first_error=\"" + first_error + "\"");
  std::fflush(stdout);
  const auto hold_until = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(std::min(o.hold_seconds, 3600.0)));
  std::this_thread::sleep_until(hold_until);
  for (const auto& [fd, xid] : fds) ::close(fd);
  return failed == 0 ? 0 : 1;
}

}  // namespace ferry::bench
