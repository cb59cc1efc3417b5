// POSIX I/O with errors as values. Every loop here exists because the kernel may legally do less than asked.
#include "store/engine/posix_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ferry::store::detail {

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

unique_fd::~unique_fd() {
  if (fd_ >= 0) ::close(fd_);
}

int unique_fd::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

outcome errno_failure(std::string_view op, const std::filesystem::path& path, int err) {
  const bool full = err == ENOSPC || err == EDQUOT;
  std::string detail(op);
  detail += " " + path.string() + ": " + std::strerror(err);
  return failure(full ? proto::status::no_space : proto::status::io_error, std::move(detail));
}

outcome write_at(int fd, xdr::bytes_view data, std::uint64_t offset, const std::filesystem::path& path) {
  while (!data.empty()) {
    const auto n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_failure("write", path, errno);
    }
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

outcome read_at(int fd, xdr::mutable_bytes into, std::uint64_t offset, const std::filesystem::path& path,
                std::size_t& got) {
  got = 0;
  while (got < into.size()) {
    const auto n = ::pread(fd, into.data() + got, into.size() - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_failure("read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return {};
}

outcome sync_file(int fd, const std::filesystem::path& path) {
  if (::fsync(fd) != 0) return errno_failure("fsync", path, errno);
  return {};
}

outcome sync_directory(const std::filesystem::path& dir) {
  unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_failure("open directory", dir, errno);
  return sync_file(fd.get(), dir);
}

outcome make_directory(const std::filesystem::path& dir, bool sync_parent) {
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return {};
    return errno_failure("mkdir", dir, errno);
  }
  return sync_parent ? sync_directory(dir.parent_path()) : outcome{};
}

}  // namespace ferry::store::detail
