// What the engine accepts as a key and how it names a version in a message; checked before any storage.
// Keys are opaque bytes: nothing here looks inside them.
#pragma once

#include <string>

#include "store/engine/outcome.hpp"
#include "xdr/bytes.hpp"

namespace ferry::store::detail {

/// ok, or BAD_KEY saying what is wrong with the key's length.
outcome check_key(xdr::bytes_view key);

/// "hlc:writer", the form details use, e.g. "7:2".
std::string to_text(const proto::version& ver);

inline std::string key_string(xdr::bytes_view key) { return std::string(xdr::as_chars(key)); }

}  // namespace ferry::store::detail
