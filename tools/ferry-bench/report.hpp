// How ferry-bench prints a run: one key=value line (default), CSV (header + row) or JSON, all carrying
// the same fields; errors by status are always listed, never folded away.
#pragma once

#include <string>

#include "load.hpp"
#include "options.hpp"

namespace ferry::bench {

enum class output_format { text, csv, json };

/// The numbers a report shows, computed once from a load_result.
struct summary {
  std::uint64_t ops = 0, errors = 0;
  double seconds = 0, ops_per_s = 0, bytes_per_s = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  double client_cpu_us_per_op = 0;
};
summary summarize(const load_result& r);

std::string format_report(const options& o, const load_result& r, output_format f);

/// The value sizes as given back in text ("100" or "100:90;4096:10"): commas would break the CSV.
std::string describe_sizes(const value_sizes& s);

}  // namespace ferry::bench
