// Where a key lives on disk: the SHA-256 of its bytes, never the bytes themselves, so no key (not even
// "../../etc/passwd") can name a path. DIR/objects/<2 hex>/<2 hex>/<64 hex> spreads files over 65536 folders.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ferry::store::detail {

/// SHA-256 of bytes, computed with OpenSSL's EVP API.
std::array<std::uint8_t, 32> sha256(std::string_view bytes);

/// The 64 lowercase hex digits of SHA-256(key), computed with OpenSSL's EVP API.
std::string key_digest(std::string_view key);

/// The object file's path relative to the objects folder: "ab/cd/abcd…" (the digest's first two bytes
/// name the folders).
std::filesystem::path object_relative_path(std::string_view digest);

}  // namespace ferry::store::detail
