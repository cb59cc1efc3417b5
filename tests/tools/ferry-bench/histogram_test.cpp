// latency_histogram: bucket arithmetic and nearest-rank quantiles, on fixed inputs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "histogram.hpp"

using ferry::bench::latency_histogram;

TEST_CASE("every value falls in a bucket whose bounds hold it within 1/64", "[ferry-bench][histogram]") {
  std::vector<std::uint64_t> samples{0, 1, 127, 128, 129, 255, 256, 1000, 4095, 4096, 65537, 1'000'000,
                                     123'456'789, std::uint64_t{1} << 40, ~std::uint64_t{0}};
  for (std::uint64_t v : samples) {
    INFO("value " << v);
    auto i = latency_histogram::index_of(v);
    REQUIRE(i < latency_histogram::bucket_count);
    CHECK(latency_histogram::lowest_in(i) <= v);
    CHECK(latency_histogram::highest_in(i) >= v);
    CHECK(latency_histogram::highest_in(i) - latency_histogram::lowest_in(i) <= v / 64);
  }
}

TEST_CASE("buckets are contiguous and ordered", "[ferry-bench][histogram]") {
  for (std::size_t i = 0; i + 1 < latency_histogram::bucket_count; ++i) {
    INFO("bucket " << i);
    REQUIRE(latency_histogram::highest_in(i) + 1 == latency_histogram::lowest_in(i + 1));
    REQUIRE(latency_histogram::index_of(latency_histogram::lowest_in(i)) == i);
  }
}

TEST_CASE("values below 128 ns are exact and so are their quantiles", "[ferry-bench][histogram]") {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  CHECK(h.count() == 100);
  CHECK(h.quantile(0.50) == 50);
  CHECK(h.quantile(0.90) == 90);
  CHECK(h.quantile(0.99) == 99);
  CHECK(h.quantile(0.999) == 100);
  CHECK(h.quantile(1.0) == 100);
  CHECK(h.quantile(0.0) == 1);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100);
}

TEST_CASE("quantiles of 1..10000 us are within 1/64 of the nearest rank", "[ferry-bench][histogram]") {
  latency_histogram h;
  for (std::uint64_t us = 1; us <= 10000; ++us) h.record(us * 1000);
  struct row { double q; double exact_ns; };
  for (auto [q, exact] : std::vector<row>{{0.5, 5'000'000}, {0.9, 9'000'000}, {0.99, 9'900'000}, {0.999, 9'990'000}}) {
    INFO("quantile " << q);
    auto got = static_cast<double>(h.quantile(q));
    CHECK(got >= exact);
    CHECK(got <= exact * (1.0 + 1.0 / 64));
  }
  CHECK(h.quantile(1.0) == 10'000'000);  // clamped to the exact maximum
  CHECK(h.max() == 10'000'000);
}

TEST_CASE("one outlier among many shows at p99.9 and max but not at p99", "[ferry-bench][histogram]") {
  latency_histogram h;
  for (int i = 0; i < 999; ++i) h.record(20'000);
  h.record(5'000'000);
  CHECK(h.quantile(0.99) <= 20'000 * 65 / 64);
  CHECK(h.quantile(0.999) <= 20'000 * 65 / 64);  // rank 999 of 1000 is still a fast one
  CHECK(h.quantile(0.9999) == 5'000'000);
  CHECK(h.max() == 5'000'000);
}

TEST_CASE("an empty histogram reports zeros", "[ferry-bench][histogram]") {
  latency_histogram h;
  CHECK(h.count() == 0);
  CHECK(h.quantile(0.5) == 0);
  CHECK(h.max() == 0);
  CHECK(h.min() == 0);
}

TEST_CASE("merging histograms equals recording everything in one", "[ferry-bench][histogram]") {
  latency_histogram a, b, all;
  for (std::uint64_t v = 1; v < 5000; v += 7) {
    (v % 2 ? a : b).record(v * 311);
    all.record(v * 311);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.max() == all.max());
  CHECK(a.min() == all.min());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) CHECK(a.quantile(q) == all.quantile(q));
}
