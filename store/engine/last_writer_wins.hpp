// The replication rule every write obeys: a (hlc, writer) version newer than the stored one wins, the same
// version is an idempotent retry, an older one loses. Pure, so the matrix can be tested without storage.
#pragma once

#include <optional>

#include "xdr/protocol/common.hpp"

namespace ferry::store::detail {

enum class verdict {
  apply,  // newer than what the key holds (or the key holds nothing): store it
  same,   // the stored version already: acknowledge, rewrite nothing
  stale,  // older than the stored version: CONFLICT carrying the stored one
};

/// `stored` is empty when the key holds neither an object nor a tombstone; then anything applies,
/// even the zero version.
constexpr verdict judge(const std::optional<proto::version>& stored, const proto::version& incoming) noexcept {
  if (!stored || incoming > *stored) return verdict::apply;
  return incoming == *stored ? verdict::same : verdict::stale;
}

}  // namespace ferry::store::detail
