// ONC RPC v2 messages (RFC 5531): call and reply headers, every accept_stat/reject_stat/auth_stat, and
// AUTH_SYS credentials. Procedure arguments and results stay undecoded views for the program's own codec.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "xdr/bytes.hpp"
#include "xdr/decoder.hpp"
#include "xdr/encoder.hpp"
#include "xdr/result.hpp"

namespace ferry::xdr::rpc {

inline constexpr std::uint32_t rpc_version = 2;
inline constexpr std::uint32_t max_auth_bytes = 400;  // opaque_auth body<400>

enum class msg_type : std::uint32_t { call = 0, reply = 1 };
enum class reply_stat : std::uint32_t { accepted = 0, denied = 1 };
enum class accept_stat : std::uint32_t {
  success = 0,
  prog_unavail = 1,
  prog_mismatch = 2,
  proc_unavail = 3,
  garbage_args = 4,
  system_err = 5,
};
enum class reject_stat : std::uint32_t { rpc_mismatch = 0, auth_error = 1 };
enum class auth_stat : std::uint32_t {
  ok = 0,
  badcred = 1,
  rejectedcred = 2,
  badverf = 3,
  rejectedverf = 4,
  tooweak = 5,
  invalidresp = 6,
  failed = 7,
  kerb_generic = 8,
  timeexpire = 9,
  tkt_file = 10,
  decode = 11,
  net_addr = 12,
  rpcsec_gss_credproblem = 13,
  rpcsec_gss_ctxproblem = 14,
};
/// Flavors are kept as plain numbers in opaque_auth: an unknown flavor is not a decoding error but an
/// AUTH_ERROR reply for the server to give.
namespace auth_flavor {
inline constexpr std::uint32_t none = 0;
inline constexpr std::uint32_t sys = 1;
inline constexpr std::uint32_t short_hand = 2;
inline constexpr std::uint32_t dh = 3;
inline constexpr std::uint32_t rpcsec_gss = 6;
}  // namespace auth_flavor

struct opaque_auth {
  std::uint32_t flavor = auth_flavor::none;
  bytes_view body;
};

struct call_header {
  std::uint32_t xid = 0;
  std::uint32_t prog = 0;
  std::uint32_t vers = 0;
  std::uint32_t proc = 0;
  opaque_auth cred;
  opaque_auth verf;
};

struct call {
  call_header header;
  bytes_view args;  // undecoded procedure arguments
};

struct mismatch_info {
  std::uint32_t low = 0;
  std::uint32_t high = 0;
  friend bool operator==(const mismatch_info&, const mismatch_info&) = default;
};

struct reply {
  std::uint32_t xid = 0;
  reply_stat stat = reply_stat::accepted;
  // accepted
  opaque_auth verf;
  accept_stat accepted = accept_stat::success;
  mismatch_info mismatch;  // prog_mismatch (accepted) or rpc_mismatch (denied)
  bytes_view results;      // success: undecoded procedure results
  // denied
  reject_stat rejected = reject_stat::rpc_mismatch;
  auth_stat auth = auth_stat::ok;  // auth_error
};

/// The xid and message type at the head of any RPC message, for routing before a full decode.
struct message_head {
  std::uint32_t xid;
  msg_type type;
};
result<message_head> decode_head(bytes_view record) noexcept;

/// Decodes a CALL (rpcvers must be 2). The arguments are the rest of the record, not decoded.
result<call> decode_call(bytes_view record) noexcept;
/// Decodes a REPLY. For accepted success replies, `results` is the rest of the record.
result<reply> decode_reply(bytes_view record) noexcept;

/// Encodes a call header; the caller then encodes the arguments into the same encoder.
void encode_call(encoder& out, const call_header& header);
/// Encodes an accepted SUCCESS reply header; the caller then encodes the results.
void encode_success(encoder& out, std::uint32_t xid, const opaque_auth& verf = {});
/// Encodes an accepted reply with a non-success status (mismatch is used for prog_mismatch only).
void encode_accepted_error(encoder& out, std::uint32_t xid, accept_stat stat, mismatch_info mismatch = {});
/// Encodes MSG_DENIED / RPC_MISMATCH with the supported version range.
void encode_rpc_mismatch(encoder& out, std::uint32_t xid, mismatch_info supported = {2, 2});
/// Encodes MSG_DENIED / AUTH_ERROR.
void encode_auth_error(encoder& out, std::uint32_t xid, auth_stat why);

/// AUTH_SYS credentials (RFC 5531 appendix A). On AF_UNIX ferryd trusts SO_PEERCRED over these.
struct auth_sys_params {
  static constexpr std::uint32_t max_machine_name = 255;
  static constexpr std::uint32_t max_gids = 16;
  std::uint32_t stamp = 0;
  std::string_view machine_name;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t gid_count = 0;
  std::array<std::uint32_t, max_gids> gids{};
};
result<auth_sys_params> decode_auth_sys(bytes_view body) noexcept;
/// Encodes AUTH_SYS parameters as the body of an opaque_auth (into `out`, which the caller keeps alive).
void encode_auth_sys(encoder& out, const auth_sys_params& params);

std::string_view to_string(accept_stat s) noexcept;
std::string_view to_string(auth_stat s) noexcept;

}  // namespace ferry::xdr::rpc
