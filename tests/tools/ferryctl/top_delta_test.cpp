// top's arithmetic: two cumulative snapshots become CPU% of one core and messages/s, busiest first.
#include <catch2/catch.hpp>

#include "canned.hpp"
#include "view.hpp"

using namespace ferry::ctl;
using ferry::ctl::test::canned_top;

TEST_CASE("top turns two snapshots into CPU percent and messages per second, busiest first", "[ferryctl][top]") {
  auto s = top_delta(canned_top(1), canned_top(2), "n1");
  CHECK(s.node == "n1");
  CHECK(s.interval_s == Approx(1.0));
  CHECK(s.process_pct == Approx(40.0));
  CHECK(s.attributed_pct == Approx(30.0));
  CHECK(s.runtime_pct == Approx(10.0));
  REQUIRE(s.rows.size() == 3);
  CHECK(s.rows[0].actor == "router");
  CHECK(s.rows[0].id == 7);
  CHECK(s.rows[0].cpu_pct == Approx(25.0));
  CHECK(s.rows[0].msgs_per_s == Approx(1000.0));
  CHECK(s.rows[0].mailbox == 3);
  CHECK(s.rows[0].mailbox_max == 17);
  CHECK(s.rows[1].actor == "event_log");
  CHECK(s.rows[1].cpu_pct == Approx(5.0));
  CHECK(s.rows[2].actor == "session");  // unchanged since snapshot 1: 0%
  CHECK(s.rows[2].cpu_pct == Approx(0.0));
  CHECK(s.cpu_pct_total == Approx(30.0));
  CHECK(s.msgs_per_s_total == Approx(1200.0));
}

TEST_CASE("top counts an actor born between the snapshots from zero", "[ferryctl][top]") {
  auto s = top_delta(canned_top(0), canned_top(1), "n1");
  REQUIRE(s.rows.size() == 3);
  CHECK(s.rows[2].actor == "session");
  CHECK(s.rows[2].cpu_pct == Approx(0.1));  // 1 ms over 1 s
  CHECK(s.rows[2].msgs_per_s == Approx(10.0));
}

TEST_CASE("top scales by the daemon's clock, not by the requested interval", "[ferryctl][top]") {
  auto before = canned_top(1);
  auto after = canned_top(2);
  after.taken_at_ns = before.taken_at_ns + 500'000'000;  // the same work in half a second
  auto s = top_delta(before, after, "n1");
  CHECK(s.rows[0].cpu_pct == Approx(50.0));
  CHECK(s.rows[0].msgs_per_s == Approx(2000.0));
}

TEST_CASE("top survives equal timestamps and counters that went backwards", "[ferryctl][top]") {
  auto s = top_delta(canned_top(2), canned_top(2), "n1");
  for (const auto& r : s.rows) CHECK(r.cpu_pct == 0.0);
  auto restarted = top_delta(canned_top(5), canned_top(1), "n1");  // the daemon restarted in between
  CHECK(restarted.rows[0].cpu_pct >= 0.0);
}

TEST_CASE("top orders ties by messages, then node, then id", "[ferryctl][top]") {
  std::vector<top_row> rows{{"b", 2, "x", 1.0, 5.0, 0, 0}, {"a", 3, "y", 1.0, 5.0, 0, 0}, {"a", 1, "z", 1.0, 9.0, 0, 0},
                            {"a", 4, "w", 3.0, 0.0, 0, 0}};
  sort_by_cpu(rows);
  CHECK(rows[0].id == 4);
  CHECK(rows[1].id == 1);
  CHECK(rows[2].id == 3);
  CHECK(rows[3].id == 2);
}

TEST_CASE("status totals sum the nodes that answered and count the others", "[ferryctl][cluster]") {
  std::vector<node_result<ferry::admin::node_status>> nodes(3);
  nodes[0].node = "a:1";
  nodes[0].reply = ferry::ctl::test::canned_status(5);
  nodes[1].node = "b:1";
  nodes[1].reply = ferry::ctl::test::canned_status(7);
  nodes[1].reply->draining = true;
  nodes[2].node = "c:1";
  nodes[2].why = failure::unreachable;
  nodes[2].error = "refused";
  auto t = total_status(nodes);
  CHECK(t.nodes == 3);
  CHECK(t.answered == 2);
  CHECK(t.sessions == 12);
  CHECK(t.calls_in_flight == 4);
  CHECK(t.requests == 2000);
  CHECK(t.servers == 6);
  CHECK(t.servers_connected == 4);
  CHECK(t.memory_budget_limit == 128u * 1024 * 1024);
  CHECK(t.draining == 1);
  CHECK(any_failed(nodes));
}

TEST_CASE("servers totals sum every row of every node", "[ferryctl][cluster]") {
  std::vector<node_result<ferry::admin::servers_reply>> nodes(2);
  nodes[0].reply = ferry::ctl::test::canned_servers();
  nodes[1].reply = ferry::ctl::test::canned_servers();
  auto t = total_servers(nodes);
  CHECK(t.servers == 4);
  CHECK(t.up == 2);
  CHECK(t.calls == 1600);
  CHECK(t.errors == 8);
  CHECK(t.connections == 8);
  CHECK(t.connections_up == 4);
  CHECK_FALSE(any_failed(nodes));
}
