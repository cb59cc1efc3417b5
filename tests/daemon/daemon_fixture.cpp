// The shared pieces of ferryd's integration tests (see daemon_fixture.hpp).
#include "daemon_fixture.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport/rpc_client.hpp"
#include "xdr/protocol/store.hpp"
#include "xdr/record.hpp"

namespace ferry::daemon_test {

namespace fs = std::filesystem;
namespace ps = proto::store;

temp_dir::temp_dir() {
  // sun_path holds 107 bytes: a long $TMPDIR would not fit a socket path, /tmp always does.
  auto base = fs::temp_directory_path();
  if (base.string().size() > 60) base = "/tmp";
  std::string tmpl = (base / "ferryd-it-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

std::vector<std::string> store_flags(const std::vector<test::store_process>& stores) {
  std::vector<std::string> out;
  for (const auto& s : stores) {
    out.push_back("--store");
    out.push_back(s.address());
  }
  return out;
}

std::vector<test::store_process> start_stores(std::size_t n) {
  std::vector<test::store_process> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(test::start_store(FERRY_STORE_BIN));
  return out;
}

test::ferryd_process start_ferryd_on(const std::string& socket, const std::vector<test::store_process>& stores,
                                     std::vector<std::string> extra, const std::string& stderr_path) {
  std::vector<std::string> args{"--socket", socket, "--log-level", "warn"};
  auto s = store_flags(stores);
  args.insert(args.end(), s.begin(), s.end());
  args.insert(args.end(), extra.begin(), extra.end());
  auto d = test::start_ferryd(FERRYD_BIN, args, stderr_path);
  wait_until_routing(d.socket);
  return d;
}

void wait_until_routing(const std::string& socket, int probes) {
  ferry_t* h = nullptr;
  if (ferry_open(socket.c_str(), &h) != FERRY_OK) throw std::runtime_error("cannot connect to ferryd at " + socket);
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 2000;
  const bool routing = eventually([&] {
    for (int i = 0; i < probes; ++i) {
      auto key = "warmup/" + std::to_string(i);
      if (ferry_put(h, key.data(), key.size(), "w", 1, &o) != FERRY_OK) return false;
    }
    return true;
  });
  ferry_close(h);
  if (!routing) throw std::runtime_error("ferryd did not route writes within 10 s");
}

cluster::cluster(std::size_t n, unsigned replicas, unsigned quorum, std::vector<std::string> extra)
    : stores(start_stores(n)) {
  extra.insert(extra.begin(), {"--replicas", std::to_string(replicas), "--write-quorum", std::to_string(quorum)});
  ferryd = start_ferryd_on(dir.file("ferryd.sock"), stores, std::move(extra));
}

bool raise_open_files_limit(rlim_t n) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= n) return true;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < n) return false;
  lim.rlim_cur = n;
  return setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

client::client(const std::string& socket) {
  int rc = ferry_open(socket.c_str(), &h_);
  INFO("ferry_open(" << socket << "): " << ferry_strerror(rc));
  REQUIRE(rc == FERRY_OK);
}

namespace {
ferry_options with_deadline(std::uint32_t deadline_ms) {
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = deadline_ms;
  return o;
}
}  // namespace

int client::put(const std::string& key, const std::string& value, std::uint32_t deadline_ms) {
  auto o = with_deadline(deadline_ms);
  return ferry_put(h_, key.data(), key.size(), value.data(), value.size(), &o);
}

std::pair<int, std::string> client::get(const std::string& key, ferry_object_info* info, std::uint32_t deadline_ms) {
  auto o = with_deadline(deadline_ms);
  void* value = nullptr;
  std::size_t vlen = 0;
  int rc = ferry_get_alloc(h_, key.data(), key.size(), &value, &vlen, info, &o);
  std::string out;
  if (rc == FERRY_OK) out.assign(static_cast<const char*>(value), vlen);
  ferry_free(value);
  return {rc, out};
}

int client::stat(const std::string& key, ferry_object_info& info) {
  return ferry_stat(h_, key.data(), key.size(), &info, nullptr);
}

int client::del(const std::string& key) { return ferry_delete(h_, key.data(), key.size(), nullptr); }

void check_serves(const std::string& socket, const std::string& key) {
  client c(socket);
  REQUIRE(c.put(key, "value of " + key, 5000) == FERRY_OK);
  CHECK(c.get(key, nullptr, 5000).second == "value of " + key);
}

std::optional<std::string> stored_value(std::uint16_t store_port, const std::string& key) {
  transport::rpc_client c(store_port, ps::program, ps::version);
  bytes keep;
  auto got = c.call<proto::get_res>(static_cast<std::uint32_t>(ps::proc::get), ps::key_args{xdr::as_bytes(key)}, keep);
  if (got.code == proto::status::not_found) return std::nullopt;
  if (got.code != proto::status::ok) throw std::runtime_error("store GET failed for " + key);
  return std::string(xdr::as_chars(got.found.data));
}

std::size_t holders(const std::vector<test::store_process>& stores, const std::string& key,
                    const std::optional<std::string>& value) {
  std::size_t n = 0;
  for (const auto& s : stores) {
    auto v = stored_value(s.port, key);
    if (v && (!value || *v == *value)) ++n;
  }
  return n;
}

raw_peer::raw_peer(const std::string& socket) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long");
  std::memcpy(addr.sun_path, socket.data(), socket.size());
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error("connect " + socket + ": " + std::strerror(errno));
}

raw_peer::~raw_peer() {
  if (fd_ >= 0) ::close(fd_);
}

void raw_peer::write_all(const bytes& data, int pass_fd) {
  std::size_t done = 0;
  while (done < data.size()) {
    iovec iov{const_cast<xdr::byte*>(data.data() + done), data.size() - done};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (pass_fd >= 0 && done == 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      auto* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
    }
    auto n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

std::optional<bytes> raw_peer::read_record(std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto scan = xdr::scan_record(inbuf_);
    if (!scan) return std::nullopt;
    if (scan->complete()) {
      auto payload = xdr::record_payload(inbuf_, *scan);
      bytes out(payload.begin(), payload.end());
      inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<std::ptrdiff_t>(scan->bytes));
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    xdr::byte buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    inbuf_.insert(inbuf_.end(), buf, buf + n);
  }
}

bool raw_peer::closed_by_peer(std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0) return false;
  }
}

bytes encode_void_call(std::uint32_t xid, std::uint32_t prog, std::uint32_t vers, std::uint32_t proc) {
  xdr::encoder e;
  e.begin_record();
  xdr::rpc::encode_call(e, {xid, prog, vers, proc, {}, {}});
  e.end_record();
  return e.flatten();
}

std::string http_get_metrics(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  auto head_end = reply.find("\r\n\r\n");
  if (!reply.starts_with("HTTP/1.") || reply.find(" 200 ") == std::string::npos || head_end == std::string::npos)
    return {};
  return reply.substr(head_end + 4);
}

double metric_value(const std::string& exposition, const std::string& name) {
  std::size_t at = 0;
  while ((at = exposition.find(name, at)) != std::string::npos) {
    const bool line_start = at == 0 || exposition[at - 1] == '\n';
    const auto after = at + name.size();
    if (line_start && after < exposition.size() && exposition[after] == ' ')
      return std::strtod(exposition.c_str() + after + 1, nullptr);
    at = after;
  }
  return -1;
}

}  // namespace ferry::daemon_test
