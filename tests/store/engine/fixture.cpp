// Temporary directories and engine construction for the engine tests.
#include "fixture.hpp"

#include <stdlib.h>

#include <algorithm>
#include <variant>

namespace ferry::store::testing {

temp_dir::temp_dir() {
  auto pattern = (std::filesystem::temp_directory_path() / "ferry-engine-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed for " << pattern);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string to_string(engine_kind kind) { return kind == engine_kind::disk ? "disk" : "memory"; }

engine_config config_for(engine_kind kind, const std::filesystem::path& dir) {
  engine_config config;
  config.memory = kind == engine_kind::memory;
  config.dir = dir / "data";
  config.node_name = "test-node";
  return config;
}

std::unique_ptr<engine> open_or_fail(const engine_config& config) {
  auto opened = open_engine(config);
  if (auto* problem = std::get_if<std::string>(&opened)) FAIL("open_engine failed: " << *problem);
  return std::move(std::get<std::unique_ptr<engine>>(opened));
}

std::vector<std::string> files_below(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) found.push_back(std::filesystem::relative(it->path(), dir).string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace ferry::store::testing
