// Byte renderings for the ferry CLI: one UTF-8 validator, two escape styles (JSON, terminal).
#include "ferry_cli_text.hpp"

#include <fmt/format.h>

namespace ferry::cli {
namespace {

/// The length of the valid UTF-8 sequence starting at b[i] (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF), or 0 when b[i] does not start one.
std::size_t utf8_sequence(byte_span b, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned>(b[k]); };
  unsigned c = at(i);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;  // bounds of the second byte
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c == 0xE0) { len = 3; lo = 0xA0; }
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
  else if (c == 0xED) { len = 3; hi = 0x9F; }
  else if (c == 0xF0) { len = 4; lo = 0x90; }
  else if (c >= 0xF1 && c <= 0xF3) len = 4;
  else if (c == 0xF4) { len = 4; hi = 0x8F; }
  else return 0;
  if (i + len > b.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  return len;
}

bool is_control(unsigned c) { return c < 0x20 || c == 0x7F; }

/// Valid UTF-8 is copied; a byte in `backslashed` gets a backslash before it; `escape` renders the rest.
template <class Escape>
std::string render(byte_span b, std::string_view backslashed, Escape&& escape) {
  std::string out;
  out.reserve(b.size());
  for (std::size_t i = 0; i < b.size();) {
    auto c = static_cast<unsigned>(b[i]);
    std::size_t len = utf8_sequence(b, i);
    if (len == 0 || is_control(c)) {
      escape(out, c);
      ++i;
      continue;
    }
    if (len == 1 && backslashed.find(static_cast<char>(c)) != std::string_view::npos) out += '\\';
    for (std::size_t k = 0; k < len; ++k) out += static_cast<char>(b[i + k]);
    i += len;
  }
  return out;
}

}  // namespace

std::string json_string(byte_span b) {
  return '"' + render(b, "\"\\", [](std::string& out, unsigned c) { out += fmt::format("\\u{:04x}", c); }) + '"';
}

std::string display_text(byte_span b) {
  return render(b, "\\", [](std::string& out, unsigned c) { out += fmt::format("\\x{:02x}", c); });
}

}  // namespace ferry::cli
