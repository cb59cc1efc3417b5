// Turns one FERRY_STORE call record into its reply: RPC-level checks (program, version, procedure,
// credentials, arguments) with the standard RFC 5531 errors, then the engine operation, then the encoded
// result. Runs on a worker thread; touches no socket. Large payloads are referenced, not copied.
#pragma once

#include <optional>
#include <string>

#include "store/engine.hpp"
#include "transport/record_stream.hpp"
#include "xdr/rpc.hpp"

namespace ferry::store {

/// Handles one call. The call's views point into a record the caller keeps alive during the call; the
/// reply references only bytes it owns (through outgoing_record::owners).
transport::outgoing_record dispatch(engine& store, const xdr::rpc::call& call);

/// First-pass check done on the network thread: decodes the header or says why the record is not a call.
/// A call with rpcvers != 2 gets an RPC_MISMATCH reply and the connection stays usable.
struct header_check {
  std::optional<xdr::rpc::call> call;
  std::optional<transport::outgoing_record> immediate_reply;
  std::string close_reason;
};
header_check check_header(xdr::bytes_view record);

}  // namespace ferry::store
