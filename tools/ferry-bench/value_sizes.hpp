// --value-size of ferry-bench: one size ("100", "1MiB") or a small weighted distribution
// ("100:90,4096:10" = 90 % of values 100 bytes, 10 % 4096 bytes), parsed once and sampled per call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ferry::bench {

struct value_size_choice {
  std::uint64_t bytes = 0;
  std::uint64_t weight = 1;
};

class value_sizes {
 public:
  /// Parses the flag; on failure the string says what is wrong and where.
  static std::variant<value_sizes, std::string> parse(std::string_view text);
  explicit value_sizes(std::uint64_t fixed = 100) : choices_{{fixed, 1}}, total_weight_(1) {}

  /// The size drawn by a uniform number u in [0, 1): choices in the order given, each taking its share.
  std::uint64_t pick(double u) const noexcept;
  std::uint64_t largest() const noexcept;
  double mean() const noexcept;
  const std::vector<value_size_choice>& choices() const noexcept { return choices_; }

 private:
  std::vector<value_size_choice> choices_;
  std::uint64_t total_weight_ = 0;
};

/// "4096", "4KiB", "4k", "1MiB", "1M" (binary multiples) as bytes; false on bad input.
bool parse_byte_count(std::string_view text, std::uint64_t& out);

}  // namespace ferry::bench
