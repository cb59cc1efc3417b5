// address: the HOST:PORT endpoints ferryctl talks to, parsed from --node and --cluster. Pure, no sockets.
// An IPv6 literal is written in brackets ("[::1]:7420"); the brackets are dropped from `host`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ferry::ctl {

inline constexpr std::string_view default_node = "127.0.0.1:7420";

struct endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string text;  ///< as the operator wrote it: the node's name in every view
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

/// Parses one HOST:PORT; the string is the reason it was refused.
std::variant<endpoint, std::string> parse_endpoint(std::string_view text);

/// Every --node value, then every entry of every --cluster list (comma-separated), duplicates dropped,
/// first spelling kept; the default node when both are empty. The string is the first refusal.
std::variant<std::vector<endpoint>, std::string> collect_endpoints(const std::vector<std::string>& nodes,
                                                                  const std::vector<std::string>& clusters);

}  // namespace ferry::ctl
