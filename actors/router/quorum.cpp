// The write tally: conflict outranks everything because under last-writer-wins a newer version means our
// value will never be read back, however many replicas took it.
#include "actors/router/quorum.hpp"

#include <stdexcept>

namespace ferry::router {

std::optional<quorum_error> check(const quorum_size& size) noexcept {
  if (size.replicas == 0) return quorum_error::no_replicas;
  if (size.write_quorum == 0) return quorum_error::zero_quorum;
  if (size.write_quorum > size.replicas) return quorum_error::quorum_above_replicas;
  return std::nullopt;
}

write_quorum::write_quorum(quorum_size size, proto::version ours) : size_(size), ours_(ours) {
  if (check(size)) throw std::invalid_argument("write_quorum: need 1 <= W <= R");
}

std::optional<write_decision> write_quorum::record(const replica_outcome& outcome) {
  ++outcomes_;
  if (std::holds_alternative<replica_ok>(outcome)) {
    ++acks_;
  } else if (const auto* c = std::get_if<replica_conflict>(&outcome)) {
    // A store answers CONFLICT only with a strictly newer version; anything else is a confused
    // replica, which cannot have taken our write and so counts as a failure.
    if (c->newer > ours_) {
      if (!newer_ || c->newer > *newer_) newer_ = c->newer;
    } else {
      ++failures_;
      last_failure_ = proto::status::conflict;
    }
  } else {
    ++failures_;
    last_failure_ = std::get<replica_failure>(outcome).code;
  }
  if (is_decided()) return std::nullopt;
  decision_ = evaluate();
  if (!is_decided()) return std::nullopt;
  return decision_;
}

write_decision write_quorum::evaluate() const {
  using kind = write_decision::kind;
  if (newer_) return {kind::conflict, *newer_, std::nullopt};
  if (acks_ >= size_.write_quorum) return {kind::ok, ours_, std::nullopt};
  if (failures_ > size_.replicas - size_.write_quorum) return {kind::unavailable, ours_, last_failure_};
  return {};
}

}  // namespace ferry::router
