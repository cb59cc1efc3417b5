// The text screens: units, the tree's connectors, the tables' columns and totals, failed nodes as rows.
#include <catch2/catch.hpp>
#include <sstream>

#include "canned.hpp"
#include "render_text.hpp"

using namespace ferry::ctl;
namespace canned = ferry::ctl::test;
using canned::answered;
using canned::unreachable;

namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("units are human: bytes in KiB and MiB, latency in µs and ms, durations", "[ferryctl][render]") {
  CHECK(bytes_text(0) == "0 B");
  CHECK(bytes_text(1023) == "1023 B");
  CHECK(bytes_text(1536) == "1.5 KiB");
  CHECK(bytes_text(3 * 1024 * 1024) == "3.0 MiB");
  CHECK(bytes_text(5ull << 30) == "5.0 GiB");
  CHECK(micros_text(850) == "850µs");
  CHECK(micros_text(1250) == "1.25ms");
  CHECK(micros_text(2'500'000) == "2.50s");
  CHECK(duration_text(850) == "850ms");
  CHECK(duration_text(12'000) == "12s");
  CHECK(duration_text(307'000) == "5m07s");
  CHECK(duration_text(3'723'000) == "1h02m");
  CHECK(duration_text(273'600'000) == "3d04h");
  CHECK(percent_text(12.345) == "12.3");
  CHECK(rate_text(0.5) == "0.5");
  CHECK(rate_text(12345.4) == "12345");
}

TEST_CASE("tree draws each child under its supervisor with status and restarts", "[ferryctl][render]") {
  CHECK(render_tree(canned::canned_tree()) == canned::canned_tree_text);
}

TEST_CASE("tree names each node when several answer, and the failed ones", "[ferryctl][render]") {
  std::vector<node_result<ferry::admin::tree_reply>> nodes{answered("a:1", canned::canned_tree()),
                                                            unreachable<ferry::admin::tree_reply>("b:2")};
  auto text = render_trees(nodes);
  CHECK(text.rfind("a:1\nferryd  supervisor", 0) == 0);
  CHECK(has(text, "\nb:2 unreachable\n"));
}

TEST_CASE("status has one row a node, failed nodes as such, and totals for a cluster", "[ferryctl][render]") {
  std::vector<node_result<ferry::admin::node_status>> nodes{answered("a:1", canned::canned_status(5)),
                                                            answered("b:2", canned::canned_status(7)),
                                                            unreachable<ferry::admin::node_status>("c:3")};
  auto l = lines(render_status(nodes));
  REQUIRE(l.size() == 5);
  CHECK(l[0].rfind("NODE   STATE        VERSION      PID  UPTIME  SESSIONS", 0) == 0);
  CHECK(has(l[1], "a:1    serving      0.1.0-fake  4242   1h02m         5          2      1000"));
  CHECK(has(l[1], "2/3   3.0 MiB/64.0 MiB  1.50s"));
  CHECK(has(l[1], "/run/ferry/ferryd.sock  127.0.0.1:7350"));
  CHECK(l[3] == "c:3    unreachable");
  CHECK(l[4].rfind("TOTAL", 0) == 0);
  CHECK(has(l[4], "2/3 up"));
  CHECK(has(l[4], "12          4      2000"));  // sessions, in flight, requests
  CHECK(has(l[4], "4/6  6.0 MiB/128.0 MiB"));
}

TEST_CASE("a single node's status has no totals row", "[ferryctl][render]") {
  auto l = lines(render_status({answered("a:1", canned::canned_status(5))}));
  CHECK(l.size() == 2);
}

TEST_CASE("top shows the CPU split, the columns, and per-node totals", "[ferryctl][render]") {
  node_result<top_screen> n = answered("a:1", top_delta(canned::canned_top(1), canned::canned_top(2), "a:1"));
  auto l = lines(render_top({n}, 0));
  REQUIRE(l.size() == 7);
  CHECK(l[0] == "a:1  cpu 40.0% of one core: attributed 30.0%, runtime 10.0% (over 1.00s, 3 actors)");
  CHECK(l[1].empty());
  CHECK(l[2] == "ID  ACTOR      CPU%  MSGS/s  MBOX  MBOX_MAX");
  CHECK(l[3] == " 7  router     25.0    1000     3        17");
  CHECK(l[4] == " 9  event_log   5.0   200.0     0         4");
  CHECK(l[5] == "31  session     0.0     0.0     1         1");
  CHECK(l[6] == "    TOTAL      30.0    1200");
}

TEST_CASE("top across nodes tags rows with their node and keeps the limit", "[ferryctl][render]") {
  auto a = top_delta(canned::canned_top(1), canned::canned_top(2), "a:1");
  auto b = top_delta(canned::canned_top(2), canned::canned_top(4), "b:2");  // b's snapshots 2 s apart: same rates
  std::vector<node_result<top_screen>> nodes{answered("a:1", a), answered("b:2", b),
                                             unreachable<top_screen>("c:3")};
  auto l = lines(render_top(nodes, 2));
  CHECK(l[2] == "c:3  unreachable");
  CHECK(l[4] == "NODE  ID  ACTOR   CPU%  MSGS/s  MBOX  MBOX_MAX");
  CHECK(l[5] == "a:1    7  router  25.0    1000     3        17");
  CHECK(l[6] == "b:2    7  router  25.0    1000     3        17");
  CHECK(l[7] == "a:1       TOTAL   30.0    1200");
  CHECK(l[8] == "b:2       TOTAL   30.0    1200");
}

TEST_CASE("servers lists every node's servers with latency and a total", "[ferryctl][render]") {
  std::vector<node_result<ferry::admin::servers_reply>> nodes{answered("a:1", canned::canned_servers()),
                                                              unreachable<ferry::admin::servers_reply>("c:3")};
  auto l = lines(render_servers(nodes));
  REQUIRE(l.size() == 5);
  CHECK(has(l[1], "a:1    127.0.0.1:7001  up"));
  CHECK(has(l[1], "120µs  300µs   900µs  2.50ms  4.00ms"));
  CHECK(has(l[2], "1.50s"));
  CHECK(has(l[3], "c:3    -               unreachable"));
  CHECK(has(l[4], "TOTAL  2 servers       1 up"));
}

TEST_CASE("sessions show peers, bytes in units and a total", "[ferryctl][render]") {
  auto l = lines(render_sessions({answered("a:1", canned::canned_sessions())}));
  REQUIRE(l.size() == 3);
  CHECK(has(l[1], "unix"));
  CHECK(has(l[1], "1m05s"));
  CHECK(has(l[1], "2.0 KiB  4.0 MiB"));
  CHECK(has(l[2], "1 sessions"));
}

TEST_CASE("drain, reload and log-level say what each node did", "[ferryctl][render]") {
  CHECK(render_drain({answered("a:1", ferry::admin::drain_reply{3, 1})}) ==
        "a:1 draining: 3 sessions, 1 calls in flight\n");
  CHECK(render_reload({answered("a:1", ferry::admin::reload_reply{true, "log level", "listen"})}) ==
        "a:1 reload applied: log level\na:1 needs restart: listen\n");
  CHECK(render_log_level({answered("a:1", ferry::admin::log_level_reply{"info", "debug"})}) ==
        "a:1 log level debug (was info)\n");
  CHECK(render_log_level({unreachable<ferry::admin::log_level_reply>("b:2")}) == "b:2 unreachable\n");
}
