// Encoded call arguments as an immutable, shared XDR gather list: encoded once by the requester, then
// sent (to replicas, on retries) without copying their large opaques, which go to the socket's writev.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "xdr/codec.hpp"
#include "xdr/encoder.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::actors {

class reply_sink;

/// The XDR encoding of one procedure's arguments (no record mark, no RPC header). Opaques at or above
/// the encoder's gather threshold are referenced, not copied; `owners` keep those bytes alive.
struct call_args {
  xdr::encoder body;
  std::vector<std::shared_ptr<const void>> owners;
};
using call_args_ptr = std::shared_ptr<const call_args>;

/// Encodes `args` (anything xdr::encode accepts). Bytes the arguments reference must stay alive
/// through `owners`. Empty when a value breaks its declared XDR bound.
template <class Args>
call_args_ptr make_call_args(const Args& args, std::vector<std::shared_ptr<const void>> owners = {}) {
  auto out = std::make_shared<call_args>();
  if (!xdr::encode(out->body, args)) return nullptr;
  out->owners = std::move(owners);
  return out;
}

/// FERRY_STORE argument encoders with the procedure number, for callers and tests.
struct store_request {
  std::uint32_t proc = 0;
  call_args_ptr args;
  std::shared_ptr<reply_sink> sink = nullptr;  ///< passed on to the rpc_call (rpc_call::sink)
};
template <class Args>
store_request make_store_request(proto::store::proc p, const Args& args,
                                 std::vector<std::shared_ptr<const void>> owners = {}) {
  return {static_cast<std::uint32_t>(p), make_call_args(args, std::move(owners))};
}

}  // namespace ferry::actors
