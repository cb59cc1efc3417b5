// The data-loss checker's judge, table-driven: what a key may read back as given its history.
#include <catch2/catch.hpp>

#include "workload.hpp"

namespace ferry::chaos {

namespace {
observed absent() { return {}; }
observed value(std::uint64_t seq) { return {true, seq, true}; }
write_op put(std::uint64_t seq) { return {seq, false}; }
write_op del(std::uint64_t seq) { return {seq, true}; }
}  // namespace

TEST_CASE("the judge accepts the last acknowledged write or a later attempt and flags older states",
          "[chaos][judge]") {
  struct row {
    const char* what;
    key_history history;
    observed seen;
    verdict expected;
  };
  const std::vector<row> rows{
      {"never written, absent", {}, absent(), verdict::ok},
      {"never acknowledged, an attempted put landed", {std::nullopt, {put(3)}}, value(3), verdict::ok},
      {"never acknowledged, a value nobody wrote", {std::nullopt, {put(3)}}, value(4), verdict::corrupt},
      {"acknowledged put reads back", {put(5), {}}, value(5), verdict::ok},
      {"acknowledged put, an older value", {put(5), {}}, value(4), verdict::lost},
      {"acknowledged put, absent", {put(5), {}}, absent(), verdict::lost},
      {"acknowledged put, a later unacknowledged put landed", {put(5), {put(6)}}, value(6), verdict::ok},
      {"acknowledged put, a later unacknowledged delete landed", {put(5), {del(6)}}, absent(), verdict::ok},
      {"acknowledged delete, absent", {del(7), {}}, absent(), verdict::ok},
      {"acknowledged delete, the value it deleted", {del(7), {}}, value(6), verdict::lost},
      {"acknowledged delete, a later unacknowledged put landed", {del(7), {put(8)}}, value(8), verdict::ok},
      {"a value from the future", {put(5), {}}, value(9), verdict::corrupt},
      {"bytes that do not match their seq", {put(5), {}}, observed{true, 5, false}, verdict::corrupt},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(judge(r.history, r.seen) == r.expected);
  }
}

TEST_CASE("a value names its key and write and parses back, and foreign bytes do not", "[chaos][judge]") {
  const auto key = key_name(2, 17);
  const auto v = value_for(key, 1234);
  auto o = parse_value(key, v);
  CHECK(o.found);
  CHECK(o.well_formed);
  CHECK(o.seq == 1234);
  CHECK_FALSE(parse_value(key, v + "x").well_formed);
  CHECK_FALSE(parse_value(key_name(2, 18), v).well_formed);
  CHECK_FALSE(parse_value(key, "garbage").well_formed);
  CHECK(value_for(key, 1) != value_for(key, 2));
}

}  // namespace ferry::chaos
