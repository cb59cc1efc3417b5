// The one public entry point: a memory engine, or a disk engine after recovering its directory.
#include <variant>

#include "store/engine.hpp"
#include "store/engine/disk_recovery.hpp"
#include "store/engine/memory_store.hpp"
#include "store/engine/versioned_engine.hpp"

namespace ferry::store {

std::variant<std::unique_ptr<engine>, std::string> open_engine(const engine_config& config) {
  if (config.memory) {
    return std::make_unique<detail::versioned_engine>(config, std::make_unique<detail::memory_store>(),
                                                      std::vector<detail::indexed_key>{}, recovery_report{});
  }
  if (config.dir.empty()) return std::string("no data directory given (and not in memory mode)");
  auto recovered = detail::recover_disk_store(config);
  if (auto* problem = std::get_if<std::string>(&recovered)) return std::move(*problem);
  auto& ok = std::get<detail::recovered_store>(recovered);
  return std::make_unique<detail::versioned_engine>(config, std::move(ok.store), std::move(ok.entries),
                                                    std::move(ok.report));
}

}  // namespace ferry::store
