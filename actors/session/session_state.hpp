// The session actor's state and the steps its handlers share. Internal to the session: one actor whose
// handlers live in session.cpp (FERRY_CLIENT's socket procedures) and session_shm.cpp (the shared-memory
// bulk path, issue 12).
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "actors/router/router_messages.hpp"
#include "actors/session/session.hpp"
#include "actors/session/shm_region.hpp"
#include "actors/session/status_reply.hpp"
#include "xdr/rpc.hpp"

namespace ferry::actors::session_impl {

namespace rpc = xdr::rpc;
namespace pc = proto::client;
using router::op_kind;

/// An FC_PUT_SHM in flight. Its reply goes out only when both the router has answered and no store call
/// references the slot any more (`released`): with W < R the router answers at the quorum while the last
/// replica's writev may still read the slot, and the app reuses a slot as soon as it has the reply.
struct pending_put {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::size_t request_bytes = 0;
  std::optional<transport::outgoing_record> reply;
  bool released = false;
};
/// (shm_released_atom, put id): the last reference to an FC_PUT_SHM's slot bytes is gone.
using shm_released_atom = caf::atom_constant<caf::atom("shm_rel")>;

struct session_state {
  session_config cfg;
  std::unique_ptr<session_io> io;
  session_stats stats;
  std::shared_ptr<const session::shm::region> region;  ///< attached with FC_SHM_ATTACH; never replaced
  session::shm::slot_table slots;
  std::unordered_map<std::uint64_t, pending_put> puts;
  std::uint64_t next_put = 0;
  /// Downloads whose slot a store reply may still be writing: run when their sink is released (by id).
  std::unordered_map<std::uint64_t, std::function<void()>> after_release;
  static inline const char* name = "session";
  ~session_state() {
    if (io) io->close();
  }
};
using session_actor = caf::stateful_actor<session_state>*;

void answer(session_actor self, transport::outgoing_record reply, std::size_t request_bytes);
/// answer(), counted as rejected by the session itself.
void reject(session_actor self, transport::outgoing_record reply, std::size_t request_bytes);
/// Ends the session for a protocol fault; the event log reports `why` with the exit reason.
void close_session(session_actor self, const std::string& why);
/// How a caf::error from a router request reads to the client.
std::pair<proto::status, std::string> status_of(const caf::error& e);

/// Sends `Request` to the router; `finish` gets the call's one reply record: `encode(Reply&)` on an answer,
/// a status-only reply on the request's error.
/// `encode` may return std::optional<transport::outgoing_record>: nullopt means it took charge of the
/// answer itself (finish is not called). `sink`: see client_call::sink.
template <class Request, class Reply, class Args, class Encode, class Finish>
void ask_router(session_actor self, std::uint32_t xid, std::uint32_t proc, shared_bytes owner, Args args,
                std::uint32_t client_ms, op_kind kind, std::uint64_t payload, Encode encode, Finish finish,
                reply_sink_ptr sink = nullptr) {
  auto& st = self->state;
  if (!st.cfg.router) {
    ++st.stats.rejected;
    finish(status_only_reply(xid, proc, proto::status::unavailable, "ferryd has no router"));
    return;
  }
  const auto now = self->clock().now();
  const auto deadline = router::request_deadline(st.cfg.deadlines, now, client_ms, kind, payload);
  const auto safety = std::chrono::duration_cast<caf::timespan>(deadline - now) + st.cfg.router_grace;
  ++st.stats.in_flight;
  self->request(st.cfg.router, safety, Request{std::move(owner), args, deadline, std::move(sink)})
      .then(
          [self, encode, finish](Reply& r) mutable {
            --self->state.stats.in_flight;
            if constexpr (std::is_same_v<decltype(encode(r)), std::optional<transport::outgoing_record>>) {
              if (auto record = encode(r)) finish(std::move(*record));
            } else {
              finish(encode(r));
            }
          },
          [self, xid, proc, finish](caf::error& e) mutable {
            --self->state.stats.in_flight;
            auto [code, detail] = status_of(e);
            if (code == proto::status::timedout) ++self->state.stats.timeouts;
            finish(status_only_reply(xid, proc, code, detail));
          });
}

// ---- shared-memory bulk path (session_shm.cpp) ----------------------------------------------------------

/// An FC_SHM_ATTACH whose descriptor the io has checked and mapped (or refused).
void handle_attach(session_actor self, session_shm_attach& a);
/// FERRY_CLIENT procedures above max_proc: the slot procedures (and an attach without a descriptor).
void handle_shm_record(session_actor self, const rpc::call& call, const shared_bytes& record);
/// (shm_released_atom, id): an upload's slot bytes are referenced no more.
void shm_released(session_actor self, std::uint64_t put_id);
/// (sink_released_atom, id): a download's sink is released; its deferred answer runs.
void sink_released(session_actor self, std::uint64_t id);

}  // namespace ferry::actors::session_impl
