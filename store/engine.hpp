// The storage engine behind ferry-store: versioned objects (last-writer-wins), tombstones, ordered LIST,
// chunked uploads and ranged reads. Two implementations: durable on disk, and in memory (--memory).
// Every method may be called concurrently from the server's worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "xdr/bytes.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::store {

using shared_bytes = std::shared_ptr<const std::vector<xdr::byte>>;

struct engine_config {
  std::filesystem::path dir;              // data directory (ignored in memory mode)
  bool memory = false;                    // keep everything in RAM; nothing survives a restart
  bool fsync = true;                      // fsync data and directories before acknowledging a write
  std::uint64_t max_value = proto::max_value;           // largest PUT value
  std::uint64_t max_object = 1ull << 42;                // largest chunked object (4 TiB)
  std::uint32_t chunk_size = 1u << 20;                  // preferred WRITE_CHUNK size told to clients
  std::chrono::seconds tombstone_retention{24 * 3600};  // tombstones older than this are purged
  std::chrono::seconds upload_idle_timeout{600};        // uploads untouched this long are aborted
  std::size_t max_open_uploads = 1024;
  std::string node_name = "ferry-store";
};

struct write_result {
  proto::status code = proto::status::ok;
  proto::version ver;  // ok: the version now stored; conflict: the newer version that won
  std::string detail;
};

struct get_result {
  proto::status code = proto::status::ok;
  proto::object_info info;  // ok
  shared_bytes data;        // ok
  proto::version tombstone;  // not_found: the tombstone's version, zero if the key never existed
  std::string detail;
};

struct stat_result {
  proto::status code = proto::status::ok;
  proto::object_info info;
  proto::version tombstone;
  std::string detail;
};

struct list_item {
  std::string key;  // the original key bytes
  proto::object_info info;
};

struct list_result {
  proto::status code = proto::status::ok;
  std::vector<list_item> entries;  // ascending byte order of keys, live objects only
  std::string next_cursor;         // the last key returned; LIST continues strictly after it
  bool more = false;
  std::string detail;
};

struct open_result {
  proto::status code = proto::status::ok;
  std::uint64_t upload_id = 0;
  std::uint32_t chunk_size = 0;
  std::string detail;
};

struct status_result {
  proto::status code = proto::status::ok;
  std::string detail;
};

struct read_result {
  proto::status code = proto::status::ok;
  proto::object_info info;
  shared_bytes data;
  bool eof = false;
  std::string detail;
};

struct health_result {
  std::uint64_t objects = 0;     // live objects
  std::uint64_t bytes_used = 0;  // bytes of live object data
  std::uint64_t bytes_free = 0;  // free bytes on the data directory's file system (memory mode: 0)
  std::uint64_t uptime_ms = 0;
  std::string node;
};

/// What opening a disk engine found and did. Corrupt object files never stop a start: each is moved to
/// DIR/quarantine/ (out of the index, kept for the operator) and named here with the reason.
struct recovery_report {
  std::uint64_t objects = 0;             // live objects indexed
  std::uint64_t tombstones = 0;          // tombstones indexed
  std::uint64_t leftovers_removed = 0;   // temporary files and partial uploads deleted
  std::vector<std::string> quarantined;  // "<file name>: <reason>"
};

class engine {
 public:
  virtual ~engine() = default;

  /// Stores value under key if `ver` is newer than what the key holds (live or tombstone).
  /// Same version again: ok (an idempotent retry). Older: conflict with the stored version.
  virtual write_result put(xdr::bytes_view key, xdr::bytes_view value, proto::version ver) = 0;
  virtual get_result get(xdr::bytes_view key) = 0;
  /// Replaces the key by a tombstone with `ver`, under the same last-writer-wins rule as put.
  virtual write_result del(xdr::bytes_view key, proto::version ver) = 0;
  virtual stat_result stat(xdr::bytes_view key) = 0;
  /// Live keys starting with prefix, strictly after cursor (empty: from the start), at most limit.
  virtual list_result list(xdr::bytes_view prefix, xdr::bytes_view cursor, std::uint32_t limit) = 0;

  virtual open_result write_open(xdr::bytes_view key, proto::version ver, std::uint64_t size_hint) = 0;
  /// Writes data at offset. Chunks may arrive in any order (a pipelining client) and may rewrite bytes.
  virtual status_result write_chunk(std::uint64_t upload_id, std::uint64_t offset, xdr::bytes_view data) = 0;
  /// Publishes the upload as the key's value if `size` equals the bytes written (last-writer-wins).
  virtual write_result write_commit(std::uint64_t upload_id, std::uint64_t size) = 0;
  virtual status_result write_abort(std::uint64_t upload_id) = 0;
  virtual read_result read(xdr::bytes_view key, std::uint64_t offset, std::uint32_t length) = 0;

  virtual health_result health() = 0;
  /// Purges tombstones past their retention and aborts idle uploads; returns how many it removed.
  virtual std::size_t collect_garbage() = 0;
  /// The disk engine's findings when it opened (the memory engine's is empty), for the server to log.
  virtual recovery_report recovery() const = 0;
};

/// Opens (and for the disk engine, recovers) an engine; on failure, a message naming the path and cause.
std::variant<std::unique_ptr<engine>, std::string> open_engine(const engine_config& config);

}  // namespace ferry::store
