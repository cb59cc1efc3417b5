// latency_histogram: bucket boundaries, quantiles against a sorted reference, merge.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "actors/metering/latency_histogram.hpp"

using ferry::metering::latency_histogram;

TEST_CASE("every value lies in its bucket, whose upper bound is at most 12.5 % above it", "[metering][histogram]") {
  for (std::uint64_t v : {0ull, 1ull, 7ull, 8ull, 9ull, 15ull, 16ull, 17ull, 18ull, 100ull, 1000ull, 123456ull,
                          (1ull << 36) - 1}) {
    auto b = latency_histogram::bucket_of(v);
    CHECK(latency_histogram::upper_bound_of(b) >= v);
    if (b > 0) CHECK(latency_histogram::upper_bound_of(b - 1) < v);
    CHECK(static_cast<double>(latency_histogram::upper_bound_of(b)) <= static_cast<double>(v) * 1.125 + 1);
  }
  // Buckets are contiguous and increasing.
  for (std::size_t b = 1; b < latency_histogram::buckets; ++b)
    CHECK(latency_histogram::upper_bound_of(b) > latency_histogram::upper_bound_of(b - 1));
  // Beyond the range: the last bucket.
  CHECK(latency_histogram::bucket_of(~0ull) == latency_histogram::buckets - 1);
}

TEST_CASE("quantiles are within one bucket of the exact order statistic", "[metering][histogram]") {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(5.0, 1.2);  // a latency-like spread around 150 µs
  std::vector<std::uint64_t> values;
  latency_histogram h;
  for (int i = 0; i < 20000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record_us(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    auto exact = values[static_cast<std::size_t>(q * static_cast<double>(values.size())) - 1];
    auto got = h.quantile_us(q);
    CHECK(got >= exact);
    CHECK(static_cast<double>(got) <= static_cast<double>(exact) * 1.125 + 1);
  }
  CHECK(h.quantile_us(1.0) == values.back());
  CHECK(h.max_us() == values.back());
  CHECK(h.count() == values.size());
}

TEST_CASE("merging two histograms equals recording everything into one", "[metering][histogram]") {
  latency_histogram a, b, both;
  for (std::uint64_t v = 0; v < 5000; v += 7) {
    (v % 2 ? a : b).record_us(v);
    both.record_us(v);
  }
  a.merge(b);
  CHECK(a.counts() == both.counts());
  CHECK(a.count() == both.count());
  CHECK(a.sum_us() == both.sum_us());
  CHECK(a.quantile_us(0.99) == both.quantile_us(0.99));
  CHECK(latency_histogram{}.quantile_us(0.5) == 0);
}
