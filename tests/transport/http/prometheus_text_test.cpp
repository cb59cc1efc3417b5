// The Prometheus text checker of tests/support: what it accepts, each kind of mistake it reports with
// its line, and what actors/metering renders (including names that need escapes) passes it.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "actors/metering/prometheus.hpp"
#include "prometheus_text.hpp"

using ferry::test::parse_prometheus_text;
using ferry::test::prom_type;

TEST_CASE("a well-formed exposition parses into families and samples", "[prometheus_text]") {
  const std::string text =
      "# A free comment, ignored.\n"
      "# HELP http_requests_total Requests \\\\ served,\\nby code.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{code=\"200\",path=\"/a \\\"b\\\" \\\\ c\\nd\"} 1027 1395066363000\n"
      "http_requests_total{ code = \"400\" , } 3\n"
      "\n"
      "# TYPE temperature gauge\n"
      "temperature -3.5e2\n"
      "temperature{room=\"x\"} NaN\n"
      "temperature{room=\"y\"} +Inf\n"
      "temperature{room=\"z\"}-Inf\n"
      "\t untyped_thing:with_colon{} .5  \n"
      "# HELP latency_seconds A histogram.\n"
      "# TYPE latency_seconds histogram\n"
      "latency_seconds_bucket{le=\"0.05\"} 24054\n"
      "latency_seconds_bucket{le=\"0.1\"} 33444\n"
      "latency_seconds_bucket{le=\"+Inf\"} 144320\n"
      "latency_seconds_sum 53423\n"
      "latency_seconds_count 144320\n"
      "# TYPE rpc_seconds summary\n"
      "rpc_seconds{quantile=\"0.5\"} 4773\n"
      "rpc_seconds{quantile=\"0.99\"} 76656\n"
      "rpc_seconds_sum 1.7560473e+07\n"
      "rpc_seconds_count 2693\n";
  const auto e = parse_prometheus_text(text);
  INFO(e.describe_errors());
  REQUIRE(e.ok());
  REQUIRE(e.families.size() == 5);

  const auto* requests = e.family("http_requests_total");
  REQUIRE(requests);
  CHECK(requests->type == prom_type::counter);
  CHECK(requests->help == "Requests \\ served,\nby code.");
  REQUIRE(requests->samples.size() == 2);
  const auto* first = e.sample("http_requests_total", {{"path", "/a \"b\" \\ c\nd"}, {"code", "200"}});
  REQUIRE(first);
  CHECK(first->value == 1027);
  CHECK(first->timestamp_ms == 1395066363000);
  CHECK(first->line == 4);

  CHECK(e.sample("temperature")->value == -350);
  CHECK(std::isnan(e.sample("temperature", {{"room", "x"}})->value));
  CHECK(e.sample("temperature", {{"room", "y"}})->value == INFINITY);
  CHECK(e.sample("temperature", {{"room", "z"}})->value == -INFINITY);

  const auto* untyped = e.family("untyped_thing:with_colon");
  REQUIRE(untyped);
  CHECK_FALSE(untyped->typed);
  CHECK(untyped->samples.front().value == 0.5);

  const auto* histogram = e.family("latency_seconds");
  REQUIRE(histogram);
  CHECK(histogram->type == prom_type::histogram);
  CHECK(histogram->samples.size() == 5);
  CHECK(e.family("rpc_seconds")->samples.size() == 4);
  CHECK(e.family("latency_seconds_bucket") == nullptr);
}

TEST_CASE("an empty exposition is valid", "[prometheus_text]") { CHECK(parse_prometheus_text("").ok()); }

TEST_CASE("each kind of mistake is reported with its line number", "[prometheus_text]") {
  struct bad_case {
    const char* text;
    std::size_t line;
    const char* reason;  // a part of the message
  };
  const bad_case cases[] = {
      // grammar
      {"a 1\nb 2", 2, "does not end with a line feed"},
      {"a 1\r\n", 1, "carriage return"},
      {"a 1\n9metric 1\n", 2, "invalid metric name \"9metric\""},
      {"a 1\nmetric-name 1\n", 2, "unexpected character after metric"},
      {"a{1abel=\"x\"} 1\n", 1, "invalid label name"},
      {"a{__name__=\"x\"} 1\n", 1, "reserved label name"},
      {"a{b=\"x\",b=\"y\"} 1\n", 1, "label \"b\" given twice"},
      {"a{b=x} 1\n", 1, "expected '\"'"},
      {"a{b=\"x\" c=\"y\"} 1\n", 1, "expected ',' or '}'"},
      {"a{b=\"x} 1\n", 1, "unterminated value"},
      {"a{b=\"x\\ty\"} 1\n", 1, "invalid escape sequence \\t"},
      {"a{b\"x\"} 1\n", 1, "expected '='"},
      {"x 1\na\n", 2, "missing value"},
      {"a one\n", 1, "invalid value \"one\""},
      {"a inf\n", 1, "invalid value \"inf\""},
      {"a 1e\n", 1, "invalid value \"1e\""},
      {"a 0x10\n", 1, "invalid value \"0x10\""},
      {"a 1 12.5\n", 1, "invalid timestamp"},
      {"a 1 12 extra\n", 1, "unexpected text after the timestamp"},
      {"# HELP a bad \\\" escape\n", 1, "invalid escape sequence \\\" in HELP"},
      {"# HELP a trailing \\\n", 1, "backslash at the end"},
      {"# HELP\n", 1, "HELP without a metric name"},
      {"# TYPE a-b counter\n", 1, "invalid metric name \"a-b\" in TYPE"},
      {"# TYPE a countr\n", 1, "unknown type \"countr\""},
      {"# TYPE a counter extra\n", 1, "unexpected text after the type"},
      // structure
      {"# TYPE a counter\n# TYPE a counter\na 1\n", 2, "second TYPE for a (first at line 1)"},
      {"# HELP a x\n# HELP a y\n", 2, "second HELP for a (first at line 1)"},
      {"a 1\n# TYPE a gauge\n", 2, "TYPE for a after its samples (first at line 1)"},
      {"h_bucket{le=\"+Inf\"} 1\n# TYPE h histogram\n", 2, "TYPE for h after its samples"},
      {"a{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n", 3, "lines of a are not together (the family starts at line 1)"},
      {"# HELP a x\nb 1\n# TYPE a gauge\n", 3, "lines of a are not together"},
      {"a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", 2, "duplicate series a{x=\"1\",y=\"2\"} (first at line 1)"},
      {"a 1\na 1\n", 2, "duplicate series a (first at line 1)"},
      // values by type
      {"# TYPE c counter\nc -1\n", 2, "counter c is negative or NaN"},
      {"# TYPE c counter\nc NaN\n", 2, "counter c is negative or NaN"},
      {"# TYPE h histogram\nh_bucket 1\n", 2, "has no le label"},
      {"# TYPE h histogram\nh_bucket{le=\"big\"} 1\n", 2, "is not a number"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 2\n", 3, "does not end with an le=\"+Inf\" bucket"},
      {"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n", 3, "does not increase"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\n", 3, "bucket counts of histogram h decrease"},
      {"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 4\nh_count 5\n", 3, "h_count of h differs from its +Inf bucket"},
      {"# TYPE h histogram\nh 4\n", 2, "without _bucket, _sum or _count"},
      {"# TYPE h histogram\nh_sum{le=\"1\"} 4\n", 2, "has an le label"},
      {"# TYPE s summary\ns 1\n", 2, "has no quantile label"},
      {"# TYPE s summary\ns{quantile=\"1.5\"} 1\n", 2, "is not in [0, 1]"},
      {"# TYPE s summary\ns_count{quantile=\"0.5\"} 1\n", 2, "has a quantile label"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto e = parse_prometheus_text(c.text);
    INFO(e.describe_errors());
    REQUIRE_FALSE(e.ok());
    CHECK(e.errors.front().line == c.line);
    CHECK_THAT(e.errors.front().reason, Catch::Contains(c.reason));
  }
}

TEST_CASE("several mistakes are all reported, in line order", "[prometheus_text]") {
  const auto e = parse_prometheus_text("a 1\n# TYPE c counter\nc -2\na{x=\"2\"} 2\nbad{ 1\n");
  REQUIRE(e.errors.size() == 3);
  CHECK(e.errors[0].line == 3);
  CHECK(e.errors[1].line == 4);
  CHECK(e.errors[2].line == 5);
}

TEST_CASE("what metering renders passes the checker, escapes included", "[prometheus_text]") {
  using namespace ferry::metering;
  meter_snapshot s;
  actor_name_meters router;
  router.actor = "router";
  router.instances = 1;
  router.messages = 42;
  router.cpu_ns = 1'250'000'000;
  router.wall_ns = 3'000'000'007;
  router.mailbox_depth = 2;
  router.mailbox_depth_max = 17;
  router.types = {{"atom:ping", 40, 1'000, 2'000}, {"response:@i32", 2, 0, 5}};
  actor_name_meters odd;
  odd.actor = "we\"ird\\name\nwith newline";
  odd.restarts = 3;
  odd.types = {{"type \"quoted\" \\ slashed", 1, 2, 3}};
  actor_name_meters empty;
  empty.actor = "session";
  s.actors = {router, odd, empty};
  s.instances = {{7, "router", 42, 1'250'000'000, 3'000'000'007, 9, 2, 17}};
  s.cpu = {5'000'000'000, 1'250'000'000, 3'750'000'000};

  const auto text = render_prometheus(s);
  const auto e = parse_prometheus_text(text);
  INFO(text);
  INFO(e.describe_errors());
  REQUIRE(e.ok());

  const auto* messages = e.family("ferry_actor_messages_total");
  REQUIRE(messages);
  CHECK(messages->type == prom_type::counter);
  CHECK(messages->help == "Messages handled by actors of this name.");
  CHECK(messages->samples.size() == 3);
  CHECK(e.sample("ferry_actor_messages_total", {{"actor", "router"}})->value == 42);
  CHECK(e.sample("ferry_actor_restarts_total", {{"actor", "we\"ird\\name\nwith newline"}})->value == 3);
  CHECK(e.sample("ferry_actor_message_type_messages_total",
                 {{"actor", "we\"ird\\name\nwith newline"}, {"type", "type \"quoted\" \\ slashed"}}));
  CHECK(e.sample("ferry_actor_cpu_seconds_total", {{"actor", "router"}})->value == Approx(1.25));
  CHECK(e.family("ferry_actor_mailbox_depth")->type == prom_type::gauge);
  CHECK(e.sample("ferry_process_cpu_seconds_total")->value == Approx(5.0));
  for (const auto& f : e.families) {
    INFO(f.name);
    CHECK(f.typed);
    CHECK(f.help);
  }
}

TEST_CASE("an empty snapshot renders valid text too", "[prometheus_text]") {
  const auto e = parse_prometheus_text(ferry::metering::render_prometheus({}));
  INFO(e.describe_errors());
  CHECK(e.ok());
}
