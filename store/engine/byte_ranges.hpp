// The set of byte ranges an upload has received. Chunks of a pipelined upload may arrive in any order, so
// an upload is complete when its ranges merge into exactly [0, size); this set keeps them merged.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace ferry::store::detail {

class byte_ranges {
 public:
  /// Adds [begin, end); overlapping and touching ranges merge.
  void add(std::uint64_t begin, std::uint64_t end);
  /// Number of disjoint ranges (bounded by the caller to cap memory).
  std::size_t pieces() const noexcept { return ranges_.size(); }
  /// The highest end received (0 when empty).
  std::uint64_t end() const noexcept { return ranges_.empty() ? 0 : ranges_.rbegin()->second; }
  /// The first missing range below `size`, if any: what a commit of `size` bytes still lacks.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> first_gap(std::uint64_t size) const;

 private:
  std::map<std::uint64_t, std::uint64_t> ranges_;  // begin -> end, disjoint and not touching
};

}  // namespace ferry::store::detail
