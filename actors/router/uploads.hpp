// The router's open chunked uploads: ferryd's upload id -> the key's version and the replicas holding a
// store upload for it. Pure (time passed in, no CAF): bounded, with an idle deadline per upload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/router/vocabulary.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::router {

/// One replica's store upload.
struct upload_replica {
  server_id server;
  std::uint64_t store_upload = 0;  ///< the id that replica gave
  friend bool operator==(const upload_replica&, const upload_replica&) = default;
};

struct upload {
  std::string key;                       ///< for details only; chunks and commits go by store upload ids
  proto::version ver;                    ///< chosen at WRITE_OPEN, the version COMMIT stores
  std::vector<upload_replica> replicas;  ///< those still in the upload (failed ones are dropped)
  bool chunks_sent = false;              ///< a replica opening after this has missed data: not added
  bool failed = false;                   ///< fewer than W replicas remain: CHUNK and COMMIT fail
  std::string failure;                   ///< why it failed (detail)
  time_point idle_deadline;              ///< expires when no chunk or commit comes before it
};

/// Ids are a bijective 64-bit mix of (salt + counter): unique within one table, and with a random
/// salt not guessable or reused across ferryd restarts. Never 0.
std::uint64_t mix_upload_id(std::uint64_t salt, std::uint64_t counter) noexcept;

class upload_table {
 public:
  upload_table(std::size_t capacity, duration idle_timeout, std::uint64_t salt);

  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  bool full(std::size_t reserved = 0) const noexcept { return entries_.size() + reserved >= capacity_; }

  /// Adds an upload (idle deadline now + idle timeout) and returns its fresh id.
  std::uint64_t create(upload u, time_point now);
  upload* find(std::uint64_t id);
  /// Pushes the idle deadline to now + idle timeout.
  void touch(std::uint64_t id, time_point now);
  /// Removes it and returns it (empty when unknown).
  std::optional<upload> remove(std::uint64_t id);

  /// The earliest idle deadline, empty when no upload is open.
  std::optional<time_point> next_expiry() const;
  /// Removes and returns every upload whose idle deadline is at or before now.
  std::vector<std::pair<std::uint64_t, upload>> expire(time_point now);

 private:
  std::size_t capacity_;
  duration idle_timeout_;
  std::uint64_t salt_;
  std::uint64_t counter_ = 0;
  std::map<std::uint64_t, upload> entries_;
  std::set<std::pair<time_point, std::uint64_t>> expiries_;
};

}  // namespace ferry::router
