// Many clients at once: a thousand open sessions each doing its own put and get, and one connection
// pipelining two hundred calls before reading a reply.
#include <catch2/catch.hpp>

#include <atomic>
#include <barrier>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "daemon_fixture.hpp"

using namespace ferry;
using namespace ferry::daemon_test;
namespace pc = proto::client;

TEST_CASE("ferryd serves a thousand concurrent sessions and keeps serving after they close",
          "[ferryd][integration][load]") {
  constexpr int threads = 8, per_thread = 125;  // 1,000 sessions open at once
  REQUIRE(raise_open_files_limit(4096));        // ferryd inherits it: 1,000 sessions need 1,000 fds there too
  temp_dir dir;
  auto stores = start_stores(2);
  // The default accept burst (1,000) would refuse part of a simultaneous thousand: raise it for this test.
  {
    std::ofstream cfg(dir.file("ferryd.toml"));
    cfg << "[limits]\naccept_rate = 100000.0\naccept_burst = 10000\nmax_sessions = 4096\n";
  }
  auto d = start_ferryd_on(dir.file("ferryd.sock"), stores,
                           {"--config", dir.file("ferryd.toml"), "--replicas", "2", "--write-quorum", "2"});

  std::atomic<int> opened{0}, put_ok{0}, get_ok{0};
  std::barrier all_open(threads), all_done(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::vector<ferry_t*> handles;
      for (int i = 0; i < per_thread; ++i) {
        ferry_t* h = nullptr;
        if (ferry_open(d.socket.c_str(), &h) == FERRY_OK) {
          handles.push_back(h);
          ++opened;
        }
      }
      all_open.arrive_and_wait();  // every session is open before any call
      for (std::size_t i = 0; i < handles.size(); ++i) {
        auto key = "session/" + std::to_string(t) + "/" + std::to_string(i);
        auto value = "value of " + key;
        if (ferry_put(handles[i], key.data(), key.size(), value.data(), value.size(), nullptr) != FERRY_OK) continue;
        ++put_ok;
        char buf[64];
        std::size_t len = 0;
        if (ferry_get(handles[i], key.data(), key.size(), buf, sizeof buf, &len, nullptr, nullptr) == FERRY_OK &&
            std::string(buf, len) == value)
          ++get_ok;
      }
      all_done.arrive_and_wait();  // still all open while the last calls run
      for (auto* h : handles) ferry_close(h);
    });
  for (auto& th : pool) th.join();
  CHECK(opened == threads * per_thread);
  CHECK(put_ok == threads * per_thread);
  CHECK(get_ok == threads * per_thread);

  // The sessions are gone; ferryd still takes new ones and routes their calls.
  check_serves(d.socket, "after/thousand");
  client after(d.socket);
  CHECK(after.get("session/7/124").second == "value of session/7/124");
}

TEST_CASE("ferryd answers 200 pipelined calls on one connection, each xid exactly once",
          "[ferryd][integration][pipelining]") {
  cluster cl(2, 2, 1);
  raw_peer peer(cl.ferryd.socket);

  constexpr std::uint32_t calls = 200, first_xid = 0x1000;
  std::vector<std::string> keys, values;
  for (std::uint32_t i = 0; i < calls; ++i) {
    keys.push_back("pipelined/" + std::to_string(i));
    values.push_back("value " + std::to_string(i));
  }
  bytes all;  // every call in one buffer, written before any reply is read
  for (std::uint32_t i = 0; i < calls; ++i) {
    pc::put_args args{xdr::as_bytes(keys[i]), xdr::as_bytes(values[i]), 10000, {}, 0};
    args.id[0] = static_cast<xdr::byte>(i);
    args.id[1] = static_cast<xdr::byte>(i >> 8);
    auto rec = encode_call(first_xid + i, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::put), args);
    all.insert(all.end(), rec.begin(), rec.end());
  }
  peer.write_all(all);

  std::map<std::uint32_t, int> answered;
  std::size_t ok = 0;
  for (std::uint32_t i = 0; i < calls; ++i) {
    auto rec = peer.read_record(20s);
    REQUIRE(rec);
    auto reply = xdr::rpc::decode_reply(*rec);
    REQUIRE(reply);
    ++answered[reply->xid];
    REQUIRE(reply->stat == xdr::rpc::reply_stat::accepted);
    REQUIRE(reply->accepted == xdr::rpc::accept_stat::success);
    auto res = xdr::decode<proto::write_res>(reply->results);
    REQUIRE(res);
    if (res->code == proto::status::ok) ++ok;
  }
  CHECK(ok == calls);
  REQUIRE(answered.size() == calls);
  CHECK(answered.begin()->first == first_xid);
  CHECK(answered.rbegin()->first == first_xid + calls - 1);
  for (auto& [xid, n] : answered) CHECK(n == 1);
  CHECK_FALSE(peer.read_record(200ms));  // nothing more: no duplicate answers

  client c(cl.ferryd.socket);
  CHECK(c.get(keys.front()).second == values.front());
  CHECK(c.get(keys.back()).second == values.back());
}
