// The listener's uid/gid allow-list as a table: who is admitted by SO_PEERCRED, and the reason a refused
// peer reads.
#include <catch2/catch.hpp>

#include "actors/listener/peer_allow_list.hpp"

using ferry::listener::peer_allow_list;
using ferry::listener::refusal_reason;

TEST_CASE("the allow-list admits a peer by uid or by gid, everyone when both lists are empty",
          "[hostile][access][listener]") {
  struct row {
    peer_allow_list list;
    std::optional<std::uint32_t> uid, gid;
    bool admitted;
  };
  const std::vector<row> rows{
      {{}, 1000, 1000, true},
      {{}, std::nullopt, std::nullopt, true},  // no list: TCP-like peers without credentials too
      {{{1000}, {}}, 1000, 5, true},
      {{{1000}, {}}, 1001, 5, false},
      {{{}, {100}}, 1001, 100, true},
      {{{}, {100}}, 1001, 101, false},
      {{{0, 1000}, {100}}, 65534, 65534, false},
      {{{0, 1000}, {100}}, 65534, 100, true},
      {{{1000}, {100}}, std::nullopt, std::nullopt, false},  // a list, and no credentials: refused
  };
  for (const auto& r : rows) {
    INFO("uids " << r.list.uids.size() << " gids " << r.list.gids.size() << " uid " << r.uid.value_or(-1u) << " gid "
                 << r.gid.value_or(-1u));
    CHECK(r.list.admits(r.uid, r.gid) == r.admitted);
  }
  CHECK(refusal_reason(65534, 65534).rfind("uid 65534 not allowed", 0) == 0);
  CHECK(refusal_reason(std::nullopt, std::nullopt).find("not allowed") != std::string::npos);
}
