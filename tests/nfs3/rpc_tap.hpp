// A link between the NFS backend and its server that tells a test which procedures went out and which
// were answered, and can make COMMIT replies carry a write verifier the WRITEs did not: a server restart
// between WRITE and COMMIT, made deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "actors/rpc_connection/link.hpp"

namespace ferry::test {

class rpc_tap : public std::enable_shared_from_this<rpc_tap> {
 public:
  /// `inner` with every link it makes reporting to this tap (which the links keep alive).
  actors::link_factory wrap(actors::link_factory inner);

  /// Calls of program `prog`, procedure `proc` sent / answered (any reply) so far.
  std::size_t sent(std::uint32_t prog, std::uint32_t proc) const;
  std::size_t answered(std::uint32_t prog, std::uint32_t proc) const;

  /// The next `n` NFSv3 COMMIT replies come back with their verifier's bytes inverted.
  void change_commit_verifiers(int n);

  // For the links: a call went out; a reply to (prog, proc) came back — true when its verifier is to change.
  void note_sent(std::uint32_t prog, std::uint32_t proc);
  bool note_answered(std::uint32_t prog, std::uint32_t proc);

 private:
  mutable std::mutex m_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> sent_, answered_;
  int changes_ = 0;
};

}  // namespace ferry::test
