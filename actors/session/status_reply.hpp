// A FERRY_CLIENT reply carrying only a status and a detail. Every FERRY_CLIENT result is a union on
// ferry_status whose non-OK arms (but CONFLICT and NOT_FOUND) are `string detail`, so this one encoding
// answers any procedure with OVERLOADED, TIMEDOUT, UNAVAILABLE, ... without decoding its arguments.
#pragma once

#include <cstdint>
#include <string_view>

#include "transport/rpc_replies.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::actors {

/// `code` must not be OK, CONFLICT or NOT_FOUND (their arms carry data). Procedure 0 (NULL) has no
/// result: it is answered SUCCESS with nothing, whatever `code` says.
inline transport::outgoing_record status_only_reply(std::uint32_t xid, std::uint32_t proc, proto::status code,
                                                    std::string_view detail) {
  if (proc == 0) return transport::void_success(xid);
  return transport::success(xid, proto::reply{code, detail.substr(0, proto::max_detail)});
}

}  // namespace ferry::actors
