// ONC RPC reply records ready for a record_stream: one record each, the RPC reply header and (for a
// success) the procedure's results. Shared by every server side in ferry (ferry-store, ferryd sessions).
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "transport/record_stream.hpp"
#include "xdr/codec.hpp"
#include "xdr/rpc.hpp"

namespace ferry::transport {

/// One reply record: `write` encodes the reply between the record marks; `owners` keep bytes that the
/// encoding references (large opaques) alive until written.
template <class Write>
outgoing_record reply_record(Write&& write, std::vector<std::shared_ptr<const void>> owners = {}) {
  outgoing_record out;
  out.body.begin_record();
  write(out.body);
  out.body.end_record();
  out.owners = std::move(owners);
  return out;
}

/// MSG_ACCEPTED with an error accept_stat (PROG_UNAVAIL, PROG_MISMATCH with `m`, PROC_UNAVAIL, ...).
inline outgoing_record accepted_error(std::uint32_t xid, xdr::rpc::accept_stat stat, xdr::rpc::mismatch_info m = {}) {
  return reply_record([&](xdr::encoder& e) { xdr::rpc::encode_accepted_error(e, xid, stat, m); });
}

/// MSG_DENIED / AUTH_ERROR.
inline outgoing_record auth_error(std::uint32_t xid, xdr::rpc::auth_stat why) {
  return reply_record([&](xdr::encoder& e) { xdr::rpc::encode_auth_error(e, xid, why); });
}

/// MSG_DENIED / RPC_MISMATCH (the peer spoke an RPC version other than 2).
inline outgoing_record rpc_mismatch(std::uint32_t xid) {
  return reply_record([&](xdr::encoder& e) { xdr::rpc::encode_rpc_mismatch(e, xid); });
}

/// SUCCESS with no results (a NULL procedure).
inline outgoing_record void_success(std::uint32_t xid) {
  return reply_record([&](xdr::encoder& e) { xdr::rpc::encode_success(e, xid); });
}

/// SUCCESS carrying `result`. The caller guarantees the result respects its XDR bounds (results are
/// built from clipped details and bounded data), so encoding cannot fail.
template <class Result>
outgoing_record success(std::uint32_t xid, const Result& result, std::vector<std::shared_ptr<const void>> owners = {}) {
  return reply_record(
      [&](xdr::encoder& e) {
        xdr::rpc::encode_success(e, xid);
        (void)xdr::encode(e, result);
      },
      std::move(owners));
}

}  // namespace ferry::transport
