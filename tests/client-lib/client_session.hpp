// What the libferry tests share: a scripted peer in a temp dir with a handle open on it, and a bounded
// wait for a forked child.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "ferry.h"
#include "scripted_peer.hpp"

namespace ferry::test {

struct session {
  temp_dir dir;
  scripted_peer peer{dir.path + "/ferryd.sock"};
  ferry_t* h = nullptr;
  session() { REQUIRE(ferry_open(peer.path().c_str(), &h) == FERRY_OK); }
  ~session() { ferry_close(h); }

  int put(const std::string& k, const std::string& v, const ferry_options* o = nullptr) {
    return ferry_put(h, k.data(), k.size(), v.data(), v.size(), o);
  }
  int get(const std::string& k, std::string& out, const ferry_options* o = nullptr) {
    void* p = nullptr;
    size_t n = 0;
    int rc = ferry_get_alloc(h, k.data(), k.size(), &p, &n, nullptr, o);
    out.assign(static_cast<const char*>(p), p != nullptr ? n : 0);
    ferry_free(p);
    return rc;
  }
};

/// Waits for a child for at most `limit`, killing it past that; returns its exit status or -1.
inline int wait_child(pid_t pid, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  int st = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &st, 0);
  return -1;
}

}  // namespace ferry::test
