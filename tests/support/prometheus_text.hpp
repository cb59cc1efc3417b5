// A strict checker of the Prometheus text exposition format 0.0.4 for tests: it parses what an
// exporter of ours wrote and lists every departure from the format with its line number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::test {

enum class prom_type { counter, gauge, histogram, summary, untyped };

using prom_labels = std::vector<std::pair<std::string, std::string>>;  ///< unescaped, in the order written

struct prom_sample {
  std::string name;  ///< as written: "x_bucket" for a histogram x
  prom_labels labels;
  double value = 0;
  std::optional<std::int64_t> timestamp_ms;
  std::size_t line = 0;
};

struct prom_family {
  std::string name;
  prom_type type = prom_type::untyped;  ///< untyped when no TYPE line was given
  bool typed = false;                   ///< a TYPE line was given
  std::optional<std::string> help;      ///< unescaped
  std::vector<prom_sample> samples;
  std::size_t first_line = 0;
};

struct prom_error {
  std::size_t line = 0;  ///< 1-based; the line of the second occurrence for duplicates
  std::string reason;
};

struct prom_exposition {
  std::vector<prom_family> families;  ///< in order of first appearance
  std::vector<prom_error> errors;     ///< in line order within each check; empty when the text is valid

  bool ok() const { return errors.empty(); }
  const prom_family* family(std::string_view name) const;
  /// The sample with exactly this name and label set (any order), or nullptr.
  const prom_sample* sample(std::string_view name, const prom_labels& labels = {}) const;
  /// Errors as "line N: reason" lines, for test failure messages.
  std::string describe_errors() const;
};

/// Parses `text` and checks it: grammar of names, labels, escapes and values; TYPE at most once per
/// family and before its samples; HELP at most once; a family's lines contiguous; no duplicate series;
/// counters non-negative; histogram buckets with `le`, increasing, cumulative, ending at +Inf and
/// matching `_count`; summary quantiles in [0, 1]; text ending with a line feed.
prom_exposition parse_prometheus_text(std::string_view text);

}  // namespace ferry::test
