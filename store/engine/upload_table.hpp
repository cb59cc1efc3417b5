// The open chunked uploads, by id: bounded by max_open_uploads, each with its own lock so chunks of one
// upload are serialized while different uploads proceed in parallel.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/engine/byte_ranges.hpp"
#include "store/engine/object_store.hpp"

namespace ferry::store::detail {

using steady_time = std::chrono::steady_clock::time_point;

struct upload_state {
  upload_state(std::string key_, proto::version ver_, std::unique_ptr<upload_sink> sink_, steady_time now)
      : key(std::move(key_)), ver(ver_), touched(now), sink(std::move(sink_)) {}

  std::mutex mutex;  // guards everything below
  const std::string key;
  const proto::version ver;
  byte_ranges received;  // chunks may arrive in any order; commit needs exactly [0, size)
  steady_time touched;
  std::unique_ptr<upload_sink> sink;  // null once committed or aborted: later calls get NO_UPLOAD
};

class upload_table {
 public:
  explicit upload_table(std::size_t capacity);

  /// A fresh id with a slot held for it, or nothing when max_open_uploads are open.
  std::optional<std::uint64_t> reserve();
  void attach(std::uint64_t id, std::shared_ptr<upload_state> state);
  /// Gives a reserved slot back (the store could not open the upload).
  void release(std::uint64_t id);

  std::shared_ptr<upload_state> find(std::uint64_t id) const;
  /// Removes the upload from the table; the caller finishes it.
  std::shared_ptr<upload_state> take(std::uint64_t id);
  std::vector<std::pair<std::uint64_t, std::shared_ptr<upload_state>>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::uint64_t next_id_;
  std::unordered_map<std::uint64_t, std::shared_ptr<upload_state>> open_;  // null while only reserved
};

}  // namespace ferry::store::detail
