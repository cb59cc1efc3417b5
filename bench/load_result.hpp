// What one closed-loop load thread measured, how threads' results add up, and the one result line every
// ferry load generator prints (bench/run-ferryd's awk reads its key=value fields).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_wire.hpp"  // percentile

namespace ferry::bench {

struct load_result {
  using clock_type = std::chrono::steady_clock;
  std::uint64_t ops = 0;
  std::uint64_t errors = 0;
  std::vector<double> latencies_us;
  std::string first_error;
  clock_type::time_point finished{};

  /// Adds another thread's (or connection's) result: counts summed, the last finish kept.
  void add(const load_result& r) {
    ops += r.ops;
    errors += r.errors;
    if (first_error.empty()) first_error = r.first_error;
    finished = std::max(finished, r.finished);
    latencies_us.insert(latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
};

/// Prints `arm= op= c= d= ops= seconds= ops_per_s= p50_us= p99_us= p999_us= errors=` (and the first error).
/// The exit status for the run: 0 without errors.
inline int print_result_line(std::string_view arm, std::string_view op, unsigned c, unsigned d, load_result& all,
                             load_result::clock_type::time_point started) {
  const double elapsed = std::chrono::duration<double>(all.finished - started).count();
  const auto p50 = percentile(all.latencies_us, 0.50), p99 = percentile(all.latencies_us, 0.99),
             p999 = percentile(all.latencies_us, 0.999);
  fmt::print("arm={} op={} c={} d={} ops={} seconds={:.2f} ops_per_s={:.0f} p50_us={:.1f} p99_us={:.1f} "
             "p999_us={:.1f} errors={}\n",
             arm, op, c, d, all.ops, elapsed, elapsed > 0 ? static_cast<double>(all.ops) / elapsed : 0.0, p50, p99,
             p999, all.errors);
  if (all.errors != 0) fmt::print("first error: {}\n", all.first_error);
  return all.errors == 0 ? 0 : 1;
}

}  // namespace ferry::bench
