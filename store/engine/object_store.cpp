// Range rules shared by the disk and memory stores.
#include "store/engine/object_store.hpp"

#include <algorithm>
#include <string>

namespace ferry::store::detail {

outcome check_range(const proto::object_info& info, const fetch_range& range) {
  if (info.size > range.max_size) {
    return failure(proto::status::too_big, "the object is " + std::to_string(info.size) +
                                               " bytes, over the " + std::to_string(range.max_size) +
                                               "-byte GET limit; READ it in ranges");
  }
  if (range.offset > info.size) {
    return failure(proto::status::bad_range, "offset " + std::to_string(range.offset) + " is past the end of the " +
                                                 std::to_string(info.size) + "-byte object");
  }
  return {};
}

std::uint64_t clipped_length(const proto::object_info& info, const fetch_range& range) {
  return std::min(range.length, info.size - range.offset);
}

}  // namespace ferry::store::detail
