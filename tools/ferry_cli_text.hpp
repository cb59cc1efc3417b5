// How the ferry CLI shows bytes: keys are opaque bytes, but JSON strings are Unicode and terminals show
// text. Both renderings keep valid UTF-8 and escape everything else byte by byte.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace ferry::cli {

using byte_span = std::span<const std::byte>;

inline byte_span bytes_of(std::string_view s) noexcept { return std::as_bytes(std::span{s.data(), s.size()}); }

/// A JSON string literal, quotes included. `"` and `\` are backslashed; control bytes (0x00-0x1f, 0x7f) and
/// each byte of an invalid UTF-8 sequence become \u00XX (lowercase hex) of that byte; valid UTF-8 is kept.
std::string json_string(byte_span b);
inline std::string json_string(std::string_view s) { return json_string(bytes_of(s)); }

/// A key for a terminal line: like json_string without quotes, but escapes are \xNN, `\` is doubled, and
/// `"` is kept; so a key never spans lines.
std::string display_text(byte_span b);
inline std::string display_text(std::string_view s) { return display_text(bytes_of(s)); }

}  // namespace ferry::cli
