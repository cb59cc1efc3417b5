// Durable writes (temp file, fsync, rename, fsync folder) and header-checked reads of object files.
#include "store/engine/disk_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "store/engine/key_digest.hpp"
#include "store/engine/object_header.hpp"

namespace ferry::store::detail {
namespace {

// Removes a temporary or upload file on every path out of a write that did not install it.
class unlink_guard {
 public:
  explicit unlink_guard(std::filesystem::path path) : path_(std::move(path)) {}
  unlink_guard(const unlink_guard&) = delete;
  unlink_guard& operator=(const unlink_guard&) = delete;
  ~unlink_guard() {
    if (armed_) ::unlink(path_.c_str());
  }
  void disarm() noexcept { armed_ = false; }

 private:
  std::filesystem::path path_;
  bool armed_ = true;
};

class disk_upload final : public upload_sink {
 public:
  disk_upload(disk_store& store, unique_fd file, std::filesystem::path path, std::size_t header_bytes)
      : store_(store), file_(std::move(file)), path_(std::move(path)), cleanup_(path_), header_bytes_(header_bytes) {}

  // The header's room is left at the front (its size depends only on the key); data goes after it, so
  // the commit writes the header in place and renames: no copy of a multi-GiB object.
  outcome write_at(std::uint64_t offset, xdr::bytes_view data) override {
    return detail::write_at(file_.get(), data, header_bytes_ + offset, path_);
  }

  outcome publish(const object_record& record) override {
    const auto header = encode_header({std::string(record.key), record.info, false});
    if (auto done = detail::write_at(file_.get(), header, 0, path_); !done.ok()) return done;
    if (auto done = store_.install(std::move(file_), path_, record.key); !done.ok()) return done;
    cleanup_.disarm();
    return {};
  }

 private:
  disk_store& store_;
  unique_fd file_;
  std::filesystem::path path_;
  unlink_guard cleanup_;
  std::size_t header_bytes_;
};

}  // namespace

std::filesystem::path disk_layout::object_file(std::string_view key) const {
  return objects() / object_relative_path(key_digest(key));
}

disk_store::disk_store(disk_layout layout, bool fsync, unique_fd dir_lock)
    : layout_(std::move(layout)), fsync_(fsync), dir_lock_(std::move(dir_lock)) {}

outcome disk_store::publish(const object_record& record, xdr::bytes_view value) {
  // Recovery empties DIR/tmp, so a counter is unique enough for the life of this store.
  const auto temp = layout_.temp() / ("put-" + std::to_string(next_temp_++));
  unique_fd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!file) return errno_failure("create", temp, errno);
  unlink_guard cleanup(temp);
  const auto header = encode_header({std::string(record.key), record.info, record.tombstone});
  if (auto done = write_at(file.get(), header, 0, temp); !done.ok()) return done;
  if (auto done = write_at(file.get(), value, header.size(), temp); !done.ok()) return done;
  if (auto done = install(std::move(file), temp, record.key); !done.ok()) return done;
  cleanup.disarm();
  return {};
}

outcome disk_store::install(unique_fd file, const std::filesystem::path& from, std::string_view key) {
  // fsync before rename: otherwise a crash could leave the new name pointing at a file whose data never
  // reached the disk (a zero-length or partial object where an acknowledged one should be).
  if (fsync_) {
    if (auto done = sync_file(file.get(), from); !done.ok()) return done;
  }
  // close can report a deferred write error (NFS, some FUSE file systems): heard here, not lost.
  if (::close(file.release()) != 0) return errno_failure("close", from, errno);
  const auto to = layout_.object_file(key);
  if (auto done = rename_into_place(from, to); !done.ok()) return done;
  // rename is atomic but lives in the folder's metadata: until the folder is fsynced a crash may undo it,
  // and the acknowledged write would vanish (or the old version come back).
  return fsync_ ? sync_directory(to.parent_path()) : outcome{};
}

outcome disk_store::rename_into_place(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return {};
  if (errno != ENOENT) return errno_failure("rename to", to, errno);
  // First object in this <2 hex>/<2 hex> folder: create the folders (durably) and try again.
  if (auto done = make_directory(to.parent_path().parent_path(), fsync_); !done.ok()) return done;
  if (auto done = make_directory(to.parent_path(), fsync_); !done.ok()) return done;
  if (::rename(from.c_str(), to.c_str()) != 0) return errno_failure("rename to", to, errno);
  return {};
}

outcome disk_store::forget(std::string_view key) {
  // No fsync: if a crash undoes the unlink, the tombstone is simply purged again later.
  const auto path = layout_.object_file(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_failure("unlink", path, errno);
  return {};
}

fetched disk_store::fetch(std::string_view key, const fetch_range& range) {
  fetched result;
  const auto path = layout_.object_file(key);
  // Everything below reads one open file: a concurrent rename replaces the name, not this inode, so the
  // header and data read here always belong together.
  unique_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    result.result = errno == ENOENT ? failure(proto::status::not_found, "no object has this key")
                                    : errno_failure("open", path, errno);
    return result;
  }
  std::vector<xdr::byte> head(header_max_size);
  std::size_t got = 0;
  if (auto done = read_at(file.get(), head, 0, path, got); !done.ok()) {
    result.result = std::move(done);
    return result;
  }
  auto decoded = decode_header(xdr::bytes_view(head.data(), got));
  if (!decoded.header) {
    result.result = failure(proto::status::io_error, "corrupt object file " + path.string() + ": " + decoded.problem);
    return result;
  }
  const auto& header = *decoded.header;
  if (header.key != key) {  // a SHA-256 collision: this file is another key's, so this key has nothing
    result.result = failure(proto::status::not_found, "no object has this key");
    return result;
  }
  result.info = header.info;
  if (header.tombstone) {
    result.info = {0, header.info.ver, header.info.mtime_ns};
    result.result = failure(proto::status::not_found, "the key was deleted");
    return result;
  }
  struct stat st {};
  const auto data_start = header_size(key.size());
  if (::fstat(file.get(), &st) != 0) {
    result.result = errno_failure("stat", path, errno);
    return result;
  }
  if (static_cast<std::uint64_t>(st.st_size) != data_start + header.info.size) {
    result.result = failure(proto::status::io_error, "corrupt object file " + path.string() + ": " +
                                                         std::to_string(st.st_size) + " bytes, header says " +
                                                         std::to_string(data_start + header.info.size));
    return result;
  }
  if (result.result = check_range(header.info, range); !result.result.ok()) return result;
  std::vector<xdr::byte> data(clipped_length(header.info, range));
  if (auto done = read_at(file.get(), data, data_start + range.offset, path, got); !done.ok()) {
    result.result = std::move(done);
    return result;
  }
  if (got != data.size()) {
    result.result = failure(proto::status::io_error, "object file " + path.string() + " shrank while being read");
    return result;
  }
  result.data = std::make_shared<const std::vector<xdr::byte>>(std::move(data));
  return result;
}

opened_upload disk_store::open_upload(std::uint64_t upload_id, std::string_view key) {
  const auto path = layout_.uploads() / std::to_string(upload_id);
  unique_fd file(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!file) return {errno_failure("create", path, errno), nullptr};
  return {{}, std::make_unique<disk_upload>(*this, std::move(file), path, header_size(key.size()))};
}

std::uint64_t disk_store::free_bytes() {
  struct statvfs fs {};
  if (::statvfs(layout_.root.c_str(), &fs) != 0) return 0;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

}  // namespace ferry::store::detail
