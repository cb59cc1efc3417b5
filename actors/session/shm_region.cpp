// Attaching a client's memfd: every check that makes a later SIGBUS or out-of-bounds access impossible
// happens here once, on the io thread, before the session ever sees the region.
#include "actors/session/shm_region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string_view>

namespace ferry::session::shm {

owned_fd& owned_fd::operator=(owned_fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

owned_fd::~owned_fd() {
  if (fd_ >= 0) ::close(fd_);
}

region::~region() {
  ::munmap(base_, size_);
  if (budget_) budget_->shm_unmapped(size_);
}

namespace {

attach_result refused(std::string why) { return {nullptr, proto::status::bad_request, "ferryd: " + std::move(why)}; }

// Only a memfd's name starts so in /proc: a tmpfs file or a shm_open object is not a memfd.
bool named_memfd(int fd) {
  char link[64];
  char target[128];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  auto n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0) return false;
  return std::string_view(target, static_cast<std::size_t>(n)).starts_with("/memfd:");
}

}  // namespace

attach_result attach_region(owned_fd fd, std::uint64_t claimed, const shm_limits& limits,
                            const std::shared_ptr<memory_budget>& budget) {
  if (!limits.enabled) return refused("shared-memory path disabled");
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !named_memfd(fd.get()))
    return refused("the shared region must be a memfd");
  const int seals = ::fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0) return refused("the shared region must be a memfd (F_GET_SEALS failed)");
  if ((seals & F_SEAL_SHRINK) == 0) return refused("the shared region must be sealed with F_SEAL_SHRINK");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size != claimed) return refused("the region's size differs from the size the attach call names");
  if (size == 0) return refused("the shared region is empty");
  if (size > limits.max_region_bytes)
    return refused("the shared region is larger than " + std::to_string(limits.max_region_bytes) + " bytes");
  if (!budget->try_map_shm(size, limits.max_total_bytes))
    return {nullptr, proto::status::overloaded, "ferryd: shared-memory total for this host exhausted; retry later"};
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    budget->shm_unmapped(size);
    return refused(std::string("cannot map the shared region: ") + std::strerror(e));
  }
  ::madvise(p, size, MADV_DONTDUMP);  // the app's data has no place in ferryd's core dumps
  return {std::make_shared<const region>(static_cast<xdr::byte*>(p), size, budget), proto::status::ok, {},
          limits.max_slots_in_flight};
}

slot_table::outcome slot_table::take(std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return outcome::taken;
  const auto end = offset + length;  // bounded by the region's size: checked before
  auto next = busy_.lower_bound(offset);
  if (next != busy_.end() && next->first < end) return outcome::overlaps;
  if (next != busy_.begin() && std::prev(next)->second > offset) return outcome::overlaps;
  if (busy_.size() >= max_) return outcome::too_many;
  busy_.emplace(offset, end);
  return outcome::taken;
}

void slot_table::give_back(std::uint64_t offset, std::uint64_t length) {
  if (length != 0) busy_.erase(offset);
}

}  // namespace ferry::session::shm
