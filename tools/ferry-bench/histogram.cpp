// Bucket arithmetic of latency_histogram: HdrHistogram's layout with one significant binary digit group.
#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ferry::bench {

std::size_t latency_histogram::index_of(std::uint64_t v) noexcept {
  if (v < exact_below) return static_cast<std::size_t>(v);
  const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
  const unsigned shift = msb - sub_bits;                    // >= 1 here
  const std::uint64_t mantissa = v >> shift;                // in [64, 128)
  return exact_below + (shift - 1) * (std::size_t{1} << sub_bits) +
         static_cast<std::size_t>(mantissa - (std::uint64_t{1} << sub_bits));
}

std::uint64_t latency_histogram::lowest_in(std::size_t i) noexcept {
  if (i < exact_below) return i;
  const std::size_t k = i - exact_below;
  const unsigned shift = static_cast<unsigned>(k >> sub_bits) + 1;
  const std::uint64_t mantissa = (k & ((std::size_t{1} << sub_bits) - 1)) + (std::uint64_t{1} << sub_bits);
  return mantissa << shift;
}

std::uint64_t latency_histogram::highest_in(std::size_t i) noexcept {
  if (i < exact_below) return i;
  const unsigned shift = static_cast<unsigned>((i - exact_below) >> sub_bits) + 1;
  return lowest_in(i) + ((std::uint64_t{1} << shift) - 1);
}

void latency_histogram::record(std::uint64_t value_ns) noexcept {
  ++buckets_[index_of(value_ns)];
  ++count_;
  max_ = std::max(max_, value_ns);
  min_ = std::min(min_, value_ns);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

std::uint64_t latency_histogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(highest_in(i), min(), max_);
  }
  return max_;
}

}  // namespace ferry::bench
