// ferry-bench against a real ferry-store on loopback: the load loop in this process (so sanitizers see it)
// and the binary with its CSV output, each bounded by --ops.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "load.hpp"
#include "options.hpp"
#include "report.hpp"
#include "store_process.hpp"

using namespace ferry::bench;

namespace {
options store_options(const ferry::test::store_process& store) {
  options o;
  REQUIRE(parse_target("tcp:" + store.address(), o.where));
  o.protocol = wire_protocol::store;
  o.seconds = 20;
  o.drain_seconds = 10;
  return o;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) out.push_back(cell);
  return out;
}
}  // namespace

TEST_CASE("a closed loop of 200 small operations against a store completes without errors", "[ferry-bench][e2e]") {
  auto store = ferry::test::start_store(FERRY_STORE_BIN);
  auto o = store_options(store);
  o.connections = 4;
  o.depth = 4;
  o.ops = 200;
  o.keys = 64;
  auto r = run_load(o);
  CHECK(r.ok == 200);
  CHECK(r.error_count() == 0);
  CHECK(r.latency.count() == 200);
  CHECK(r.bytes > 0);
  auto s = summarize(r);
  CHECK(s.p50_us > 0);
  CHECK(s.p50_us <= s.p99_us);
  CHECK(s.p99_us <= s.max_us);
}

TEST_CASE("values above the chunk size go as chunked uploads and succeed", "[ferry-bench][e2e]") {
  auto store = ferry::test::start_store(FERRY_STORE_BIN);
  auto o = store_options(store);
  o.connections = 2;
  o.depth = 2;
  o.ops = 8;
  o.keys = 4;
  o.get_ratio = 0.5;
  o.sizes = value_sizes(300 * 1024);
  o.chunk_size = 128 * 1024;
  auto r = run_load(o);
  CHECK(r.ok == 8);
  CHECK(r.error_count() == 0);
  CHECK(r.bytes == 8u * 300 * 1024);
}

TEST_CASE("an open loop keeps its rate and counts every call", "[ferry-bench][e2e]") {
  auto store = ferry::test::start_store(FERRY_STORE_BIN);
  auto o = store_options(store);
  o.mode = loop_mode::open;
  o.connections = 2;
  o.depth = 8;
  o.rate = 2000;
  o.ops = 200;
  o.get_ratio = 0;
  auto r = run_load(o);
  CHECK(r.ok == 200);
  CHECK(r.error_count() == 0);
  // 200 calls at 2000/s take about 0.1 s; a generous bound catches a loop that ignores the schedule.
  CHECK(r.elapsed_seconds > 0.08);
  CHECK(r.elapsed_seconds < 5);
}

TEST_CASE("a connection refused is reported as an error, not dropped", "[ferry-bench][e2e]") {
  options o;
  REQUIRE(parse_target("unix:/nonexistent/ferry-bench-test.sock", o.where));
  o.ops = 10;
  auto r = run_load(o);
  CHECK(r.ok == 0);
  CHECK(r.error_count() >= 1);
  CHECK(r.prefill_errors >= 1);
}

TEST_CASE("the ferry-bench binary runs --ops 200 against a store and prints the count in CSV", "[ferry-bench][e2e]") {
  auto store = ferry::test::start_store(FERRY_STORE_BIN);
  ferry::test::child_process bench(FERRY_BENCH_BIN, {"--target", "tcp:" + store.address(), "--protocol", "store",
                                                     "--connections", "2", "--depth", "4", "--ops", "200",
                                                     "--seconds", "20", "--csv"});
  auto header = bench.read_line(std::chrono::seconds(30));
  auto row = bench.read_line(std::chrono::seconds(30));
  REQUIRE(header);
  REQUIRE(row);
  auto names = split(*header), values = split(*row);
  REQUIRE(names.size() == values.size());
  std::string ops, errors;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "ops") ops = values[i];
    if (names[i] == "errors") errors = values[i];
  }
  CHECK(ops == "200");
  CHECK(errors == "0");
  auto status = bench.wait(std::chrono::seconds(30));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
