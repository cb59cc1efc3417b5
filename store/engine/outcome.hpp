// The result of one storage step inside the engine: a ferry status and, when it failed, a reason for people.
// Failures are values all the way up; the engine copies them into its results unchanged.
#pragma once

#include <string>
#include <utility>

#include "xdr/protocol/common.hpp"

namespace ferry::store::detail {

struct outcome {
  proto::status code = proto::status::ok;
  std::string detail;

  bool ok() const noexcept { return code == proto::status::ok; }
};

/// Details travel in replies capped at proto::max_detail bytes, so they are cut here, once.
inline std::string clipped(std::string text) {
  if (text.size() > proto::max_detail) text.resize(proto::max_detail);
  return text;
}

inline outcome failure(proto::status code, std::string detail) { return {code, clipped(std::move(detail))}; }

}  // namespace ferry::store::detail
