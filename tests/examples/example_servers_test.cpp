// The example servers of examples/ end to end: real ferry-stores, a real ferryd (R=2, W=2), the example
// binary as a child process, and concurrent TCP clients speaking its line protocol.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fstream>
#include <latch>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_fixture.hpp"
#include "kv_session.h"

namespace {

using namespace ferry;
using namespace ferry::daemon_test;

constexpr int concurrent_clients = 20;

/// One blocking TCP connection to the example on 127.0.0.1; every send and receive is bounded by 20 s.
class line_client {
 public:
  explicit line_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    timeval limit{20, 0};
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0 ||
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) != 0)
      fail("setsockopt");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("connect");
  }
  ~line_client() { ::close(fd_); }
  line_client(const line_client&) = delete;
  line_client& operator=(const line_client&) = delete;

  void send(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      auto n = ::send(fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("send");
      done += static_cast<std::size_t>(n);
    }
  }

  /// One answer: "OK", "NOTFOUND", "ERR ..." or, for a value, "VALUE <len>\n<bytes>" (its final '\n' checked).
  std::string answer() {
    auto line = read_until_newline();
    if (!line.starts_with("VALUE ")) return line;
    std::size_t len = 0;
    auto digits = std::string_view(line).substr(6);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || end != digits.data() + digits.size()) throw std::runtime_error("bad header: " + line);
    auto body = read_exactly(len + 1);
    if (body.back() != '\n') throw std::runtime_error("value not followed by a newline");
    body.pop_back();
    return line + "\n" + body;
  }

  std::string request(const std::string& line) {
    send(line + "\n");
    return answer();
  }

  /// Whether the server closed the connection (EOF within 20 s, nothing more sent).
  bool closed_by_server() {
    fill();
    return eof_ && buf_.empty();
  }

 private:
  [[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string(what) + ": " + std::strerror(errno)); }

  /// Reads once more into the buffer; sets eof_ on EOF; throws on error or timeout.
  void fill() {
    char chunk[65536];
    for (;;) {
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("recv");
      if (n == 0) eof_ = true;
      buf_.append(chunk, static_cast<std::size_t>(n));
      return;
    }
  }

  std::string read_until_newline() {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        auto line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (eof_) throw std::runtime_error("EOF before a complete answer");
      fill();
    }
  }

  std::string read_exactly(std::size_t n) {
    while (buf_.size() < n) {
      if (eof_) throw std::runtime_error("EOF inside a value");
      fill();
    }
    auto out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

/// An example server running against `socket`, its port read from its "listening on" line.
struct example_server {
  std::unique_ptr<test::child_process> proc;
  std::uint16_t port = 0;
};

example_server start_example(const std::string& binary, const std::string& socket) {
  example_server s;
  s.proc = std::make_unique<test::child_process>(binary, std::vector<std::string>{"--socket", socket, "--port", "0"});
  const std::string prefix = "listening on 127.0.0.1:";
  auto line = s.proc->read_line();
  if (!line || !line->starts_with(prefix)) throw std::runtime_error(binary + " did not announce its port");
  auto digits = std::string_view(*line).substr(prefix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), s.port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || s.port == 0)
    throw std::runtime_error("bad announcement: " + *line);
  return s;
}

std::string key_of(const std::string& prefix, int i) { return prefix + std::to_string(i); }
std::string value_of(const std::string& key) { return "value of " + key + " with  spaces\tand a tab"; }

/// `concurrent_clients` connections opened together (a latch holds every PUT until all are connected), each
/// PUT then GET of its own key. One entry per client: empty, or what went wrong.
std::vector<std::string> run_clients(std::uint16_t port, const std::string& prefix) {
  std::vector<std::string> failures(concurrent_clients);
  std::latch connected(concurrent_clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrent_clients; ++i) {
    threads.emplace_back([&, i] {
      std::optional<line_client> c;
      try {
        c.emplace(port);
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
      connected.arrive_and_wait();  // every thread arrives, connected or not: no one waits forever
      if (!c) return;
      try {
        const auto key = key_of(prefix, i);
        const auto value = value_of(key);
        if (auto put = c->request("PUT " + key + " " + value); put != "OK") {
          failures[i] = "PUT answered " + put;
          return;
        }
        const auto expected = "VALUE " + std::to_string(value.size()) + "\n" + value;
        if (auto get = c->request("GET " + key); get != expected) failures[i] = "GET answered " + get;
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  return failures;
}

/// The pids /proc lists as children of `pid`'s main thread (reaped ones are gone from it), nullopt when the
/// kernel does not provide the file.
std::optional<std::string> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  if (!in) return std::nullopt;
  std::string all, word;
  while (in >> word) all += word + " ";
  return all;
}

/// SIGTERM, then the exit status (REQUIREd 0 within 20 s) and the final "served N connections" line.
std::string stop_example(example_server& s) {
  s.proc->signal(SIGTERM);
  auto status = s.proc->wait(std::chrono::seconds(20));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  return s.proc->read_line(std::chrono::seconds(5)).value_or("<no final line>");
}

void check_serves_concurrent_clients(const std::string& binary, const std::string& prefix, bool forks) {
  cluster c(2, 2, 2);
  auto server = start_example(binary, c.ferryd.socket);

  auto failures = run_clients(server.port, prefix);
  for (int i = 0; i < concurrent_clients; ++i) {
    INFO("client " << i);
    CHECK(failures[i] == "");
  }

  client direct(c.ferryd.socket);
  for (int i = 0; i < concurrent_clients; ++i) {
    const auto key = key_of(prefix, i);
    INFO(key);
    auto [rc, value] = direct.get(key, nullptr, 5000);
    CHECK(rc == FERRY_OK);
    CHECK(value == value_of(key));
    CHECK(holders(c.stores, key, value_of(key)) == 2);  // R = 2, W = 2: both stores hold it
  }

  if (forks) {
    // The parent reaps while it runs: once every client has gone, no child (zombie or not) is left.
    if (children_of(server.proc->pid())) {
      std::string left;
      const bool reaped = eventually([&] { return (left = children_of(server.proc->pid()).value_or("")).empty(); });
      INFO("children left: " << left);
      CHECK(reaped);
    } else {
      WARN("/proc/PID/task/PID/children is not available: the running reap check is skipped");
    }
  }

  CHECK(stop_example(server) == "served " + std::to_string(concurrent_clients) + " connections");
}

const std::vector<std::string> example_binaries{FERRY_EXAMPLE_FORKING_BIN, FERRY_EXAMPLE_THREADED_BIN,
                                                FERRY_EXAMPLE_EPOLL_BIN};

}  // namespace

TEST_CASE("the forking example serves 20 concurrent clients through a handle opened before fork, then exits on "
          "SIGTERM having reaped every child",
          "[examples]") {
  check_serves_concurrent_clients(FERRY_EXAMPLE_FORKING_BIN, "examples/forking/", true);
}

TEST_CASE("the threaded example serves 20 concurrent clients over one shared handle, then exits on SIGTERM "
          "having joined every thread",
          "[examples]") {
  check_serves_concurrent_clients(FERRY_EXAMPLE_THREADED_BIN, "examples/threaded/", false);
}

TEST_CASE("the epoll example serves 20 concurrent clients through async calls on one handle, then exits on "
          "SIGTERM",
          "[examples]") {
  check_serves_concurrent_clients(FERRY_EXAMPLE_EPOLL_BIN, "examples/epoll/", false);
}

TEST_CASE("the examples answer 50 requests sent in one write in order, each taking effect in order",
          "[examples]") {
  const auto binary = GENERATE(from_range(example_binaries));
  INFO(binary);
  constexpr int pipelined = 50;
  cluster c(2, 2, 2);
  auto server = start_example(binary, c.ferryd.socket);
  {
    // Ten blocks of five: PUT k_b, then a run of GETs: k_b, k_(b-1) (absent for b = 0), an absent key, k_b.
    // A GET overtaking the PUT before it shows as NOTFOUND, an answer out of place as a wrong value or a
    // VALUE for a NOTFOUND.
    const std::string prefix = "examples/pipelined/" + std::to_string(::getpid()) + "/";
    std::string batch;
    std::vector<std::string> expected;
    auto get = [&](const std::string& key, bool present) {
      batch += "GET " + key + "\n";
      expected.push_back(present ? "VALUE " + std::to_string(value_of(key).size()) + "\n" + value_of(key)
                                 : "NOTFOUND");
    };
    for (int b = 0; b < pipelined / 5; ++b) {
      const auto key = key_of(prefix, b);
      batch += "PUT " + key + " " + value_of(key) + "\n";
      expected.emplace_back("OK");
      get(key, true);
      get(key_of(prefix, b - 1), b > 0);
      get(key_of(prefix + "absent/", b), false);
      get(key, true);
    }
    line_client conn(server.port);
    conn.send(batch);
    for (int i = 0; i < pipelined; ++i) {
      INFO("answer " << i);
      CHECK(conn.answer() == expected[static_cast<std::size_t>(i)]);
    }
  }
  CHECK(stop_example(server) == "served 1 connections");
}

TEST_CASE("the epoll example outlives clients that leave with calls in flight", "[examples]") {
  constexpr int leavers = 10;
  cluster c(2, 2, 2);
  auto server = start_example(FERRY_EXAMPLE_EPOLL_BIN, c.ferryd.socket);
  for (int i = 0; i < leavers; ++i) {
    // A PUT and a run of 29 GETs (in flight together), then gone before any answer is read: their callbacks
    // find the connection closed (and its slot, maybe, taken by the next client).
    line_client conn(server.port);
    const auto key = key_of("examples/leaver/", i);
    std::string batch = "PUT " + key + " " + value_of(key) + "\n";
    for (int j = 0; j < 29; ++j) batch += "GET " + key + "\n";
    conn.send(batch);
  }
  {
    line_client conn(server.port);
    CHECK(conn.request("PUT examples/after-leavers still here") == "OK");
    CHECK(conn.request("GET examples/after-leavers") == "VALUE 10\nstill here");
  }
  CHECK(stop_example(server) == "served " + std::to_string(leavers + 1) + " connections");
}

TEST_CASE("the examples answer every request of the line protocol as documented", "[examples]") {
  const auto binary = GENERATE(from_range(example_binaries));
  INFO(binary);
  cluster c(2, 2, 2);
  auto server = start_example(binary, c.ferryd.socket);
  {
    line_client conn(server.port);
    CHECK(conn.request("GET examples/absent") == "NOTFOUND");
    CHECK(conn.request("PUT examples/empty ") == "OK");
    CHECK(conn.request("GET examples/empty") == "VALUE 0\n");
    CHECK(conn.request("PUT examples/crlf a\r b\r") == "OK");  // only the line's last '\r' is dropped
    CHECK(conn.request("GET examples/crlf\r") == "VALUE 4\na\r b");
    // Two requests in one write: answered in order.
    conn.send("PUT examples/twice one\nGET examples/twice\n");
    CHECK(conn.answer() == "OK");
    CHECK(conn.answer() == "VALUE 3\none");
    CHECK(conn.request("DELETE examples/twice") == "ERR unknown request (PUT key value | GET key)");
    CHECK(conn.request("PUT examples/no-value") == "ERR usage: PUT key value");
    CHECK(conn.request("GET ") == "ERR usage: GET key");
    CHECK(conn.request("GET two words") == "ERR usage: GET key");
    const std::string long_key(FERRY_MAX_KEY + 1, 'k');
    CHECK(conn.request("PUT " + long_key + " v") == std::string("ERR ") + ferry_strerror(FERRY_BAD_KEY));
    CHECK(conn.request("GET " + long_key) == std::string("ERR ") + ferry_strerror(FERRY_BAD_KEY));
  }
  {
    // A line that fills the whole request buffer without a newline is refused and ends the session.
    line_client conn(server.port);
    conn.send(std::string(KV_MAX_LINE, 'x'));
    CHECK(conn.answer() == "ERR request line too long");
    CHECK(conn.closed_by_server());
  }
  CHECK(stop_example(server) == "served 2 connections");
}

TEST_CASE("the examples refuse to start when ferryd cannot be reached, and on unknown flags", "[examples]") {
  const auto binary = GENERATE(from_range(example_binaries));
  INFO(binary);
  temp_dir dir;
  {
    test::child_process p(binary, {"--socket", dir.file("absent.sock"), "--port", "0"});
    auto status = p.wait();
    REQUIRE(status);
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 1);
    CHECK_FALSE(p.read_line(std::chrono::seconds(5)));  // no "listening on" line: it never listened
  }
  {
    test::child_process p(binary, {"--verbose"});
    auto status = p.wait();
    REQUIRE(status);
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 2);
  }
}
