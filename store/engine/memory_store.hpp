// The --memory store: every value in a shared, immutable buffer, so GET hands out the stored bytes
// without copying them. Nothing survives the process; an upload grows in RAM up to max_object.
#pragma once

#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "store/engine/object_store.hpp"

namespace ferry::store::detail {

class memory_store final : public object_store {
 public:
  outcome publish(const object_record& record, xdr::bytes_view value) override;
  outcome forget(std::string_view key) override;
  fetched fetch(std::string_view key, const fetch_range& range) override;
  opened_upload open_upload(std::uint64_t upload_id, std::string_view key) override;
  std::uint64_t free_bytes() override { return 0; }

  /// Stores an upload's finished buffer as the key's value, without copying it.
  void adopt(const object_record& record, shared_bytes data);

 private:
  struct stored {
    proto::object_info info;
    bool tombstone = false;
    shared_bytes data;
  };

  std::shared_mutex mutex_;
  std::unordered_map<std::string, stored> objects_;
};

}  // namespace ferry::store::detail
