// LIST merge: collect, sort by key then newest version first, keep the first of each key, cut at limit.
#include "actors/router/list_merge.hpp"

#include <algorithm>

namespace ferry::router {
namespace {

bool key_less(xdr::bytes_view a, xdr::bytes_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}
bool key_equal(xdr::bytes_view a, xdr::bytes_view b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

merged_list merge_list_pages(std::span<const proto::list_page> pages, std::uint32_t limit) {
  if (limit == 0) limit = 1;
  merged_list out;
  std::vector<proto::list_entry> all;
  for (const auto& p : pages) {
    all.insert(all.end(), p.entries.begin(), p.entries.end());
    out.more = out.more || p.more;
  }
  std::sort(all.begin(), all.end(), [](const proto::list_entry& a, const proto::list_entry& b) {
    if (key_less(a.key, b.key)) return true;
    if (key_less(b.key, a.key)) return false;
    return a.info.ver > b.info.ver;  // newest first, so the first of a run of equal keys wins
  });
  for (const auto& e : all) {
    if (!out.entries.empty() && key_equal(out.entries.back().key, e.key)) continue;
    if (out.entries.size() == limit) {
      out.more = true;
      break;
    }
    out.entries.push_back(e);
  }
  return out;
}

}  // namespace ferry::router
