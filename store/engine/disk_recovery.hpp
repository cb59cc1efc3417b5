// Opening a data directory: lay it out, take its lock, drop what unfinished writes left behind, and
// rebuild the index from every object header. Corrupt files are quarantined and reported, never fatal.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "store/engine/disk_store.hpp"
#include "store/engine/versioned_engine.hpp"

namespace ferry::store::detail {

struct recovered_store {
  std::unique_ptr<disk_store> store;
  std::vector<indexed_key> entries;
  recovery_report report;
};

/// The store and what it holds, or a message naming the path and cause (unusable directory, locked by
/// another process).
std::variant<recovered_store, std::string> recover_disk_store(const engine_config& config);

}  // namespace ferry::store::detail
