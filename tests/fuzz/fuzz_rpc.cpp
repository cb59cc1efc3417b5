// libFuzzer target: ONC RPC call/reply headers and AUTH_SYS bodies. A header that decodes must re-encode
// to the same bytes (the codec is canonical); anything else must fail with an error inside the input.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "xdr/rpc.hpp"

using namespace ferry::xdr;

namespace {

void same_or_abort(const encoder& e, bytes_view original) {
  auto wire = e.flatten();
  if (wire.size() > original.size() || std::memcmp(wire.data(), original.data(), wire.size()) != 0)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bytes_view in{data, size};
  if (auto head = rpc::decode_head(in); !head && head.error().offset > size) std::abort();

  if (auto call = rpc::decode_call(in)) {
    encoder e;
    rpc::encode_call(e, call->header);
    same_or_abort(e, in);
    if (call->header.cred.flavor == rpc::auth_flavor::sys) {
      if (auto sys = rpc::decode_auth_sys(call->header.cred.body)) {
        encoder body;
        rpc::encode_auth_sys(body, *sys);
        if (body.flatten().size() != call->header.cred.body.size()) std::abort();
      }
    }
  } else if (call.error().offset > size) {
    std::abort();
  }

  if (auto reply = rpc::decode_reply(in)) {
    encoder e;
    using rpc::accept_stat;
    if (reply->stat == rpc::reply_stat::accepted) {
      if (reply->accepted == accept_stat::success)
        rpc::encode_success(e, reply->xid, reply->verf);
      else if (reply->verf.flavor == rpc::auth_flavor::none && reply->verf.body.empty())
        rpc::encode_accepted_error(e, reply->xid, reply->accepted, reply->mismatch);
      else
        return 0;  // our encoder always sends an AUTH_NONE verifier on errors
    } else if (reply->rejected == rpc::reject_stat::rpc_mismatch) {
      rpc::encode_rpc_mismatch(e, reply->xid, reply->mismatch);
    } else {
      rpc::encode_auth_error(e, reply->xid, reply->auth);
    }
    same_or_abort(e, in);
  } else if (reply.error().offset > size) {
    std::abort();
  }
  return 0;
}
