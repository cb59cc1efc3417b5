// libferry's three application models against the real ferryd: 50 forked children using a handle opened
// before fork(), 16 threads sharing one handle, and ferryd restarted under a running client (libferry
// reconnects for the next call). All bounded; children exit with a status the parent checks.
#include <catch2/catch.hpp>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "daemon_fixture.hpp"

using namespace ferry::daemon_test;

TEST_CASE("50 forked children use a handle opened before fork, and the parent's still works",
          "[ferryd][integration][libferry]") {
  cluster cl(2, 2, 2);
  client parent(cl.ferryd.socket);  // opened before fork, as an inetd-style server does
  REQUIRE(parent.put("fork/parent", "p") == FERRY_OK);
  constexpr int children = 50;
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // The child: the inherited handle reconnects lazily on its own socket. Exit status = result.
      ferry_t* h = parent.handle();
      auto key = "fork/child/" + std::to_string(i);
      auto value = "v" + std::to_string(i);
      ferry_options o = FERRY_OPTIONS_INIT;
      o.deadline_ms = 5000;
      int rc = ferry_put(h, key.data(), key.size(), value.data(), value.size(), &o);
      char buf[64];
      std::size_t len = 0;
      if (rc == FERRY_OK) rc = ferry_get(h, key.data(), key.size(), buf, sizeof buf, &len, nullptr, &o);
      const bool same = rc == FERRY_OK && std::string(buf, len) == value;
      ::_exit(same ? 0 : 10 + (rc > 100 ? 99 : rc));
    }
    pids.push_back(pid);
  }
  int failed = 0;
  for (auto pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  CHECK(failed == 0);
  // The parent's connection was not disturbed by 50 children closing theirs.
  CHECK(parent.get("fork/parent").second == "p");
  for (int i = 0; i < children; i += 7)
    CHECK(parent.get("fork/child/" + std::to_string(i)).second == "v" + std::to_string(i));
}

TEST_CASE("16 threads share one handle, each getting its own answers", "[ferryd][integration][libferry]") {
  cluster cl(2, 2, 2);
  client shared(cl.ferryd.socket);
  constexpr int threads = 16, calls = 50;
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        auto key = "thr/" + std::to_string(t) + "/" + std::to_string(i);
        auto value = std::string(static_cast<std::size_t>(1 + (t * calls + i) % 300), static_cast<char>('a' + t));
        if (shared.put(key, value, 5000) != FERRY_OK || shared.get(key, nullptr, 5000).second != value) ++wrong;
      }
    });
  for (auto& th : pool) th.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("a client keeps working across a ferryd restart", "[ferryd][integration][libferry]") {
  cluster cl(2, 2, 2);
  client c(cl.ferryd.socket);
  REQUIRE(c.put("restart/a", "1") == FERRY_OK);
  cl.ferryd.proc->signal(SIGTERM);
  auto status = cl.ferryd.proc->wait();
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 0);
  // While ferryd is down the call fails cleanly (no hang past its deadline, no crash).
  CHECK(c.get("restart/a", nullptr, 1000).first != FERRY_OK);
  auto again = start_ferryd_on(cl.ferryd.socket, cl.stores, {"--replicas", "2", "--write-quorum", "2"});
  // The same handle reconnects by itself to the new ferryd.
  REQUIRE(eventually([&] { return c.get("restart/a", nullptr, 2000).second == "1"; }));
  CHECK(c.put("restart/b", "2") == FERRY_OK);
  CHECK(c.get("restart/b").second == "2");
}
