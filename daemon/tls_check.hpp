// daemon/tls_check.hpp: ferryd checks its admin TLS files itself before the actor system exists, because
// caf::openssl builds its SSL context per connection and aborts the process on a bad file (notes §5).
#pragma once

#include <optional>
#include <string>

namespace ferry::daemon {

/// Loads the certificate, the key (must match the certificate) and the CA file (when not empty) the way
/// caf::openssl will; the first problem as "FILE: reason", or nullopt when all load.
std::optional<std::string> check_tls_files(const std::string& cert, const std::string& key, const std::string& ca);

}  // namespace ferry::daemon
