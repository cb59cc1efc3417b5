// address: HOST:PORT parsing for --node and --cluster.
#include "address.hpp"

#include <charconv>

namespace ferry::ctl {

std::variant<endpoint, std::string> parse_endpoint(std::string_view text) {
  auto quoted = "'" + std::string(text) + "'";
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return quoted + " is not HOST:PORT";
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return quoted + ": write an IPv6 address in brackets, [ADDR]:PORT";
  }
  if (host.empty()) return quoted + ": empty host";
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535)
    return quoted + ": the port must be 1..65535";
  return endpoint{std::string(host), static_cast<std::uint16_t>(port), std::string(text)};
}

std::variant<std::vector<endpoint>, std::string> collect_endpoints(const std::vector<std::string>& nodes,
                                                                  const std::vector<std::string>& clusters) {
  std::vector<std::string> texts = nodes;
  for (const auto& list : clusters) {
    std::string_view rest = list;
    for (;;) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      if (item.empty()) return "--cluster '" + list + "' has an empty entry";
      texts.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (texts.empty()) texts.emplace_back(default_node);
  std::vector<endpoint> out;
  for (const auto& t : texts) {
    auto parsed = parse_endpoint(t);
    if (auto* why = std::get_if<std::string>(&parsed)) return *why;
    auto& ep = std::get<endpoint>(parsed);
    bool seen = false;
    for (const auto& e : out) seen = seen || (e.host == ep.host && e.port == ep.port);
    if (!seen) out.push_back(std::move(ep));
  }
  return out;
}

}  // namespace ferry::ctl
