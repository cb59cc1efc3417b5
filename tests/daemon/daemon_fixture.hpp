// What ferryd's integration tests share: a temp dir, real ferry-stores and a real ferryd on a UNIX socket,
// a libferry handle, a raw UNIX-socket RPC peer for hostile and pipelined traffic, and direct store reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include <ferry.h>

#include "ferryd_process.hpp"
#include "store_process.hpp"
#include "xdr/bytes.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/rpc.hpp"

namespace ferry::daemon_test {

using namespace std::chrono_literals;
using bytes = std::vector<xdr::byte>;

/// A fresh directory (mkdtemp), short enough for socket paths, removed with everything in it.
struct temp_dir {
  std::filesystem::path path;
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

/// Calls `condition` every `step` until it is true or `limit` has passed; whether it became true.
template <class F>
bool eventually(F&& condition, std::chrono::milliseconds limit = 10s, std::chrono::milliseconds step = 10ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(step);
  }
}

/// "--store 127.0.0.1:P" for each store.
std::vector<std::string> store_flags(const std::vector<test::store_process>& stores);
std::vector<test::store_process> start_stores(std::size_t n);

/// Waits (at most 10 s) until a round of writes to `probes` distinct keys all succeed: ferryd prints its
/// ready line before its store connections are up, and calls in that window fail UNAVAILABLE (see
/// startup_test.cpp). Keys "warmup/N" are written.
void wait_until_routing(const std::string& socket, int probes = 24);

/// ferryd on `socket` routing to `stores`, event log at warn; `extra` flags appended. Returns once it
/// routes (wait_until_routing).
test::ferryd_process start_ferryd_on(const std::string& socket, const std::vector<test::store_process>& stores,
                                     std::vector<std::string> extra = {}, const std::string& stderr_path = {});

/// `n` ferry-stores and a routing ferryd over them (R = replicas, W = quorum), its socket in a temp dir.
struct cluster {
  temp_dir dir;
  std::vector<test::store_process> stores;
  test::ferryd_process ferryd;
  cluster(std::size_t n, unsigned replicas, unsigned quorum, std::vector<std::string> extra = {});
};

/// Raises RLIMIT_NOFILE's soft limit to at least `n` (children inherit it); false when the hard limit is lower.
bool raise_open_files_limit(rlim_t n);

/// A libferry handle, closed on destruction.
class client {
 public:
  explicit client(const std::string& socket);  // REQUIREs ferry_open to succeed
  ~client() { ferry_close(h_); }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  int put(const std::string& key, const std::string& value, std::uint32_t deadline_ms = 0);
  /// Status, and the value on FERRY_OK.
  std::pair<int, std::string> get(const std::string& key, ferry_object_info* info = nullptr,
                                  std::uint32_t deadline_ms = 0);
  int stat(const std::string& key, ferry_object_info& info);
  int del(const std::string& key);
  ferry_t* handle() const noexcept { return h_; }

 private:
  ferry_t* h_ = nullptr;
};

/// A new libferry session on `socket` writes `key` and reads it back (REQUIREd): ferryd serves.
void check_serves(const std::string& socket, const std::string& key);

/// A key's live value as one ferry-store holds it (asked directly over FERRY_STORE), nullopt when absent.
std::optional<std::string> stored_value(std::uint16_t store_port, const std::string& key);
/// How many of `stores` hold `key` live (with that exact value when `value` is given).
std::size_t holders(const std::vector<test::store_process>& stores, const std::string& key,
                    const std::optional<std::string>& value = std::nullopt);

/// One raw UNIX-socket connection speaking record-marked ONC RPC by hand.
class raw_peer {
 public:
  explicit raw_peer(const std::string& socket);
  ~raw_peer();
  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;

  /// Writes `data`, with `pass_fd` (when >= 0) as SCM_RIGHTS on its first bytes (libferry's attach).
  void write_all(const bytes& data, int pass_fd = -1);
  /// The payload of the next reply record, waiting at most `limit`; nullopt on EOF, error or timeout.
  std::optional<bytes> read_record(std::chrono::milliseconds limit = 10s);
  /// True when ferryd closes the connection within `limit` (whatever it sends first is discarded).
  bool closed_by_peer(std::chrono::milliseconds limit = 10s);

 private:
  int fd_ = -1;
  bytes inbuf_;
};

/// A record-marked call: header (AUTH_NONE) and, when given, the encoded arguments.
template <class Args>
bytes encode_call(std::uint32_t xid, std::uint32_t prog, std::uint32_t vers, std::uint32_t proc, const Args& args) {
  xdr::encoder e;
  e.begin_record();
  xdr::rpc::encode_call(e, {xid, prog, vers, proc, {}, {}});
  if (!xdr::encode(e, args)) throw std::runtime_error("arguments break their bounds");
  e.end_record();
  return e.flatten();
}
bytes encode_void_call(std::uint32_t xid, std::uint32_t prog, std::uint32_t vers, std::uint32_t proc);

/// GET /metrics over a plain socket (HTTP/1.0: the server closes after the reply); the body, or "" on error.
std::string http_get_metrics(std::uint16_t port);
/// The value of the unlabelled series `name` in a Prometheus text exposition, or -1 when it is absent.
double metric_value(const std::string& exposition, const std::string& name);

}  // namespace ferry::daemon_test
