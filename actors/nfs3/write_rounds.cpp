// write_rounds: see the header. A verifier identifies one server instance's unstable storage; a new one
// means everything written UNSTABLE under the old one may be gone.
#include "actors/nfs3/write_rounds.hpp"

namespace ferry::nfs3 {

namespace nfs = proto::nfs3;

void write_rounds::begin(std::size_t pieces) {
  ++round_;
  pieces_ = pieces;
  answered_ = 0;
  unstable_ = split_ = false;
  verf_ = {};
}

bool write_rounds::written(std::uint32_t committed, const nfs::verifier& verf) {
  ++answered_;
  if (committed != nfs::file_sync && committed != nfs::data_sync) {
    if (!unstable_) verf_ = verf;
    else if (verf != verf_) split_ = true;
    unstable_ = true;
  }
  return answered_ == pieces_;
}

write_verdict write_rounds::after_writes() {
  if (!unstable_) return write_verdict::durable;
  if (split_) return changed();
  return write_verdict::commit;
}

write_verdict write_rounds::after_commit(const nfs::verifier& verf) {
  if (verf == verf_) return write_verdict::durable;
  return changed();
}

write_verdict write_rounds::changed() {
  ++changes_;
  return round_ >= max_rounds_ ? write_verdict::failed : write_verdict::resend;
}

}  // namespace ferry::nfs3
