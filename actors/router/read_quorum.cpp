// Read quorum policy: pure functions over the versions replicas reported.
#include "actors/router/read_quorum.hpp"

namespace ferry::router {

std::size_t read_quorum(const quorum_size& size) noexcept {
  if (size.write_quorum == 0 || size.write_quorum > size.replicas) return 1;
  return size.replicas - size.write_quorum + 1;
}

bool behind(const proto::version& a, const proto::version& b) noexcept {
  if (a.hlc == b.hlc && (a.writer == 0 || b.writer == 0)) return false;
  return a < b;
}

const replica_view* newest(const std::vector<replica_view>& views) noexcept {
  const replica_view* best = nullptr;
  for (const auto& v : views)
    if (best == nullptr || best->ver < v.ver) best = &v;
  return best;
}

std::vector<server_id> stale_replicas(const std::vector<replica_view>& views, const replica_view& target) {
  std::vector<server_id> out;
  for (const auto& v : views) {
    if (!behind(v.ver, target.ver)) continue;
    if (!target.live && !v.live && v.ver == proto::version{}) continue;  // never held it: nothing to undo
    out.push_back(v.server);
  }
  return out;
}

read_step next_read_step(const read_progress& p) noexcept {
  const bool enough = p.views >= p.quorum;
  const bool exhausted = p.untried == 0 && p.in_flight == 0;
  const bool held_is_newest = p.held && p.newest && !behind(*p.held, p.newest->ver);
  if (enough || exhausted) {
    if (p.newest == nullptr) return read_step::fail;  // exhausted with no view at all
    if (held_is_newest) return read_step::answer_held;
    if (!p.newest->live) return read_step::answer_deleted;
    if (p.fetching) return read_step::wait;
    return p.newest_fetched ? read_step::newest_unreachable : read_step::fetch_newest;
  }
  if (p.newest && p.newest->live && !held_is_newest && !p.fetching && !p.newest_fetched) return read_step::fetch_newest;
  return p.untried > 0 && p.views + p.in_flight < p.quorum ? read_step::ask_more : read_step::wait;
}

}  // namespace ferry::router
