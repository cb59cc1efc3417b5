// Striped mutexes that make "compare the version, then publish" atomic per key. Writers of unrelated keys
// contend only when their keys hash to the same stripe (1 in 256), never on one global lock around I/O.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string_view>

namespace ferry::store::detail {

class key_locks {
 public:
  std::mutex& of(std::string_view key) { return stripes_[std::hash<std::string_view>{}(key) % stripes_.size()]; }

 private:
  std::array<std::mutex, 256> stripes_;
};

}  // namespace ferry::store::detail
