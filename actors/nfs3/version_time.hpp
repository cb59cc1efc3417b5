// A ferry version's HLC kept losslessly in a file's mtime (nfstime3): seconds = physical ms / 1000,
// nseconds = (physical ms % 1000) * 10^6 + logical (< 65536). The writer id has no room and is not kept.
#pragma once

#include <cstdint>

#include "xdr/protocol/common.hpp"
#include "xdr/protocol/nfs3.hpp"

namespace ferry::nfs3 {

inline constexpr unsigned logical_bits = 16;  // as actors/router/hlc.hpp packs an HLC

/// The mtime that stores `hlc` (exact while physical ms / 1000 fits 32 bits: until the year 2106).
constexpr proto::nfs3::nfstime mtime_of(std::uint64_t hlc) noexcept {
  const std::uint64_t ms = hlc >> logical_bits;
  const std::uint64_t logical = hlc & ((std::uint64_t{1} << logical_bits) - 1);
  return {static_cast<std::uint32_t>(ms / 1000), static_cast<std::uint32_t>((ms % 1000) * 1000000 + logical)};
}

/// The version an mtime stands for: its HLC, writer 0. A file written by hand (an ordinary wall-clock
/// mtime) reads as written at that millisecond, with the sub-millisecond nanoseconds as logical part.
constexpr proto::version version_of(const proto::nfs3::nfstime& t) noexcept {
  const std::uint64_t ms = std::uint64_t{t.seconds} * 1000 + t.nseconds / 1000000;
  return {(ms << logical_bits) | (t.nseconds % 1000000 & ((std::uint64_t{1} << logical_bits) - 1)), 0};
}

/// mtime in ns since the epoch, for object_info.mtime_ns.
constexpr std::uint64_t mtime_ns(const proto::nfs3::nfstime& t) noexcept {
  return std::uint64_t{t.seconds} * 1000000000 + t.nseconds;
}

}  // namespace ferry::nfs3
