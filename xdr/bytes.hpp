// Byte vocabulary shared by the codec: a byte is uint8_t, and a view never owns what it shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ferry::xdr {

using byte = std::uint8_t;
using bytes_view = std::span<const byte>;
using mutable_bytes = std::span<byte>;

inline bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const byte*>(s.data()), s.size()};
}
inline std::string_view as_chars(bytes_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// Declared maximum for a variable-length item with no bound in the .x file (`opaque x<>`).
inline constexpr std::uint32_t unbounded = 0xFFFFFFFFu;

/// The big-endian 32-bit word at `p` (XDR's unit, and a record mark).
constexpr std::uint32_t load_u32(const byte* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

/// XDR rounds every opaque and string up to a multiple of four bytes.
constexpr std::size_t padded(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

}  // namespace ferry::xdr
