// "nfs3://HOST/EXPORT[?nfsport=N&mountport=M&uid=U&gid=G]": an NFSv3 export used as a data server, in
// --store and stores.servers beside "HOST:PORT" ferry-stores. Pure parsing; errors are sentences.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ferry::config {

inline constexpr std::string_view nfs3_scheme = "nfs3://";

struct nfs3_url {
  std::string host;         ///< name, IPv4, or IPv6 without brackets
  std::string export_path;  ///< starts with '/'
  std::uint16_t nfs_port = 0;    ///< 0: ask rpcbind
  std::uint16_t mount_port = 0;  ///< 0: ask rpcbind
  std::uint32_t uid = 0;         ///< AUTH_SYS identity of every call
  std::uint32_t gid = 0;
};

/// True when the text names an NFS store (by its scheme); parse it with parse_nfs3_url.
bool is_nfs3_url(std::string_view text) noexcept;

/// The URL's parts, or what is wrong with it ("unknown option 'foo' (expected nfsport, mountport, uid, gid)").
std::variant<nfs3_url, std::string> parse_nfs3_url(std::string_view text);

}  // namespace ferry::config
