// Key checks and version text for details.
#include "store/engine/key_rules.hpp"

namespace ferry::store::detail {

outcome check_key(xdr::bytes_view key) {
  if (key.empty()) return failure(proto::status::bad_key, "the key is empty; keys are 1..1024 bytes");
  if (key.size() > proto::max_key) {
    return failure(proto::status::bad_key,
                   "the key is " + std::to_string(key.size()) + " bytes; keys are 1..1024 bytes");
  }
  return {};
}

std::string to_text(const proto::version& ver) {
  return std::to_string(ver.hlc) + ":" + std::to_string(ver.writer);
}

}  // namespace ferry::store::detail
