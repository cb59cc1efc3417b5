// broker_bench: what ferryd costs over talking to ferry-store directly. The same closed loop (C connections,
// D calls in flight each, bounded by a count and a time limit) of small PUT or GET runs in one of two arms:
// FERRY_CLIENT through ferryd's UNIX socket, or FERRY_STORE straight to a store over TCP. A second mode
// (--idle-sessions) measures ferryd's resident memory per open, idle client session.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <arpa/inet.h>
#include <barrier>
#include <chrono>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_wire.hpp"
#include "bench/load_result.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/protocol/store.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

using namespace ferry;
using namespace ferry::bench;
namespace pc = proto::client;
namespace ps = proto::store;
using clock_type = std::chrono::steady_clock;

namespace {

enum class arm { ferryd, direct };

struct options {
  std::string ferryd_socket;
  std::uint16_t store_port = 0;
  std::string op = "put";
  unsigned connections = 1;
  unsigned depth = 1;
  std::uint64_t count = 20000;  // calls per connection at most
  double seconds = 3;           // and at most this long
  std::size_t value_size = 100;
  unsigned keys = 200;  // distinct keys per connection
  unsigned idle_sessions = 0;
  pid_t pid = 0;

  arm which() const { return ferryd_socket.empty() ? arm::direct : arm::ferryd; }
};

using conn_result = load_result;

int connect_to(const options& o) {
  return o.which() == arm::ferryd ? connect_unix(o.ferryd_socket) : connect_tcp(o.store_port);
}


// One call of the benchmark's operation, in the arm's protocol. Store PUTs carry a version the way
// ferryd would choose one: growing across runs (microseconds since the epoch), the connection as writer.
struct call_encoder {
  arm which;
  unsigned writer;
  std::uint64_t version_base = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::uint64_t writes = 0;

  void put(xdr::encoder& e, std::uint32_t xid, std::string_view key, xdr::bytes_view value) {
    if (which == arm::ferryd) {
      xdr::rpc::encode_call(e, {xid, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::put), {}, {}});
      (void)xdr::encode(e, pc::put_args{xdr::as_bytes(key), value, 0, {}, 0});
    } else {
      xdr::rpc::encode_call(e, {xid, ps::program, ps::version, static_cast<std::uint32_t>(ps::proc::put), {}, {}});
      (void)xdr::encode(e, ps::put_args{xdr::as_bytes(key), value, {version_base + writes++, writer}});
    }
  }
  void get(xdr::encoder& e, std::uint32_t xid, std::string_view key) const {
    if (which == arm::ferryd) {
      xdr::rpc::encode_call(e, {xid, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::get), {}, {}});
      (void)xdr::encode(e, pc::key_args{xdr::as_bytes(key), 0});
    } else {
      xdr::rpc::encode_call(e, {xid, ps::program, ps::version, static_cast<std::uint32_t>(ps::proc::get), {}, {}});
      (void)xdr::encode(e, ps::key_args{xdr::as_bytes(key)});
    }
  }
};

// The arms write disjoint keys: ferryd's HLC versions and this tool's direct versions never race.
std::string key_of(const options& o, unsigned conn, std::uint64_t k) {
  return fmt::format("bench/{}/{}/{}", o.which() == arm::ferryd ? "ferryd" : "direct", conn, k % o.keys);
}

// Writes every key of the connection once, pipelined (at most 64 in flight), untimed; false on any failure.
bool prefill(const options& o, unsigned index, int fd, reader& rd, call_encoder& calls, xdr::bytes_view value) {
  std::uint32_t xid = 1u << 30;
  std::uint64_t sent = 0, answered = 0;
  bool ok = true;
  for (unsigned k = 0; k < o.keys; ++k) {
    xdr::encoder e;
    e.begin_record();
    calls.put(e, xid++, key_of(o, index, k), value);
    e.end_record();
    if (!write_all(fd, e)) return false;
    ++sent;
    if (sent - answered > 64) {
      auto r = rd.next();
      if (!r) return false;
      ok = ok && r->second;
      ++answered;
    }
  }
  for (; answered < sent; ++answered) {
    auto r = rd.next();
    if (!r) return false;
    ok = ok && r->second;
  }
  return ok;
}

conn_result run_connection(const options& o, unsigned index, std::barrier<>& ready, clock_type::time_point& started) {
  conn_result res;
  int fd = connect_to(o);
  std::vector<xdr::byte> value(o.value_size, 0x5a);
  reader rd(fd);
  call_encoder calls{o.which(), index};
  bool prepared = fd >= 0 && (o.op != "get" || prefill(o, index, fd, rd, calls, value));
  // Every connection starts its timed loop together, after all the untimed preparation.
  ready.arrive_and_wait();
  if (index == 0) started = clock_type::now();
  if (!prepared) {
    res.errors = 1;
    res.first_error = fd < 0 ? "connect failed" : rd.first_error.empty() ? "prefill failed" : rd.first_error;
    if (fd >= 0) close(fd);
    res.finished = clock_type::now();
    return res;
  }
  auto stop = clock_type::now() +
              std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<clock_type::time_point> sent_at(1 << 16);
  std::uint32_t xid = 100;
  std::uint64_t issued = 0;
  auto send_one = [&] {
    xdr::encoder e;
    e.begin_record();
    auto key = key_of(o, index, issued);
    if (o.op == "put")
      calls.put(e, xid, key, value);
    else
      calls.get(e, xid, key);
    e.end_record();
    sent_at[xid & 0xFFFF] = clock_type::now();
    ++xid;
    ++issued;
    return write_all(fd, e);
  };
  res.latencies_us.reserve(std::min<std::uint64_t>(o.count, 1u << 20));
  for (unsigned i = 0; i < o.depth && issued < o.count; ++i)
    if (!send_one()) break;
  std::uint64_t done = 0;
  while (done < issued) {
    auto r = rd.next();
    if (!r) {
      res.errors += issued - done;  // every call still in flight is lost with the connection
      if (rd.first_error.empty()) rd.first_error = "connection lost";
      break;
    }
    auto now = clock_type::now();
    res.latencies_us.push_back(std::chrono::duration<double, std::micro>(now - sent_at[r->first & 0xFFFF]).count());
    ++done;
    if (r->second)
      ++res.ops;
    else
      ++res.errors;
    if (issued < o.count && now < stop && !send_one()) break;
  }
  res.finished = clock_type::now();
  close(fd);
  res.first_error = rd.first_error;
  return res;
}


int run_load(const options& o) {
  std::vector<conn_result> results(o.connections);
  std::vector<std::thread> threads;
  std::barrier ready(static_cast<std::ptrdiff_t>(o.connections));
  clock_type::time_point started{};
  for (unsigned i = 0; i < o.connections; ++i)
    threads.emplace_back([&, i] { results[i] = run_connection(o, i, ready, started); });
  for (auto& t : threads) t.join();
  conn_result all;
  for (auto& r : results) all.add(r);
  return print_result_line(o.which() == arm::ferryd ? "ferryd" : "direct", o.op, o.connections, o.depth, all, started);
}

// VmRSS of a process in KiB, from /proc/PID/status; nullopt when it cannot be read.
std::optional<long> rss_kib(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return std::nullopt;
}

// Enough descriptors for `wanted` sockets plus a margin, up to the hard limit.
void raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= wanted) return;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
}

// Opens N sessions, each proven to exist by a NULL call answered, and reports ferryd's RSS growth.
int run_idle_sessions(const options& o) {
  raise_fd_limit(o.idle_sessions + 64);
  auto before = rss_kib(o.pid);
  if (!before) {
    fmt::print("idle-sessions: cannot read /proc/{}/status\n", o.pid);
    return 1;
  }
  std::vector<int> fds;
  fds.reserve(o.idle_sessions);
  unsigned failed = 0;
  std::string first_error;
  for (unsigned i = 0; i < o.idle_sessions; ++i) {
    int fd = connect_unix(o.ferryd_socket);
    if (fd < 0) {
      if (first_error.empty()) first_error = fmt::format("connect failed at session {}", i);
      ++failed;
      continue;
    }
    fds.push_back(fd);
    xdr::encoder e;
    e.begin_record();
    xdr::rpc::encode_call(e, {i + 1, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::null), {}, {}});
    e.end_record();
    reader rd(fd);
    rd.buf.resize(256);  // a NULL reply is 28 bytes; a thousand 64 KiB buffers would be noise
    auto r = write_all(fd, e) ? rd.next_reply() : std::nullopt;
    if (!r || r->xid != i + 1 || r->stat != xdr::rpc::reply_stat::accepted ||
        r->accepted != xdr::rpc::accept_stat::success) {
      if (first_error.empty()) first_error = fmt::format("NULL call unanswered at session {}", i);
      ++failed;
    }
  }
  // Each answered NULL call proves its session is set up, buffers included: sample right away.
  auto after = rss_kib(o.pid);
  for (int fd : fds) close(fd);
  if (!after) {
    fmt::print("idle-sessions: cannot read /proc/{}/status after opening sessions\n", o.pid);
    return 1;
  }
  auto opened = o.idle_sessions - failed;
  fmt::print("idle_sessions={} failed={} rss_before_kib={} rss_after_kib={} per_session_bytes={:.0f}\n", opened,
             failed, *before, *after,
             opened > 0 ? static_cast<double>(*after - *before) * 1024.0 / opened : 0.0);
  if (failed != 0) fmt::print("first error: {}\n", first_error);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"broker_bench: closed-loop small PUT/GET through ferryd (UNIX socket) or straight to a ferry-store"};
  auto* sock = app.add_option("--ferryd-socket", o.ferryd_socket, "arm ferryd: FERRY_CLIENT on this UNIX socket");
  auto* port = app.add_option("--store-port", o.store_port, "arm direct: FERRY_STORE to 127.0.0.1:PORT");
  sock->excludes(port);
  app.add_option("--op", o.op, "put | get")->check(CLI::IsMember({"put", "get"}));
  app.add_option("--connections,-c", o.connections, "concurrent connections")->check(CLI::PositiveNumber);
  app.add_option("--depth,-d", o.depth, "calls in flight per connection")->check(CLI::PositiveNumber);
  app.add_option("--count,-n", o.count, "calls per connection at most");
  app.add_option("--seconds,-t", o.seconds, "time limit of the timed loop");
  app.add_option("--value-size", o.value_size, "bytes per value");
  app.add_option("--keys", o.keys, "distinct keys per connection")->check(CLI::PositiveNumber);
  auto* idle = app.add_option("--idle-sessions", o.idle_sessions,
                              "instead of load: open N sessions to --ferryd-socket, report the RSS of --pid");
  auto* pid = app.add_option("--pid", o.pid, "ferryd's process id, for --idle-sessions");
  idle->needs(pid)->needs(sock);
  CLI11_PARSE(app, argc, argv);
  if (sock->count() == 0 && port->count() == 0) {
    fmt::print(stderr, "broker_bench: give --ferryd-socket PATH or --store-port PORT\n");
    return 2;
  }
  return o.idle_sessions > 0 ? run_idle_sessions(o) : run_load(o);
}
