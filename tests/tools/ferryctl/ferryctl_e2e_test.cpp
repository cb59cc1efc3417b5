// The real ferryctl binary against fake admin actors this test publishes on loopback through CAF's
// middleman, plus a closed port and a silent TCP peer: output, exit codes, and the bound on a hang.
#include <arpa/inet.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <cstdlib>
#include <filesystem>
#include <chrono>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canned.hpp"
#include "child_process.hpp"

namespace admin = ferry::admin;
namespace canned = ferry::ctl::test;
using namespace std::chrono_literals;

namespace {

// What a fake node was asked to do, read by the test after ferryctl exited.
struct fake_record {
  std::mutex mtx;
  std::uint64_t sessions = 0;  // what status reports, so two fakes differ
  std::uint64_t top_calls = 0;
  int drains = 0;
  int reloads = 0;
  std::vector<std::string> levels;
  std::vector<std::string> restarts;
};

// `rec` is also the extra argument CAF 0.17 needs to keep UBSan quiet about function-based actors.
admin::admin_actor::behavior_type fake_admin(admin::admin_actor::pointer, fake_record* rec) {
  return {
      [rec](admin::status_request) { return canned::canned_status(rec->sessions); },
      [](admin::tree_request) { return canned::canned_tree(); },
      [rec](admin::top_request) {
        std::lock_guard lock(rec->mtx);
        return canned::canned_top(rec->top_calls++);
      },
      [](admin::servers_request) { return canned::canned_servers(); },
      [](admin::sessions_request) { return canned::canned_sessions(); },
      [rec](admin::drain_request) {
        std::lock_guard lock(rec->mtx);
        ++rec->drains;
        return admin::drain_reply{3, 1};
      },
      [rec](admin::reload_request) {
        std::lock_guard lock(rec->mtx);
        ++rec->reloads;
        return admin::reload_reply{true, "event_log.level", ""};
      },
      [rec](const admin::restart_request& r) {
        std::lock_guard lock(rec->mtx);
        rec->restarts.push_back(r.path);
        return admin::restart_reply{true, "killed ferryd/" + r.path + " (actor 42); its supervisor restarts it"};
      },
      [rec](const admin::log_level_request& r) {
        std::lock_guard lock(rec->mtx);
        rec->levels.push_back(r.level);
        return admin::log_level_reply{"info", r.level.empty() ? "info" : r.level};
      },
  };
}

struct config : caf::actor_system_config {
  config() {
    load<caf::io::middleman>();
    admin::add_admin_types(*this);
  }
};

// A TCP socket on 127.0.0.1 with an ephemeral port: listening (accepts into the backlog, never speaks) or
// only bound (connections are refused, and nobody else can take the port meanwhile).
class loopback_socket {
 public:
  explicit loopback_socket(bool listening) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (listening) REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~loopback_socket() { ::close(fd_); }
  loopback_socket(const loopback_socket&) = delete;
  loopback_socket& operator=(const loopback_socket&) = delete;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

struct run_result {
  int exit_code = -1;
  std::vector<std::string> lines;
  std::chrono::milliseconds elapsed{0};
  std::string text() const {
    std::string t;
    for (const auto& l : lines) t += l + "\n";
    return t;
  }
  bool has_line(const std::string& prefix) const {
    for (const auto& l : lines)
      if (l.rfind(prefix, 0) == 0) return true;
    return false;
  }
};

// Runs ferryctl to its end (stdout captured); a run longer than `limit` fails the test.
run_result ferryctl(const std::vector<std::string>& args, std::chrono::milliseconds limit = 20s) {
  run_result r;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + limit;
  ferry::test::child_process p(FERRYCTL_BIN, args);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto line = p.read_line(left);
    if (!line) break;
    r.lines.push_back(*line);
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  auto status = p.wait(std::max(left, std::chrono::milliseconds(1)));
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  REQUIRE(status.has_value());  // else ferryctl hung past `limit`
  REQUIRE(WIFEXITED(*status));
  r.exit_code = WEXITSTATUS(*status);
  return r;
}

// Two fake ferryd admin actors, published on ephemeral loopback ports.
struct fake_cluster {
  config cfg;
  caf::actor_system sys{cfg};
  fake_record rec1, rec2;
  admin::admin_actor fake1, fake2;
  std::string node1, node2;

  fake_cluster() {
    rec1.sessions = 5;
    rec2.sessions = 7;
    fake1 = sys.spawn(fake_admin, &rec1);
    fake2 = sys.spawn(fake_admin, &rec2);
    node1 = publish(fake1);
    node2 = publish(fake2);
  }
  ~fake_cluster() {
    caf::anon_send_exit(fake1, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(fake2, caf::exit_reason::user_shutdown);
  }
  std::string publish(const admin::admin_actor& a) {
    auto port = sys.middleman().publish(a, 0, "127.0.0.1", true);
    REQUIRE(port);
    return "127.0.0.1:" + std::to_string(*port);
  }
};

}  // namespace

TEST_CASE_METHOD(fake_cluster, "ferryctl status prints the node's row and exits 0", "[ferryctl][e2e]") {
  auto r = ferryctl({"--node", node1, "status"});
  INFO(r.text());
  CHECK(r.exit_code == 0);
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[0].rfind("NODE", 0) == 0);
  CHECK(r.lines[1].rfind(node1 + "  serving  0.1.0-fake  4242   1h02m", 0) == 0);
  CHECK(r.lines[1].find("/run/ferry/ferryd.sock") != std::string::npos);
}

TEST_CASE_METHOD(fake_cluster, "ferryctl tree prints the indented supervision tree", "[ferryctl][e2e]") {
  auto r = ferryctl({"tree", "--node", node1});  // global options may follow the command
  CHECK(r.exit_code == 0);
  CHECK(r.text() == canned::canned_tree_text);
}

TEST_CASE_METHOD(fake_cluster, "ferryctl --json servers prints one JSON document with each server", "[ferryctl][e2e]") {
  auto r = ferryctl({"--json", "--node", node1, "servers"});
  CHECK(r.exit_code == 0);
  REQUIRE(r.lines.size() == 1);
  auto d = boost::json::parse(r.lines[0]).as_object();
  CHECK(d.at("command") == "servers");
  auto& n = d.at("nodes").as_array().at(0);
  CHECK(n.at("node").as_string() == node1);
  CHECK(n.at("ok") == true);
  auto& servers = n.at("servers").as_array();
  REQUIRE(servers.size() == 2);
  CHECK(servers[0].at("server") == "127.0.0.1:7001");
  CHECK(servers[1].at("state") == "down");
  CHECK(servers[1].at("p99_us").to_number<int>() == 1200);
  CHECK(d.at("totals").at("calls").to_number<int>() == 800);
}

TEST_CASE_METHOD(fake_cluster, "ferryctl top --once shows actors by CPU between two snapshots", "[ferryctl][e2e]") {
  auto r = ferryctl({"--node", node1, "top", "--once", "--interval", "50"});
  INFO(r.text());
  CHECK(r.exit_code == 0);
  REQUIRE(r.lines.size() == 7);
  CHECK(r.lines[0] == node1 + "  cpu 40.0% of one core: attributed 30.0%, runtime 10.0% (over 1.00s, 3 actors)");
  CHECK(r.lines[2] == "ID  ACTOR      CPU%  MSGS/s  MBOX  MBOX_MAX");
  CHECK(r.lines[3] == " 7  router     25.0    1000     3        17");
  CHECK(r.lines[5] == "31  session     0.1    10.0     1         1");
  std::lock_guard lock(rec1.mtx);
  CHECK(rec1.top_calls == 2);
}

TEST_CASE_METHOD(fake_cluster, "ferryctl top refreshes --iterations times", "[ferryctl][e2e]") {
  auto r = ferryctl({"--node", node1, "--json", "top", "--interval", "20", "--iterations", "3"});
  CHECK(r.exit_code == 0);
  CHECK(r.lines.size() == 3);
  std::lock_guard lock(rec1.mtx);
  CHECK(rec1.top_calls == 4);
}

TEST_CASE_METHOD(fake_cluster, "ferryctl over a cluster with a closed port and a silent peer exits 1 in time",
                 "[ferryctl][e2e][cluster]") {
  loopback_socket closed(false), silent(true);
  const int timeout_ms = 1500;
  auto r = ferryctl({"--timeout", std::to_string(timeout_ms), "--cluster",
                     node1 + "," + closed.address() + "," + node2 + "," + silent.address(), "status"});
  INFO(r.text());
  CHECK(r.exit_code == 1);
  CHECK(r.elapsed < std::chrono::milliseconds(timeout_ms) + 2s);
  CHECK(r.has_line(node1 + "  serving"));
  CHECK(r.has_line(node2 + "  serving"));
  CHECK(r.has_line(closed.address() + "  unreachable"));
  CHECK(r.has_line(silent.address() + "  unreachable"));
  REQUIRE(r.lines.size() == 6);
  CHECK(r.lines[5].rfind("TOTAL", 0) == 0);
  CHECK(r.lines[5].find("2/4 up") != std::string::npos);
  CHECK(r.lines[5].find(" 12 ") != std::string::npos);  // 5 + 7 sessions
}

TEST_CASE_METHOD(fake_cluster, "ferryctl returns in time when a peer drops SYNs, blocking connect() itself",
                 "[ferryctl][e2e][cluster]") {
  // A listener with a backlog of 0 whose queue this test fills: the kernel then drops further SYNs, and the
  // connecting middleman sits in a blocking connect() (notes §4).
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 0) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    (void)::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(c);
  }
  auto dropping = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  const int timeout_ms = 1000;
  auto r = ferryctl({"--timeout", std::to_string(timeout_ms), "--node", dropping, "--node", node1, "status"});
  for (int c : fillers) ::close(c);
  ::close(fd);
  INFO(r.text());
  CHECK(r.exit_code == 1);
  CHECK(r.elapsed < std::chrono::milliseconds(timeout_ms) + 2s);
  CHECK(r.has_line(dropping + "  unreachable"));
  CHECK(r.has_line(node1 + "  serving"));  // its own middleman: not blocked behind the dropping peer
}

TEST_CASE_METHOD(fake_cluster, "ferryctl --json over a cluster names the unreachable node and its reason",
                 "[ferryctl][e2e][cluster]") {
  loopback_socket closed(false);
  auto r = ferryctl({"--json", "--timeout", "1500", "--node", node1, "--node", node2, "--node", closed.address(),
                     "top", "--once", "--interval", "20"});
  CHECK(r.exit_code == 1);
  REQUIRE(r.lines.size() == 1);
  auto d = boost::json::parse(r.lines[0]).as_object();
  auto& nodes = d.at("nodes").as_array();
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0].at("actors").as_array().size() == 3);
  CHECK(nodes[1].at("ok") == true);
  CHECK(nodes[2].at("failure") == "unreachable");
  CHECK(nodes[2].at("error").as_string().size() > 0);
  CHECK(d.at("totals").at("answered").to_number<int>() == 2);
  CHECK(d.at("totals").at("cpu_pct").to_number<double>() == Approx(2 * 30.1));
}

TEST_CASE_METHOD(fake_cluster, "ferryctl drain, reload, restart and log-level reach every node's admin actor",
                 "[ferryctl][e2e]") {
  auto nodes = node1 + "," + node2;
  auto d = ferryctl({"--cluster", nodes, "drain"});
  CHECK(d.exit_code == 0);
  CHECK(d.has_line(node1 + " draining: 3 sessions, 1 calls in flight"));
  auto rl = ferryctl({"--node", node1, "reload"});
  CHECK(rl.exit_code == 0);
  CHECK(rl.has_line(node1 + " reload applied: event_log.level"));
  auto set = ferryctl({"--node", node2, "log-level", "debug"});
  CHECK(set.exit_code == 0);
  CHECK(set.has_line(node2 + " log level debug (was info)"));
  auto get = ferryctl({"--node", node2, "log-level"});
  CHECK(get.has_line(node2 + " log level info"));
  auto rs = ferryctl({"--node", node1, "restart", "backend_sup/store 127.0.0.1:7001"});
  CHECK(rs.exit_code == 0);
  CHECK(rs.has_line(node1 + " restart done: killed ferryd/backend_sup/store 127.0.0.1:7001 (actor 42); its supervisor restarts it"));
  CHECK(ferryctl({"--node", node1, "restart"}).exit_code == 2);  // the path is required
  std::lock_guard l1(rec1.mtx), l2(rec2.mtx);
  CHECK(rec1.restarts == std::vector<std::string>{"backend_sup/store 127.0.0.1:7001"});
  CHECK(rec1.drains == 1);
  CHECK(rec2.drains == 1);
  CHECK(rec1.reloads == 1);
  CHECK(rec2.reloads == 0);
  CHECK(rec2.levels == std::vector<std::string>{"debug", ""});
}

TEST_CASE("ferryctl exits 2 on usage errors before connecting anywhere", "[ferryctl][e2e]") {
  CHECK(ferryctl({}).exit_code == 2);
  CHECK(ferryctl({"--node", "nohostport", "status"}).exit_code == 2);
  CHECK(ferryctl({"log-level", "loud"}).exit_code == 2);
  CHECK(ferryctl({"--tls-ca", "/nonexistent/ca.pem", "status"}).exit_code == 2);  // needs cert and key too
  auto r = ferryctl({"--tls-ca", "/nonexistent/ca.pem", "--tls-cert", "/nonexistent/c.pem", "--tls-key",
                     "/nonexistent/k.pem", "status"});
  CHECK(r.exit_code == 2);
  CHECK(r.lines.empty());
  CHECK(ferryctl({"--help"}).exit_code == 0);
}

namespace {

// A throw-away PKI made with the openssl CLI: a CA, a server and a client certificate signed by it.
struct test_pki {
  std::filesystem::path dir;
  test_pki() {
    char tmpl[] = "/tmp/ferryctl-pki-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    auto run = [&](const std::string& args) {
      auto cmd = "cd '" + dir.string() + "' && openssl " + args + " > /dev/null 2>&1";
      REQUIRE(std::system(cmd.c_str()) == 0);
    };
    run("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=ferryctl-test-ca");
    for (std::string who : {"server", "client"}) {
      run("req -newkey rsa:2048 -nodes -keyout " + who + ".key -out " + who + ".csr -subj /CN=" + who);
      run("x509 -req -in " + who + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out " + who + ".pem -days 2");
    }
  }
  ~test_pki() { std::filesystem::remove_all(dir); }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

struct tls_config : caf::actor_system_config {
  explicit tls_config(const test_pki& pki) {
    load<caf::io::middleman>();
    load<caf::openssl::manager>();
    admin::add_admin_types(*this);
    set("openssl.cafile", pki.file("ca.pem"));
    set("openssl.certificate", pki.file("server.pem"));
    set("openssl.key", pki.file("server.key"));
  }
};

}  // namespace

TEST_CASE("ferryctl speaks TLS with --tls-ca, --tls-cert and --tls-key", "[ferryctl][e2e][tls]") {
  test_pki pki;
  tls_config cfg(pki);
  caf::actor_system sys{cfg};
  fake_record rec;
  rec.sessions = 9;
  auto fake = sys.spawn(fake_admin, &rec);
  auto port = caf::openssl::publish(fake, 0, "127.0.0.1", true);
  REQUIRE(port);
  auto node = "127.0.0.1:" + std::to_string(*port);
  std::vector<std::string> tls{"--tls-ca", pki.file("ca.pem"), "--tls-cert", pki.file("client.pem"), "--tls-key",
                               pki.file("client.key")};
  auto args = tls;
  args.insert(args.end(), {"--timeout", "2000", "--node", node, "status"});
  auto r = ferryctl(args);
  INFO(r.text());
  CHECK(r.exit_code == 0);
  CHECK(r.has_line(node + "  serving"));
  // Without TLS the node refuses the handshake: unreachable, within the timeout.
  auto plain = ferryctl({"--timeout", "1000", "--node", node, "status"});
  CHECK(plain.exit_code == 1);
  CHECK(plain.has_line(node + "  unreachable"));
  CHECK(plain.elapsed < 3s);
  caf::anon_send_exit(fake, caf::exit_reason::user_shutdown);
}
