// The metrics endpoint over real loopback connections: a raw-socket client with a deadline on every
// read, so a server that hangs fails the test instead of stalling it.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "transport/http/metrics_endpoint.hpp"
#include "transport/io_thread.hpp"

using namespace std::chrono_literals;
using ferry::transport::is_loopback_host;
using ferry::transport::metrics_endpoint;
using ferry::transport::metrics_endpoint_options;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto bound = 3s;  // the longest any single step may take before we call it a hang
const std::string exposition = "# TYPE up gauge\nup 1\n";

std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1)));
}

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// One response: headers, then Content-Length bytes of body (none for a HEAD request).
  std::optional<http_reply> read_reply(bool head = false) {
    const auto deadline = steady::now() + bound;
    std::size_t end = 0;
    while ((end = buffered_.find("\r\n\r\n")) == std::string::npos)
      if (fill(deadline) != event::data) return std::nullopt;
    http_reply r;
    const std::string head_text = buffered_.substr(0, end);
    buffered_.erase(0, end + 4);
    std::size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    REQUIRE(status_line.size() >= 12);
    r.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const std::size_t from = line_end + 2;
      line_end = head_text.find("\r\n", from);
      const std::string line = head_text.substr(from, line_end == std::string::npos ? std::string::npos : line_end - from);
      const std::size_t colon = line.find(':');
      REQUIRE(colon != std::string::npos);
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    const std::size_t length = head || r.header("content-length").empty() ? 0 : std::stoul(r.header("content-length"));
    while (buffered_.size() < length)
      if (fill(deadline) != event::data) return std::nullopt;
    r.body = buffered_.substr(0, length);
    buffered_.erase(0, length);
    return r;
  }

  /// True when the server closes the connection (EOF or reset) within `limit`.
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = steady::now() + limit;
    for (;;) {
      const auto e = fill(deadline);
      if (e != event::data) return e == event::eof;
    }
  }

  const std::string& unread() const { return buffered_; }

 private:
  enum class event { data, eof, timeout };

  event fill(steady::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
      if (left <= 0ms) return event::timeout;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) return event::timeout;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        buffered_.append(buf, static_cast<std::size_t>(n));
        return event::data;
      }
      if (n < 0 && errno == EINTR) continue;
      return event::eof;  // 0, or a reset
    }
  }

  int fd_;
  std::string buffered_;
};

bool connection_refused(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool refused = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == ECONNREFUSED;
  ::close(fd);
  return refused;
}

std::string get(const std::string& path = "/metrics", const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

// An endpoint on its own io thread; destroyed before the thread, as the daemon does.
struct served {
  explicit served(metrics_endpoint_options options = {}, metrics_endpoint::render_fn render = [] { return exposition; }) {
    auto opened = metrics_endpoint::open(io.context(), options, std::move(render));
    if (auto* error = std::get_if<std::string>(&opened)) FAIL(*error);
    endpoint = std::move(std::get<std::unique_ptr<metrics_endpoint>>(opened));
    port = port_of(endpoint->address());
  }
  ferry::transport::io_thread io;
  std::unique_ptr<metrics_endpoint> endpoint;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("GET /metrics answers 200 with the exposition content type and the rendered body", "[http]") {
  served s;
  CHECK(s.endpoint->address() == "127.0.0.1:" + std::to_string(s.port));
  CHECK(s.port != 0);
  raw_client c(s.port);
  c.send(get());
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r->header("content-length") == std::to_string(exposition.size()));
  CHECK(r->body == exposition);
}

TEST_CASE("a query string after /metrics is ignored", "[http]") {
  served s;
  raw_client c(s.port);
  c.send(get("/metrics?name[]=up"));
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == exposition);
}

TEST_CASE("HEAD /metrics sends the headers of GET and no body", "[http]") {
  served s;
  raw_client c(s.port);
  c.send("HEAD /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
  auto r = c.read_reply(true);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r->header("content-length") == std::to_string(exposition.size()));
  // Had a body been sent, the next reply would not start where it should.
  c.send(get());
  auto next = c.read_reply();
  REQUIRE(next);
  CHECK(next->status == 200);
  CHECK(next->body == exposition);
  CHECK(c.unread().empty());
}

TEST_CASE("a path other than /metrics gets 404", "[http]") {
  served s;
  raw_client c(s.port);
  for (const char* path : {"/", "/metricsx", "/metrics/", "/favicon.ico"}) {
    c.send(get(path));
    auto r = c.read_reply();
    REQUIRE(r);
    CHECK(r->status == 404);
  }
}

TEST_CASE("a method other than GET or HEAD gets 405 with Allow: GET, HEAD", "[http]") {
  served s;
  raw_client c(s.port);
  c.send("POST /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello");
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->header("allow") == "GET, HEAD");
  c.send("DELETE /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->header("allow") == "GET, HEAD");
}

TEST_CASE("a malformed or oversized request gets 400, 431 or 413 and the connection is closed", "[http]") {
  served s({.max_request_bytes = 1024});
  struct rejected {
    std::string request;
    int status;
  };
  const rejected cases[] = {
      {"this is not http\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\r\nBad Header Line\r\n\r\n", 400},
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},  // a TLS ClientHello's start
      {get("/metrics", "X-Padding: " + std::string(4000, 'a') + "\r\n"), 431},
      {"POST /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'), 413},
  };
  for (const auto& bad : cases) {
    INFO(bad.request.substr(0, 60));
    raw_client c(s.port);
    c.send(bad.request);
    auto r = c.read_reply();
    REQUIRE(r);
    CHECK(r->status == bad.status);
    CHECK(r->header("connection") == "close");
    CHECK(c.closed_within(bound));
  }
  raw_client within(s.port);
  within.send(get("/metrics", "X-Padding: " + std::string(500, 'a') + "\r\n"));
  auto r = within.read_reply();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("keep-alive serves several requests on one connection — Connection: close and HTTP/1.0 end it", "[http]") {
  std::atomic<int> renders{0};
  served s({}, [&] {
    ++renders;
    return exposition;
  });
  SECTION("HTTP/1.1 keeps the connection open, pipelined requests included") {
    raw_client c(s.port);
    c.send(get());
    auto first = c.read_reply();
    REQUIRE(first);
    CHECK(first->status == 200);
    c.send(get() + get());
    for (int i = 0; i < 2; ++i) {
      auto r = c.read_reply();
      REQUIRE(r);
      CHECK(r->status == 200);
      CHECK(r->body == exposition);
    }
    CHECK(renders == 3);
    CHECK_FALSE(c.closed_within(50ms));
  }
  SECTION("Connection: close") {
    raw_client c(s.port);
    c.send(get("/metrics", "Connection: close\r\n"));
    auto r = c.read_reply();
    REQUIRE(r);
    CHECK(r->header("connection") == "close");
    CHECK(c.closed_within(bound));
  }
  SECTION("HTTP/1.0 without keep-alive") {
    raw_client c(s.port);
    c.send("GET /metrics HTTP/1.0\r\n\r\n");
    auto r = c.read_reply();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(c.closed_within(bound));
  }
}

TEST_CASE("a client that sends nothing, or stops mid-request, is closed after request_timeout", "[http]") {
  served s({.request_timeout = 200ms});
  for (const char* sent : {"", "GET /metr"}) {
    INFO('"' << sent << '"');
    const auto start = steady::now();  // before the server can arm its deadline
    raw_client c(s.port);
    c.send(sent);
    CHECK(c.closed_within(bound));
    CHECK(steady::now() - start >= 200ms);  // the deadline, not an immediate close
    CHECK(c.unread().empty());
  }
  SECTION("an idle keep-alive connection too") {
    raw_client c(s.port);
    c.send(get());
    REQUIRE(c.read_reply());
    CHECK(c.closed_within(bound));
  }
}

TEST_CASE("connections beyond max_connections are closed as soon as they are accepted", "[http]") {
  served s({.max_connections = 2});
  auto first = std::make_unique<raw_client>(s.port);
  raw_client second(s.port);
  for (auto* c : {first.get(), &second}) {  // served once: certainly accepted and counted
    c->send(get());
    REQUIRE(c->read_reply());
  }
  raw_client third(s.port);
  CHECK(third.closed_within(bound));
  CHECK(third.unread().empty());
  second.send(get());
  CHECK(second.read_reply());

  // Once one leaves, a newcomer is served (the server notices the close asynchronously: bounded retry).
  first.reset();
  bool served_again = false;
  for (const auto deadline = steady::now() + bound; !served_again && steady::now() < deadline;) {
    raw_client c(s.port);
    c.send(get());
    auto r = c.read_reply();
    served_again = r && r->status == 200;
  }
  CHECK(served_again);
}

TEST_CASE("a render function that throws gives 500 with a one-line message", "[http]") {
  served s({}, []() -> std::string { throw std::runtime_error("registry\ngone"); });
  raw_client c(s.port);
  c.send(get());
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->body == "rendering metrics failed: registry gone\n");
  c.send(get());  // the connection stays usable
  r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 500);
}

TEST_CASE("a port already in use, or bad options, come back as a message, not an exception", "[http]") {
  served s;
  ferry::transport::io_thread io;
  const metrics_endpoint::render_fn render = [] { return exposition; };
  struct refused {
    metrics_endpoint_options options;
    metrics_endpoint::render_fn render;
    std::string message;  // its beginning
  };
  const refused cases[] = {
      {{.port = s.port}, render, "metrics endpoint 127.0.0.1:" + std::to_string(s.port) + ": Address already in use"},
      {{.host = "no-such-host.invalid"}, render, "metrics endpoint no-such-host.invalid:0: cannot resolve: "},
      {{.host = "::1", .port = 9}, {}, "metrics endpoint [::1]:9: no render function"},
      {{.max_connections = 0}, render, "metrics endpoint 127.0.0.1:0: max_connections must be at least 1"},
      {{.request_timeout = 0ms}, render, "metrics endpoint 127.0.0.1:0: request_timeout must be positive"},
      {{.max_request_bytes = 10}, render, "metrics endpoint 127.0.0.1:0: max_request_bytes must be between"},
  };
  for (const auto& c : cases) {
    auto opened = metrics_endpoint::open(io.context(), c.options, c.render);
    REQUIRE(std::holds_alternative<std::string>(opened));
    CHECK_THAT(std::get<std::string>(opened), Catch::StartsWith(c.message));
  }
}

TEST_CASE("an IPv6 loopback endpoint reports its address in brackets", "[http]") {
  ferry::transport::io_thread io;
  auto opened = metrics_endpoint::open(io.context(), {.host = "::1"}, [] { return exposition; });
  if (auto* error = std::get_if<std::string>(&opened)) {
    WARN("no IPv6 here: " << *error);
    return;
  }
  const auto address = std::get<std::unique_ptr<metrics_endpoint>>(opened)->address();
  CHECK(address.starts_with("[::1]:"));
}

TEST_CASE("close() while a client is connected returns, the client sees EOF, and nobody is accepted", "[http]") {
  std::atomic<int> renders{0};
  served s({}, [&] {
    ++renders;
    return exposition;
  });
  raw_client idle(s.port);
  raw_client kept(s.port);
  kept.send(get());
  REQUIRE(kept.read_reply());
  s.endpoint->close();
  s.endpoint->close();  // idempotent
  CHECK(idle.closed_within(bound));
  CHECK(kept.closed_within(bound));
  bool refused = false;
  for (const auto deadline = steady::now() + bound; !refused && steady::now() < deadline;) refused = connection_refused(s.port);
  CHECK(refused);
  CHECK(renders == 1);
  s.endpoint.reset();  // the destructor closes again: harmless
}

TEST_CASE("close() waits for a render in progress and then releases the render function", "[http]") {
  std::promise<void> entered;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  auto captured = std::make_shared<int>(0);
  std::weak_ptr<int> watch = captured;
  served s({}, [&, release_future, captured] {
    entered.set_value();
    release_future.wait();
    return exposition;
  });
  captured.reset();
  raw_client c(s.port);
  c.send(get());
  REQUIRE(entered.get_future().wait_for(bound) == std::future_status::ready);

  auto closing = std::async(std::launch::async, [&] { s.endpoint->close(); });
  CHECK(closing.wait_for(100ms) == std::future_status::timeout);  // blocked behind the render
  release.set_value();
  REQUIRE(closing.wait_for(bound) == std::future_status::ready);
  CHECK(watch.expired());  // the function and what it captured are gone
  // The render that was under way still answers; then the connection closes.
  auto r = c.read_reply();
  if (r) CHECK(r->status == 200);
  CHECK(c.closed_within(bound));
}

TEST_CASE("several io threads serve many clients at once", "[http]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&] { io.run(); });
  std::atomic<int> renders{0};
  {
    auto opened = metrics_endpoint::open(io, {.max_connections = 16}, [&] {
      ++renders;
      return exposition;
    });
    REQUIRE(std::holds_alternative<std::unique_ptr<metrics_endpoint>>(opened));
    auto endpoint = std::move(std::get<std::unique_ptr<metrics_endpoint>>(opened));
    const auto port = port_of(endpoint->address());
    std::vector<std::future<int>> clients;
    for (int i = 0; i < 8; ++i)
      clients.push_back(std::async(std::launch::async, [port] {
        raw_client c(port);
        int ok = 0;
        for (int k = 0; k < 10; ++k) {
          c.send(get());
          auto r = c.read_reply();
          ok += r && r->status == 200 && r->body == exposition;
        }
        return ok;
      }));
    for (auto& f : clients) CHECK(f.get() == 10);
    endpoint.reset();
  }
  CHECK(renders == 80);
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
}

TEST_CASE("is_loopback_host accepts 127.0.0.0/8, ::1 and localhost only", "[http]") {
  for (const char* yes : {"127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "[::1]", "localhost", "LocalHost",
                          "::ffff:127.0.0.1"})
    CHECK(is_loopback_host(yes));
  for (const char* no : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "126.255.255.255", "192.168.1.1", "example.com",
                         "localhost.example.com", "", "127.0.0.1:80", "::2", "::ffff:10.0.0.1"})
    CHECK_FALSE(is_loopback_host(no));
}
