// The ordered key index. One reader/writer lock guards the map; it is held for map operations only,
// never across file I/O.
#include "store/engine/object_index.hpp"

#include <mutex>

namespace ferry::store::detail {
namespace {

constexpr std::uint32_t default_list_limit = 1000;

bool has_prefix(std::string_view key, std::string_view prefix) { return key.substr(0, prefix.size()) == prefix; }

}  // namespace

std::optional<index_entry> object_index::find(std::string_view key) const {
  std::shared_lock lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void object_index::account(const index_entry& entry, int sign) {
  const auto step = [sign](std::uint64_t& counter, std::uint64_t amount) {
    counter = sign > 0 ? counter + amount : counter - amount;
  };
  if (entry.tombstone) {
    step(totals_.tombstones, 1);
  } else {
    step(totals_.objects, 1);
    step(totals_.bytes, entry.info.size);
  }
}

void object_index::set(std::string_view key, const index_entry& entry) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    it = entries_.emplace(std::string(key), entry).first;
  } else {
    account(it->second, -1);
    it->second = entry;
  }
  account(entry, +1);
}

bool object_index::erase_tombstone(std::string_view key, const proto::version& ver) {
  std::unique_lock lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.tombstone || it->second.info.ver != ver) return false;
  account(it->second, -1);
  entries_.erase(it);
  return true;
}

list_result object_index::list(std::string_view prefix, std::string_view cursor, std::uint32_t limit) const {
  if (limit == 0) limit = default_list_limit;
  if (limit > proto::max_list) limit = proto::max_list;

  list_result result;
  std::shared_lock lock(mutex_);
  // A cursor before the prefix's range means "from the prefix's first key".
  auto it = cursor.empty() || cursor < prefix ? entries_.lower_bound(prefix) : entries_.upper_bound(cursor);
  for (; it != entries_.end() && has_prefix(it->first, prefix); ++it) {
    if (it->second.tombstone) continue;
    if (result.entries.size() == limit) {
      result.more = true;
      break;
    }
    result.entries.push_back({it->first, it->second.info});
  }
  if (!result.entries.empty()) result.next_cursor = result.entries.back().key;
  return result;
}

std::vector<object_index::tombstone_ref> object_index::tombstones_until(std::uint64_t cutoff_ns) const {
  std::vector<tombstone_ref> due;
  std::shared_lock lock(mutex_);
  for (const auto& [key, entry] : entries_) {
    if (entry.tombstone && entry.info.mtime_ns <= cutoff_ns) due.push_back({key, entry.info.ver});
  }
  return due;
}

object_index::totals object_index::count() const {
  std::shared_lock lock(mutex_);
  return totals_;
}

}  // namespace ferry::store::detail
