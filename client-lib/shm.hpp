// libferry's side of the shared-memory bulk path (issue 12): one memfd region per connection, sealed
// against shrinking, mapped here and passed once to ferryd (FC_SHM_ATTACH with SCM_RIGHTS); values at or
// above the threshold then travel in slots of it, and the socket carries only (offset, length).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "xdr/bytes.hpp"

namespace ferry::clib {

/// From the environment, read once per process: FERRY_SHM_BYTES (region size; 0 turns the path off),
/// FERRY_SHM_SLOTS (slots in flight at most), FERRY_SHM_THRESHOLD (smallest value or GET buffer that
/// goes through the region). The C API has no room for them (ferry_options is part of the ABI).
struct shm_settings {
  std::uint64_t region_bytes = 64ull << 20;
  std::uint32_t max_slots = 16;
  std::uint64_t threshold = 256u << 10;  // measured: below it the socket path is as fast (bench/run-shm)
  static const shm_settings& get();
};

class shm_region {
 public:
  /// A new sealed memfd of `bytes`, mapped; null (errno set) when the kernel refuses.
  static std::unique_ptr<shm_region> create(std::uint64_t bytes, std::uint32_t max_slots);
  ~shm_region();  // never locks: it may run in a forked child
  shm_region(const shm_region&) = delete;
  shm_region& operator=(const shm_region&) = delete;

  /// The memfd until the attach call is answered (then closed: the mapping keeps the file).
  int fd() const noexcept { return fd_; }
  void close_fd() noexcept;
  std::uint64_t size() const noexcept { return size_; }
  xdr::byte* at(std::uint64_t offset) const noexcept { return base_ + offset; }
  /// Only the process that created the region may use it (a forked child makes its own).
  bool usable_here() const noexcept;

  /// A free range of `length` bytes (first fit), or nullopt when none or max_slots are taken.
  std::optional<std::uint64_t> take(std::uint64_t length);
  /// Gives the slot back: only once ferryd's reply to the call naming it arrived. A call that timed out
  /// keeps its slot until the connection (and the region) goes: ferryd may still touch it.
  void give_back(std::uint64_t offset);

 private:
  shm_region(int fd, xdr::byte* base, std::uint64_t size, std::uint32_t max_slots) noexcept;
  int fd_;
  xdr::byte* base_;
  std::uint64_t size_;
  std::uint32_t max_slots_;
  pid_t pid_;
  std::mutex mu_;
  std::map<std::uint64_t, std::uint64_t> used_;  // offset -> end
};

}  // namespace ferry::clib
