// write_rounds: from the WRITE and COMMIT replies of a round, whether the write is durable, needs its
// COMMIT, must be sent again (the server's write verifier changed) or has failed. Table-driven.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "actors/nfs3/write_rounds.hpp"

using namespace ferry;
namespace nfs = proto::nfs3;
using nfs3::write_verdict;

namespace {

const nfs::verifier A = {1, 1, 1, 1, 1, 1, 1, 1};
const nfs::verifier B = {2, 2, 2, 2, 2, 2, 2, 2};

struct piece {
  std::uint32_t committed;
  nfs::verifier verf;
};

std::string name_of(write_verdict v) {
  switch (v) {
    case write_verdict::commit: return "commit";
    case write_verdict::durable: return "durable";
    case write_verdict::resend: return "resend";
    case write_verdict::failed: return "failed";
  }
  return "?";
}

}  // namespace

TEST_CASE("one round's WRITE and COMMIT replies decide whether the write is durable", "[nfs3][write_rounds]") {
  struct row {
    const char* what;
    std::vector<piece> writes;
    write_verdict after_writes;
    std::optional<nfs::verifier> commit;  // when after_writes is commit
    write_verdict after_commit;
  };
  const std::vector<row> table = {
      {"all UNSTABLE, COMMIT under the same verifier", {{nfs::unstable, A}, {nfs::unstable, A}, {nfs::unstable, A}},
       write_verdict::commit, A, write_verdict::durable},
      {"all UNSTABLE, the server restarted before COMMIT", {{nfs::unstable, A}, {nfs::unstable, A}},
       write_verdict::commit, B, write_verdict::resend},
      {"all FILE_SYNC: durable without a COMMIT", {{nfs::file_sync, A}, {nfs::file_sync, B}}, write_verdict::durable,
       std::nullopt, write_verdict::durable},
      {"DATA_SYNC counts as stable", {{nfs::data_sync, A}, {nfs::file_sync, A}}, write_verdict::durable, std::nullopt,
       write_verdict::durable},
      {"a stable piece under an old verifier does not matter", {{nfs::file_sync, B}, {nfs::unstable, A}},
       write_verdict::commit, A, write_verdict::durable},
      {"the UNSTABLE piece is what COMMIT must match", {{nfs::file_sync, A}, {nfs::unstable, A}},
       write_verdict::commit, B, write_verdict::resend},
      {"UNSTABLE pieces under different verifiers: resent without a COMMIT",
       {{nfs::unstable, A}, {nfs::file_sync, A}, {nfs::unstable, B}}, write_verdict::resend, std::nullopt,
       write_verdict::resend},
      {"an unknown stable_how is taken as UNSTABLE", {{7, A}}, write_verdict::commit, B, write_verdict::resend},
      {"one piece", {{nfs::unstable, B}}, write_verdict::commit, B, write_verdict::durable},
  };
  for (const auto& r : table) {
    CAPTURE(r.what);
    nfs3::write_rounds w;
    w.begin(r.writes.size());
    CHECK(w.round() == 1);
    for (std::size_t i = 0; i < r.writes.size(); ++i)
      CHECK(w.written(r.writes[i].committed, r.writes[i].verf) == (i + 1 == r.writes.size()));
    const auto first = w.after_writes();
    CHECK(name_of(first) == name_of(r.after_writes));
    if (r.commit) CHECK(name_of(w.after_commit(*r.commit)) == name_of(r.after_commit));
    CHECK(w.changes() == (name_of(first) == "resend" || (r.commit && name_of(r.after_commit) == "resend") ? 1u : 0u));
  }
}

TEST_CASE("a write verifier that changes in every round fails the write after max_write_rounds", "[nfs3][write_rounds]") {
  nfs3::write_rounds w;
  std::vector<write_verdict> verdicts;
  for (unsigned round = 1; round <= nfs3::max_write_rounds; ++round) {
    w.begin(2);
    CHECK(w.round() == round);
    w.written(nfs::unstable, A);
    w.written(nfs::unstable, A);
    REQUIRE(w.after_writes() == write_verdict::commit);
    verdicts.push_back(w.after_commit(B));  // a restart before every COMMIT
  }
  CHECK(verdicts == std::vector<write_verdict>{write_verdict::resend, write_verdict::resend, write_verdict::failed});
  CHECK(w.changes() == nfs3::max_write_rounds);
}

TEST_CASE("a resent round that meets a steady verifier is durable, and starts from a clean tally", "[nfs3][write_rounds]") {
  nfs3::write_rounds w;
  w.begin(2);
  w.written(nfs::unstable, A);
  w.written(nfs::unstable, B);  // a restart between the two WRITEs
  REQUIRE(w.after_writes() == write_verdict::resend);
  w.begin(2);  // the new round forgets the old verifiers
  CHECK_FALSE(w.written(nfs::unstable, B));
  CHECK(w.written(nfs::unstable, B));
  REQUIRE(w.after_writes() == write_verdict::commit);
  CHECK(w.after_commit(B) == write_verdict::durable);
  CHECK(w.round() == 2);
  CHECK(w.changes() == 1);
}
