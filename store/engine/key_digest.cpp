// SHA-256 through OpenSSL's one-shot EVP_Digest: a hand-written hash would be one more thing to get wrong.
#include "store/engine/key_digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace ferry::store::detail {

std::array<std::uint8_t, 32> sha256(std::string_view bytes) {
  std::array<std::uint8_t, 32> md{};
  unsigned int md_len = 0;
  // EVP_Digest only fails when OpenSSL itself is broken (no SHA-256 provider): an installation error,
  // not a peer's doing, so it throws rather than inventing a path.
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &md_len, EVP_sha256(), nullptr) != 1 || md_len != 32) {
    throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed");
  }
  return md;
}

std::string key_digest(std::string_view key) {
  const auto md = sha256(key);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(2 * md.size(), '0');
  for (std::size_t i = 0; i < md.size(); ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 0xF];
  }
  return out;
}

std::filesystem::path object_relative_path(std::string_view digest) {
  return std::filesystem::path(std::string(digest.substr(0, 2))) / std::string(digest.substr(2, 2)) /
         std::string(digest);
}

}  // namespace ferry::store::detail
