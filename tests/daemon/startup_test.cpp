// ferryd refuses to start on bad settings (exit 2, saying why), does not take a socket from a running
// ferryd nor remove a file that is not a socket, and replaces a stale socket left by a dead one.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_fixture.hpp"

using namespace ferry;
using namespace ferry::daemon_test;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs ferryd to its exit (at most 30 s); its wait status, with its stderr in `err`.
std::optional<int> run_to_exit(const std::vector<std::string>& args, const temp_dir& dir, std::string& err) {
  const auto path = dir.file("failed.stderr");
  auto proc = test::spawn_ferryd(FERRYD_BIN, args, path);
  auto line = proc->read_line(30s);
  auto status = proc->wait(30s);
  err = read_file(path);
  if (line) err += "\n(stdout: " + *line + ")";
  return status;
}

}  // namespace

TEST_CASE("ferryd without a store exits 2 and says what is missing", "[ferryd][integration][startup]") {
  temp_dir dir;
  std::string err;
  auto status = run_to_exit({"--socket", dir.file("ferryd.sock")}, dir, err);
  INFO(err);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 2);
  CHECK(err.find("no data server") != std::string::npos);
  CHECK(err.find("--store") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("ferryd.sock")));
}

TEST_CASE("ferryd with a bad config file exits 2 naming FILE:LINE and the key", "[ferryd][integration][startup]") {
  temp_dir dir;
  const auto cfg = dir.file("bad.toml");
  std::ofstream(cfg) << "[stores]\nservers = [\"127.0.0.1:1\"]\nreplicas = 2\nwrite_quorum = 5\n";
  std::string err;
  auto status = run_to_exit({"--config", cfg, "--socket", dir.file("ferryd.sock")}, dir, err);
  INFO(err);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 2);
  CHECK(err.find(cfg + ":4: stores.write_quorum: 5 is above stores.replicas (2)") != std::string::npos);

  std::ofstream(cfg) << "[stores]\nservers = [\"127.0.0.1:1\"]\n\n[limits]\nmax_sesions = 10\n";
  status = run_to_exit({"--config", cfg, "--socket", dir.file("ferryd.sock")}, dir, err);
  INFO(err);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 2);
  CHECK(err.find(cfg + ":5: limits.max_sesions: unknown key") != std::string::npos);
}

TEST_CASE("a second ferryd on a socket in use fails and the first serves on", "[ferryd][integration][startup]") {
  cluster cl(1, 1, 1);
  const auto& dir = cl.dir;
  const auto& stores = cl.stores;
  const auto& first = cl.ferryd;
  std::string err;
  auto args = std::vector<std::string>{"--socket", first.socket, "--store", stores[0].address(), "--replicas", "1",
                                       "--write-quorum", "1"};
  auto status = run_to_exit(args, dir, err);
  INFO(err);
  REQUIRE(status);
  CHECK_FALSE((WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
  CHECK(err.find(first.socket) != std::string::npos);
  CHECK(err.find("ferryd ready") == std::string::npos);
  CHECK(std::filesystem::exists(first.socket));
  check_serves(first.socket, "serving");
}

TEST_CASE("ferryd replaces a stale socket file and serves", "[ferryd][integration][startup]") {
  temp_dir dir;
  const auto path = dir.file("ferryd.sock");
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    ::close(fd);  // left behind, as by a ferryd killed with SIGKILL
  }
  REQUIRE(std::filesystem::is_socket(path));
  auto stores = start_stores(1);
  auto d = start_ferryd_on(path, stores, {"--replicas", "1", "--write-quorum", "1"});
  check_serves(d.socket, "serving");
}

TEST_CASE("ferryd does not remove a regular file at its socket path and fails naming it",
          "[ferryd][integration][startup]") {
  temp_dir dir;
  const auto path = dir.file("ferryd.sock");
  std::ofstream(path) << "precious";
  auto stores = start_stores(1);
  std::string err;
  auto status = run_to_exit({"--socket", path, "--store", stores[0].address(), "--replicas", "1", "--write-quorum", "1"},
                            dir, err);
  INFO(err);
  REQUIRE(status);
  CHECK_FALSE((WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
  CHECK(err.find(path) != std::string::npos);
  CHECK(err.find("not a socket") != std::string::npos);
  CHECK(read_file(path) == "precious");
}

// BUG (ferryd): the ready line is printed once the supervision tree has started, before the store
// connections have connected; the router counts a connection as up from its start
// (actors/router/ROUTER.md, "Connections start as up") while rpc_connection refuses every call until it is
// connected (actors/rpc_connection/rpc_connection.cpp, take_call: "not connected to ..."). So writes sent
// right after "ferryd ready" fail UNAVAILABLE ("1 of 2 replicas failed ...: unavailable") although every
// store is up. Intermittent (a race), more likely on a loaded machine.
TEST_CASE("ferryd routes the first writes sent after its ready line", "[ferryd][integration][startup]") {
  temp_dir dir;
  auto stores = start_stores(3);
  int failed = 0;
  std::string first_failure;
  for (int run = 0; run < 5; ++run) {  // five fresh ferryds: the race is lost now and then, not every time
    auto args = store_flags(stores);
    for (std::string a : {"--replicas", "2", "--write-quorum", "2", "--log-level", "warn", "--socket"}) args.push_back(a);
    args.push_back(dir.file("ferryd-" + std::to_string(run) + ".sock"));
    auto d = test::start_ferryd(FERRYD_BIN, args);  // no wait_until_routing: the calls go out at once
    client c(d.socket);
    for (int i = 0; i < 20; ++i) {
      if (c.put("first/" + std::to_string(i), "v", 5000) == FERRY_OK) continue;
      if (failed++ == 0) first_failure = ferry_last_detail();
    }
  }
  INFO("first failure: " << first_failure);
  CHECK(failed == 0);
}
