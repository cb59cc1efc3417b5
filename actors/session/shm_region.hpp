// A client's shared-memory region as ferryd maps it (issue 12): checked once at FC_SHM_ATTACH (a memfd,
// sealed against shrinking, of the size the call names, within the limits), then only read or written
// through slots bounded against the size recorded here. Its bytes are the app's: opaque payload, never
// a length or an offset (those come from the socket call, validated into ferryd's own memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "actors/session/memory_budget.hpp"
#include "actors/session/shm_limits.hpp"
#include "xdr/bytes.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::session::shm {

/// A descriptor received with SCM_RIGHTS, closed when the owner goes.
class owned_fd {
 public:
  owned_fd() noexcept = default;
  explicit owned_fd(int fd) noexcept : fd_(fd) {}
  owned_fd(owned_fd&& o) noexcept : fd_(o.release()) {}
  owned_fd& operator=(owned_fd&& o) noexcept;
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  ~owned_fd();
  int get() const noexcept { return fd_; }
  int release() noexcept {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

/// One mapped region; unmapped (and its bytes given back to the budget) when the last reference goes:
/// the session, or a store call still sending a slot's bytes.
class region {
 public:
  region(xdr::byte* base, std::uint64_t size, std::shared_ptr<memory_budget> budget) noexcept
      : base_(base), size_(size), budget_(std::move(budget)) {}
  ~region();
  region(const region&) = delete;
  region& operator=(const region&) = delete;

  std::uint64_t size() const noexcept { return size_; }
  /// The budget the region is charged to (it also counts slot calls host-wide).
  session::memory_budget& budget() const noexcept { return *budget_; }
  /// The slot's bytes when [offset, offset + length) lies inside the region; nullopt otherwise.
  std::optional<xdr::mutable_bytes> slot(std::uint64_t offset, std::uint64_t length) const noexcept {
    if (offset > size_ || length > size_ - offset) return std::nullopt;
    return xdr::mutable_bytes{base_ + offset, static_cast<std::size_t>(length)};
  }

 private:
  xdr::byte* base_;
  std::uint64_t size_;
  std::shared_ptr<memory_budget> budget_;
};

/// The outcome of an attach: a region, or the status and reason to answer with.
struct attach_result {
  std::shared_ptr<const region> mapped;
  proto::status code = proto::status::ok;
  std::string detail;
  std::uint32_t max_slots = 0;  ///< the limits' max_slots_in_flight when mapped
};

/// Checks `fd` (a memfd: regular file, "/memfd:" name, F_SEAL_SHRINK among its seals, size == `claimed`
/// and within the limits), charges its size to the budget's shared-memory total and maps it shared,
/// read-write. The descriptor is closed in every case (the mapping keeps the file).
attach_result attach_region(owned_fd fd, std::uint64_t claimed, const shm_limits& limits,
                            const std::shared_ptr<memory_budget>& budget);

/// The slots of one session's calls in flight: a new slot may not overlap one in flight (the app would
/// race itself, and ferryd might be writing a download into bytes a concurrent upload is sending).
/// Pure and single-threaded: the session actor owns one.
class slot_table {
 public:
  enum class outcome { taken, overlaps, too_many };
  slot_table() = default;
  explicit slot_table(std::size_t max_in_flight) noexcept : max_(max_in_flight) {}
  /// Takes [offset, offset + length) when it overlaps no slot in flight and fewer than the maximum are in
  /// flight; empty slots always fit and are not recorded.
  outcome take(std::uint64_t offset, std::uint64_t length);
  void give_back(std::uint64_t offset, std::uint64_t length);
  std::size_t in_flight() const noexcept { return busy_.size(); }

 private:
  std::map<std::uint64_t, std::uint64_t> busy_;  // offset -> end
  std::size_t max_ = SIZE_MAX;
};

}  // namespace ferry::session::shm
