// The FERRY_CLIENT reference server: rpcgen's generated dispatch over a few hand-written procedures
// (NULL, PUT, GET), served by libtirpc, so ferry's calls meet the real thing. Other procedures answer INTERNAL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tirpc_service.hpp"
#include "xdr/protocol/client.hpp"

namespace ferry::interop::reference {

/// Registered beside version 1, so a PROG_MISMATCH reply carries low 1 and high 3, not two equal numbers.
inline constexpr rpcvers_t extra_version = 3;

/// What libtirpc handed a reference procedure: the credentials as libtirpc decoded them.
struct seen_call {
  std::uint32_t proc = 0;
  std::uint32_t flavor = 0;
  std::string machine_name;  // AUTH_SYS only, like the ids below
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> gids;
};

/// Empties the stored values and the seen calls (the reference procedures keep them process-wide:
/// rpcgen's dispatch gives them no user pointer).
void reset();
/// Starts libtirpc serving FERRY_CLIENT versions 1 and 3 on `connection`.
std::unique_ptr<tirpc_service> serve(unique_fd connection);
/// The calls seen so far, oldest first.
std::vector<seen_call> seen_calls();

/// The version PUT answers: the value size under the high bit, and the request id's first 8 bytes, so a
/// reply proves the server decoded both.
proto::version put_version(std::size_t value_size, const proto::request_id& id);
/// The tombstone GET answers for a key it does not hold.
inline constexpr proto::version missing_tombstone{0x8000000000000007u, 9};
/// The mtime_ns GET answers.
inline constexpr std::uint64_t stored_mtime_ns = 0xC0FFEE0000000001u;
/// The detail of INTERNAL answers.
inline constexpr std::string_view unimplemented = "not served by the interop reference server";

}  // namespace ferry::interop::reference
