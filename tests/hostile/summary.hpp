// The hostile tests' machine-readable summary: one JSON line per test, appended to
// $FERRY_HOSTILE_REPORT_DIR/results.jsonl (tests/hostile/run turns it into REPORT.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry::hostile {

/// One line of the machine-readable summary: test name, then key/value pairs (values as given: numbers
/// raw, text quoted by the writer). Appended to $FERRY_HOSTILE_REPORT_DIR/results.jsonl when set.
class summary {
 public:
  explicit summary(std::string test) : test_(std::move(test)) {}
  ~summary();
  summary& num(const std::string& key, double v);
  summary& text(const std::string& key, const std::string& v);

 private:
  std::string test_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace ferry::hostile
