// Values in RAM. Allocation failure is a full store (NO_SPACE), not a crash: memory is this store's disk.
#include "store/engine/memory_store.hpp"

#include <mutex>
#include <new>

namespace ferry::store::detail {
namespace {

outcome out_of_memory() { return failure(proto::status::no_space, "the memory store could not allocate"); }

class memory_upload final : public upload_sink {
 public:
  explicit memory_upload(memory_store& store) : store_(store) {}

  outcome write_at(std::uint64_t offset, xdr::bytes_view data) override {
    try {
      if (offset + data.size() > buffer_.size()) buffer_.resize(offset + data.size());
    } catch (const std::bad_alloc&) {
      return out_of_memory();
    } catch (const std::length_error&) {
      return out_of_memory();
    }
    std::copy(data.begin(), data.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset));
    return {};
  }

  outcome publish(const object_record& record) override {
    buffer_.resize(record.info.size);  // the engine checked: the size is exactly what was written
    buffer_.shrink_to_fit();
    store_.adopt(record, std::make_shared<const std::vector<xdr::byte>>(std::move(buffer_)));
    return {};
  }

 private:
  memory_store& store_;
  std::vector<xdr::byte> buffer_;
};

}  // namespace

outcome memory_store::publish(const object_record& record, xdr::bytes_view value) {
  shared_bytes data;
  try {
    data = std::make_shared<const std::vector<xdr::byte>>(value.begin(), value.end());
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  }
  adopt(record, std::move(data));
  return {};
}

void memory_store::adopt(const object_record& record, shared_bytes data) {
  std::unique_lock lock(mutex_);
  objects_[std::string(record.key)] = {record.info, record.tombstone, std::move(data)};
}

outcome memory_store::forget(std::string_view key) {
  std::unique_lock lock(mutex_);
  objects_.erase(std::string(key));
  return {};
}

fetched memory_store::fetch(std::string_view key, const fetch_range& range) {
  fetched result;
  std::shared_lock lock(mutex_);
  const auto it = objects_.find(std::string(key));
  if (it == objects_.end() || it->second.tombstone) {
    result.result = failure(proto::status::not_found, it == objects_.end() ? "no object has this key"
                                                                          : "the key was deleted");
    if (it != objects_.end()) result.info.ver = it->second.info.ver;
    return result;
  }
  const auto& object = it->second;
  result.info = object.info;
  if (result.result = check_range(object.info, range); !result.result.ok()) return result;
  const auto length = clipped_length(object.info, range);
  if (range.offset == 0 && length == object.info.size) {
    result.data = object.data;  // the whole value: share it
  } else {
    const auto first = object.data->begin() + static_cast<std::ptrdiff_t>(range.offset);
    result.data = std::make_shared<const std::vector<xdr::byte>>(first, first + static_cast<std::ptrdiff_t>(length));
  }
  return result;
}

opened_upload memory_store::open_upload(std::uint64_t /*upload_id*/, std::string_view /*key*/) {
  return {{}, std::make_unique<memory_upload>(*this)};
}

}  // namespace ferry::store::detail
