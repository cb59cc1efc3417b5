// The session's shared-memory bulk path (issue 12): FC_SHM_ATTACH's answer, and the slot procedures
// FC_PUT_SHM, FC_GET_SHM, FC_WRITE_CHUNK_SHM, FC_READ_SHM. Offsets and lengths come from the call, checked
// once against the region's recorded size; the region's bytes are only ever payload.
#include <caf/send.hpp>

#include <cstring>

#include "actors/session/session_state.hpp"
#include "xdr/codec.hpp"

namespace ferry::actors::session_impl {

namespace {

/// What a PUT_SHM's store calls reference: the request record (the key) and the region (the value, in
/// place). Its end tells the session that the slot is free (`pending_put`).
struct slot_payload {
  shared_bytes record;
  std::shared_ptr<const session::shm::region> region;
  caf::actor_addr session;
  std::uint64_t put_id = 0;
  slot_payload(shared_bytes r, std::shared_ptr<const session::shm::region> g, caf::actor_addr s, std::uint64_t id)
      : record(std::move(r)), region(std::move(g)), session(std::move(s)), put_id(id) {}
  ~slot_payload() {
    if (auto a = caf::actor_cast<caf::actor>(session)) caf::anon_send(a, shm_released_atom::value, put_id);
  }
  slot_payload(const slot_payload&) = delete;
  slot_payload& operator=(const slot_payload&) = delete;
};

void finish_put_if_done(session_actor self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.puts.find(id);
  if (it == st.puts.end() || !it->second.reply || !it->second.released) return;
  auto p = std::move(it->second);
  st.puts.erase(it);
  st.slots.give_back(p.offset, p.length);
  answer(self, std::move(*p.reply), p.request_bytes);
}

void attach_without_descriptor(session_actor self, std::uint32_t xid, std::uint32_t proc, std::size_t bytes) {
  reject(self,
         status_only_reply(xid, proc, proto::status::bad_request,
                           "ferryd: FC_SHM_ATTACH needs the region's memfd as SCM_RIGHTS data on a UNIX socket"),
         bytes);
}

void attach(session_actor self, session_shm_attach& a) {
  auto& st = self->state;
  ++st.stats.calls;
  const auto bytes = a.record->size();
  st.stats.bytes_in += bytes;
  auto call = rpc::decode_call(*a.record);  // checked by the io, which decoded it to find the descriptor
  if (!call) return close_session(self, "an attach record that is not a call");
  const auto xid = call->header.xid, proc = call->header.proc;
  if (st.region)
    return reject(self, status_only_reply(xid, proc, proto::status::bad_request, "ferryd: a region is already attached"),
                  bytes);
  if (!a.result.mapped) return reject(self, status_only_reply(xid, proc, a.result.code, a.result.detail), bytes);
  st.region = std::move(a.result.mapped);
  st.slots = session::shm::slot_table(a.result.max_slots);
  st.stats.shm_region_bytes = st.region->size();
  answer(self, transport::success(xid, proto::reply{proto::status::ok, {}}), bytes);
}

/// The slot checks of every slot call: a region attached, bounds, no overlap with a slot in flight.
/// Answers the call itself and returns nullopt when one fails.
std::optional<xdr::mutable_bytes> take_slot(session_actor self, std::uint32_t xid, std::uint32_t proc,
                                            std::size_t bytes, const pc::shm_slot& slot) {
  auto& st = self->state;
  auto refuse = [&](proto::status c, std::string_view why) {
    reject(self, status_only_reply(xid, proc, c, why), bytes);
    return std::nullopt;
  };
  if (!st.region) return refuse(proto::status::bad_request, "ferryd: no shared region attached (FC_SHM_ATTACH)");
  auto in_region = st.region->slot(slot.offset, slot.length);
  if (!in_region) return refuse(proto::status::bad_range, "ferryd: the slot lies outside the shared region");
  switch (st.slots.take(slot.offset, slot.length)) {
    case session::shm::slot_table::outcome::taken: break;
    case session::shm::slot_table::outcome::overlaps:
      return refuse(proto::status::bad_range, "ferryd: the slot overlaps a slot of a call in flight");
    case session::shm::slot_table::outcome::too_many:
      return refuse(proto::status::overloaded, "ferryd: this session has shm.max_slots_in_flight slot calls in "
                                               "flight; retry when one is answered");
  }
  ++st.stats.shm_calls;
  st.region->budget().shm_slot_taken(slot.length);
  return in_region;
}

/// PUT_SHM and WRITE_CHUNK_SHM: the router's request references the slot in place (`slot_payload`); the
/// reply waits for both the router's answer and the release of the slot's bytes (`pending_put`).
template <class Request, class Reply, class Args>
void upload_from_slot(session_actor self, std::uint32_t xid, std::uint32_t proc, const shared_bytes& record,
                      const pc::shm_slot& slot, Args args, std::uint32_t client_ms,
                      op_kind kind, std::uint64_t payload) {
  auto& st = self->state;
  const auto bytes = record->size();
  const auto id = ++st.next_put;
  st.puts.emplace(id, pending_put{slot.offset, slot.length, bytes, std::nullopt, false});
  auto holder = std::make_shared<slot_payload>(record, st.region, self->address(), id);
  shared_bytes owner(holder, record.get());  // the key's record, keeping the region mapped too
  holder.reset();
  ask_router<Request, Reply>(
      self, xid, proc, std::move(owner), args, client_ms, kind, payload,
      [xid](Reply& r) { return transport::success(xid, r.wire()); },
      [self, id](transport::outgoing_record reply) {
        auto it = self->state.puts.find(id);
        if (it == self->state.puts.end()) return;
        it->second.reply = std::move(reply);
        finish_put_if_done(self, id);
      });
}

void put_shm(session_actor self, std::uint32_t xid, std::uint32_t proc, const shared_bytes& record,
             const pc::put_shm_args& a) {
  const auto bytes = record->size();
  if (a.value.length > proto::max_value)
    return reject(self, status_only_reply(xid, proc, proto::status::too_big, "ferryd: value larger than FERRY_MAX_VALUE"),
                  bytes);
  auto value = take_slot(self, xid, proc, bytes, a.value);
  if (!value) return;
  xdr::bytes_view v{value->data(), value->size()};
  upload_from_slot<put_request, write_reply>(self, xid, proc, record, a.value,
                                             pc::put_args{a.key, v, a.deadline_ms, a.id, a.flags}, a.deadline_ms,
                                             op_kind::small, 0);
}

void write_chunk_shm(session_actor self, std::uint32_t xid, std::uint32_t proc, const shared_bytes& record,
                     const pc::write_chunk_shm_args& a) {
  const auto bytes = record->size();
  if (a.data.length > proto::max_chunk)
    return reject(self, status_only_reply(xid, proc, proto::status::too_big, "ferryd: chunk larger than FERRY_MAX_CHUNK"),
                  bytes);
  auto data = take_slot(self, xid, proc, bytes, a.data);
  if (!data) return;
  xdr::bytes_view v{data->data(), data->size()};
  upload_from_slot<write_chunk_request, status_reply>(self, xid, proc, record, a.data,
                                                      pc::write_chunk_args{a.upload_id, a.offset, v, a.deadline_ms},
                                                      a.deadline_ms, op_kind::bulk_chunk, a.data.length);
}

/// What the two halves of a download's answer share (see download_into_slot).
struct slot_download {
  reply_sink_ptr sink;
  bool landed = false;  // the answer's bytes are in the slot: the sink's one claim, complete
};

xdr::bytes_view inline_data(const get_reply& r) { return r.found.data; }
xdr::bytes_view inline_data(const read_reply& r) { return r.data.data; }

/// GET_SHM and READ_SHM: the store connection receives the value straight into the slot when it can (the
/// request's reply_sink); otherwise it comes in the reply record and the session copies it. The slot is
/// given back, and the client answered, only once no store reply can write it any more: at once when
/// the answer's own bytes landed in it or no reply ever claimed the sink, else when the sink is released
/// (a reply that lost the race for the answer — a late one, a stale replica's — may still be writing).
/// `result(reply, n)` is the answer with the value's n bytes in the slot.
template <class Request, class Reply, class Args, class Result>
void download_into_slot(session_actor self, std::uint32_t xid, std::uint32_t proc, const shared_bytes& record,
                        Args args, std::uint32_t client_ms, op_kind kind, std::uint64_t payload,
                        xdr::mutable_bytes into, pc::shm_slot slot, Result result) {
  const auto bytes = record->size();
  auto ctx = std::make_shared<slot_download>();
  ctx->sink = std::make_shared<reply_sink>(into, self->state.region);
  auto answer_now = [self, bytes, slot](transport::outgoing_record reply) {
    self->state.slots.give_back(slot.offset, slot.length);
    answer(self, std::move(reply), bytes);
  };
  auto when_quiet = [self, ctx](std::function<void()> then) {
    if (ctx->landed || ctx->sink->close()) {
      ctx->sink.reset();
      return then();
    }
    const auto id = ++self->state.next_put;
    self->state.after_release.emplace(id, std::move(then));
    ctx->sink->notify_on_release(self->address(), id);
    ctx->sink.reset();
  };
  auto sink = ctx->sink;
  ask_router<Request, Reply>(
      self, xid, proc, record, args, client_ms, kind, payload,
      [self, into, ctx, result, answer_now, when_quiet](Reply& r) -> std::optional<transport::outgoing_record> {
        if (r.in_sink != 0) {
          ctx->landed = true;
          self->state.stats.payload_bytes_in_place += r.in_sink;
          self->state.region->budget().shm_downloaded(r.in_sink, 0);
          return result(r, r.in_sink);
        }
        const auto n = inline_data(r).size();
        if (r.code != proto::status::ok || n == 0 || n > into.size()) return result(r, n);  // nothing to write
        when_quiet([self, into, r, n, result, answer_now]() mutable {
          std::memcpy(into.data(), inline_data(r).data(), n);
          self->state.stats.payload_bytes_copied += n;
          self->state.region->budget().shm_downloaded(0, n);
          answer_now(result(r, n));
        });
        return std::nullopt;
      },
      [answer_now, when_quiet](transport::outgoing_record reply) {
        auto held = std::make_shared<transport::outgoing_record>(std::move(reply));
        when_quiet([held, answer_now] { answer_now(std::move(*held)); });
      },
      std::move(sink));
}

/// READ into a slot: at most the slot's length is asked of the router, and written at its start.
void read_shm(session_actor self, std::uint32_t xid, std::uint32_t proc, const shared_bytes& record,
              const pc::read_shm_args& a) {
  const auto bytes = record->size();
  if (a.into.length > proto::max_chunk)
    return reject(self, status_only_reply(xid, proc, proto::status::too_big, "ferryd: slot larger than FERRY_MAX_CHUNK"),
                  bytes);
  auto into = take_slot(self, xid, proc, bytes, a.into);
  if (!into) return;
  download_into_slot<read_request, read_reply>(
      self, xid, proc, record, pc::read_args{a.key, a.offset, a.into.length, a.deadline_ms}, a.deadline_ms,
      op_kind::bulk_chunk, a.into.length, *into, a.into, [xid, size = into->size()](read_reply& r, std::size_t n) {
        if (r.code == proto::status::ok && n > size)  // the router broke its contract: nothing was written
          return status_only_reply(xid, static_cast<std::uint32_t>(pc::shm_proc::read), proto::status::internal,
                                   "ferryd: the store returned more than was asked");
        pc::read_shm_res res{r.code, {}, r.detail};
        if (r.code == proto::status::ok) res.chunk = {r.data.info, static_cast<std::uint32_t>(n), r.data.eof};
        return transport::success(xid, res);
      });
}

/// GET into a slot: a value longer than the slot is answered with its length and nothing written.
void get_shm(session_actor self, std::uint32_t xid, std::uint32_t proc, const shared_bytes& record,
             const pc::get_shm_args& a) {
  const auto bytes = record->size();
  auto into = take_slot(self, xid, proc, bytes, a.into);
  if (!into) return;
  download_into_slot<get_request, get_reply>(
      self, xid, proc, record, pc::key_args{a.key, a.deadline_ms}, a.deadline_ms, op_kind::small, 0, *into, a.into,
      [xid](get_reply& r, std::size_t n) {
        pc::get_shm_res res{r.code, {}, r.tombstone, r.detail};
        if (r.code == proto::status::ok) {
          res.value.info = r.found.info;
          res.value.length = static_cast<std::uint32_t>(n);
        }
        return transport::success(xid, res);
      });
}

void slot_call(session_actor self, const rpc::call& call, const shared_bytes& record) {
  const auto xid = call.header.xid, proc = call.header.proc;
  const auto bytes = record->size();
  auto garbage = [&] { reject(self, transport::accepted_error(xid, rpc::accept_stat::garbage_args), bytes); };
  switch (static_cast<pc::shm_proc>(proc)) {
    case pc::shm_proc::attach:
      if (!xdr::decode<pc::shm_attach_args>(call.args)) return garbage();
      return attach_without_descriptor(self, xid, proc, bytes);
    case pc::shm_proc::put: {
      auto a = xdr::decode<pc::put_shm_args>(call.args);
      if (!a) return garbage();
      return put_shm(self, xid, proc, record, *a);
    }
    case pc::shm_proc::get: {
      auto a = xdr::decode<pc::get_shm_args>(call.args);
      if (!a) return garbage();
      return get_shm(self, xid, proc, record, *a);
    }
    case pc::shm_proc::write_chunk: {
      auto a = xdr::decode<pc::write_chunk_shm_args>(call.args);
      if (!a) return garbage();
      return write_chunk_shm(self, xid, proc, record, *a);
    }
    case pc::shm_proc::read: {
      auto a = xdr::decode<pc::read_shm_args>(call.args);
      if (!a) return garbage();
      return read_shm(self, xid, proc, record, *a);
    }
  }
  reject(self, transport::accepted_error(xid, rpc::accept_stat::proc_unavail), bytes);
}
}  // namespace

void handle_attach(session_actor self, session_shm_attach& a) { attach(self, a); }

void handle_shm_record(session_actor self, const rpc::call& call, const shared_bytes& record) {
  slot_call(self, call, record);
}

void sink_released(session_actor self, std::uint64_t id) {
  auto it = self->state.after_release.find(id);
  if (it == self->state.after_release.end()) return;
  auto then = std::move(it->second);
  self->state.after_release.erase(it);
  then();
}

void shm_released(session_actor self, std::uint64_t put_id) {
  auto it = self->state.puts.find(put_id);
  if (it == self->state.puts.end()) return;
  it->second.released = true;
  finish_put_if_done(self, put_id);
}

}  // namespace ferry::actors::session_impl
