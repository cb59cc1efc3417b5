// byte_ranges: an interval set with merging.
#include "store/engine/byte_ranges.hpp"

#include <algorithm>

namespace ferry::store::detail {

void byte_ranges::add(std::uint64_t begin, std::uint64_t end) {
  if (begin >= end) return;
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin() && std::prev(it)->second >= begin) --it;
  while (it != ranges_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(begin, end);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> byte_ranges::first_gap(std::uint64_t size) const {
  std::uint64_t covered = 0;
  for (const auto& [b, e] : ranges_) {
    if (b > covered) return std::pair{covered, std::min(b, size)};
    covered = e;
    if (covered >= size) return std::nullopt;
  }
  if (covered < size) return std::pair{covered, size};
  return std::nullopt;
}

}  // namespace ferry::store::detail
