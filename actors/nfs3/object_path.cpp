// Key <-> file name mapping of the nfs3 backend (see README.md "Object mapping").
#include "actors/nfs3/object_path.hpp"

#include <cstdint>

namespace ferry::nfs3 {

namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::size_t name_max = 255;

std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool safe_name(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_plain_name) return false;
  if (key.front() == '.' || key.front() == encoded_mark) return false;
  for (unsigned char c : key)
    if (c < 0x21 || c > 0x7e || c == '/') return false;
  return true;
}

std::string fanout_dir(unsigned index) {
  return {hex_digits[(index >> 4) & 0xf], hex_digits[index & 0xf]};
}

std::optional<object_path> path_of(xdr::bytes_view key) {
  auto text = xdr::as_chars(key);
  if (text.empty()) return std::nullopt;
  object_path out{fanout_dir(static_cast<unsigned>(fnv1a64(text) & 0xff)), {}};
  if (safe_name(text)) {
    out.name = text;
    return out;
  }
  if (1 + 2 * text.size() > name_max) return std::nullopt;
  out.name.reserve(1 + 2 * text.size());
  out.name.push_back(encoded_mark);
  for (unsigned char c : text) {
    out.name.push_back(hex_digits[c >> 4]);
    out.name.push_back(hex_digits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> key_of(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.front() != encoded_mark) {
    if (!safe_name(name)) return std::nullopt;
    return std::string{name};
  }
  auto hex = name.substr(1);
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::string key;
  key.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    key.push_back(static_cast<char>(hi << 4 | lo));
  }
  // One key, one name: an encoding of a key that path_of stores plain is not an object.
  if (safe_name(key)) return std::nullopt;
  return key;
}

}  // namespace ferry::nfs3
