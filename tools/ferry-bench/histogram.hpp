// Latency histogram of ferry-bench: log-linear buckets (exact below 128 ns, then 64 sub-buckets per power
// of two, so any reported value is within 1/64 of a recorded one), constant memory, mergeable across threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ferry::bench {

class latency_histogram {
 public:
  static constexpr unsigned sub_bits = 6;                               // 64 sub-buckets a power of two
  static constexpr std::size_t exact_below = std::size_t{1} << (sub_bits + 1);  // 128: one bucket each
  static constexpr std::size_t bucket_count = exact_below + (64 - sub_bits - 1) * (std::size_t{1} << sub_bits);

  /// The bucket holding value v.
  static std::size_t index_of(std::uint64_t v) noexcept;
  /// Smallest and largest value that fall into bucket i.
  static std::uint64_t lowest_in(std::size_t i) noexcept;
  static std::uint64_t highest_in(std::size_t i) noexcept;

  void record(std::uint64_t value_ns) noexcept;
  void merge(const latency_histogram& other) noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  /// The value at quantile q in [0, 1]: the highest value of the bucket holding the ceil(q * count)-th
  /// smallest recording (nearest-rank), never above the exact maximum. 0 when empty.
  std::uint64_t quantile(double q) const noexcept;

 private:
  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
};

}  // namespace ferry::bench
