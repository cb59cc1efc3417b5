// The session actor: RPC checks, argument decoding, router requests, reply encoding. Every record the io
// delivers is answered by exactly one io->send() (or the session closes), so the io's in-flight count
// and the daemon's memory budget always return to zero.
#include "actors/session/session.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "actors/metering/metered.hpp"
#include "actors/session/session_state.hpp"
#include "xdr/codec.hpp"
#include "xdr/rpc.hpp"

namespace ferry::actors {

namespace session_impl {

void answer(session_actor self, transport::outgoing_record reply, std::size_t request_bytes) {
  ++self->state.stats.replies;
  self->state.stats.bytes_out += reply.body.size();
  if (self->state.io) self->state.io->send(std::move(reply), request_bytes);
}

void reject(session_actor self, transport::outgoing_record reply, std::size_t request_bytes) {
  ++self->state.stats.rejected;
  answer(self, std::move(reply), request_bytes);
}

/// Ends the session for a protocol fault; the event log reports `why` with the exit reason.
void close_session(session_actor self, const std::string& why) {
  if (self->state.io) {
    self->state.io->close();
    self->state.io.reset();
  }
  self->quit(caf::make_error(caf::sec::runtime_error, "session closed: " + why));
}

/// How a caf::error from a router request reads to the client.
std::pair<proto::status, std::string> status_of(const caf::error& e) {
  if (e == caf::sec::request_timeout) return {proto::status::timedout, "ferryd: the router did not answer in time"};
  if (e == caf::sec::request_receiver_down)
    return {proto::status::unavailable, "ferryd: the router is restarting; retry"};
  return {proto::status::internal, "ferryd: router request failed"};
}

}  // namespace session_impl

namespace {

using namespace session_impl;

/// Sends `Request` to the router and answers the call with its reply (or the request's error).
template <class Request, class Reply, class Args>
void forward(session_actor self, std::uint32_t xid, std::uint32_t proc, const shared_bytes& record, Args args,
             std::uint32_t client_ms, op_kind kind, std::uint64_t payload) {
  const auto bytes = record->size();
  ask_router<Request, Reply>(
      self, xid, proc, record, args, client_ms, kind, payload,
      [xid](Reply& r) {
        auto held = std::make_shared<Reply>(std::move(r));  // the encoding may reference its bytes
        return transport::success(xid, held->wire(), {held});
      },
      [self, bytes](transport::outgoing_record reply) { answer(self, std::move(reply), bytes); });
}

template <class Args>
std::optional<Args> decode_args(const rpc::call& call) {
  auto a = xdr::decode<Args>(call.args);
  if (!a) return std::nullopt;
  return *a;
}

void handle_record(session_actor self, const shared_bytes& record) {
  auto& st = self->state;
  ++st.stats.calls;
  const auto bytes = record->size();
  st.stats.bytes_in += bytes;
  auto call = rpc::decode_call(*record);
  if (!call) {
    if (call.error().code == xdr::errc::bad_rpc_version) {
      auto head = rpc::decode_head(*record);
      reject(self, transport::rpc_mismatch(head->xid), bytes);
      return;
    }
    close_session(self, "not an ONC RPC call (" + xdr::describe(call.error()) + ")");
    return;
  }
  const auto& h = call->header;
  if (h.prog != pc::program) return reject(self, transport::accepted_error(h.xid, rpc::accept_stat::prog_unavail), bytes);
  if (h.vers != pc::version)
    return reject(self, transport::accepted_error(h.xid, rpc::accept_stat::prog_mismatch, {pc::version, pc::version}),
                  bytes);
  if (h.cred.flavor == rpc::auth_flavor::sys) {
    if (!rpc::decode_auth_sys(h.cred.body)) return reject(self, transport::auth_error(h.xid, rpc::auth_stat::badcred), bytes);
  } else if (h.cred.flavor != rpc::auth_flavor::none) {
    return reject(self, transport::auth_error(h.xid, rpc::auth_stat::rejectedcred), bytes);
  }
  if (h.proc > pc::max_shm_proc) return reject(self, transport::accepted_error(h.xid, rpc::accept_stat::proc_unavail), bytes);
  if (st.cfg.fault_hook) st.cfg.fault_hook(h.proc, call->args);
  if (h.proc > pc::max_proc) return handle_shm_record(self, *call, record);

  auto garbage = [&] { reject(self, transport::accepted_error(h.xid, rpc::accept_stat::garbage_args), bytes); };
  const auto xid = h.xid;
  const auto proc = h.proc;
  switch (static_cast<pc::proc>(h.proc)) {
    case pc::proc::null:
      if (!call->args.empty()) return garbage();
      return answer(self, transport::void_success(xid), bytes);
    case pc::proc::put: {
      auto a = decode_args<pc::put_args>(*call);
      if (!a) return garbage();
      return forward<put_request, write_reply>(self, xid, proc, record, *a, a->deadline_ms, op_kind::small, 0);
    }
    case pc::proc::get: {
      auto a = decode_args<pc::key_args>(*call);
      if (!a) return garbage();
      return forward<get_request, get_reply>(self, xid, proc, record, *a, a->deadline_ms, op_kind::small, 0);
    }
    case pc::proc::del: {
      auto a = decode_args<pc::delete_args>(*call);
      if (!a) return garbage();
      return forward<delete_request, write_reply>(self, xid, proc, record, *a, a->deadline_ms, op_kind::small, 0);
    }
    case pc::proc::stat: {
      auto a = decode_args<pc::key_args>(*call);
      if (!a) return garbage();
      return forward<stat_request, stat_reply>(self, xid, proc, record, *a, a->deadline_ms, op_kind::small, 0);
    }
    case pc::proc::list: {
      auto a = decode_args<pc::list_args>(*call);
      if (!a) return garbage();
      return forward<list_request, list_reply>(self, xid, proc, record, *a, a->deadline_ms, op_kind::small, 0);
    }
    case pc::proc::write_open: {
      auto a = decode_args<pc::write_open_args>(*call);
      if (!a) return garbage();
      return forward<write_open_request, write_open_reply>(self, xid, proc, record, *a, a->deadline_ms,
                                                           op_kind::small, 0);
    }
    case pc::proc::write_chunk: {
      auto a = decode_args<pc::write_chunk_args>(*call);
      if (!a) return garbage();
      return forward<write_chunk_request, status_reply>(self, xid, proc, record, *a, a->deadline_ms,
                                                        op_kind::bulk_chunk, a->data.size());
    }
    case pc::proc::write_commit: {
      auto a = decode_args<pc::write_commit_args>(*call);
      if (!a) return garbage();
      return forward<write_commit_request, write_reply>(self, xid, proc, record, *a, a->deadline_ms,
                                                        op_kind::small, 0);
    }
    case pc::proc::write_abort: {
      auto a = decode_args<pc::write_abort_args>(*call);
      if (!a) return garbage();
      return forward<write_abort_request, status_reply>(self, xid, proc, record, *a, 0, op_kind::small, 0);
    }
    case pc::proc::read: {
      auto a = decode_args<pc::read_args>(*call);
      if (!a) return garbage();
      return forward<read_request, read_reply>(self, xid, proc, record, *a, a->deadline_ms, op_kind::bulk_chunk,
                                               a->length);
    }
  }
}

caf::behavior session_behavior(session_actor self, session_config cfg, session_io_factory make_io) {
  auto& st = self->state;
  st.stats.peer = cfg.peer.description;
  st.stats.pid = cfg.peer.pid ? *cfg.peer.pid : -1;
  st.stats.uid = cfg.peer.uid ? static_cast<std::int64_t>(*cfg.peer.uid) : -1;
  st.stats.gid = cfg.peer.gid ? static_cast<std::int64_t>(*cfg.peer.gid) : -1;
  st.stats.started = self->clock().now().time_since_epoch();
  st.cfg = std::move(cfg);
  st.io = make_io(caf::actor_cast<caf::actor>(self));
  if (!st.io) {
    self->quit(caf::make_error(caf::sec::runtime_error, "session: no connection to serve"));
    return {};
  }
  st.io->start();
  // A fault in this session (a bug, or the test hook) ends it alone, with the reason in its exit (the
  // event log reports it) instead of CAF's line on stdout.
  self->set_exception_handler([](std::exception_ptr& e) -> caf::error {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      return caf::make_error(caf::sec::runtime_error, std::string("session fault: ") + x.what());
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error, "session fault: unknown exception");
    }
  });
  return {
      [self](session_records& batch) {
        for (auto& r : batch.records) {
          if (!self->state.io) return;  // closed by an earlier record of this batch
          handle_record(self, r);
        }
      },
      [self](session_shm_attach& a) {
        if (self->state.io) handle_attach(self, a);
      },
      [self](shm_released_atom, std::uint64_t id) { shm_released(self, id); },
      [self](sink_released_atom, std::uint64_t id) { sink_released(self, id); },
      [self](session_closed&) {
        self->state.io.reset();
        self->quit();  // the client went away: a normal end (in-flight answers are dropped)
      },
      [self](session_stats_atom) { return self->state.stats; },
  };
}

}  // namespace

caf::actor spawn_session(caf::actor_system& sys, session_config cfg, session_io_factory make_io) {
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(sys, meters, "session", session_behavior, std::move(cfg), std::move(make_io));
}

caf::actor spawn_session(caf::local_actor* parent, session_config cfg, session_io_factory make_io) {
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(parent, meters, "session", session_behavior, std::move(cfg),
                                       std::move(make_io));
}

}  // namespace ferry::actors
