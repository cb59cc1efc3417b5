// FERRY_STORE procedure dispatch: RPC checks, argument decoding, engine call, result encoding.
#include "store/server/dispatch.hpp"

#include "transport/rpc_replies.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::store {
namespace {

namespace rpc = xdr::rpc;
namespace ps = proto::store;
using transport::outgoing_record;
using transport::accepted_error;
using transport::auth_error;
using transport::success;

std::string_view clipped(const std::string& detail) {
  return std::string_view(detail).substr(0, proto::max_detail);
}

proto::write_res to_wire(const write_result& r) { return {r.code, r.ver, clipped(r.detail)}; }

xdr::bytes_view view_of(const shared_bytes& b) { return b ? xdr::bytes_view{*b} : xdr::bytes_view{}; }

template <class Args>
std::optional<Args> args_of(const rpc::call& call) {
  auto a = xdr::decode<Args>(call.args);
  if (!a) return std::nullopt;
  return *a;
}

}  // namespace

header_check check_header(xdr::bytes_view record) {
  header_check out;
  auto call = rpc::decode_call(record);
  if (call) {
    out.call = *call;
    return out;
  }
  if (call.error().code == xdr::errc::bad_rpc_version) {
    auto head = rpc::decode_head(record);  // the xid and type decoded, or the error would differ
    out.immediate_reply = transport::rpc_mismatch(head->xid);
    return out;
  }
  out.close_reason = "not an ONC RPC call: " + xdr::describe(call.error());
  return out;
}

outgoing_record dispatch(engine& store, const rpc::call& call) {
  const auto& h = call.header;
  std::optional<outgoing_record> reply;
  if (h.prog != ps::program) {
    reply = accepted_error(h.xid, rpc::accept_stat::prog_unavail);
    return std::move(*reply);
  }
  if (h.vers != ps::version) {
    reply = accepted_error(h.xid, rpc::accept_stat::prog_mismatch, {ps::version, ps::version});
    return std::move(*reply);
  }
  if (h.cred.flavor == rpc::auth_flavor::sys) {
    if (!rpc::decode_auth_sys(h.cred.body)) {
      reply = auth_error(h.xid, rpc::auth_stat::badcred);
      return std::move(*reply);
    }
  } else if (h.cred.flavor != rpc::auth_flavor::none) {
    reply = auth_error(h.xid, rpc::auth_stat::rejectedcred);
    return std::move(*reply);
  }
  if (h.proc > ps::max_proc) {
    reply = accepted_error(h.xid, rpc::accept_stat::proc_unavail);
    return std::move(*reply);
  }
  auto garbage = [&] { return accepted_error(h.xid, rpc::accept_stat::garbage_args); };
  switch (static_cast<ps::proc>(h.proc)) {
    case ps::proc::null:
      if (!call.args.empty()) {
        reply = garbage();
        break;
      }
      reply = transport::void_success(h.xid);
      break;
    case ps::proc::health: {
      if (!call.args.empty()) {
        reply = garbage();
        break;
      }
      auto r = store.health();
      reply = success(h.xid, ps::health{r.objects, r.bytes_used, r.bytes_free, r.uptime_ms,
                                            std::string_view(r.node).substr(0, 255)});
      break;
    }
    case ps::proc::put: {
      auto a = args_of<ps::put_args>(call);
      if (!a) { reply = garbage(); break; }
      reply = success(h.xid, to_wire(store.put(a->key, a->value, a->ver)));
      break;
    }
    case ps::proc::get: {
      auto a = args_of<ps::key_args>(call);
      if (!a) { reply = garbage(); break; }
      auto r = store.get(a->key);
      proto::get_res res{r.code, {r.info, view_of(r.data)}, r.tombstone, clipped(r.detail)};
      reply = success(h.xid, res, {r.data});
      break;
    }
    case ps::proc::del: {
      auto a = args_of<ps::delete_args>(call);
      if (!a) { reply = garbage(); break; }
      reply = success(h.xid, to_wire(store.del(a->key, a->ver)));
      break;
    }
    case ps::proc::stat: {
      auto a = args_of<ps::key_args>(call);
      if (!a) { reply = garbage(); break; }
      auto r = store.stat(a->key);
      reply = success(h.xid, proto::stat_res{r.code, r.info, r.tombstone, clipped(r.detail)});
      break;
    }
    case ps::proc::list: {
      auto a = args_of<ps::list_args>(call);
      if (!a) { reply = garbage(); break; }
      auto r = std::make_shared<list_result>(store.list(a->prefix, a->cursor, a->limit));
      proto::list_res res;
      res.code = r->code;
      res.detail = clipped(r->detail);
      res.page.entries.reserve(r->entries.size());
      for (const auto& e : r->entries) res.page.entries.push_back({xdr::as_bytes(e.key), e.info});
      res.page.next_cursor = xdr::as_bytes(r->next_cursor);
      res.page.more = r->more;
      reply = success(h.xid, res, {r});  // keys are referenced from r until written
      break;
    }
    case ps::proc::write_open: {
      auto a = args_of<ps::write_open_args>(call);
      if (!a) { reply = garbage(); break; }
      auto r = store.write_open(a->key, a->ver, a->size_hint);
      reply = success(h.xid, proto::write_open_res{r.code, {r.upload_id, r.chunk_size}, clipped(r.detail)});
      break;
    }
    case ps::proc::write_chunk: {
      auto a = args_of<ps::write_chunk_args>(call);
      if (!a) { reply = garbage(); break; }
      auto r = store.write_chunk(a->upload_id, a->offset, a->data);
      reply = success(h.xid, proto::reply{r.code, clipped(r.detail)});
      break;
    }
    case ps::proc::write_commit: {
      auto a = args_of<ps::write_commit_args>(call);
      if (!a) { reply = garbage(); break; }
      reply = success(h.xid, to_wire(store.write_commit(a->upload_id, a->size)));
      break;
    }
    case ps::proc::write_abort: {
      auto a = args_of<ps::write_abort_args>(call);
      if (!a) { reply = garbage(); break; }
      auto r = store.write_abort(a->upload_id);
      reply = success(h.xid, proto::reply{r.code, clipped(r.detail)});
      break;
    }
    case ps::proc::read: {
      auto a = args_of<ps::read_args>(call);
      if (!a) { reply = garbage(); break; }
      auto r = store.read(a->key, a->offset, a->length);
      proto::read_res res{r.code, {r.info, view_of(r.data), r.eof}, clipped(r.detail)};
      reply = success(h.xid, res, {r.data});
      break;
    }
  }
  return std::move(*reply);
}

}  // namespace ferry::store
