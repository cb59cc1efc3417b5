// reply_sink: memory outside ferryd's heap (a slot of a client's shared-memory region) into which the one
// bulk opaque of a call's reply — a GET's value, a READ's chunk — is received straight from the store's
// socket, instead of into the reply record and copied out of it afterwards (issue 12, downloads).
//
// Three parties share one: the requester (a session) makes it and finally closes it, the router passes it
// along with the call, and the connection's io thread claims it for at most one reply. Claimed once,
// never twice: a later reply for the same request (a refetch from another replica, a late answer to an
// attempt that timed out) arrives in its record as usual. After close() no claim succeeds, so bytes can
// land in the memory only for a claim made before; the requester learns of the end of every claim from
// the sink's release (the last reference dropped), which it can ask to be told of.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/actor_addr.hpp>
#include <caf/atom.hpp>

#include "xdr/bytes.hpp"

namespace ferry::actors {

class reply_sink {
 public:
  /// `into` stays valid while `keep` lives (the mapped region).
  reply_sink(xdr::mutable_bytes into, std::shared_ptr<const void> keep) noexcept
      : into_(into), keep_(std::move(keep)) {}
  ~reply_sink();
  reply_sink(const reply_sink&) = delete;
  reply_sink& operator=(const reply_sink&) = delete;

  std::size_t capacity() const noexcept { return into_.size(); }

  /// io thread: takes the sink for one reply whose opaque has `length` bytes. False when it does not fit,
  /// another reply claimed it first, or the requester closed it. On true, write only into memory().
  bool claim(std::size_t length) noexcept {
    if (length > into_.size()) return false;
    auto expected = state::open;
    return state_.compare_exchange_strong(expected, state::claimed, std::memory_order_acq_rel);
  }
  xdr::byte* memory() const noexcept { return into_.data(); }

  /// Requester: no claim succeeds from now on. True when none ever did (the memory is the requester's
  /// again at once); false when one did (bytes may still be arriving until the sink is released).
  bool close() noexcept {
    auto expected = state::open;
    return state_.compare_exchange_strong(expected, state::closed, std::memory_order_acq_rel) ||
           expected == state::closed;
  }

  /// Requester, while it holds a reference: when the last reference goes, send (released_atom, id) to
  /// `to`. Set it before dropping its own reference; the release is then ordered after every write.
  void notify_on_release(caf::actor_addr to, std::uint64_t id) {
    notify_ = std::move(to);
    notify_id_ = id;
  }

  /// The requester's view of the bytes a reply landed (a read repair copies them out once).
  xdr::bytes_view landed(std::size_t length) const noexcept { return {into_.data(), std::min(length, into_.size())}; }

 private:
  enum class state : std::uint8_t { open, claimed, closed };
  xdr::mutable_bytes into_;
  std::shared_ptr<const void> keep_;
  std::atomic<state> state_{state::open};
  caf::actor_addr notify_;
  std::uint64_t notify_id_ = 0;
};
using reply_sink_ptr = std::shared_ptr<reply_sink>;

/// (sink_released_atom, id): a sink with notify_on_release was released.
using sink_released_atom = caf::atom_constant<caf::atom("sink_rel")>;

}  // namespace ferry::actors
