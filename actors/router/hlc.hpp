// The hybrid logical clock that stamps ferryd's writes: versions {hlc, writer} ordered lexicographically,
// so replicas agree on the last writer even when hosts' wall clocks disagree or step backwards.
#pragma once

#include <cstdint>

#include "xdr/protocol/common.hpp"

namespace ferry::router {

/// An HLC value packs wall-clock milliseconds since the Unix epoch (high 48 bits, enough until year
/// 10889) with a logical counter (low 16 bits); comparing the integers compares (physical, logical).
inline constexpr unsigned hlc_logical_bits = 16;
inline constexpr std::uint64_t hlc_logical_mask = (std::uint64_t{1} << hlc_logical_bits) - 1;
inline constexpr std::uint64_t hlc_max_physical_ms = (std::uint64_t{1} << (64 - hlc_logical_bits)) - 1;

constexpr std::uint64_t make_hlc(std::uint64_t physical_ms, std::uint64_t logical) noexcept {
  return (physical_ms << hlc_logical_bits) | (logical & hlc_logical_mask);
}
constexpr std::uint64_t hlc_physical_ms(std::uint64_t hlc) noexcept { return hlc >> hlc_logical_bits; }
constexpr std::uint64_t hlc_logical(std::uint64_t hlc) noexcept { return hlc & hlc_logical_mask; }

/// The HLC after a local event (a write to stamp), given the last one and the wall clock now: the
/// wall clock if it is ahead, otherwise one logical step past `last`. A full counter carries into the
/// physical part, so the clock stays strictly increasing at any rate and when wall time goes backwards.
std::uint64_t hlc_tick(std::uint64_t last, std::uint64_t physical_now_ms) noexcept;

/// The HLC after learning of `remote` (a version a store reported): the wall clock if it is ahead of
/// both, otherwise one logical step past the larger of `last` and `remote` (the classic HLC receive rule).
std::uint64_t hlc_observe(std::uint64_t last, std::uint64_t remote, std::uint64_t physical_now_ms) noexcept;

/// One writer's clock: the router owns one and stamps every write with `tick`.
class hybrid_clock {
 public:
  /// `writer` tells apart two ferryds that stamp the same hlc; it must be unique in the cluster.
  explicit hybrid_clock(std::uint64_t writer, std::uint64_t last_hlc = 0) noexcept
      : writer_(writer), last_(last_hlc) {}

  /// A version newer than every version this clock has issued or observed.
  proto::version tick(std::uint64_t physical_now_ms) noexcept {
    last_ = hlc_tick(last_, physical_now_ms);
    return {last_, writer_};
  }

  /// Moves the clock past a remote version's hlc so the next tick outranks it.
  void observe(std::uint64_t remote_hlc, std::uint64_t physical_now_ms) noexcept {
    last_ = hlc_observe(last_, remote_hlc, physical_now_ms);
  }

  std::uint64_t last() const noexcept { return last_; }
  std::uint64_t writer() const noexcept { return writer_; }

 private:
  std::uint64_t writer_;
  std::uint64_t last_;
};

}  // namespace ferry::router
