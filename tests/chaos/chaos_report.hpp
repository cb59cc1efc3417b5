// A chaos test's machine-readable summary: ordered "name<TAB>value" lines written to
// $FERRY_CHAOS_REPORT_DIR/<test>.tsv when that variable is set; tests/chaos/run turns them into REPORT.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ferry::chaos {

class summary {
 public:
  explicit summary(std::string test) : test_(std::move(test)) {}
  void add(const std::string& name, const std::string& value) { rows_.emplace_back(name, value); }
  void add(const std::string& name, std::uint64_t value) { add(name, std::to_string(value)); }
  /// The rows as text, for the test's own output.
  std::string text() const;
  /// Writes the file when FERRY_CHAOS_REPORT_DIR is set; false when set but the file cannot be written.
  bool write() const;

 private:
  std::string test_;
  std::vector<std::pair<std::string, std::string>> rows_;
};

/// Reads a duration in seconds from the environment, `fallback` when unset or unparsable.
unsigned env_seconds(const char* name, unsigned fallback);
/// True when the environment variable is set to "1".
bool env_flag(const char* name);

}  // namespace ferry::chaos
