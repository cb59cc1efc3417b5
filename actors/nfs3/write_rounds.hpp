// Whether an UNSTABLE write reached stable storage (RFC 1813 3.3.7 WRITE, 3.3.21 COMMIT): the tally of
// one write's rounds, fed with the WRITE and COMMIT replies. Pure, so every case is table-tested.
#pragma once

#include <cstddef>
#include <cstdint>

#include "xdr/protocol/nfs3.hpp"

namespace ferry::nfs3 {

/// Rounds (the first + resends) before a write whose verifier keeps changing is given up.
inline constexpr unsigned max_write_rounds = 3;

enum class write_verdict {
  commit,   ///< every piece answered, some UNSTABLE under one verifier: COMMIT the range
  durable,  ///< every piece is on stable storage: the write may be acknowledged
  resend,   ///< the verifier changed (the server restarted and may have lost unstable data): write again
  failed,   ///< it changed in every one of the allowed rounds: give up
};

/// One write (a PUT's value, an upload chunk) sent as WRITE pieces then COMMIT, round after round.
/// A piece answered FILE_SYNC or DATA_SYNC is stable whatever its verifier; an UNSTABLE one is stable
/// once a COMMIT answers the verifier its WRITE did. Any other stable_how value is taken as UNSTABLE.
class write_rounds {
 public:
  explicit write_rounds(unsigned max_rounds = max_write_rounds) : max_rounds_(max_rounds) {}

  /// Starts a round of `pieces` WRITEs: the first, or a resend after `resend`.
  void begin(std::size_t pieces);
  /// A piece's WRITE answered NFS3_OK. True when it was the round's last: then ask after_writes().
  bool written(std::uint32_t committed, const proto::nfs3::verifier& verf);
  /// After the last WRITE: durable (all stable already), commit, or — when the UNSTABLE pieces came
  /// back under different verifiers (a restart between them) — resend / failed without a COMMIT.
  write_verdict after_writes();
  /// The COMMIT's verifier: durable when it equals the UNSTABLE pieces' one, else resend / failed.
  write_verdict after_commit(const proto::nfs3::verifier& verf);

  unsigned round() const noexcept { return round_; }      ///< 1 for the first round
  unsigned changes() const noexcept { return changes_; }  ///< rounds in which the verifier changed

 private:
  write_verdict changed();

  unsigned max_rounds_;
  unsigned round_ = 0, changes_ = 0;
  std::size_t pieces_ = 0, answered_ = 0;
  bool unstable_ = false;  // some piece of this round was UNSTABLE
  bool split_ = false;     // ... and they came back under different verifiers
  proto::nfs3::verifier verf_{};  // the UNSTABLE pieces' verifier
};

}  // namespace ferry::nfs3
