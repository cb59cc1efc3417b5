// libferry's async API against the scripted peer: many calls in flight completed once each in the order
// the peer answers, callbacks only inside ferry_process, ferry_fd readiness, deadlines, connection loss,
// and sync and async calls mixed from several threads on one handle.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client_session.hpp"
#include "ferry.h"

using ferry::test::session;

namespace {

thread_local bool processing = false;  // set around ferry_process by the tests

/// One submitted call: what its callback saw.
struct tag {
  int index = 0;
  std::atomic<int> calls{0};
  int status = -1;
  bool from_process = false;
  std::string value;
  ferry_object_info info{};
};

struct recorder {
  std::mutex mu;
  std::vector<int> order;  // tag indices in callback order
  std::vector<tag> tags;
  explicit recorder(std::size_t n) : tags(n) {
    for (std::size_t i = 0; i < n; ++i) tags[i].index = static_cast<int>(i);
  }
  std::size_t count() {
    std::lock_guard lk(mu);
    return order.size();
  }
  void* user(std::size_t i) { return &tags[i]; }
};

recorder* current = nullptr;  // the test's recorder (one at a time)

void on_done(void* user, int status, const ferry_async_result* r) {
  auto* t = static_cast<tag*>(user);
  t->status = status;
  t->from_process = processing;
  t->info = r->info;
  if (r->value != nullptr) t->value.assign(static_cast<const char*>(r->value), r->vlen);
  ++t->calls;
  std::lock_guard lk(current->mu);
  current->order.push_back(t->index);
}

int process(ferry_t* h) {
  processing = true;
  int n = ferry_process(h);
  processing = false;
  return n;
}

bool readable(int fd, int timeout_ms = 0) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN) != 0;
}

/// The event loop an application would run: wait on ferry_fd, then ferry_process, until `want`
/// callbacks have run or `limit` passes.
std::size_t pump(ferry_t* h, recorder& rec, std::size_t want, std::chrono::milliseconds limit) {
  int fd = ferry_fd(h);
  auto until = std::chrono::steady_clock::now() + limit;
  while (rec.count() < want && std::chrono::steady_clock::now() < until) {
    if (readable(fd, 50)) REQUIRE(process(h) >= 0);
  }
  return rec.count();
}

std::string key_of(const char* prefix, std::size_t i) { return prefix + std::to_string(i); }

}  // namespace

TEST_CASE("100 async calls in flight complete once each, in the order the peer answers", "[client-lib][async]") {
  session s;
  constexpr std::size_t n = 100;
  int fd = ferry_fd(s.h);
  REQUIRE(fd >= 0);
  CHECK(ferry_fd(s.h) == fd);  // stable
  CHECK(!readable(fd));

  for (const char* proc : {"put", "get"}) {
    recorder rec(n);
    current = &rec;
    s.peer.reverse_batches_of(n);  // nothing is answered until all 100 wait, then newest first
    for (std::size_t i = 0; i < n; ++i) {
      auto key = key_of("k", i);
      auto value = "value " + std::to_string(i);
      if (i == n - 1) {  // before the last call nothing can be ready, nor run
        CHECK(!readable(fd));
        CHECK(process(s.h) == 0);
      }
      int rc = std::string(proc) == "put"
                   ? ferry_put_async(s.h, key.data(), key.size(), value.data(), value.size(), nullptr, on_done,
                                     rec.user(i))
                   : ferry_get_async(s.h, key.data(), key.size(), nullptr, on_done, rec.user(i));
      REQUIRE(rc == FERRY_OK);
    }
    CHECK(rec.count() == 0);  // no callback ran inside a submit
    REQUIRE(pump(s.h, rec, n, std::chrono::seconds(20)) == n);
    CHECK(!readable(fd));  // everything ran: nothing pending
    CHECK(process(s.h) == 0);
    std::vector<int> reversed(n);
    for (std::size_t i = 0; i < n; ++i) reversed[i] = static_cast<int>(n - 1 - i);
    CHECK(rec.order == reversed);
    for (auto& t : rec.tags) {
      CHECK(t.calls == 1);
      CHECK(t.status == FERRY_OK);
      CHECK(t.from_process);
      if (std::string(proc) == "get") CHECK(t.value == "value " + std::to_string(t.index));
      else CHECK(t.info.version_writer == 7);
    }
    s.peer.reverse_batches_of(0);
  }
  CHECK(s.peer.connections() == 1);
  current = nullptr;
}

TEST_CASE("ferry_fd is readable while a completion a sync caller read waits for ferry_process",
          "[client-lib][async]") {
  session s;
  recorder rec(2);
  current = &rec;
  int fd = ferry_fd(s.h);
  REQUIRE(s.put("k", "v") == FERRY_OK);
  REQUIRE(ferry_get_async(s.h, "k", 1, nullptr, on_done, rec.user(0)) == FERRY_OK);
  // The sync call leads the reading: the async reply comes first on the stream and is queued.
  ferry_object_info st{};
  REQUIRE(ferry_stat(s.h, "k", 1, &st, nullptr) == FERRY_OK);
  CHECK(rec.count() == 0);
  CHECK(readable(fd));
  CHECK(process(s.h) == 1);
  CHECK(!readable(fd));
  CHECK(rec.tags[0].value == "v");
  CHECK(rec.tags[0].from_process);

  SECTION("statuses and their detail reach the callback") {
    REQUIRE(ferry_delete_async(s.h, "none", 4, nullptr, on_done, rec.user(1)) == FERRY_OK);
    REQUIRE(pump(s.h, rec, 2, std::chrono::seconds(20)) == 2);
    CHECK(rec.tags[1].status == FERRY_NOT_FOUND);
  }
  SECTION("a stat") {
    REQUIRE(ferry_stat_async(s.h, "k", 1, nullptr, on_done, rec.user(1)) == FERRY_OK);
    REQUIRE(pump(s.h, rec, 2, std::chrono::seconds(20)) == 2);
    CHECK(rec.tags[1].status == FERRY_OK);
    CHECK(rec.tags[1].info.size == 1);
  }
  SECTION("argument checks: no callback for a call not made") {
    CHECK(ferry_get_async(s.h, "k", 1, nullptr, nullptr, nullptr) == FERRY_E_INVALID);
    CHECK(ferry_put_async(s.h, "", 0, "v", 1, nullptr, on_done, rec.user(1)) == FERRY_BAD_KEY);
    CHECK(ferry_put_async(nullptr, "k", 1, "v", 1, nullptr, on_done, rec.user(1)) == FERRY_E_INVALID);
    CHECK(ferry_fd(nullptr) == -FERRY_E_INVALID);
    CHECK(ferry_process(nullptr) == -FERRY_E_INVALID);
    CHECK(process(s.h) == 0);
    CHECK(rec.count() == 1);
  }
  current = nullptr;
}

TEST_CASE("an async call the peer never answers completes with FERRY_TIMEDOUT at its deadline",
          "[client-lib][async]") {
  session s;
  recorder rec(1);
  current = &rec;
  REQUIRE(s.put("never", "x") == FERRY_OK);
  REQUIRE(s.put("fast", "y") == FERRY_OK);
  s.peer.hold("never");
  int fd = ferry_fd(s.h);
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 100;
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(ferry_get_async(s.h, "never", 5, &o, on_done, rec.user(0)) == FERRY_OK);
  CHECK(!readable(fd));
  REQUIRE(pump(s.h, rec, 1, std::chrono::seconds(20)) == 1);  // the deadline itself wakes the loop
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(rec.tags[0].status == FERRY_TIMEDOUT);
  CHECK(waited >= std::chrono::milliseconds(100));
  CHECK(waited < std::chrono::seconds(10));
  CHECK(!readable(fd));

  s.peer.release_held();  // the late reply goes out before the next one and finds no call
  std::string got;
  REQUIRE(s.get("fast", got) == FERRY_OK);
  CHECK(got == "y");
  CHECK(s.peer.held_sent() == 1);
  CHECK(process(s.h) == 0);
  CHECK(rec.tags[0].calls == 1);
  current = nullptr;
}

TEST_CASE("a lost connection completes every pending async call with FERRY_E_CLOSED once",
          "[client-lib][async]") {
  session s;
  constexpr std::size_t n = 10;
  recorder rec(n + 1);
  current = &rec;
  REQUIRE(s.put("warm", "up") == FERRY_OK);  // the peer has accepted the connection
  int fd = ferry_fd(s.h);
  for (std::size_t i = 0; i < n; ++i) {
    auto key = key_of("held", i);
    s.peer.hold(key);
    REQUIRE(ferry_get_async(s.h, key.data(), key.size(), nullptr, on_done, rec.user(i)) == FERRY_OK);
  }
  s.peer.close_all();
  REQUIRE(pump(s.h, rec, n, std::chrono::seconds(20)) == n);
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(rec.tags[i].status == FERRY_E_CLOSED);
    CHECK(rec.tags[i].calls == 1);
  }
  CHECK(!readable(fd));  // the dead socket left the set
  CHECK(process(s.h) == 0);

  // The next call reconnects; the new socket is watched through the same descriptor.
  REQUIRE(ferry_stat_async(s.h, "warm", 4, nullptr, on_done, rec.user(n)) == FERRY_OK);
  REQUIRE(pump(s.h, rec, n + 1, std::chrono::seconds(20)) == n + 1);
  CHECK(rec.tags[n].status == FERRY_OK);
  CHECK(ferry_fd(s.h) == fd);
  CHECK(s.peer.connections() == 2);
  for (auto& t : rec.tags) CHECK(t.calls == 1);
  current = nullptr;
}

TEST_CASE("sync and async calls mix on one handle from 4 threads", "[client-lib][async]") {
  session s;
  s.peer.reorder(true);
  constexpr int threads = 4;
  constexpr int rounds = 50;
  recorder rec(threads * rounds);
  current = &rec;
  std::vector<int> failures(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        auto idx = static_cast<std::size_t>(t * rounds + i);
        auto akey = key_of("a", idx);
        auto skey = key_of("s", idx);
        auto value = "v" + std::to_string(idx);
        if (ferry_put_async(s.h, akey.data(), akey.size(), value.data(), value.size(), nullptr, on_done,
                            rec.user(idx)) != FERRY_OK)
          ++failures[static_cast<std::size_t>(t)];
        std::string got;
        if (s.put(skey, value) != FERRY_OK || s.get(skey, got) != FERRY_OK || got != value)
          ++failures[static_cast<std::size_t>(t)];
        if (i % 10 == 0 && process(s.h) < 0) ++failures[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(failures == std::vector<int>(threads, 0));
  REQUIRE(pump(s.h, rec, threads * rounds, std::chrono::seconds(20)) == threads * rounds);
  for (auto& t : rec.tags) {
    CHECK(t.calls == 1);
    CHECK(t.status == FERRY_OK);
    CHECK(t.from_process);
    CHECK(s.peer.stored(key_of("a", static_cast<std::size_t>(t.index))) == "v" + std::to_string(t.index));
  }
  current = nullptr;
}

TEST_CASE("after fork the child runs none of the parent's callbacks, under the same ferry_fd",
          "[client-lib][async]") {
  session s;
  recorder rec(2);
  current = &rec;
  REQUIRE(s.put("k", "v") == FERRY_OK);
  REQUIRE(s.put("slow", "parent's") == FERRY_OK);
  int fd = ferry_fd(s.h);
  s.peer.hold("slow");
  REQUIRE(ferry_get_async(s.h, "slow", 4, nullptr, on_done, rec.user(0)) == FERRY_OK);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // no Catch assertions here: a failure is the exit status
    bool ok = ferry_fd(s.h) == fd && process(s.h) == 0 &&
              ferry_get_async(s.h, "k", 1, nullptr, on_done, rec.user(1)) == FERRY_OK;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (ok && rec.count() < 1 && std::chrono::steady_clock::now() < until)
      if (readable(fd, 50)) ok = process(s.h) >= 0;
    ok = ok && rec.order == std::vector<int>{1} && rec.tags[1].value == "v" && rec.tags[0].calls == 0;
    ::_exit(ok ? 0 : 1);
  }
  CHECK(ferry::test::wait_child(child, std::chrono::seconds(20)) == 0);
  s.peer.release_held();  // the held reply goes out before the next one, on the parent's connection
  std::string got;
  REQUIRE(s.get("k", got) == FERRY_OK);
  REQUIRE(pump(s.h, rec, 1, std::chrono::seconds(20)) == 1);
  CHECK(rec.tags[0].status == FERRY_OK);
  CHECK(rec.tags[0].value == "parent's");
  CHECK(rec.tags[1].calls == 0);
  current = nullptr;
}
