// Merging LIST pages from every data server into one client page: key order, one entry per key (the
// newest version wins when replicas disagree), at most `limit` entries. Pure; the router feeds it pages.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "xdr/protocol/common.hpp"

namespace ferry::router {

struct merged_list {
  std::vector<proto::list_entry> entries;  // views into the pages' keys
  bool more = false;
};

/// Each page holds one server's live keys in ascending byte order, strictly after the same cursor.
/// The result is the `limit` smallest distinct keys of their union; `more` is true when keys were left
/// out or a server said it had more. Correct because a server that stopped early (more) returned only
/// keys below the ones it left out, and at least `limit` of them, so no left-out key can precede the
/// last one returned. `limit` 0 is read as 1.
merged_list merge_list_pages(std::span<const proto::list_page> pages, std::uint32_t limit);

}  // namespace ferry::router
