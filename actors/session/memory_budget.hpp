// ferryd's global accounting of client sessions and the request bytes they hold, shared by every session
// and listener of one daemon. Atomic counters, not an actor: a session's io thread checks the budget for
// every record, and a round trip to an accounting actor would cost more than the record's processing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "xdr/bytes.hpp"

namespace ferry::session {

class memory_budget : public std::enable_shared_from_this<memory_budget> {
 public:
  explicit memory_budget(std::uint64_t limit_bytes) noexcept : limit_(limit_bytes) {}

  /// Takes `n` bytes if they fit under the limit (a record larger than the whole limit never fits).
  bool try_acquire(std::uint64_t n) noexcept {
    auto used = used_.load(std::memory_order_relaxed);
    const auto limit = limit_.load(std::memory_order_relaxed);
    do {
      if (n > limit || used > limit - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void release(std::uint64_t n) noexcept { used_.fetch_sub(n, std::memory_order_relaxed); }

  /// A copy of `bytes` whose memory stays accounted until its last reference goes (anywhere in
  /// ferryd: a session, the router, a store call's queue). Null when the budget cannot take it.
  std::shared_ptr<const std::vector<xdr::byte>> copy_accounted(xdr::bytes_view bytes) {
    if (!try_acquire(bytes.size())) return nullptr;
    auto self = shared_from_this();
    return std::shared_ptr<const std::vector<xdr::byte>>(
        new std::vector<xdr::byte>(bytes.begin(), bytes.end()), [self](const std::vector<xdr::byte>* p) {
          self->release(p->size());
          delete p;
        });
  }

  /// A reload may change the limit; bytes already held stay held (new records wait for room).
  void set_limit(std::uint64_t limit_bytes) noexcept { limit_.store(limit_bytes, std::memory_order_relaxed); }

  std::uint64_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::uint64_t limit() const noexcept { return limit_.load(std::memory_order_relaxed); }

  /// Open sessions (counted by the sessions' io objects: created on accept, gone on close).
  void session_opened() noexcept { sessions_.fetch_add(1, std::memory_order_relaxed); }
  void session_closed() noexcept { sessions_.fetch_sub(1, std::memory_order_relaxed); }
  std::uint64_t sessions() const noexcept { return sessions_.load(std::memory_order_relaxed); }

  /// Calls taken by all sessions and not yet answered on their socket (the reply written) nor abandoned
  /// by a session that closed: zero means no client is owed an answer (SIGTERM drain waits for it).
  void calls_taken(std::uint64_t n) noexcept { calls_.fetch_add(n, std::memory_order_relaxed); }
  void calls_done(std::uint64_t n) noexcept { calls_.fetch_sub(n, std::memory_order_relaxed); }
  std::uint64_t calls_in_flight() const noexcept { return calls_.load(std::memory_order_relaxed); }

  /// Client shared-memory regions mapped by sessions (issue 12), counted apart from request bytes: their
  /// pages belong to the apps' memfds, not to ferryd's heap, but the address space and page-table cost is
  /// ferryd's, so the host total is capped (`cap`, from the sessions' shm limits).
  bool try_map_shm(std::uint64_t n, std::uint64_t cap) noexcept {
    auto used = shm_.load(std::memory_order_relaxed);
    do {
      if (n > cap || used > cap - n) return false;
    } while (!shm_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    shm_regions_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  void shm_unmapped(std::uint64_t n) noexcept {
    shm_.fetch_sub(n, std::memory_order_relaxed);
    shm_regions_.fetch_sub(1, std::memory_order_relaxed);
  }
  std::uint64_t shm_mapped() const noexcept { return shm_.load(std::memory_order_relaxed); }
  std::uint64_t shm_regions() const noexcept { return shm_regions_.load(std::memory_order_relaxed); }

  /// Slot calls taken by all sessions since start, and their payload bytes (what the shared path moved).
  void shm_slot_taken(std::uint64_t payload) noexcept {
    shm_calls_.fetch_add(1, std::memory_order_relaxed);
    shm_bytes_.fetch_add(payload, std::memory_order_relaxed);
  }
  std::uint64_t shm_calls() const noexcept { return shm_calls_.load(std::memory_order_relaxed); }
  std::uint64_t shm_bytes() const noexcept { return shm_bytes_.load(std::memory_order_relaxed); }

  /// Download bytes that reached slots: received there straight from a store's socket (`in_place`), or
  /// copied there by a session out of a reply record (`copied`: the fallback, e.g. an NFS-backed store).
  void shm_downloaded(std::uint64_t in_place, std::uint64_t copied) noexcept {
    shm_in_place_.fetch_add(in_place, std::memory_order_relaxed);
    shm_copied_.fetch_add(copied, std::memory_order_relaxed);
  }
  std::uint64_t shm_bytes_in_place() const noexcept { return shm_in_place_.load(std::memory_order_relaxed); }
  std::uint64_t shm_bytes_copied() const noexcept { return shm_copied_.load(std::memory_order_relaxed); }

  /// SIGTERM drain: calls arriving from now on are answered SHUTTING_DOWN by the sessions' io, so the
  /// calls already taken are the last ones ferryd owes an answer.
  void start_draining() noexcept { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> limit_;
  std::atomic<std::uint64_t> used_{0};
  std::atomic<std::uint64_t> sessions_{0};
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> shm_{0};
  std::atomic<std::uint64_t> shm_regions_{0};
  std::atomic<std::uint64_t> shm_calls_{0};
  std::atomic<std::uint64_t> shm_bytes_{0};
  std::atomic<std::uint64_t> shm_in_place_{0};
  std::atomic<std::uint64_t> shm_copied_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace ferry::session
