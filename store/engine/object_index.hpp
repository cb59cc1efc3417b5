// The in-memory index of every key the engine holds: version, size, mtime and tombstone flag, ordered by
// key bytes for LIST. Rebuilt from object headers on open; updated only after a write is durable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "store/engine.hpp"

namespace ferry::store::detail {

struct index_entry {
  proto::object_info info;
  bool tombstone = false;
};

class object_index {
 public:
  std::optional<index_entry> find(std::string_view key) const;
  void set(std::string_view key, const index_entry& entry);
  /// Removes key only if it still holds the tombstone `ver` (a newer write may have replaced it).
  bool erase_tombstone(std::string_view key, const proto::version& ver);

  /// Live keys with prefix, strictly after cursor (empty: from the first), at most limit of them.
  list_result list(std::string_view prefix, std::string_view cursor, std::uint32_t limit) const;

  struct tombstone_ref {
    std::string key;
    proto::version ver;
  };
  /// Tombstones whose mtime is at or before `cutoff_ns`.
  std::vector<tombstone_ref> tombstones_until(std::uint64_t cutoff_ns) const;

  struct totals {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::uint64_t tombstones = 0;
  };
  totals count() const;

 private:
  void account(const index_entry& entry, int sign);

  mutable std::shared_mutex mutex_;
  std::map<std::string, index_entry, std::less<>> entries_;  // std::string orders bytes as unsigned
  totals totals_;
};

}  // namespace ferry::store::detail
