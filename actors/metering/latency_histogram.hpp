// actors/metering/latency_histogram.hpp: a log-linear latency histogram (8 buckets per power of two,
// from 1 µs to about 2^36 µs ≈ 19 h), cheap to record into, mergeable, and serialisable in a message.
// Quantiles are exact to the bucket: at most 12.5 % above the true value (a bucket's upper bound).
#pragma once

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace ferry::metering {

class latency_histogram {
 public:
  static constexpr unsigned sub_bits = 3;                // 8 buckets per octave
  static constexpr unsigned sub = 1u << sub_bits;
  static constexpr unsigned octaves = 36;                // values up to 2^36 µs
  static constexpr std::size_t buckets = sub * (octaves + 1);

  latency_histogram() : counts_(buckets, 0) {}

  /// Bucket of a value in microseconds: values below 8 µs are exact, then 8 per power of two.
  static std::size_t bucket_of(std::uint64_t us) {
    if (us < sub) return static_cast<std::size_t>(us);
    unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(us));  // >= sub_bits
    unsigned octave = msb - sub_bits + 1;
    if (octave > octaves) return buckets - 1;
    auto mantissa = (us >> (msb - sub_bits)) & (sub - 1);  // the 3 bits after the leading one
    return octave * sub + static_cast<std::size_t>(mantissa);
  }

  /// Largest value (µs) that falls in bucket `b`.
  static std::uint64_t upper_bound_of(std::size_t b) {
    if (b < sub) return b;
    auto octave = b / sub;
    auto mantissa = b % sub;
    unsigned shift = static_cast<unsigned>(octave - 1);
    return ((sub + mantissa + 1) << shift) - 1;
  }

  void record_us(std::uint64_t us) {
    ++counts_[bucket_of(us)];
    ++count_;
    sum_us_ += us;
    max_us_ = std::max(max_us_, us);
  }
  template <class Rep, class Period>
  void record(std::chrono::duration<Rep, Period> d) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    record_us(us < 0 ? 0 : static_cast<std::uint64_t>(us));
  }

  void merge(const latency_histogram& o) {
    for (std::size_t i = 0; i < buckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_us_ += o.sum_us_;
    max_us_ = std::max(max_us_, o.max_us_);
  }

  /// The value (µs, a bucket's upper bound, capped at the largest recorded) below or at which a
  /// fraction `q` in [0, 1] of the recorded values lie; 0 when empty.
  std::uint64_t quantile_us(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999999);
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
      seen += counts_[b];
      if (seen >= rank) return std::min(upper_bound_of(b), max_us_);
    }
    return max_us_;
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t sum_us() const { return sum_us_; }
  std::uint64_t max_us() const { return max_us_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, latency_histogram& x) {
    return f(caf::meta::type_name("ferry.latency_histogram"), x.counts_, x.count_, x.sum_us_, x.max_us_);
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_us_ = 0;
  std::uint64_t max_us_ = 0;
};

}  // namespace ferry::metering
