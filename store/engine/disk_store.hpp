// The durable store: one file per key under DIR/objects/<2 hex>/<2 hex>/<sha256 of key>, written beside
// (DIR/tmp, DIR/uploads), fsynced, then renamed into place, so a name only ever points at complete bytes.
#pragma once

#include <atomic>
#include <filesystem>

#include "store/engine/object_store.hpp"
#include "store/engine/posix_io.hpp"

namespace ferry::store::detail {

struct disk_layout {
  std::filesystem::path root;

  std::filesystem::path objects() const { return root / "objects"; }
  std::filesystem::path temp() const { return root / "tmp"; }
  std::filesystem::path uploads() const { return root / "uploads"; }
  std::filesystem::path quarantine() const { return root / "quarantine"; }
  std::filesystem::path lock_file() const { return root / "LOCK"; }
  std::filesystem::path object_file(std::string_view key) const;
};

class disk_store final : public object_store {
 public:
  /// `dir_lock` holds the flock on DIR/LOCK for as long as the store lives.
  disk_store(disk_layout layout, bool fsync, unique_fd dir_lock);

  outcome publish(const object_record& record, xdr::bytes_view value) override;
  outcome forget(std::string_view key) override;
  fetched fetch(std::string_view key, const fetch_range& range) override;
  opened_upload open_upload(std::uint64_t upload_id, std::string_view key) override;
  std::uint64_t free_bytes() override;

  /// The last steps of every write: fsync the file, close it, rename `from` over the key's object file,
  /// fsync the object's folder. `from` is left for the caller to remove if this fails.
  outcome install(unique_fd file, const std::filesystem::path& from, std::string_view key);

 private:
  outcome rename_into_place(const std::filesystem::path& from, const std::filesystem::path& to);

  const disk_layout layout_;
  const bool fsync_;
  unique_fd dir_lock_;
  std::atomic<std::uint64_t> next_temp_{0};
};

}  // namespace ferry::store::detail
