// tls_files: parse the CA, certificate and key with OpenSSL and match the key to the certificate.
#include "tls_files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace ferry::ctl {

namespace {

struct bio_free { void operator()(BIO* b) const { BIO_free(b); } };
struct x509_free { void operator()(X509* x) const { X509_free(x); } };
struct pkey_free { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };

std::string openssl_error() {
  char buf[256] = "no detail";
  if (auto e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::optional<std::string> readable(const std::string& what, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return what + " '" + path + "': " + std::strerror(errno);
  std::fclose(f);
  return std::nullopt;
}

// The passphrase callback: an empty passphrase refuses, so an encrypted key fails instead of prompting.
int passphrase_cb(char* buf, int size, int, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (pass->empty() || static_cast<int>(pass->size()) > size) return 0;
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

}  // namespace

std::optional<std::string> check_tls_files(const tls_files& tls) {
  for (auto [what, path] : {std::pair{"--tls-ca", &tls.ca}, {"--tls-cert", &tls.cert}, {"--tls-key", &tls.key}})
    if (auto err = readable(what, *path)) return err;
  ERR_clear_error();
  std::unique_ptr<BIO, bio_free> ca_bio(BIO_new_file(tls.ca.c_str(), "r"));
  if (!ca_bio || !std::unique_ptr<X509, x509_free>(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)))
    return "--tls-ca '" + tls.ca + "' holds no PEM certificate: " + openssl_error();
  std::unique_ptr<BIO, bio_free> cert_bio(BIO_new_file(tls.cert.c_str(), "r"));
  std::unique_ptr<X509, x509_free> cert(cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return "--tls-cert '" + tls.cert + "' holds no PEM certificate: " + openssl_error();
  std::unique_ptr<BIO, bio_free> key_bio(BIO_new_file(tls.key.c_str(), "r"));
  auto pass = tls.passphrase;
  std::unique_ptr<EVP_PKEY, pkey_free> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, passphrase_cb, &pass) : nullptr);
  if (!key)
    return "--tls-key '" + tls.key + "' cannot be read" +
           (tls.passphrase.empty() ? " (encrypted? give --tls-passphrase)" : " (wrong passphrase?)") + ": " +
           openssl_error();
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return "--tls-key '" + tls.key + "' does not belong to --tls-cert '" + tls.cert + "'";
  return std::nullopt;
}

}  // namespace ferry::ctl
