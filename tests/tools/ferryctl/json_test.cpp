// --json documents parse back with Boost.JSON and carry the replies' fields, failures and totals.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "canned.hpp"
#include "render_json.hpp"

using namespace ferry::ctl;
namespace canned = ferry::ctl::test;
using canned::answered;
using canned::unreachable;
namespace json = boost::json;

namespace {

json::object parse_line(const std::string& text) {
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  CHECK(text.find('\n') == text.size() - 1);  // one document, one line
  return json::parse(text).as_object();
}

}  // namespace

TEST_CASE("status JSON has each node's fields, the failure, and totals", "[ferryctl][json]") {
  auto d = parse_line(json_status({answered("a:1", canned::canned_status(5)), answered("b:2", canned::canned_status(7)),
                                   unreachable<ferry::admin::node_status>("c:3")}));
  CHECK(d.at("command") == "status");
  auto& nodes = d.at("nodes").as_array();
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0].at("node") == "a:1");
  CHECK(nodes[0].at("ok") == true);
  CHECK(nodes[0].at("status").at("sessions").to_number<int>() == 5);
  CHECK(nodes[0].at("status").at("version") == "0.1.0-fake");
  CHECK(nodes[0].at("status").at("cpu").at("process_ns").to_number<std::uint64_t>() == 1'500'000'000u);
  CHECK(nodes[2].at("ok") == false);
  CHECK(nodes[2].at("failure") == "unreachable");
  CHECK(nodes[2].at("error") == "cannot connect");
  CHECK(d.at("totals").at("sessions").to_number<int>() == 12);
  CHECK(d.at("totals").at("answered").to_number<int>() == 2);
  CHECK(d.at("totals").at("nodes").to_number<int>() == 3);
}

TEST_CASE("tree JSON lists the nodes depth-first with every field", "[ferryctl][json]") {
  auto d = parse_line(json_tree({answered("a:1", canned::canned_tree())}));
  auto& tree = d.at("nodes").as_array()[0].at("tree").as_array();
  REQUIRE(tree.size() == 8);
  CHECK(tree[0].at("id") == "ferryd");
  CHECK(tree[0].at("strategy") == "one_for_all");
  CHECK(tree[7].at("depth").to_number<int>() == 3);
  CHECK(tree[7].at("status") == "restarting");
  CHECK(tree[7].at("restarts").to_number<int>() == 5);
}

TEST_CASE("top JSON carries rates, the CPU split and totals", "[ferryctl][json]") {
  auto s = top_delta(canned::canned_top(1), canned::canned_top(2), "a:1");
  auto d = parse_line(json_top({answered("a:1", s)}, 2));
  auto& n = d.at("nodes").as_array()[0].as_object();
  CHECK(n.at("cpu").at("process_pct").to_number<double>() == Approx(40.0));
  auto& actors = n.at("actors").as_array();
  REQUIRE(actors.size() == 2);  // the limit
  CHECK(actors[0].at("actor") == "router");
  CHECK(actors[0].at("cpu_pct").to_number<double>() == Approx(25.0));
  CHECK(actors[0].at("msgs_per_s").to_number<double>() == Approx(1000.0));
  CHECK(actors[0].at("mailbox_max").to_number<int>() == 17);
  CHECK(n.at("totals").at("actors").to_number<int>() == 3);
  CHECK(d.at("totals").at("cpu_pct").to_number<double>() == Approx(30.0));
}

TEST_CASE("servers and sessions JSON keep the rows and sum them", "[ferryctl][json]") {
  auto d = parse_line(json_servers({answered("a:1", canned::canned_servers()), answered("b:2", canned::canned_servers())}));
  CHECK(d.at("nodes").as_array()[1].at("servers").as_array()[1].at("max_us").to_number<int>() == 1'500'000);
  CHECK(d.at("totals").at("servers").to_number<int>() == 4);
  CHECK(d.at("totals").at("calls").to_number<int>() == 1600);
  auto e = parse_line(json_sessions({answered("a:1", canned::canned_sessions())}));
  CHECK(e.at("nodes").as_array()[0].at("sessions").as_array()[0].at("transport") == "unix");
  CHECK(e.at("totals").at("bytes_out").to_number<int>() == 4 * 1024 * 1024);
}

TEST_CASE("drain, reload and log-level JSON report each node", "[ferryctl][json]") {
  auto d = parse_line(json_reload({answered("a:1", ferry::admin::reload_reply{false, "bad key", ""})}));
  CHECK(d.at("nodes").as_array()[0].at("applied_ok") == false);
  auto l = parse_line(json_log_level({answered("a:1", ferry::admin::log_level_reply{"info", "warn"})}));
  CHECK(l.at("nodes").as_array()[0].at("current") == "warn");
  auto r = parse_line(json_drain({unreachable<ferry::admin::drain_reply>("a:1")}));
  CHECK(r.at("nodes").as_array()[0].at("ok") == false);
}
