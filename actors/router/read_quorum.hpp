// Deciding one replicated read: each replica's version of the key goes in, and the read is answered
// from the newest version among R − W + 1 replicas, which must include one that holds every acked write.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "actors/router/quorum.hpp"
#include "actors/router/vocabulary.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::router {

/// Replica views a read needs before it answers: R − W + 1, so that every set of that many replicas
/// overlaps every set of W that acknowledged a write (at least 1).
std::size_t read_quorum(const quorum_size& size) noexcept;

/// What one replica said about a key: its version, and whether that version is a live value (otherwise
/// a tombstone, or the zero version of a key it never held).
struct replica_view {
  server_id server;
  proto::version ver;
  bool live = false;
  friend bool operator==(const replica_view&, const replica_view&) = default;
};

/// True when `a` is an older write than `b`. Writer 0 stands for "writer unknown": a backend that can keep
/// only the HLC (an NFS export stores it in the mtime) reports {hlc, 0} for the write {hlc, w}, and that
/// is the same write, not an older one (else every read would refetch and repair it).
bool behind(const proto::version& a, const proto::version& b) noexcept;

/// The view with the greatest version (the first one on a tie); null when there is none.
const replica_view* newest(const std::vector<replica_view>& views) noexcept;

/// Replicas to bring up to `target`: those that answered an older version. When the target is a
/// tombstone, replicas that never held the key (zero version, not live) need nothing.
std::vector<server_id> stale_replicas(const std::vector<replica_view>& views, const replica_view& target);

/// The next step of a read, given what it knows so far.
enum class read_step {
  ask_more,            // fewer views than the read quorum and replicas left to ask
  answer_held,         // the fetched answer in hand is the newest version seen
  answer_deleted,      // the newest version is a tombstone (or no replica has the key): NOT_FOUND
  fetch_newest,        // a replica holds a newer live value than the answer in hand: fetch it there
  wait,                // a fetch is in flight, or replicas are still answering
  fail,                // no replica answered and none is left to ask
  newest_unreachable,  // the only replica known to hold the newest value failed when asked for it
};

struct read_progress {
  std::size_t views = 0;                 // replicas that answered with a version
  std::size_t quorum = 1;                // views to wait for (read_quorum, less replicas known out)
  std::size_t in_flight = 0;             // calls out (fetches and probes)
  std::size_t untried = 0;               // replicas not asked yet
  bool fetching = false;                 // a fetch (the client's procedure) is in flight
  std::optional<proto::version> held;    // version of the fetched answer in hand
  const replica_view* newest = nullptr;  // newest(views)
  bool newest_fetched = false;           // the newest replica was already asked for its value
};

/// Pure: what to do next. With a read quorum of views it answers from the newest version; with fewer,
/// once no replica is left to ask and none is answering, it answers from the newest of those that did
/// (a degraded read: current unless W or more replicas are unreachable). A live value newer than the
/// answer in hand is fetched as soon as it is seen, while the quorum is still being gathered.
read_step next_read_step(const read_progress& p) noexcept;

}  // namespace ferry::router
