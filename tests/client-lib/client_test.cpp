// libferry against a scripted FERRY_CLIENT peer: every sync call, pipelining with out-of-order replies,
// deadlines, reconnection, an absent ferryd, fork, and garbage from the peer.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "ferry.h"
#include "ferry.hpp"
#include "client_session.hpp"
#include "scripted_peer.hpp"

using ferry::test::garbage;
using ferry::test::session;
using ferry::test::wait_child;
using ferry::test::scripted_peer;
using ferry::test::temp_dir;

TEST_CASE("every sync call round-trips its bytes and statuses", "[client-lib]") {
  session s;
  std::string key("bin\0key", 7);
  std::string value("v\0\xff value", 9);
  REQUIRE(s.put(key, value) == FERRY_OK);

  char buf[64];
  size_t n = 0;
  ferry_object_info info{};
  REQUIRE(ferry_get(s.h, key.data(), key.size(), buf, sizeof(buf), &n, &info, nullptr) == FERRY_OK);
  CHECK(std::string(buf, n) == value);
  CHECK(info.size == value.size());
  CHECK(info.version_writer == 7);

  ferry_object_info st{};
  REQUIRE(ferry_stat(s.h, key.data(), key.size(), &st, nullptr) == FERRY_OK);
  CHECK(st.size == value.size());
  CHECK(st.version_hlc == info.version_hlc);

  ferry_options absent = FERRY_OPTIONS_INIT;
  absent.flags = FERRY_PUT_IF_ABSENT;
  CHECK(s.put(key, "other", &absent) == FERRY_EXISTS);
  CHECK(s.put("fresh", "x", &absent) == FERRY_OK);

  REQUIRE(ferry_delete(s.h, key.data(), key.size(), nullptr) == FERRY_OK);
  std::string got;
  CHECK(s.get(key, got) == FERRY_NOT_FOUND);
  CHECK(ferry_stat(s.h, key.data(), key.size(), &st, nullptr) == FERRY_NOT_FOUND);
  CHECK(ferry_delete(s.h, key.data(), key.size(), nullptr) == FERRY_NOT_FOUND);

  SECTION("an empty value and a large (gathered) value survive the trip") {
    CHECK(s.put("empty", "") == FERRY_OK);
    CHECK(s.get("empty", got) == FERRY_OK);
    CHECK(got.empty());
    std::string big(300000, 'a');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    REQUIRE(s.put("big", big) == FERRY_OK);
    REQUIRE(s.get("big", got) == FERRY_OK);
    CHECK(got == big);
  }
  SECTION("the peer's TOO_BIG and local key checks come back as statuses") {
    s.peer.max_value(1000);
    CHECK(s.put("k", std::string(1001, 'x')) == FERRY_TOO_BIG);
    CHECK(s.put("", "v") == FERRY_BAD_KEY);
    CHECK(s.put(std::string(FERRY_MAX_KEY + 1, 'k'), "v") == FERRY_BAD_KEY);
    CHECK(ferry_put(nullptr, "k", 1, "v", 1, nullptr) == FERRY_E_INVALID);
    CHECK(ferry_stat(s.h, "k", 1, nullptr, nullptr) == FERRY_E_INVALID);
  }
  SECTION("a given request id goes on the wire; otherwise each write gets a fresh one") {
    std::uint8_t id[FERRY_REQUEST_ID_SIZE];
    for (unsigned i = 0; i < sizeof(id); ++i) id[i] = static_cast<std::uint8_t>(i + 1);
    ferry_options o = FERRY_OPTIONS_INIT;
    o.request_id = id;
    REQUIRE(s.put("a", "1", &o) == FERRY_OK);
    REQUIRE(s.put("a", "2") == FERRY_OK);
    REQUIRE(s.put("a", "3") == FERRY_OK);
    auto calls = s.peer.calls();
    REQUIRE(calls.size() >= 3);
    auto n3 = calls.size();
    CHECK(std::equal(id, id + sizeof(id), calls[n3 - 3].id.begin()));
    CHECK(calls[n3 - 2].id != calls[n3 - 1].id);
  }
}

TEST_CASE("a caller buffer too small gets the size it needs", "[client-lib]") {
  session s;
  REQUIRE(s.put("k", "0123456789") == FERRY_OK);
  char small[4];
  size_t n = 0;
  CHECK(ferry_get(s.h, "k", 1, small, sizeof(small), &n, nullptr, nullptr) == FERRY_E_BUFFER_TOO_SMALL);
  CHECK(n == 10);
  char exact[10];
  CHECK(ferry_get(s.h, "k", 1, exact, n, &n, nullptr, nullptr) == FERRY_OK);
  CHECK(std::string(exact, n) == "0123456789");
  CHECK(ferry_get(s.h, "k", 1, nullptr, 0, &n, nullptr, nullptr) == FERRY_E_BUFFER_TOO_SMALL);
  CHECK(n == 10);
}

TEST_CASE("8 threads x 200 calls on one handle each get their own replies out of order", "[client-lib]") {
  session s;
  s.peer.reorder(true);
  constexpr int threads = 8;
  constexpr int rounds = 100;  // a PUT and a GET per round: 200 calls a thread
  std::vector<int> failures(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        std::string value = "value of " + key + std::string(static_cast<std::size_t>(i % 7), '!');
        if (s.put(key, value) != FERRY_OK) ++failures[static_cast<std::size_t>(t)];
        std::string got;
        if (s.get(key, got) != FERRY_OK || got != value) ++failures[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : pool) th.join();
  for (int t = 0; t < threads; ++t) CHECK(failures[static_cast<std::size_t>(t)] == 0);
  CHECK(s.peer.calls().size() == threads * rounds * 2);
  CHECK(s.peer.connections() == 1);  // one pipelined socket, not one per thread
  CHECK(s.peer.replies_out_of_order() > 0);
}

TEST_CASE("a call past its deadline times out and its late reply is dropped", "[client-lib]") {
  session s;
  REQUIRE(s.put("slow", "late") == FERRY_OK);
  REQUIRE(s.put("fast", "now") == FERRY_OK);
  s.peer.hold("slow");
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 100;
  std::string got;
  auto t0 = std::chrono::steady_clock::now();
  CHECK(s.get("slow", got, &o) == FERRY_TIMEDOUT);
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(100));
  CHECK(waited < std::chrono::seconds(5));

  s.peer.release_held();  // the late reply goes out just before the next one
  REQUIRE(s.get("fast", got) == FERRY_OK);
  CHECK(got == "now");
  CHECK(s.peer.held_sent() == 1);
  REQUIRE(s.get("fast", got) == FERRY_OK);
  CHECK(s.peer.connections() == 1);
}

TEST_CASE("a lost connection is reconnected once and the call retried", "[client-lib]") {
  session s;
  REQUIRE(s.put("k", "v") == FERRY_OK);
  std::string got;

  SECTION("ferryd restarted while the handle was idle") {
    s.peer.close_all();
    REQUIRE(s.get("k", got) == FERRY_OK);
    CHECK(got == "v");
    CHECK(s.peer.connections() == 2);
  }
  SECTION("the connection drops with a PUT in flight: the retry carries the same idempotency id") {
    s.peer.drop_calls(1);
    REQUIRE(s.put("k", "v2") == FERRY_OK);
    auto calls = s.peer.calls();
    REQUIRE(calls.size() == 3);
    CHECK(calls[1].id == calls[2].id);
    CHECK(s.peer.connections() == 2);
    REQUIRE(s.get("k", got) == FERRY_OK);
    CHECK(got == "v2");
  }
  SECTION("only once: a second drop is reported as FERRY_E_CLOSED") {
    s.peer.drop_calls(2);
    CHECK(s.get("k", got) == FERRY_E_CLOSED);
    REQUIRE(s.get("k", got) == FERRY_OK);
    CHECK(s.peer.connections() == 3);
  }
}

TEST_CASE("an absent ferryd is FERRY_E_CONNECT with errno kept", "[client-lib]") {
  temp_dir dir;
  ferry_t* h = nullptr;
  errno = 0;
  CHECK(ferry_open((dir.path + "/nobody.sock").c_str(), &h) == FERRY_E_CONNECT);
  CHECK(errno == ENOENT);
  CHECK(h == nullptr);
  CHECK(std::string(ferry_strerror(FERRY_E_CONNECT)).find("ferryd") != std::string::npos);

  SECTION("FERRY_SOCKET names the socket when the path is NULL") {
    scripted_peer peer{dir.path + "/env.sock"};
    ::setenv(FERRY_SOCKET_ENV, peer.path().c_str(), 1);
    REQUIRE(ferry_open(nullptr, &h) == FERRY_OK);
    ::unsetenv(FERRY_SOCKET_ENV);
    CHECK(ferry_put(h, "k", 1, "v", 1, nullptr) == FERRY_OK);
    ferry_close(h);
  }
}

TEST_CASE("a handle opened before fork works in the child on its own connection", "[client-lib]") {
  session s;
  REQUIRE(s.put("k", "parent") == FERRY_OK);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    char buf[16];
    size_t n = 0;
    int ok = ferry_put(s.h, "c", 1, "child", 5, nullptr) == FERRY_OK &&
             ferry_get(s.h, "k", 1, buf, sizeof(buf), &n, nullptr, nullptr) == FERRY_OK &&
             std::string(buf, n) == "parent";
    ::_exit(ok ? 0 : 1);
  }
  CHECK(wait_child(child, std::chrono::seconds(20)) == 0);
  auto pids = s.peer.peer_pids();
  CHECK(std::find(pids.begin(), pids.end(), child) != pids.end());
  CHECK(std::find(pids.begin(), pids.end(), ::getpid()) != pids.end());
  std::string got;
  REQUIRE(s.get("c", got) == FERRY_OK);  // the parent's connection is untouched
  CHECK(got == "child");
  CHECK(s.peer.connections() == 2);
}

TEST_CASE("garbage from the peer is FERRY_E_PROTOCOL and the handle recovers", "[client-lib]") {
  session s;
  REQUIRE(s.put("k", "v") == FERRY_OK);
  std::string got;
  SECTION("a record too short to hold a reply breaks the connection") {
    s.peer.send_garbage(garbage::short_record);
    CHECK(s.get("k", got) == FERRY_E_PROTOCOL);
    REQUIRE(s.get("k", got) == FERRY_OK);
    CHECK(s.peer.connections() == 2);
  }
  SECTION("a record mark over the limit breaks the connection before allocating") {
    s.peer.send_garbage(garbage::huge_mark);
    CHECK(s.get("k", got) == FERRY_E_PROTOCOL);
    REQUIRE(s.get("k", got) == FERRY_OK);
  }
  SECTION("undecodable results fail that call only") {
    s.peer.send_garbage(garbage::bad_results);
    CHECK(s.get("k", got) == FERRY_E_PROTOCOL);
    REQUIRE(s.get("k", got) == FERRY_OK);
    CHECK(got == "v");
    CHECK(s.peer.connections() == 1);
  }
}

TEST_CASE("the C++ wrapper owns its handle and returns results", "[client-lib]") {
  temp_dir dir;
  scripted_peer peer{dir.path + "/ferryd.sock"};
  auto opened = ferry::client::handle::open(peer.path().c_str());
  REQUIRE(opened);
  auto h = std::move(*opened);
  using ferry::client::as_bytes;
  REQUIRE(h.put(as_bytes("k"), as_bytes("hello")));
  auto obj = h.get(as_bytes("k"));
  REQUIRE(obj);
  CHECK(obj->data.size() == 5);
  std::byte small[2];
  auto into = h.get(as_bytes("k"), small);
  CHECK(into.code() == FERRY_E_BUFFER_TOO_SMALL);
  CHECK(h.size_needed() == 5);
  auto st = h.stat(as_bytes("k"));
  REQUIRE(st);
  CHECK(st->size == 5);
  REQUIRE(h.del(as_bytes("k")));
  CHECK(h.get(as_bytes("k")).code() == FERRY_NOT_FOUND);
  CHECK(std::string(h.get(as_bytes("k")).err().message()) == ferry_strerror(FERRY_NOT_FOUND));
  auto absent = ferry::client::handle::open((dir.path + "/none.sock").c_str());
  CHECK(absent.code() == FERRY_E_CONNECT);
}

namespace {

/// The XDR of opaque<> : length, bytes, zero padding to 4.
void put_opaque(std::vector<std::uint8_t>& out, const std::string& b) {
  auto n = static_cast<std::uint32_t>(b.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
  out.insert(out.end(), b.begin(), b.end());
  while (out.size() % 4 != 0) out.push_back(0);
}
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::string key_at(const ferry_list_page* page, std::size_t i) {
  std::size_t n = 0;
  auto* p = static_cast<const char*>(ferry_list_key(page, i, &n));
  return p != nullptr ? std::string(p, n) : std::string("<none>");
}

}  // namespace

TEST_CASE("LIST sends prefix, cursor, limit and deadline as XDR and pages through with the cursor",
          "[client-lib][list]") {
  session s;
  std::string binary("a/\0\xff", 4);  // sorts before "a/1": bytes compare unsigned
  for (const auto& k : {std::string("a/1"), std::string("a/2"), std::string("a/3"), std::string("b/1"), binary})
    REQUIRE(s.put(k, "value of " + k) == FERRY_OK);

  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 1234;
  ferry_list_page* page = nullptr;
  REQUIRE(ferry_list(s.h, "a/", 2, nullptr, 0, 2, &page, &o) == FERRY_OK);
  REQUIRE(ferry_list_count(page) == 2);
  CHECK(key_at(page, 0) == binary);
  CHECK(key_at(page, 1) == "a/1");
  const ferry_object_info* info = ferry_list_info(page, 1);
  REQUIRE(info != nullptr);
  CHECK(info->size == std::string("value of a/1").size());
  CHECK(info->version_writer == 7);
  CHECK(ferry_list_more(page) == 1);
  std::size_t clen = 0;
  auto* cur = static_cast<const char*>(ferry_list_next_cursor(page, &clen));
  REQUIRE(cur != nullptr);
  std::string cursor(cur, clen);
  CHECK(cursor == "a/1");

  SECTION("out-of-range indexes and a NULL page answer NULL / 0") {
    std::size_t n = 99;
    CHECK(ferry_list_key(page, 2, &n) == nullptr);
    CHECK(n == 0);
    CHECK(ferry_list_info(page, 2) == nullptr);
    CHECK(ferry_list_count(nullptr) == 0);
    CHECK(ferry_list_more(nullptr) == 0);
    CHECK(ferry_list_next_cursor(nullptr, &n) == nullptr);
  }
  ferry_list_free(page);

  page = nullptr;
  REQUIRE(ferry_list(s.h, "a/", 2, cursor.data(), cursor.size(), 0, &page, nullptr) == FERRY_OK);
  REQUIRE(ferry_list_count(page) == 2);
  CHECK(key_at(page, 0) == "a/2");
  CHECK(key_at(page, 1) == "a/3");
  CHECK(ferry_list_more(page) == 0);
  ferry_list_free(page);

  auto wire = s.peer.list_args();
  REQUIRE(wire.size() == 2);
  std::vector<std::uint8_t> first;
  put_opaque(first, "a/");
  put_opaque(first, "");
  put_u32(first, 2);
  put_u32(first, 1234);
  CHECK(wire[0] == first);
  std::vector<std::uint8_t> second;
  put_opaque(second, "a/");
  put_opaque(second, "a/1");
  put_u32(second, 0);
  put_u32(second, 0);  // no options: ferryd's default deadline
  CHECK(wire[1] == second);

  SECTION("an empty prefix lists every key; an empty page has an empty cursor and no more") {
    REQUIRE(ferry_list(s.h, nullptr, 0, nullptr, 0, 0, &page, nullptr) == FERRY_OK);
    CHECK(ferry_list_count(page) == 5);
    CHECK(key_at(page, 4) == "b/1");
    CHECK(ferry_list_more(page) == 0);
    ferry_list_free(page);
    REQUIRE(ferry_list(s.h, "zz", 2, nullptr, 0, 0, &page, nullptr) == FERRY_OK);
    CHECK(ferry_list_count(page) == 0);
    CHECK(ferry_list_next_cursor(page, &clen) != nullptr);
    CHECK(clen == 0);
    ferry_list_free(page);
  }
}

TEST_CASE("a refused LIST returns the status, no page, and ferryd's detail", "[client-lib][list]") {
  session s;
  REQUIRE(s.put("k", "v") == FERRY_OK);
  ferry_list_page* page = reinterpret_cast<ferry_list_page*>(&s);  // must be overwritten with NULL
  s.peer.fail_next(ferry::proto::status::unavailable, "no store replica answered");
  CHECK(ferry_list(s.h, "k", 1, nullptr, 0, 0, &page, nullptr) == FERRY_UNAVAILABLE);
  CHECK(page == nullptr);
  CHECK(std::string(ferry_last_detail()) == "no store replica answered");

  SECTION("the next call clears the detail") {
    REQUIRE(ferry_list(s.h, "k", 1, nullptr, 0, 0, &page, nullptr) == FERRY_OK);
    CHECK(std::string(ferry_last_detail()).empty());
    ferry_list_free(page);
  }
  SECTION("the detail is per thread, like errno") {
    std::string other = "unset";
    std::thread([&] { other = ferry_last_detail(); }).join();
    CHECK(other.empty());
    CHECK(std::string(ferry_last_detail()) == "no store replica answered");
  }
  SECTION("other calls keep their detail too") {
    s.peer.max_value(4);
    CHECK(s.put("k", "too long") == FERRY_TOO_BIG);
    CHECK(std::string(ferry_last_detail()) == "value over the peer's limit");
  }
  SECTION("bad arguments are refused locally without a call") {
    std::string long_key(FERRY_MAX_KEY + 1, 'k');
    CHECK(ferry_list(s.h, long_key.data(), long_key.size(), nullptr, 0, 0, &page, nullptr) == FERRY_BAD_KEY);
    CHECK(ferry_list(s.h, "k", 1, long_key.data(), long_key.size(), 0, &page, nullptr) == FERRY_E_INVALID);
    CHECK(ferry_list(s.h, "k", 1, nullptr, 0, FERRY_MAX_LIST + 1, &page, nullptr) == FERRY_E_INVALID);
    CHECK(ferry_list(s.h, nullptr, 3, nullptr, 0, 0, &page, nullptr) == FERRY_E_INVALID);
    CHECK(ferry_list(nullptr, "k", 1, nullptr, 0, 0, &page, nullptr) == FERRY_E_INVALID);
    CHECK(ferry_list(s.h, "k", 1, nullptr, 0, 0, nullptr, nullptr) == FERRY_E_INVALID);
    CHECK(page == nullptr);
    CHECK(s.peer.list_args().size() == 1);
  }
}

TEST_CASE("a malformed LIST reply is FERRY_E_PROTOCOL and the handle recovers", "[client-lib][list]") {
  session s;
  REQUIRE(s.put("k1", "v") == FERRY_OK);
  ferry_list_page* page = nullptr;
  SECTION("a page announcing more entries than it holds") {
    s.peer.send_garbage(garbage::list_truncated);
    CHECK(ferry_list(s.h, "k", 1, nullptr, 0, 0, &page, nullptr) == FERRY_E_PROTOCOL);
  }
  SECTION("results with an invalid status") {
    s.peer.send_garbage(garbage::bad_results);
    CHECK(ferry_list(s.h, "k", 1, nullptr, 0, 0, &page, nullptr) == FERRY_E_PROTOCOL);
  }
  CHECK(page == nullptr);
  REQUIRE(ferry_list(s.h, "k", 1, nullptr, 0, 0, &page, nullptr) == FERRY_OK);
  CHECK(ferry_list_count(page) == 1);
  ferry_list_free(page);
  CHECK(s.peer.connections() == 1);
}

TEST_CASE("the C++ wrapper lists page by page until no more", "[client-lib][list]") {
  temp_dir dir;
  scripted_peer peer{dir.path + "/ferryd.sock"};
  peer.list_page_size(3);
  auto opened = ferry::client::handle::open(peer.path().c_str());
  REQUIRE(opened);
  auto h = std::move(*opened);
  using ferry::client::as_bytes;
  for (int i = 0; i < 7; ++i) REQUIRE(h.put(as_bytes("p" + std::to_string(i)), as_bytes("v")));
  REQUIRE(h.put(as_bytes("q"), as_bytes("v")));
  std::vector<std::string> keys;
  std::vector<std::byte> cursor;
  int pages = 0;
  for (;;) {
    auto page = h.list(as_bytes("p"), cursor);
    REQUIRE(page);
    ++pages;
    for (auto& e : page->entries) keys.emplace_back(reinterpret_cast<const char*>(e.key.data()), e.key.size());
    if (!page->more) break;
    cursor = page->next_cursor;
  }
  CHECK(pages == 3);
  CHECK(keys == std::vector<std::string>{"p0", "p1", "p2", "p3", "p4", "p5", "p6"});
  peer.fail_next(ferry::proto::status::overloaded, "queue full");
  auto refused = h.list(as_bytes("p"));
  CHECK(refused.code() == FERRY_OVERLOADED);
  CHECK(std::string(ferry::client::last_detail()) == "queue full");
}
