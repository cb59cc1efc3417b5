// Parsing and sampling of --value-size distributions.
#include "value_sizes.hpp"

#include <algorithm>
#include <charconv>

#include "xdr/protocol/common.hpp"

namespace ferry::bench {

bool parse_byte_count(std::string_view text, std::uint64_t& out) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end == text.data()) return false;
  std::string_view unit{end, static_cast<std::size_t>(text.data() + text.size() - end)};
  std::uint64_t mult = 1;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "k" || unit == "K" || unit == "KiB") mult = 1024;
  else if (unit == "m" || unit == "M" || unit == "MiB") mult = 1024 * 1024;
  else return false;
  if (n > (~std::uint64_t{0}) / mult) return false;
  out = n * mult;
  return true;
}

std::variant<value_sizes, std::string> value_sizes::parse(std::string_view text) {
  if (text.empty()) return std::string("empty value size");
  value_sizes out;
  out.choices_.clear();
  out.total_weight_ = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    auto colon = item.find(':');
    value_size_choice c;
    if (!parse_byte_count(item.substr(0, colon), c.bytes))
      return "bad size '" + std::string(item.substr(0, colon)) + "' in '" + std::string(text) + "'";
    if (c.bytes > proto::max_value)
      return "size " + std::to_string(c.bytes) + " is above the protocol's largest value (16 MiB)";
    if (colon != std::string_view::npos) {
      auto w = item.substr(colon + 1);
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), c.weight);
      if (ec != std::errc{} || end != w.data() + w.size() || c.weight == 0 || c.weight > 1000000)
        return "bad weight '" + std::string(w) + "' (a whole number 1..1000000)";
    } else if (text.find(',') != std::string_view::npos) {
      return "every size of a distribution needs a weight: SIZE:WEIGHT,...";
    }
    out.choices_.push_back(c);
    out.total_weight_ += c.weight;
    if (out.choices_.size() > 64) return std::string("at most 64 sizes in a distribution");
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::uint64_t value_sizes::pick(double u) const noexcept {
  const double target = std::clamp(u, 0.0, 1.0) * static_cast<double>(total_weight_);
  std::uint64_t cumulative = 0;
  for (const auto& c : choices_) {
    cumulative += c.weight;
    if (target < static_cast<double>(cumulative)) return c.bytes;
  }
  return choices_.back().bytes;
}

std::uint64_t value_sizes::largest() const noexcept {
  std::uint64_t m = 0;
  for (const auto& c : choices_) m = std::max(m, c.bytes);
  return m;
}

double value_sizes::mean() const noexcept {
  double sum = 0;
  for (const auto& c : choices_) sum += static_cast<double>(c.bytes) * static_cast<double>(c.weight);
  return total_weight_ == 0 ? 0 : sum / static_cast<double>(total_weight_);
}

}  // namespace ferry::bench
