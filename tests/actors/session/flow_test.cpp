// The session's flow gate and the daemon's memory budget: thresholds exactly where documented.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "actors/session/flow_gate.hpp"
#include "actors/session/memory_budget.hpp"

using namespace ferry::session;

TEST_CASE("the gate closes at the call limit and reopens one answer below it", "[flow]") {
  flow_gate g({3, 1 << 20});
  CHECK_FALSE(g.take(10));
  CHECK_FALSE(g.take(10));
  CHECK(g.take(10));  // the third call reaches the limit: pause
  CHECK(g.closed());
  CHECK(g.give_back(10));  // back to 2 of 3: resume, said once
  CHECK_FALSE(g.closed());
  CHECK_FALSE(g.give_back(10));  // already open: nothing to say
  CHECK(g.calls() == 1);
  CHECK(g.bytes() == 10);
}

TEST_CASE("the gate closes at the byte limit, counting the call that crosses it", "[flow]") {
  flow_gate g({100, 1000});
  CHECK_FALSE(g.take(999));
  CHECK(g.take(5));  // 1004 >= 1000
  CHECK(g.bytes() == 1004);
  CHECK(g.give_back(5));  // 1 call, 999 bytes: both under their limits again
  CHECK_FALSE(g.closed());
}

TEST_CASE("a reload can open or close the gate", "[flow]") {
  flow_gate g({4, 1 << 20});
  g.take(1);
  g.take(1);
  CHECK_FALSE(g.reconfigure({2, 1 << 20}));  // 2 calls held, limit 2: closed
  CHECK(g.closed());
  CHECK(g.reconfigure({8, 1 << 20}));
}

TEST_CASE("the budget takes what fits, refuses what does not, and frees with the last reference", "[budget]") {
  auto b = std::make_shared<memory_budget>(100);
  std::vector<ferry::xdr::byte> sixty(60, 1);
  auto a = b->copy_accounted(sixty);
  REQUIRE(a);
  CHECK(b->used() == 60);
  CHECK_FALSE(b->copy_accounted(sixty));  // 120 > 100: refused, nothing taken
  CHECK(b->used() == 60);
  auto shared = a;  // the router or a store call holding the same record
  a.reset();
  CHECK(b->used() == 60);
  shared.reset();
  CHECK(b->used() == 0);
  CHECK_FALSE(b->try_acquire(101));  // larger than the whole budget
  CHECK(b->try_acquire(100));
  b->set_limit(50);  // a reload below what is held: held stays, new records wait
  CHECK(b->used() == 100);
  CHECK_FALSE(b->try_acquire(1));
  b->release(100);
  CHECK(b->try_acquire(50));
}

TEST_CASE("the budget never overshoots under concurrent takers", "[budget]") {
  auto b = std::make_shared<memory_budget>(1000);
  std::vector<std::thread> threads;
  std::atomic<int> taken{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i)
        if (b->try_acquire(7)) taken.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  CHECK(taken.load() == 1000 / 7);
  CHECK(b->used() == static_cast<std::uint64_t>(taken.load()) * 7);
}
