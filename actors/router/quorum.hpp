// Counting one replicated write: each replica's outcome goes in, and the write is decided as soon as the
// outcome is certain — W acks, a newer version elsewhere (last writer wins), or W out of reach.
#pragma once

#include <cstddef>
#include <optional>
#include <variant>

#include "xdr/protocol/common.hpp"

namespace ferry::router {

/// R replicas written, W acks needed. Valid when 1 <= W <= R.
struct quorum_size {
  std::size_t replicas = 1;
  std::size_t write_quorum = 1;
};

enum class quorum_error {
  no_replicas,            // R = 0
  zero_quorum,            // W = 0: nothing would ever be written durably
  quorum_above_replicas,  // W > R: the write could never succeed
};

/// Empty when `size` is valid.
std::optional<quorum_error> check(const quorum_size& size) noexcept;

/// What one replica answered.
struct replica_ok {
  proto::version stored;  // the version the replica now holds (ours)
};
struct replica_conflict {
  proto::version newer;  // the replica already holds this version, newer than ours
};
struct replica_failure {
  proto::status code;  // timedout, unavailable, io_error, no_space, ...
};
using replica_outcome = std::variant<replica_ok, replica_conflict, replica_failure>;

struct write_decision {
  enum class kind {
    pending,      // not decidable yet
    ok,           // W replicas acknowledged our version
    conflict,     // a replica holds a newer version: our write lost; `winner` says which
    unavailable,  // more than R - W replicas failed: W acks can no longer be reached
  };
  kind what = kind::pending;
  proto::version winner;                       // conflict: the newest version seen; otherwise ours
  std::optional<proto::status> last_failure;  // unavailable: the most recent replica failure
  friend bool operator==(const write_decision&, const write_decision&) = default;
};

/// The tally for one write of version `ours` to R replicas. The first decision is final: outcomes
/// arriving afterwards are counted but never change it, so the client is answered exactly once.
class write_quorum {
 public:
  /// `size` must pass check(); an invalid one is a programmer error (std::invalid_argument).
  write_quorum(quorum_size size, proto::version ours);

  /// Counts one replica's outcome. Returns the decision only when this outcome made it, so the
  /// caller replies on a non-empty return and never otherwise.
  std::optional<write_decision> record(const replica_outcome& outcome);

  const write_decision& decided() const noexcept { return decision_; }
  bool is_decided() const noexcept { return decision_.what != write_decision::kind::pending; }

  std::size_t acks() const noexcept { return acks_; }
  std::size_t failures() const noexcept { return failures_; }
  std::size_t outcomes() const noexcept { return outcomes_; }

 private:
  write_decision evaluate() const;

  quorum_size size_;
  proto::version ours_;
  std::size_t acks_ = 0;
  std::size_t failures_ = 0;
  std::size_t outcomes_ = 0;
  std::optional<proto::version> newer_;
  std::optional<proto::status> last_failure_;
  write_decision decision_;
};

}  // namespace ferry::router
