// The narrow interface between the engine's rules (versions, uploads, listing) and where bytes live:
// a data directory or memory. A store only moves bytes; every decision is made before it is called.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>

#include "store/engine.hpp"
#include "store/engine/outcome.hpp"

namespace ferry::store::detail {

/// What a key is to hold from now on: an object (with value bytes) or a tombstone (with none).
struct object_record {
  std::string_view key;
  proto::object_info info;
  bool tombstone = false;
};

struct fetch_range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // clipped to the object's end
  std::uint64_t max_size = std::numeric_limits<std::uint64_t>::max();  // larger objects: TOO_BIG, unread
};

struct fetched {
  // ok; not_found (absent or a tombstone); bad_range (offset past the end); too_big; io_error.
  outcome result;
  proto::object_info info;  // the object's; for not_found, ver is the tombstone's (zero if none)
  shared_bytes data;        // ok: the requested range
};

/// BAD_RANGE for an offset past the object's end, TOO_BIG for an object over range.max_size; shared by
/// both stores so their details read the same.
outcome check_range(const proto::object_info& info, const fetch_range& range);
/// How many bytes of the object the range covers once clipped to its end (check_range passed).
std::uint64_t clipped_length(const proto::object_info& info, const fetch_range& range);

/// The bytes of one chunked upload while it is open. Destroying an unpublished sink discards its bytes.
class upload_sink {
 public:
  virtual ~upload_sink() = default;
  virtual outcome write_at(std::uint64_t offset, xdr::bytes_view data) = 0;
  /// Makes the first record.info.size bytes written the key's value, durably, replacing what it held.
  virtual outcome publish(const object_record& record) = 0;
};

struct opened_upload {
  outcome result;
  std::unique_ptr<upload_sink> sink;
};

class object_store {
 public:
  virtual ~object_store() = default;
  /// Durably replaces whatever the key holds by the record and value (empty for a tombstone).
  virtual outcome publish(const object_record& record, xdr::bytes_view value) = 0;
  /// Removes the key entirely (a tombstone past its retention).
  virtual outcome forget(std::string_view key) = 0;
  virtual fetched fetch(std::string_view key, const fetch_range& range) = 0;
  virtual opened_upload open_upload(std::uint64_t upload_id, std::string_view key) = 0;
  /// Free bytes where the data lives (0 in memory).
  virtual std::uint64_t free_bytes() = 0;
};

}  // namespace ferry::store::detail
