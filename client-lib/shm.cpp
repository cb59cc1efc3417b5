// The client region: memfd_create + seals + mmap, and a first-fit slot allocator under one short lock.
#include "shm.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iterator>

namespace ferry::clib {

namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  auto n = std::strtoull(v, &end, 10);
  return (errno != 0 || end == v || *end != '\0') ? fallback : n;
}

}  // namespace

const shm_settings& shm_settings::get() {
  static const shm_settings s = [] {
    shm_settings x;
    x.region_bytes = env_number("FERRY_SHM_BYTES", x.region_bytes);
    x.max_slots = static_cast<std::uint32_t>(env_number("FERRY_SHM_SLOTS", x.max_slots));
    x.threshold = env_number("FERRY_SHM_THRESHOLD", x.threshold);
    if (x.max_slots == 0) x.region_bytes = 0;
    return x;
  }();
  return s;
}

shm_region::shm_region(int fd, xdr::byte* base, std::uint64_t size, std::uint32_t max_slots) noexcept
    : fd_(fd), base_(base), size_(size), max_slots_(max_slots), pid_(::getpid()) {}

std::unique_ptr<shm_region> shm_region::create(std::uint64_t bytes, std::uint32_t max_slots) {
  if (bytes == 0) return nullptr;
  int fd = ::memfd_create("ferry-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return nullptr;
  // Sealed before ferryd sees it: it can never shrink (no SIGBUS in ferryd), nor grow, nor be unsealed.
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0 ||
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return nullptr;
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    ::close(fd);
    errno = e;
    return nullptr;
  }
  ::madvise(p, bytes, MADV_DONTFORK);  // a forked child does not inherit the region: it makes its own
  return std::unique_ptr<shm_region>(new shm_region(fd, static_cast<xdr::byte*>(p), bytes, max_slots));
}

shm_region::~shm_region() {
  close_fd();
  if (::getpid() == pid_) ::munmap(base_, size_);  // MADV_DONTFORK: nothing is mapped in a child
}

void shm_region::close_fd() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool shm_region::usable_here() const noexcept { return ::getpid() == pid_; }

std::optional<std::uint64_t> shm_region::take(std::uint64_t length) {
  if (length == 0 || length > size_) return std::nullopt;
  std::lock_guard lk(mu_);
  if (used_.size() >= max_slots_) return std::nullopt;
  std::uint64_t at = 0;
  for (const auto& [offset, end] : used_) {
    if (offset - at >= length) break;
    at = end;
  }
  if (size_ - at < length) return std::nullopt;
  used_.emplace(at, at + length);
  return at;
}

void shm_region::give_back(std::uint64_t offset) {
  std::lock_guard lk(mu_);
  used_.erase(offset);
}

}  // namespace ferry::clib
