// tls_files: the --tls-* options, checked with OpenSSL before any actor system exists. CAF 0.17 reads
// these files only when a connection is made, and then aborts or hangs on a bad one (notes §5).
#pragma once

#include <optional>
#include <string>

namespace ferry::ctl {

struct tls_files {
  std::string ca;    ///< PEM: the CA that signed ferryd's certificate
  std::string cert;  ///< PEM: ferryctl's certificate (ferryd requires one)
  std::string key;   ///< PEM: its private key, encrypted when `passphrase` is set
  std::string passphrase;
};

/// Nothing when every file is readable, parses, and the key belongs to the certificate; otherwise one line
/// saying which file is wrong and why.
std::optional<std::string> check_tls_files(const tls_files& tls);

}  // namespace ferry::ctl
