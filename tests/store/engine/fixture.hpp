// Shared helpers for the engine tests: temporary data directories, both engine kinds behind one
// GENERATE, and readable Catch2 output for statuses and versions.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "store/engine.hpp"

namespace ferry::store::testing {

/// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

enum class engine_kind { disk, memory };
std::string to_string(engine_kind kind);

/// Both kinds, for GENERATE: every shared rule runs against each.
inline auto both_kinds() { return Catch::Generators::values({engine_kind::disk, engine_kind::memory}); }

/// A default configuration for `kind` with its data (if any) under `dir`.
engine_config config_for(engine_kind kind, const std::filesystem::path& dir);

/// Opens the engine or fails the test with open_engine's message.
std::unique_ptr<engine> open_or_fail(const engine_config& config);

/// An engine with its own temporary directory.
struct engine_under_test {
  explicit engine_under_test(engine_kind kind_) : engine_under_test(kind_, [](engine_config&) {}) {}
  template <class Adjust>
  engine_under_test(engine_kind kind_, Adjust adjust) : kind(kind_), config(config_for(kind_, dir.path())) {
    adjust(config);
    eng = open_or_fail(config);
  }
  /// Destroys the engine and opens the same directory again (a restart).
  void reopen() {
    eng.reset();
    eng = open_or_fail(config);
  }
  engine* operator->() const { return eng.get(); }

  engine_kind kind;
  temp_dir dir;
  engine_config config;
  std::unique_ptr<engine> eng;
};

inline xdr::bytes_view b(std::string_view s) { return xdr::as_bytes(s); }
inline std::string text(const shared_bytes& data) {
  return data ? std::string(data->begin(), data->end()) : std::string("<null>");
}
constexpr proto::version v(std::uint64_t hlc, std::uint64_t writer = 0) { return {hlc, writer}; }

/// Every regular file below dir, as paths relative to it.
std::vector<std::string> files_below(const std::filesystem::path& dir);

}  // namespace ferry::store::testing

namespace Catch {
template <>
struct StringMaker<ferry::proto::status> {
  static std::string convert(ferry::proto::status s) { return std::string(ferry::proto::to_string(s)); }
};
template <>
struct StringMaker<ferry::proto::version> {
  static std::string convert(const ferry::proto::version& v) {
    return "v(" + std::to_string(v.hlc) + "," + std::to_string(v.writer) + ")";
  }
};
template <>
struct StringMaker<ferry::store::testing::engine_kind> {
  static std::string convert(ferry::store::testing::engine_kind k) { return ferry::store::testing::to_string(k); }
};
}  // namespace Catch
