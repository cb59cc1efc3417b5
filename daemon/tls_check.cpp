#include "daemon/tls_check.hpp"

#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace ferry::daemon {

namespace {

std::string last_ssl_error() {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unreadable";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace

std::optional<std::string> check_tls_files(const std::string& cert, const std::string& key, const std::string& ca) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()), &SSL_CTX_free);
  if (!ctx) return "cannot create an OpenSSL context: " + last_ssl_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1) return cert + ": " + last_ssl_error();
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) return key + ": " + last_ssl_error();
  if (SSL_CTX_check_private_key(ctx.get()) != 1) return key + ": does not match the certificate " + cert;
  if (!ca.empty() && SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1)
    return ca + ": " + last_ssl_error();
  return std::nullopt;
}

}  // namespace ferry::daemon
