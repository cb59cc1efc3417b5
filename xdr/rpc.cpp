// ONC RPC v2 header codec.
#include "xdr/rpc.hpp"

namespace ferry::xdr::rpc {
namespace {

// Propagates a decode error out of the enclosing function.
#define FERRY_XDR_TRY(var, expr)    \
  auto var = (expr);                \
  if (!var) return var.error()

result<opaque_auth> decode_auth(decoder& in) noexcept {
  FERRY_XDR_TRY(flavor, in.u32());
  FERRY_XDR_TRY(body, in.opaque(max_auth_bytes));
  return opaque_auth{*flavor, *body};
}

void encode_auth(encoder& out, const opaque_auth& auth) {
  out.u32(auth.flavor);
  out.opaque(auth.body);
}

result<msg_type> decode_type(decoder& in) noexcept {
  auto at = in.offset();
  FERRY_XDR_TRY(type, in.u32());
  if (*type > 1) return codec_error{errc::bad_message_type, at};
  return static_cast<msg_type>(*type);
}

result<mismatch_info> decode_mismatch(decoder& in) noexcept {
  FERRY_XDR_TRY(low, in.u32());
  FERRY_XDR_TRY(high, in.u32());
  return mismatch_info{*low, *high};
}

void encode_reply_head(encoder& out, std::uint32_t xid, reply_stat stat) {
  out.u32(xid);
  out.u32(static_cast<std::uint32_t>(msg_type::reply));
  out.u32(static_cast<std::uint32_t>(stat));
}

}  // namespace

result<message_head> decode_head(bytes_view record) noexcept {
  decoder in{record};
  FERRY_XDR_TRY(xid, in.u32());
  FERRY_XDR_TRY(type, decode_type(in));
  return message_head{*xid, *type};
}

result<call> decode_call(bytes_view record) noexcept {
  decoder in{record};
  call c;
  FERRY_XDR_TRY(xid, in.u32());
  auto type_at = in.offset();
  FERRY_XDR_TRY(type, decode_type(in));
  if (*type != msg_type::call) return codec_error{errc::unexpected_message_type, type_at};
  auto vers_at = in.offset();
  FERRY_XDR_TRY(rpcvers, in.u32());
  if (*rpcvers != rpc_version) return codec_error{errc::bad_rpc_version, vers_at};
  FERRY_XDR_TRY(prog, in.u32());
  FERRY_XDR_TRY(vers, in.u32());
  FERRY_XDR_TRY(proc, in.u32());
  FERRY_XDR_TRY(cred, decode_auth(in));
  FERRY_XDR_TRY(verf, decode_auth(in));
  c.header = call_header{*xid, *prog, *vers, *proc, *cred, *verf};
  c.args = in.take_rest();
  return c;
}

result<reply> decode_reply(bytes_view record) noexcept {
  decoder in{record};
  reply r;
  FERRY_XDR_TRY(xid, in.u32());
  r.xid = *xid;
  auto type_at = in.offset();
  FERRY_XDR_TRY(type, decode_type(in));
  if (*type != msg_type::reply) return codec_error{errc::unexpected_message_type, type_at};
  auto stat_at = in.offset();
  FERRY_XDR_TRY(stat, in.u32());
  if (*stat == static_cast<std::uint32_t>(reply_stat::accepted)) {
    r.stat = reply_stat::accepted;
    FERRY_XDR_TRY(verf, decode_auth(in));
    r.verf = *verf;
    auto accept_at = in.offset();
    FERRY_XDR_TRY(accepted, in.u32());
    if (*accepted > static_cast<std::uint32_t>(accept_stat::system_err))
      return codec_error{errc::bad_enum, accept_at};
    r.accepted = static_cast<accept_stat>(*accepted);
    if (r.accepted == accept_stat::success) {
      r.results = in.take_rest();
    } else if (r.accepted == accept_stat::prog_mismatch) {
      FERRY_XDR_TRY(m, decode_mismatch(in));
      r.mismatch = *m;
    }
  } else if (*stat == static_cast<std::uint32_t>(reply_stat::denied)) {
    r.stat = reply_stat::denied;
    auto reject_at = in.offset();
    FERRY_XDR_TRY(rejected, in.u32());
    if (*rejected == static_cast<std::uint32_t>(reject_stat::rpc_mismatch)) {
      r.rejected = reject_stat::rpc_mismatch;
      FERRY_XDR_TRY(m, decode_mismatch(in));
      r.mismatch = *m;
    } else if (*rejected == static_cast<std::uint32_t>(reject_stat::auth_error)) {
      r.rejected = reject_stat::auth_error;
      auto auth_at = in.offset();
      FERRY_XDR_TRY(why, in.u32());
      if (*why > static_cast<std::uint32_t>(auth_stat::rpcsec_gss_ctxproblem))
        return codec_error{errc::bad_enum, auth_at};
      r.auth = static_cast<auth_stat>(*why);
    } else {
      return codec_error{errc::bad_enum, reject_at};
    }
  } else {
    return codec_error{errc::bad_enum, stat_at};
  }
  if (r.stat != reply_stat::accepted || r.accepted != accept_stat::success) {
    if (auto done = in.finish(); !done) return done.error();
  }
  return r;
}

void encode_call(encoder& out, const call_header& h) {
  out.u32(h.xid);
  out.u32(static_cast<std::uint32_t>(msg_type::call));
  out.u32(rpc_version);
  out.u32(h.prog);
  out.u32(h.vers);
  out.u32(h.proc);
  encode_auth(out, h.cred);
  encode_auth(out, h.verf);
}

void encode_success(encoder& out, std::uint32_t xid, const opaque_auth& verf) {
  encode_reply_head(out, xid, reply_stat::accepted);
  encode_auth(out, verf);
  out.u32(static_cast<std::uint32_t>(accept_stat::success));
}

void encode_accepted_error(encoder& out, std::uint32_t xid, accept_stat stat, mismatch_info mismatch) {
  encode_reply_head(out, xid, reply_stat::accepted);
  encode_auth(out, opaque_auth{});
  out.u32(static_cast<std::uint32_t>(stat));
  if (stat == accept_stat::prog_mismatch) {
    out.u32(mismatch.low);
    out.u32(mismatch.high);
  }
}

void encode_rpc_mismatch(encoder& out, std::uint32_t xid, mismatch_info supported) {
  encode_reply_head(out, xid, reply_stat::denied);
  out.u32(static_cast<std::uint32_t>(reject_stat::rpc_mismatch));
  out.u32(supported.low);
  out.u32(supported.high);
}

void encode_auth_error(encoder& out, std::uint32_t xid, auth_stat why) {
  encode_reply_head(out, xid, reply_stat::denied);
  out.u32(static_cast<std::uint32_t>(reject_stat::auth_error));
  out.u32(static_cast<std::uint32_t>(why));
}

result<auth_sys_params> decode_auth_sys(bytes_view body) noexcept {
  decoder in{body};
  auth_sys_params p;
  FERRY_XDR_TRY(stamp, in.u32());
  FERRY_XDR_TRY(name, in.string(auth_sys_params::max_machine_name));
  FERRY_XDR_TRY(uid, in.u32());
  FERRY_XDR_TRY(gid, in.u32());
  FERRY_XDR_TRY(count, in.array_length(auth_sys_params::max_gids));
  p.stamp = *stamp;
  p.machine_name = *name;
  p.uid = *uid;
  p.gid = *gid;
  p.gid_count = *count;
  for (std::uint32_t i = 0; i < *count; ++i) {
    FERRY_XDR_TRY(g, in.u32());
    p.gids[i] = *g;
  }
  if (auto done = in.finish(); !done) return done.error();
  return p;
}

void encode_auth_sys(encoder& out, const auth_sys_params& p) {
  out.u32(p.stamp);
  out.string(p.machine_name);
  out.u32(p.uid);
  out.u32(p.gid);
  auto n = p.gid_count < auth_sys_params::max_gids ? p.gid_count : auth_sys_params::max_gids;
  out.u32(n);
  for (std::uint32_t i = 0; i < n; ++i) out.u32(p.gids[i]);
}

std::string_view to_string(accept_stat s) noexcept {
  switch (s) {
    case accept_stat::success: return "SUCCESS";
    case accept_stat::prog_unavail: return "PROG_UNAVAIL";
    case accept_stat::prog_mismatch: return "PROG_MISMATCH";
    case accept_stat::proc_unavail: return "PROC_UNAVAIL";
    case accept_stat::garbage_args: return "GARBAGE_ARGS";
    case accept_stat::system_err: return "SYSTEM_ERR";
  }
  return "UNKNOWN_ACCEPT_STAT";
}

std::string_view to_string(auth_stat s) noexcept {
  switch (s) {
    case auth_stat::ok: return "AUTH_OK";
    case auth_stat::badcred: return "AUTH_BADCRED";
    case auth_stat::rejectedcred: return "AUTH_REJECTEDCRED";
    case auth_stat::badverf: return "AUTH_BADVERF";
    case auth_stat::rejectedverf: return "AUTH_REJECTEDVERF";
    case auth_stat::tooweak: return "AUTH_TOOWEAK";
    case auth_stat::invalidresp: return "AUTH_INVALIDRESP";
    case auth_stat::failed: return "AUTH_FAILED";
    case auth_stat::kerb_generic: return "AUTH_KERB_GENERIC";
    case auth_stat::timeexpire: return "AUTH_TIMEEXPIRE";
    case auth_stat::tkt_file: return "AUTH_TKT_FILE";
    case auth_stat::decode: return "AUTH_DECODE";
    case auth_stat::net_addr: return "AUTH_NET_ADDR";
    case auth_stat::rpcsec_gss_credproblem: return "RPCSEC_GSS_CREDPROBLEM";
    case auth_stat::rpcsec_gss_ctxproblem: return "RPCSEC_GSS_CTXPROBLEM";
  }
  return "UNKNOWN_AUTH_STAT";
}

#undef FERRY_XDR_TRY

}  // namespace ferry::xdr::rpc
