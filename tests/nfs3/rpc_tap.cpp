// rpc_tap: each link made is the real link plus a proxy actor between it and its owner. Outgoing
// records are parsed for (xid, program, procedure); replies are matched by xid on their way back.
#include "rpc_tap.hpp"

#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "xdr/protocol/nfs3.hpp"

namespace ferry::test {

namespace {

std::uint32_t be32(const xdr::byte* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// The calls of one link in flight: xid -> (program, procedure). Written by the owner's thread (send),
// read by the proxy's (replies).
struct calls_in_flight {
  std::mutex m;
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>> by_xid;
};

caf::behavior tap_proxy(caf::event_based_actor* self, caf::actor owner, std::shared_ptr<rpc_tap> tap,
                        std::shared_ptr<calls_in_flight> calls) {
  return {
      [=](actors::link_opened& ev) { self->send(owner, ev); },
      [=](actors::link_closed& ev) { self->send(owner, std::move(ev)); },
      [=](actors::link_records& ev) {
        for (auto& record : ev.records) {
          if (record->size() < 4) continue;
          std::pair<std::uint32_t, std::uint32_t> call{};
          {
            std::lock_guard lock{calls->m};
            auto it = calls->by_xid.find(be32(record->data()));
            if (it == calls->by_xid.end()) continue;
            call = it->second;
            calls->by_xid.erase(it);
          }
          if (!tap->note_answered(call.first, call.second) || record->size() < 8) continue;
          // COMMIT3resok ends with the verifier: invert it.
          auto changed = std::make_shared<std::vector<xdr::byte>>(*record);
          for (auto i = changed->size() - 8; i < changed->size(); ++i) (*changed)[i] ^= 0xff;
          record = std::move(changed);
        }
        self->send(owner, std::move(ev));
      },
  };
}

class tapped_link : public actors::link {
 public:
  tapped_link(std::unique_ptr<actors::link> inner, caf::actor proxy, std::shared_ptr<rpc_tap> tap,
              std::shared_ptr<calls_in_flight> calls)
      : inner_(std::move(inner)), proxy_(std::move(proxy)), tap_(std::move(tap)), calls_(std::move(calls)) {}
  ~tapped_link() override {
    inner_.reset();
    caf::anon_send_exit(proxy_, caf::exit_reason::user_shutdown);
  }
  void open(std::uint64_t conn) override { inner_->open(conn); }
  void close() override { inner_->close(); }
  void send(actors::outgoing_batch batch) override {
    // Each record: fragments of [mark: last bit | length][bytes]; a call's header is at its start:
    // xid, CALL, rpcvers, prog, vers, proc.
    const auto wire = batch.body.flatten();
    bool record_start = true;
    for (std::size_t at = 0; at + 4 <= wire.size();) {
      const auto mark = be32(&wire[at]);
      const std::size_t len = mark & 0x7fffffffu;
      if (record_start && len >= 24 && at + 4 + 24 <= wire.size()) {
        const auto* h = &wire[at + 4];
        {
          std::lock_guard lock{calls_->m};
          calls_->by_xid[be32(h)] = {be32(h + 12), be32(h + 20)};
        }
        tap_->note_sent(be32(h + 12), be32(h + 20));
      }
      record_start = (mark & 0x80000000u) != 0;
      at += 4 + len;
    }
    inner_->send(std::move(batch));
  }

 private:
  std::unique_ptr<actors::link> inner_;
  caf::actor proxy_;
  std::shared_ptr<rpc_tap> tap_;
  std::shared_ptr<calls_in_flight> calls_;
};

}  // namespace

actors::link_factory rpc_tap::wrap(actors::link_factory inner) {
  return [tap = shared_from_this(), inner = std::move(inner)](caf::actor owner) -> std::unique_ptr<actors::link> {
    auto calls = std::make_shared<calls_in_flight>();
    auto proxy = owner.home_system().spawn(tap_proxy, owner, tap, calls);
    return std::make_unique<tapped_link>(inner(proxy), proxy, tap, calls);
  };
}

std::size_t rpc_tap::sent(std::uint32_t prog, std::uint32_t proc) const {
  std::lock_guard lock{m_};
  auto it = sent_.find({prog, proc});
  return it == sent_.end() ? 0 : it->second;
}

std::size_t rpc_tap::answered(std::uint32_t prog, std::uint32_t proc) const {
  std::lock_guard lock{m_};
  auto it = answered_.find({prog, proc});
  return it == answered_.end() ? 0 : it->second;
}

void rpc_tap::change_commit_verifiers(int n) {
  std::lock_guard lock{m_};
  changes_ = n;
}

void rpc_tap::note_sent(std::uint32_t prog, std::uint32_t proc) {
  std::lock_guard lock{m_};
  ++sent_[{prog, proc}];
}

bool rpc_tap::note_answered(std::uint32_t prog, std::uint32_t proc) {
  std::lock_guard lock{m_};
  ++answered_[{prog, proc}];
  if (prog != proto::nfs3::program || proc != proto::nfs3::procs::commit || changes_ == 0) return false;
  --changes_;
  return true;
}

}  // namespace ferry::test
