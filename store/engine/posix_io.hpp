// The few POSIX file operations the disk engine needs, each returning an outcome whose detail names the
// operation, the path and strerror; ENOSPC and EDQUOT become NO_SPACE, every other errno IO_ERROR.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "store/engine/outcome.hpp"
#include "xdr/bytes.hpp"

namespace ferry::store::detail {

/// Owns a file descriptor; closes it once.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd();

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept;

 private:
  int fd_ = -1;
};

/// NO_SPACE for a full disk or quota, IO_ERROR otherwise; "<op> <path>: <strerror>".
outcome errno_failure(std::string_view op, const std::filesystem::path& path, int err);

/// Writes all of data at offset, retrying short writes and EINTR.
outcome write_at(int fd, xdr::bytes_view data, std::uint64_t offset, const std::filesystem::path& path);

/// Reads up to into.size() bytes at offset; stops early only at end of file. Sets `got`.
outcome read_at(int fd, xdr::mutable_bytes into, std::uint64_t offset, const std::filesystem::path& path,
                std::size_t& got);

outcome sync_file(int fd, const std::filesystem::path& path);

/// fsync of a directory: makes the names created or renamed in it durable, not just the files' bytes.
outcome sync_directory(const std::filesystem::path& dir);

/// Creates dir if missing; when it had to, fsyncs the parent so the new folder itself survives a crash.
outcome make_directory(const std::filesystem::path& dir, bool sync_parent);

}  // namespace ferry::store::detail
