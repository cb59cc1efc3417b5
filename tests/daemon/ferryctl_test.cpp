// ferryctl against real ferryd processes on loopback: the live tree, a killed child restarted and counted,
// a cluster view over two daemons and an unreachable third, reload and drain.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "daemon_fixture.hpp"

using namespace ferry;
using namespace ferry::daemon_test;
using namespace std::chrono_literals;

namespace {

struct ctl_run {
  int exit_code = -1;
  std::vector<std::string> lines;
  std::chrono::milliseconds elapsed{0};
  bool has(const std::string& part) const {
    for (const auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
  std::string text() const {
    std::string t;
    for (const auto& l : lines) t += l + "\n";
    return t;
  }
};

/// Runs ferryctl to its end, stdout captured; bounded by `limit`.
ctl_run ferryctl(std::vector<std::string> args, std::chrono::milliseconds limit = 30s) {
  ctl_run r;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + limit;
  test::child_process p(FERRYCTL_BIN, args);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto line = p.read_line(left);
    if (!line) break;
    r.lines.push_back(*line);
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  auto status = p.wait(std::max(left, 1ms));
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
  return r;
}

/// A loopback port nobody listens on (bound, not listening, held for the test: connections are refused).
struct closed_port {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  std::uint16_t port = 0;
  closed_port() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
  }
  ~closed_port() { ::close(fd); }
};

std::string node(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

TEST_CASE("ferryctl: tree, a restarted child's count, cluster view with an unreachable node, reload, drain",
          "[ferryd][integration][ferryctl]") {
  temp_dir dir;
  auto stores = start_stores(2);
  const auto cfg_b = dir.file("b.toml");
  std::ofstream(cfg_b) << "[stores]\nservers = [\"" << stores[0].address() << "\"]\nreplicas = 1\nwrite_quorum = 1\n";
  auto a = test::start_ferryd(FERRYD_BIN, {"--socket", dir.file("a.sock"), "--store", stores[0].address(), "--store",
                                           stores[1].address(), "--replicas", "1", "--write-quorum", "1", "--admin",
                                           "127.0.0.1:0", "--quiet"});
  auto b = test::start_ferryd(FERRYD_BIN,
                              {"--config", cfg_b, "--socket", dir.file("b.sock"), "--admin", "127.0.0.1:0", "--quiet"});
  wait_until_routing(a.socket);
  wait_until_routing(b.socket);
  const auto na = node(a.admin_port), nb = node(b.admin_port);

  auto tree = ferryctl({"--node", na, "tree"});
  INFO(tree.text());
  REQUIRE(tree.exit_code == 0);
  CHECK(tree.has("ferryd  supervisor rest_for_one running restarts=0"));
  CHECK(tree.has("── router  worker running restarts=0"));
  CHECK(tree.has("── store " + stores[0].address() + "  supervisor one_for_all running restarts=0 children=2"));
  CHECK(tree.has("── store " + stores[1].address() + "  supervisor one_for_all running restarts=0 children=2"));
  CHECK(tree.has("── conn 1  worker running restarts=0"));
  CHECK(tree.has("── session_sup  supervisor simple_one_for_one running"));
  CHECK(tree.has("── uds  worker running restarts=0"));

  // Kill store 1's pool: backend_sup restarts it and counts it; the other store's pool is untouched.
  auto rs = ferryctl({"--node", na, "restart", "backend_sup/store " + stores[1].address()});
  INFO(rs.text());
  CHECK(rs.exit_code == 0);
  CHECK(rs.has("restart done: killed ferryd/backend_sup/store " + stores[1].address()));
  bool counted = eventually([&] {
    return ferryctl({"--node", na, "tree"}).has("── store " + stores[1].address() +
                                                  "  supervisor one_for_all running restarts=1 children=2");
  });
  CHECK(counted);
  auto after = ferryctl({"--node", na, "tree"});
  CHECK(after.has("── store " + stores[0].address() + "  supervisor one_for_all running restarts=0 children=2"));
  CHECK(ferryctl({"--node", na, "restart", "session_sup/nothing"}).exit_code == 1);  // refused, named
  check_serves(a.socket, "after-restart");

  // Two live nodes and one that refuses connections: rows, totals, and a bounded wait.
  closed_port dead;
  auto cl = ferryctl({"--cluster", na + "," + nb + "," + node(dead.port), "--timeout", "1500", "status"});
  INFO(cl.text());
  CHECK(cl.exit_code == 1);
  CHECK(cl.elapsed < 3500ms);
  CHECK(cl.has(na + "  serving"));
  CHECK(cl.has(nb + "  serving"));
  CHECK(cl.has(node(dead.port) + "  unreachable"));
  CHECK(cl.has("2/3 up"));
  auto servers = ferryctl({"--cluster", na + "," + nb, "servers"});
  CHECK(servers.exit_code == 0);
  CHECK(servers.has("3 servers"));  // two behind A, one behind B

  // Reload on B: its file gains the second store.
  std::ofstream(cfg_b) << "[stores]\nservers = [\"" << stores[0].address() << "\", \"" << stores[1].address()
                       << "\"]\nreplicas = 1\nwrite_quorum = 1\n";
  // Steering commands get 10 s (the default 3 s bounds a view; a reload on a loaded sanitizer build can
  // take a while). A drain answer that never came (twice in CI) was ferryd exiting before its admin
  // actor had sent it: the main thread now waits for that (daemon/ferryd.cpp).
  auto rl = ferryctl({"--node", nb, "--timeout", "10000", "reload"});
  INFO(rl.text());
  CHECK(rl.exit_code == 0);
  CHECK(rl.has("reload applied: added store " + stores[1].address()));
  CHECK(eventually([&] { return ferryctl({"--node", nb, "servers"}).has("2 servers        2 up"); }));

  // Drain A: it answers, then exits 0 and removes its socket; B keeps serving.
  auto dr = ferryctl({"--node", na, "--timeout", "10000", "drain"});
  INFO(dr.text());
  CHECK(dr.exit_code == 0);
  CHECK(dr.has(na + " draining:"));
  auto status = a.proc->wait(30s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_FALSE(std::filesystem::exists(a.socket));
  check_serves(b.socket, "b-still-serves");
}
