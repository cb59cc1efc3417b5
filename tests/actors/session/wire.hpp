// Test helpers: FERRY_CLIENT call records as a client would send them, and replies decoded back.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "transport/record_stream.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

namespace ferry::test {

using bytes = std::vector<xdr::byte>;

/// A call's record payload (no record mark): the RPC header and the encoded arguments.
template <class Args>
bytes call_payload(std::uint32_t xid, std::uint32_t proc, const Args& args, std::uint32_t prog = proto::client::program,
                   std::uint32_t vers = proto::client::version, std::uint32_t cred_flavor = xdr::rpc::auth_flavor::none) {
  xdr::encoder e;
  xdr::rpc::call_header h;
  h.xid = xid;
  h.prog = prog;
  h.vers = vers;
  h.proc = proc;
  h.cred.flavor = cred_flavor;
  xdr::rpc::encode_call(e, h);
  REQUIRE(xdr::encode(e, args));
  return e.flatten();
}

/// A call with raw argument bytes (for garbage and void arguments).
inline bytes raw_call(std::uint32_t xid, std::uint32_t proc, const bytes& args, std::uint32_t prog = proto::client::program) {
  xdr::encoder e;
  xdr::rpc::call_header h{xid, prog, proto::client::version, proc, {}, {}};
  xdr::rpc::encode_call(e, h);
  auto out = e.flatten();
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

/// The reply inside an outgoing record (one record), decoded; the bytes stay alive in `storage`.
struct decoded_reply {
  bytes storage;
  xdr::rpc::reply reply;
};
/// The reply in `record` (record-marked bytes holding one whole record), decoded.
inline decoded_reply decode_record(bytes flat) {
  decoded_reply out;
  auto scan = xdr::scan_record(flat, {});
  REQUIRE(scan);
  REQUIRE(scan->complete());
  REQUIRE(scan->bytes == flat.size());
  auto payload = xdr::record_payload(xdr::mutable_bytes{flat.data(), flat.size()}, *scan);
  out.storage.assign(payload.begin(), payload.end());
  auto rep = xdr::rpc::decode_reply(out.storage);
  REQUIRE(rep);
  out.reply = *rep;
  return out;
}
inline decoded_reply decode_outgoing(const transport::outgoing_record& r) { return decode_record(r.body.flatten()); }

template <class Result>
Result results_of(const decoded_reply& d) {
  REQUIRE(d.reply.stat == xdr::rpc::reply_stat::accepted);
  REQUIRE(d.reply.accepted == xdr::rpc::accept_stat::success);
  auto r = xdr::decode<Result>(d.reply.results);
  REQUIRE(r);
  return *r;
}

}  // namespace ferry::test
